"""The published vectors in ../shared/samples/webhooks/VECTORS.md, each through its verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

import pytest

from connectors.webhook import Verified, build_verifier
from tests.support import SAMPLES

WEBHOOKS = SAMPLES / "webhooks"
VECTORS_MD = (WEBHOOKS / "VECTORS.md").read_text(encoding="utf-8")

STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STANDARD_TS = "1614265330"
STANDARD_BODY = b'{"test": 2432232314}'
STANDARD_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

EASYPOST_SECRET = "s\u00e9cret"  # NFC as typed; the scheme normalises to NFKD
EASYPOST_SIG = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"

SHOPIFY_SIG = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
WOO_SIG = "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="


@pytest.mark.parametrize(
    "value",
    [STANDARD_SECRET, STANDARD_ID, STANDARD_TS, STANDARD_SIG, EASYPOST_SIG, SHOPIFY_SIG, WOO_SIG],
)
def test_the_values_here_are_the_published_ones(value: str) -> None:
    assert value in VECTORS_MD


def test_standard_webhooks_vector() -> None:
    verifier = build_verifier("standard-webhooks", [STANDARD_SECRET])
    headers = {
        "webhook-id": STANDARD_ID,
        "webhook-timestamp": STANDARD_TS,
        "webhook-signature": STANDARD_SIG,
    }
    result = verifier.verify(headers, STANDARD_BODY, now=float(STANDARD_TS))
    assert result == Verified(event_id=STANDARD_ID, timestamp=1614265330.0)


@pytest.mark.parametrize(
    "secret", [EASYPOST_SECRET, unicodedata.normalize("NFD", EASYPOST_SECRET)], ids=["nfc", "nfd"]
)
def test_easypost_vector_with_nfkd_secret(secret: str) -> None:
    body = (WEBHOOKS / "easypost_signed_body_minified.json").read_bytes()
    verifier = build_verifier("easypost", [secret])
    verified = verifier.verify({"X-Hmac-Signature": EASYPOST_SIG}, body, now=0.0)
    assert verified == Verified(event_id="evt_1")  # the Event's id, from the signed body


def test_easypost_nfc_key_gives_another_signature() -> None:
    body = (WEBHOOKS / "easypost_signed_body_minified.json").read_bytes()
    nfc = hmac.new(EASYPOST_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert f"hmac-sha256-hex={nfc}" != EASYPOST_SIG  # so the normalisation is what passes


def test_easypost_pretty_printed_body_is_not_the_signed_one() -> None:
    body = (WEBHOOKS / "easypost_event-body.json").read_bytes()
    verifier = build_verifier("easypost", [EASYPOST_SECRET])
    with pytest.raises(Exception, match="does not match"):
        verifier.verify({"X-Hmac-Signature": EASYPOST_SIG}, body, now=0.0)


def test_shopify_vector() -> None:
    verifier = build_verifier("shopify", ["test_secret_key"])
    headers = {"X-Shopify-Hmac-Sha256": SHOPIFY_SIG, "X-Shopify-Webhook-Id": "b54557e4"}
    assert verifier.verify(headers, b'{"foo": "bar"}', now=0.0) == Verified(event_id="b54557e4")


def test_shopify_event_id_header_is_the_fallback() -> None:
    verifier = build_verifier("shopify", ["test_secret_key"])
    headers = {"x-shopify-hmac-sha256": SHOPIFY_SIG, "x-shopify-event-id": "evt-9"}
    assert verifier.verify(headers, b'{"foo": "bar"}', now=0.0).event_id == "evt-9"


def test_woocommerce_vector_with_empty_secret() -> None:
    verifier = build_verifier("woocommerce", [""])
    headers = {"X-WC-Webhook-Signature": WOO_SIG, "X-WC-Webhook-Delivery-ID": "d-1"}
    assert verifier.verify(headers, b"secret", now=0.0) == Verified(event_id="d-1")


def test_aftership_base64_hmac_of_raw_body() -> None:
    body = b'{"event": "tracking_update"}'
    sig = base64.b64encode(hmac.new(b"as-key", body, hashlib.sha256).digest()).decode()
    verifier = build_verifier("aftership", ["as-key"])
    assert verifier.verify({"aftership-hmac-sha256": sig}, body, now=0.0) == Verified()
