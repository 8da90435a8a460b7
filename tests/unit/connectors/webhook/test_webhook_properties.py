"""Properties: whatever the body and secret, a correct signature verifies and any flip fails."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.webhook import VerificationError, build_verifier

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
