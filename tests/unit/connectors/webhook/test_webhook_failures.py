"""Refusals: each failure has its code, names the header and the expectation, never a secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from functools import partial

import pytest

import connectors.webhook.base as base_module
from connectors.errors import StageError
from connectors.webhook import HmacOptions, VerificationError, build_verifier
from connectors.webhook.generic import compile_template

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER = "whsec_" + base64.b64encode(b"another key of thirty-two bytes!").decode()
BODY = b'{"test": 2432232314}'
ID, TS = "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330"
GOOD = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def standard(sig: str = GOOD, ts: str = TS, msg_id: str = ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig}


def refusal(call: Callable[[], object], code: str) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        call()
    err = info.value
    assert err.code == code
    assert err.stage == "accept"
    assert isinstance(err, StageError)
    assert err.path is not None and err.path.lower() in err.message.lower()  # names the header
    assert "expected" in err.message
    return err


def test_tampered_body_wrong_secret_and_foreign_ids_mismatch() -> None:
    good = build_verifier("standard-webhooks", [SECRET])
    now = float(TS)
    refusal(lambda: good.verify(standard(), BODY + b" ", now), "signature_mismatch")
    refusal(lambda: good.verify(standard(msg_id="msg_other"), BODY, now), "signature_mismatch")
    wrong = build_verifier("standard-webhooks", [OTHER])
    err = refusal(lambda: wrong.verify(standard(), BODY, now), "signature_mismatch")
    assert OTHER not in err.message and GOOD.split(",")[1] not in err.message


def test_stale_and_future_timestamps_are_refused_after_the_signature() -> None:
    verifier = build_verifier("standard-webhooks", [SECRET], tolerance=300)
    assert verifier.verify(standard(), BODY, float(TS) + 300).event_id == ID
    for now in (float(TS) + 301, float(TS) - 301):
        err = refusal(partial(verifier.verify, standard(), BODY, now), "timestamp_out_of_tolerance")
        assert err.path == "webhook-timestamp"
    # a forged request learns nothing about the clock: the signature is checked first
    refusal(lambda: verifier.verify(standard(), b"{}", float(TS) + 9999), "signature_mismatch")


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers(missing: str) -> None:
    verifier = build_verifier("standard-webhooks", [SECRET])
    headers = {k: v for k, v in standard().items() if k != missing}
    err = refusal(lambda: verifier.verify(headers, BODY, float(TS)), "missing_header")
    assert err.path == missing


def test_malformed_headers() -> None:
    verifier = build_verifier("standard-webhooks", [SECRET])
    refusal(lambda: verifier.verify(standard(ts="yesterday"), BODY, 0.0), "malformed_header")
    refusal(lambda: verifier.verify(standard(ts="nan"), BODY, 0.0), "malformed_header")
    refusal(lambda: verifier.verify(standard(sig="v1a,abc"), BODY, 0.0), "malformed_header")
    refusal(lambda: verifier.verify(standard(sig="v1,@@@"), BODY, 0.0), "malformed_header")
    easypost = build_verifier("easypost", ["k"])
    refusal(lambda: easypost.verify({"X-Hmac-Signature": "abcd"}, BODY, 0.0), "malformed_header")
    bad_hex = {"X-Hmac-Signature": "hmac-sha256-hex=zz"}
    refusal(lambda: easypost.verify(bad_hex, BODY, 0.0), "malformed_header")


def test_rotation_any_secret_any_signature() -> None:
    rotating = build_verifier("standard-webhooks", [OTHER, SECRET])
    signatures = f"v1a,aGVsbG8= v1,{base64.b64encode(b'x' * 32).decode()} {GOOD}"
    assert rotating.verify(standard(sig=signatures), BODY, float(TS)).event_id == ID
    retired = build_verifier("standard-webhooks", [OTHER])
    refusal(lambda: retired.verify(standard(sig=signatures), BODY, float(TS)), "signature_mismatch")
    shopify = build_verifier("shopify", ["old", "test_secret_key"])
    sig = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
    assert shopify.verify({"X-Shopify-Hmac-Sha256": sig}, b'{"foo": "bar"}', 0.0).event_id is None


@pytest.mark.parametrize(
    ("scheme", "header"),
    [
        ("shopify", "X-Shopify-Hmac-Sha256"),
        ("woocommerce", "X-WC-Webhook-Signature"),
        ("aftership", "aftership-hmac-sha256"),
        ("easypost", "X-Hmac-Signature"),
    ],
)
def test_body_schemes_refuse_missing_and_mismatch(scheme: str, header: str) -> None:
    verifier = build_verifier(scheme, ["right"])
    err = refusal(lambda: verifier.verify({}, BODY, 0.0), "missing_header")
    assert err.path == header
    digest = hmac.new(b"wrong", BODY, hashlib.sha256)
    value = (
        "hmac-sha256-hex=" + digest.hexdigest()
        if scheme == "easypost"
        else base64.b64encode(digest.digest()).decode()
    )
    err = refusal(lambda: verifier.verify({header.upper(): value}, BODY, 0.0), "signature_mismatch")
    assert "right" not in err.message and value not in err.message


def test_generic_hmac_with_timestamp_template() -> None:
    options = HmacOptions(
        header="X-Signature",
        algorithm="sha512",
        encoding="hex",
        prefix="sha512=",
        template="{timestamp}.{body}",
        timestamp_header="X-Timestamp",
        id_header="X-Delivery",
    )
    verifier = build_verifier("hmac", ["k1"], tolerance=60, options=options)
    digest = hmac.new(b"k1", b"1700000000." + BODY, hashlib.sha512).hexdigest()
    headers = {"x-signature": "sha512=" + digest, "x-timestamp": "1700000000", "x-delivery": "d9"}
    result = verifier.verify(headers, BODY, 1700000030.0)
    assert (result.event_id, result.timestamp) == ("d9", 1700000000.0)
    refusal(lambda: verifier.verify(headers, BODY, 1700000061.0), "timestamp_out_of_tolerance")
    refusal(
        lambda: verifier.verify({**headers, "x-timestamp": "1700000001"}, BODY, 1700000000.0),
        "signature_mismatch",
    )
    refusal(
        lambda: verifier.verify({**headers, "x-signature": digest}, BODY, 0.0), "malformed_header"
    )
    no_stamp = {k: v for k, v in headers.items() if k != "x-timestamp"}
    refusal(lambda: verifier.verify(no_stamp, BODY, 0.0), "missing_header")


@pytest.mark.parametrize(
    ("algorithm", "encoding"), [("sha1", "base64"), ("sha256", "hex"), ("sha512", "base64")]
)
def test_generic_algorithms_and_encodings(algorithm: str, encoding: str) -> None:
    options = HmacOptions(header="X-Sig", algorithm=algorithm, encoding=encoding)  # type: ignore[arg-type]
    digest = hmac.new(b"s", BODY, algorithm).digest()
    value = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    assert build_verifier("hmac", ["s"], options=options).verify({"X-Sig": value}, BODY, 0.0)


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{timestamp}", "exactly once"),
        ("{body}{body}", "exactly once"),
        ("{nonce}.{body}", "unknown"),
        ("{timestamp}.{body}", "timestamp_header"),
        ("{id}.{body}", "id_header"),
    ],
)
def test_generic_options_are_checked_when_built(template: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        build_verifier("hmac", ["s"], options=HmacOptions(header="X", template=template))


def test_template_compiles_to_literals_and_fields() -> None:
    assert compile_template("v0:{timestamp}:{body}") == ("v0:", ("timestamp",), ":", ("body",))


def test_registry_refuses_unknown_schemes_and_bad_secrets() -> None:
    with pytest.raises(ValueError, match="unknown webhook scheme 'github'"):
        build_verifier("github", ["s"])
    with pytest.raises(ValueError, match="needs options"):
        build_verifier("hmac", ["s"])
    with pytest.raises(ValueError, match="at least one secret"):
        build_verifier("shopify", [])
    with pytest.raises(ValueError, match="whsec_") as info:
        build_verifier("standard-webhooks", ["whsec_not base64 at all!"])
    assert "not base64" not in str(info.value)


@pytest.mark.parametrize("scheme", ["shopify", "standard-webhooks"])
def test_every_secret_is_compared_in_constant_time_without_an_early_exit(
    scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timing side channel would leak how much of a forged signature was right."""
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(base_module.hmac, "compare_digest", recording)
    keys = [b"k1" * 16, b"k2" * 16, b"k3" * 16]
    body = b'{"po": "PO-1"}'
    if scheme == "shopify":
        secrets = [k.decode() for k in keys]
        sig = base64.b64encode(hmac.digest(keys[0], body, "sha256")).decode()
        headers = {"X-Shopify-Hmac-Sha256": sig}
    else:
        secrets = ["whsec_" + base64.b64encode(k).decode() for k in keys]
        signed = b"msg_1.1700000000." + body
        sig = base64.b64encode(hmac.digest(keys[0], signed, "sha256")).decode()
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": "1700000000",
            "webhook-signature": f"v1,{sig}",
        }
    build_verifier(scheme, secrets).verify(headers, body, 1_700_000_000.0)
    # the first secret matched, and the other two were still compared
    assert len(compared) == len(keys)
