"""SoapDeliverer against a real SOAP service on 127.0.0.1: WS-Security, headers, every answer."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from lxml import etree

from connectors.base import Delivery
from connectors.soap import (
    AppErrorRule,
    SoapCallSpec,
    SoapDeliverer,
    UsernameCredentials,
    classify_response,
)
from tests.soap_responder import (
    ACTION,
    ERP,
    SOAP_SAMPLES,
    WSDL,
    Behaviour,
    SoapResponder,
    running_responder,
)
from tests.support import order

pytestmark = pytest.mark.skipif(not SOAP_SAMPLES.is_dir(), reason="shared samples not found")

PASSWORD = "pw-Zq8&<tiger>"
ARGUMENTS = {
    "poNumber": "po_number",
    "orderDate": "order_date",
    "currency": "currency",
    "line": "lines[].{lineNumber: line_number, sku: item.sku, quantity: quantity.value,"
    " unitPrice: unit_price.amount}",
}
CHRONOPOST = AppErrorRule(element="errorCode", ok=["0"], message_element="errorMessage")


def spec(**changes: Any) -> SoapCallSpec:
    fields: dict[str, Any] = {
        "wsdl": str(WSDL),
        "operation": "CreateOrder",
        "arguments": ARGUMENTS,
        "idempotency_argument": "externalId",
        "idempotency_element": "{urn:crossdock:test:erp}RequestId",
        "app_error": CHRONOPOST,
    }
    fields.update(changes)
    return SoapCallSpec(**fields)


def wire(attempt: int = 1, payload: bytes | None = None) -> Delivery:
    body = payload if payload is not None else json.dumps(order("PO-42")).encode()
    return Delivery("d1", "m1", "erp", "m1.erp", attempt, "order", body, trace_id="t-1")


@pytest.fixture
async def responder() -> AsyncIterator[SoapResponder]:
    async with running_responder("svc", PASSWORD) as rx:
        yield rx


def deliverer(rx: SoapResponder, *, digest: bool = False, **options: Any) -> SoapDeliverer:
    return SoapDeliverer(
        options.pop("call", spec()),
        url=f"{rx.url}/erp",
        timeout=options.pop("timeout", 5.0),
        credentials=UsernameCredentials("svc", options.pop("password", PASSWORD), digest),
        headers={"X-Api-Key": "k"},
    )


@pytest.mark.parametrize("digest", [False, True])
async def test_success_with_username_token(responder: SoapResponder, digest: bool) -> None:
    async with deliverer(responder, digest=digest) as d:
        outcome = await d.deliver(wire())
    assert (outcome.kind, outcome.status_code, outcome.code) == ("ok", 200, "")
    [seen] = responder.on("/erp")
    assert seen.authenticated
    assert seen.password_type == ("PasswordDigest" if digest else "PasswordText")
    assert seen.body_element == f"{{{ERP}}}CreateOrderRequest"
    assert seen.headers["soapaction"] == f'"{ACTION}"'
    assert seen.headers["idempotency-key"] == "m1.erp"
    assert seen.headers["x-crossdock-delivery-attempt"] == "1"
    assert seen.headers["x-api-key"] == "k"
    root = etree.fromstring(seen.body)
    assert root.findtext(f".//{{{ERP}}}RequestId") == "m1.erp"
    assert root.findtext(f".//{{{ERP}}}externalId") == "m1.erp"
    assert root.findtext(f".//{{{ERP}}}poNumber") == "PO-42"
    assert root.findtext(f".//{{{ERP}}}line/{{{ERP}}}unitPrice") == "9.99"
    if digest:
        assert PASSWORD.encode() not in seen.body


async def test_a_wrong_password_is_a_fatal_fault(responder: SoapResponder) -> None:
    async with deliverer(responder, password="not-it") as d:
        outcome = await d.deliver(wire())
    assert (outcome.kind, outcome.code) == ("fatal", "soap_fault:wsse:FailedAuthentication")


@pytest.mark.parametrize(
    ("behaviour", "kind", "status", "code"),
    [
        (Behaviour("concurrent"), "retriable", 500, "soap_fault:exceededRequestLimitFault"),
        (Behaviour("validation"), "fatal", 500, "soap_fault:soap:Client"),
        (Behaviour("chronopost"), "fatal", 200, "soap_app_error"),
        (Behaviour("status", status=503), "retriable", 503, "http_503"),
        (Behaviour("status", status=500), "retriable", 500, "http_500"),
        (Behaviour("status", status=404), "fatal", 404, "http_404"),
        (Behaviour("status", status=200), "fatal", 200, "soap_not_envelope"),
    ],
)
async def test_each_answer_is_classified(
    responder: SoapResponder, behaviour: Behaviour, kind: str, status: int, code: str
) -> None:
    responder.set("/erp", behaviour)
    async with deliverer(responder) as d:
        outcome = await d.deliver(wire())
    assert (outcome.kind, outcome.status_code, outcome.code) == (kind, status, code)
    assert outcome.body_excerpt
    assert outcome.latency_ms > 0


async def test_the_netsuite_and_chronopost_samples_keep_their_words(
    responder: SoapResponder,
) -> None:
    async with deliverer(responder) as d:
        responder.set("/erp", Behaviour("concurrent"))
        busy = await d.deliver(wire())
        responder.set("/erp", Behaviour("chronopost"))
        app = await d.deliver(wire())
    assert busy.error == "Only one request may be made against a session at a time"
    assert app.error == "errorCode = '1': System Error"
    sample = (SOAP_SAMPLES / "chronopost_error_response_envelope.xml").read_bytes()
    assert classify_response(200, sample, CHRONOPOST).code == app.code


async def test_a_chronopost_error_can_be_declared_retriable(responder: SoapResponder) -> None:
    responder.set("/erp", Behaviour("chronopost"))
    call = spec(app_error=AppErrorRule(element="errorCode", kind="retriable"))
    async with deliverer(responder, call=call) as d:
        outcome = await d.deliver(wire())
    assert (outcome.kind, outcome.code) == ("retriable", "soap_app_error")


async def test_slow_answer_times_out_as_retriable(responder: SoapResponder) -> None:
    responder.set("/erp", Behaviour("slow", seconds=5))
    async with deliverer(responder, timeout=0.3) as d:
        outcome = await d.deliver(wire())
    assert (outcome.kind, outcome.code, outcome.status_code) == ("retriable", "timeout", None)
    assert "timeout (0.3s)" in outcome.error


async def test_nothing_listening_is_a_retriable_connect_error() -> None:
    with socket_port() as port:
        d = SoapDeliverer(spec(), url=f"http://127.0.0.1:{port}/erp", timeout=2)
        outcome = await d.deliver(wire())
        await d.aclose()
    assert (outcome.kind, outcome.code) == ("retriable", "connect_error")


async def test_an_answer_over_the_limit_is_refused(responder: SoapResponder) -> None:
    responder.set("/erp", Behaviour("chronopost"))
    async with deliverer(responder, call=spec(max_response_bytes=64)) as d:
        outcome = await d.deliver(wire())
    assert (outcome.kind, outcome.code) == ("fatal", "soap_response_too_large")


async def test_bad_payloads_are_fatal_without_a_request(responder: SoapResponder) -> None:
    async with deliverer(responder) as d:
        not_json = await d.deliver(wire(payload=b"{nope"))
        no_po = order()
        del no_po["po_number"]
        missing = await d.deliver(wire(payload=json.dumps(no_po).encode()))
    assert (not_json.kind, not_json.code) == ("fatal", "soap_payload_invalid")
    assert (missing.kind, missing.code) == ("fatal", "soap_request_invalid")
    assert "poNumber" in missing.error
    assert responder.on("/erp") == []


async def test_the_password_never_reaches_outcomes_or_logs(
    responder: SoapResponder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # zeep's transport would log the envelope at DEBUG
    responder.set("/erp", Behaviour("echo"))  # a Fault that echoes the whole request
    async with deliverer(responder, call=spec(app_error=None)) as d:
        outcome = await d.deliver(wire())
    assert outcome.kind == "fatal"
    for text in (outcome.error, outcome.body_excerpt, caplog.text):
        assert "Zq8" not in text
    assert outcome.error == "password *** refused"
    assert "password *** refused" in outcome.body_excerpt


async def test_the_purolator_request_sample_without_a_token_is_refused(
    responder: SoapResponder,
) -> None:
    """A request with only a vendor header (no WS-Security) gets the authentication Fault."""
    raw = (SOAP_SAMPLES / "purolator_tracking_request_envelope.xml").read_bytes()
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{responder.url}/erp", content=raw)
    assert not responder.on("/erp")[0].authenticated
    outcome = classify_response(r.status_code, r.content)
    assert (outcome.kind, outcome.code) == ("fatal", "soap_fault:wsse:FailedAuthentication")


class socket_port:  # noqa: N801  # used as a context manager, like a function
    """A port that nothing listens on, held bound (not listening) while the test runs."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


