"""Properties: whatever the body and secret, a correct signature verifies and any flip fails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.webhook import VerificationError, build_verifier
from connectors.webhook.base import Headers
from connectors.webhook.generic import body_id_reader

NOW = 1_700_000_000.0
keys = st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=2048)


def _standard(key: bytes, body: bytes) -> tuple[str, dict[str, str]]:
    secret = "whsec_" + base64.b64encode(key).decode()
    signed = b"msg_1." + str(int(NOW)).encode() + b"." + body
    sig = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(NOW)),
        "webhook-signature": f"v1,{sig}",
    }
    return secret, headers


def _flip(data: bytes, index: int, bit: int) -> bytes:
    out = bytearray(data)
    out[index % len(out)] ^= 1 << bit
    return bytes(out)


@settings(max_examples=200)
@given(key=keys, body=bodies.filter(bool), index=st.integers(min_value=0), bit=st.integers(0, 7))
def test_standard_webhooks_sign_verify_and_any_flip_fails(
    key: bytes, body: bytes, index: int, bit: int
) -> None:
    secret, headers = _standard(key, body)
    verifier = build_verifier("standard-webhooks", [secret])
    assert verifier.verify(headers, body, NOW).event_id == "msg_1"
    with pytest.raises(VerificationError) as info:
        verifier.verify(headers, _flip(body, index, bit), NOW)
    assert info.value.code == "signature_mismatch"


@settings(max_examples=200)
@given(
    scheme=st.sampled_from(["shopify", "woocommerce", "aftership", "easypost"]),
    secret=st.text(max_size=32),
    body=bodies.filter(bool),
    index=st.integers(min_value=0),
    bit=st.integers(0, 7),
)
def test_body_schemes_sign_verify_and_any_flip_fails(
    scheme: str, secret: str, body: bytes, index: int, bit: int
) -> None:
    import unicodedata

    key = (unicodedata.normalize("NFKD", secret) if scheme == "easypost" else secret).encode()
    digest = hmac.new(key, body, hashlib.sha256)
    header, value = {
        "shopify": ("X-Shopify-Hmac-Sha256", base64.b64encode(digest.digest()).decode()),
        "woocommerce": ("X-WC-Webhook-Signature", base64.b64encode(digest.digest()).decode()),
        "aftership": ("aftership-hmac-sha256", base64.b64encode(digest.digest()).decode()),
        "easypost": ("X-Hmac-Signature", "hmac-sha256-hex=" + digest.hexdigest()),
    }[scheme]
    verifier = build_verifier(scheme, [secret])
    verifier.verify({header: value}, body, NOW)
    with pytest.raises(VerificationError) as info:
        verifier.verify({header: value}, _flip(body, index, bit), NOW)
    assert info.value.code == "signature_mismatch"


@given(key=keys, other=keys, body=bodies)
def test_a_signature_under_another_key_fails(key: bytes, other: bytes, body: bytes) -> None:
    secret, headers = _standard(key, body)
    wrong = "whsec_" + base64.b64encode(other).decode()
    verifier = build_verifier("standard-webhooks", [wrong])
    if key == other:
        assert verifier.verify(headers, body, NOW)
        return
    with pytest.raises(VerificationError):
        verifier.verify(headers, body, NOW)
    assert build_verifier("standard-webhooks", [wrong, secret]).verify(headers, body, NOW)


header_names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=20)


@given(st.lists(st.tuples(header_names, header_values), max_size=8), header_names)
def test_headers_from_asgi_pairs_read_as_the_mapping_view_does(
    pairs: list[tuple[str, str]], probe: str
) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    from_asgi = Headers.from_asgi(raw)
    from_mapping = Headers(dict(pairs))
    for name in {probe, *(k for k, _ in pairs)}:
        assert from_asgi.get(name) == from_mapping.get(name)
        assert from_asgi.get(name.upper()) == from_mapping.get(name)
    assert dict(from_asgi) == dict(pairs)
    assert Headers.of(from_asgi) is from_asgi


def test_a_verifier_takes_the_asgi_view_as_it_takes_a_mapping() -> None:
    key = b"k" * 32
    secret, standard = _standard(key, b"{}")
    shopify = {
        "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.digest(key, b"{}", "sha256")).decode(),
        "X-Shopify-Webhook-Id": "evt-1",
    }
    for scheme, secrets, headers in [
        ("standard-webhooks", [secret], standard),
        ("shopify", [key.decode()], shopify),
    ]:
        verifier = build_verifier(scheme, secrets)
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        verified = verifier.verify(Headers.from_asgi(raw), b"{}", NOW)
        assert verified == verifier.verify(headers, b"{}", NOW)
        assert verified.event_id in {"msg_1", "evt-1"}


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


field_names = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$@.:-", min_size=1, max_size=8
)


@given(st.dictionaries(field_names, json_values, max_size=6), field_names)
def test_the_body_id_is_the_fields_text_and_nothing_else_counts(
    document: dict[str, object], field: str
) -> None:
    body = json.dumps(document).encode()
    value = document.get(field)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        expected = None
    else:
        expected = str(value).strip()
    assert body_id_reader(field)(body) == expected


@given(st.binary(max_size=64))
def test_a_body_that_is_not_a_json_object_has_no_id(body: bytes) -> None:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        assert body_id_reader("id")(body) is None


@pytest.mark.parametrize("field", ["", 'a"b', "a\\b", "line\nbreak"])
def test_an_id_field_that_is_no_plain_member_name_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match="not a plain JSON member name"):
        body_id_reader(field)
