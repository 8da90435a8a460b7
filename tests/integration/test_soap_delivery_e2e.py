"""SOAP destinations through the real gateway: inbound JSON -> DeliveryWorker -> SOAP service.

The core's retry policy, breaker and dead letters apply unchanged; the SOAP connector only
classifies each answer. The service is a real uvicorn server on 127.0.0.1 (tests/soap_responder).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.journal import DeadLetterFilter
from tests.soap_responder import ERP, SOAP_SAMPLES, WSDL, Behaviour, running_responder
from tests.support import GatewayAuth, eventually, order, post_json, running_gateway, write_config

pytestmark = pytest.mark.skipif(not SOAP_SAMPLES.is_dir(), reason="shared samples not found")

PASSWORD = "erp-Secret-9f3c"
FAST_RETRY = {"initial_delay": 0.05, "max_delay": 0.2, "max_attempts": 4, "max_age": 60}


def soap_destination(
    url: str, secret_file: Path, *, digest: bool = True, **changes: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "soap",
        "url": url,
        "timeout": 2,
        "retry": FAST_RETRY,
        "soap": {
            "wsdl": str(WSDL),
            "operation": "CreateOrder",
            "arguments": {
                "poNumber": "po_number",
                "orderDate": "order_date",
                "currency": "currency",
                "line": "lines[].{lineNumber: line_number, sku: item.sku,"
                " quantity: quantity.value, unitPrice: unit_price.amount}",
            },
            "idempotency_argument": "externalId",
            "app_error": {"element": "errorCode", "message_element": "errorMessage"},
            "wsse": {"username": "svc", "password": {"file": str(secret_file)}, "digest": digest},
        },
    }
    spec.update(changes)
    return spec


def secret(tmp_path: Path) -> Path:
    path = tmp_path / "erp-password"
    path.write_text(PASSWORD + "\n")
    return path


async def _states(gw, mid: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {d.state for d in await gw.journal.deliveries(mid)}


async def _delivered(gw, mid: str) -> bool:  # type: ignore[no-untyped-def]
    return await _states(gw, mid) == {"delivered"}


async def _dead(gw, mid: str) -> bool:  # type: ignore[no-untyped-def]
    return await _states(gw, mid) == {"dead"}


async def test_concurrency_faults_are_retried_until_the_order_is_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # zeep's own transport logs whole envelopes at DEBUG
    async with running_responder("svc", PASSWORD) as rx:
        rx.set("/erp", Behaviour("concurrent", times=2))
        # PasswordText (allowed to a loopback address): the password is in every envelope
        dest = soap_destination(f"{rx.url}/erp", secret(tmp_path), digest=False)
        write_config(tmp_path, {"erp": dest})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order("PO-77"))
            await eventually(lambda: _delivered(gw, mid))
            attempts = await gw.journal.attempts(f"{mid}.erp")
            assert [a.code for a in attempts] == [
                "soap_fault:exceededRequestLimitFault",
                "soap_fault:exceededRequestLimitFault",
                "",
            ]
            assert [a.status_code for a in attempts] == [500, 500, 200]
            seen = rx.on("/erp")
            assert all(s.authenticated and s.password_type == "PasswordText" for s in seen)
            # one idempotency key for every attempt, in the header and in the operation
            assert {s.headers["idempotency-key"] for s in seen} == {f"{mid}.erp"}
            assert all(f"<ns0:externalId>{mid}.erp<".encode() in s.body for s in seen)
            assert all(f"{{{ERP}}}CreateOrderRequest" == s.body_element for s in seen)
            assert b">PO-77<" in seen[-1].body
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("behaviour", "code", "words"),
    [
        (Behaviour("validation"), "soap_fault:soap:Client", "poNumber must be at most 8"),
        (Behaviour("chronopost"), "soap_app_error", "errorCode = '1': System Error"),
    ],
)
async def test_fatal_answers_dead_letter_at_once_and_redeliver_after_the_fix(
    tmp_path: Path, behaviour: Behaviour, code: str, words: str
) -> None:
    async with running_responder("svc", PASSWORD) as rx:
        rx.set("/erp", behaviour)
        write_config(tmp_path, {"erp": soap_destination(f"{rx.url}/erp", secret(tmp_path))})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _dead(gw, mid))
            [dl] = await gw.journal.dead_letters(DeadLetterFilter(destination="erp"))
            assert (dl.stage, dl.code) == ("deliver", code)
            assert words in dl.error
            assert len(rx.on("/erp")) == 1  # fatal: not retried
            inspected = (await client.get(f"{base}/v1/ops/dead-letters/{dl.id}")).json()
            [attempt] = inspected["deliveries"][0]["attempts"]
            assert attempt["code"] == code
            assert "Envelope" in attempt["body_excerpt"]
            rx.set("/erp", Behaviour("ok"))  # the ERP side fixed its data
            r = await client.post(f"{base}/v1/ops/dead-letters/{dl.id}/redeliver")
            assert r.status_code == 200, r.text
            await eventually(lambda: _delivered(gw, mid))
            assert {s.headers["idempotency-key"] for s in rx.on("/erp")} == {f"{mid}.erp"}
            for text in (dl.error, attempt["body_excerpt"], r.text):
                assert PASSWORD not in text


async def test_bare_5xx_and_timeouts_retry_then_dead_letter_with_the_cause(
    tmp_path: Path,
) -> None:
    async with running_responder("svc", PASSWORD) as rx:
        rx.set("/down", Behaviour("status", status=503))
        rx.set("/slow", Behaviour("slow", seconds=3))
        retry = {**FAST_RETRY, "max_attempts": 2}
        path = secret(tmp_path)
        destinations = {
            "down": soap_destination(f"{rx.url}/down", path, retry=retry),
            "slow": soap_destination(f"{rx.url}/slow", path, retry=retry, timeout=0.3),
        }
        write_config(tmp_path, destinations)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _dead(gw, mid))
            letters = await gw.journal.dead_letters(DeadLetterFilter())
            by_dest = {dl.destination: dl for dl in letters}
            assert by_dest["down"].code == "http_503"
            assert by_dest["slow"].code == "timeout"
            assert all("max_attempts" in dl.error for dl in letters)
            assert len(rx.on("/down")) == 2
            assert [a.code for a in await gw.journal.attempts(f"{mid}.slow")] == [
                "timeout",
                "timeout",
            ]


async def test_the_breaker_opens_on_repeated_concurrency_faults(tmp_path: Path) -> None:
    async with running_responder("svc", PASSWORD) as rx:
        rx.set("/erp", Behaviour("concurrent"))
        spec = soap_destination(
            f"{rx.url}/erp",
            secret(tmp_path),
            concurrency=1,
            retry={**FAST_RETRY, "max_attempts": 50},
            breaker={"failure_threshold": 3, "reset_timeout": 30},
        )
        write_config(tmp_path, {"erp": spec})
        async with (
            running_gateway(tmp_path) as (_gw, base),
            httpx.AsyncClient(auth=GatewayAuth(_gw)) as client,
        ):
            await post_json(client, base, order())

            async def breaker_open() -> bool:
                text = (await client.get(f"{base}/metrics")).text
                return 'crossdock_breaker_open{destination="erp"} 1.0' in text

            await eventually(breaker_open)
            assert len(rx.on("/erp")) == 3  # opened at the threshold; no probe for 30 s