async def test_the_destination_timeout_wins_over_a_shared_clients_default(
    responder: SoapResponder,
) -> None:
    """The worker's pooled client has httpx's 5 s default; a 20 s destination must get 20 s."""
    responder.set("/erp", Behaviour("slow", seconds=0.5))
    async with httpx.AsyncClient(timeout=0.1) as shared:
        d = SoapDeliverer(
            spec(),
            url=f"{responder.url}/erp",
            timeout=5,
            credentials=UsernameCredentials("svc", PASSWORD),
            client=shared,
        )
        outcome = await d.deliver(wire())
        await d.aclose()
        assert not shared.is_closed  # shared: its owner closes it
    assert (outcome.kind, outcome.status_code) == ("ok", 200)


async def test_a_fresh_timestamp_per_request_when_asked(responder: SoapResponder) -> None:
    credentials = UsernameCredentials("svc", PASSWORD, digest=True, timestamp_ttl=300)
    async with SoapDeliverer(spec(), url=f"{responder.url}/erp", credentials=credentials) as d:
        first = await d.deliver(wire())
        second = await d.deliver(wire(attempt=2))
    assert (first.kind, second.kind) == ("ok", "ok")
    stamps = [s.timestamp for s in responder.on("/erp")]
    assert all(s is not None for s in stamps)
    for stamp in stamps:
        assert stamp is not None
        created = datetime.fromisoformat(stamp[0])
        expires = datetime.fromisoformat(stamp[1])
        assert expires - created == timedelta(seconds=300)
    async with deliverer(responder) as d:  # without a ttl: no Timestamp
        await d.deliver(wire())
    assert responder.on("/erp")[-1].timestamp is None
