"""The Standard Webhooks sender: signatures our own verifier accepts, the envelope, rotation."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Delivery
from connectors.webhook import VerificationError
from connectors.webhook.sender import (
    SigningKey,
    WebhookSender,
    classify,
    envelope,
    retry_after,
    sign,
)
from connectors.webhook.standard import StandardWebhooks, secret_key
from tests.support import SAMPLES

VECTORS_MD = (SAMPLES / "webhooks" / "VECTORS.md").read_text(encoding="utf-8")
OLD = "whsec_" + base64.b64encode(b"old-secret-0123456789abcdef").decode()
NEW = "whsec_" + base64.b64encode(b"new-secret-0123456789abcdef").decode()
EVENTS = {"order": "order.accepted"}


def _delivery(
    payload: bytes = b'{"po_number":"PO-1"}', key: str = "01ABC.subscription:s"
) -> Delivery:
    return Delivery(
        delivery_id=key,
        message_id="01ABC",
        destination="subscription:s",
        idempotency_key=key,
        attempt=1,
        document_type="order",
        payload=payload,
        created_at=1_700_000_000.5,
    )


def test_sign_reproduces_the_published_standard_webhooks_vector() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    value = sign(
        [secret_key(secret)], "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", b'{"test": 2432232314}'
    )
    assert value == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert secret in VECTORS_MD and value in VECTORS_MD  # the values are the published ones


def test_envelope_wraps_the_canonical_bytes_unchanged() -> None:
    data = b'{"po_number":"PO-1","total":"12.50"}'
    body = envelope("order.accepted", "id-1", 1_700_000_000.5, data)
    assert body.endswith(b',"data":' + data + b"}")
    assert json.loads(body) == {
        "type": "order.accepted",
        "id": "id-1",
        "timestamp": "2023-11-14T22:13:20.500Z",
        "data": {"po_number": "PO-1", "total": "12.50"},
    }


@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=10,
    ),
    webhook_id=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
    at=st.floats(min_value=0, max_value=4_000_000_000),
)
def test_envelope_is_json_with_the_data_whatever_it_holds(
    data: object, webhook_id: str, at: float
) -> None:
    raw = json.dumps(data).encode()
    parsed = json.loads(envelope("order.accepted", webhook_id, at, raw))
    assert parsed["data"] == data
    assert parsed["id"] == webhook_id
    assert parsed["timestamp"].endswith("Z")


@given(
    body=st.binary(max_size=5000),
    webhook_id=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
    stamp=st.integers(min_value=0, max_value=4_000_000_000),
    secrets=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=3),
)
def test_every_signature_verifies_with_our_inbound_verifier(
    body: bytes, webhook_id: str, stamp: int, secrets: list[bytes]
) -> None:
    whsecs = ["whsec_" + base64.b64encode(s).decode() for s in secrets]
    value = sign([secret_key(w) for w in whsecs], webhook_id, str(stamp), body)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": value,
    }
    assert len(value.split()) == len(secrets)
    for one in whsecs:  # a receiver knowing any single one of the secrets accepts it
        assert (
            StandardWebhooks([one]).verify(headers, body, now=float(stamp)).event_id == webhook_id
        )
    other = "whsec_" + base64.b64encode(b"not-one-of-them" * 2).decode()
    if other not in whsecs:
        with pytest.raises(VerificationError):
            StandardWebhooks([other]).verify(headers, body, now=float(stamp))


@given(status=st.integers(min_value=100, max_value=599))
def test_classification_of_every_status(status: int) -> None:
    kind, code = classify(status)
    if 200 <= status < 300:
        assert kind == "ok"
    elif status == 410:
        assert (kind, code) == ("fatal", "endpoint_gone")
    elif status in {408, 425, 429} or status >= 500:
        assert kind == "retriable"
    else:
        assert kind == "fatal"
    assert code == "endpoint_gone" if status == 410 else code == f"http_{status}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        ("99999999999999999999", 86_400.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after(value, now=1_700_000_000.0) == expected


def test_rotation_signs_with_both_during_the_overlap_then_only_the_new() -> None:
    clock = [1000.0]
    sender = WebhookSender(
        "http://127.0.0.1:9/hook",
        [SigningKey(NEW), SigningKey(OLD, not_after=2000.0)],
        EVENTS,
        clock=lambda: clock[0],
    )
    body, headers = sender.request(_delivery(), now=1000.0)
    assert len(headers["webhook-signature"].split()) == 2
    for only in (OLD, NEW):
        assert StandardWebhooks([only]).verify(headers, body, now=1000.0)
    body, headers = sender.request(_delivery(), now=2000.0)
    assert len(headers["webhook-signature"].split()) == 1
    assert StandardWebhooks([NEW]).verify(headers, body, now=2000.0)
    with pytest.raises(VerificationError):
        StandardWebhooks([OLD]).verify(headers, body, now=2000.0)


def test_same_webhook_id_and_body_on_every_attempt_with_a_fresh_timestamp() -> None:
    sender = WebhookSender("http://127.0.0.1:9/hook", [SigningKey(NEW)], EVENTS)
    first_body, first = sender.request(_delivery(), now=1000.0)
    again_body, again = sender.request(_delivery(), now=1060.0)
    assert first["webhook-id"] == again["webhook-id"] == "01ABC.subscription:s"
    assert first_body == again_body
    assert (first["webhook-timestamp"], again["webhook-timestamp"]) == ("1000", "1060")
    assert json.loads(first_body)["type"] == "order.accepted"


async def test_no_active_secret_is_fatal_without_sending() -> None:
    sender = WebhookSender(
        "http://127.0.0.1:9/hook", [SigningKey(OLD, not_after=10.0)], EVENTS, clock=lambda: 20.0
    )
    outcome = await sender.deliver(_delivery())
    await sender.aclose()
    assert (outcome.kind, outcome.code, outcome.status_code) == ("fatal", "no_signing_secret", None)


def test_secrets_never_show_in_reprs() -> None:
    key = SigningKey(NEW, not_after=5.0)
    sender = WebhookSender("https://hooks.example/in?token=abc", [key], EVENTS)
    for text in (repr(key), repr(sender), str(key)):
        assert NEW not in text
        assert NEW.removeprefix("whsec_") not in text
    assert "token" not in repr(sender)


@pytest.mark.parametrize("url", ["ftp://x/y", "/relative", "http://"])
def test_refuses_a_url_that_is_not_absolute_http(url: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        WebhookSender(url, [SigningKey(NEW)], EVENTS)
