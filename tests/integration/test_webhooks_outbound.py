"""Outbound webhooks end to end: a gateway on 127.0.0.1 delivering signed events to real HTTP
receivers on 127.0.0.1 that check every request with OUR inbound Standard Webhooks verifier."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
import yaml

from connectors.webhook import VerificationError
from connectors.webhook.standard import StandardWebhooks
from gateway.journal import DeadLetterFilter
from gateway.journal.webhook_endpoints import open_endpoint_store
from gateway.runtime import Gateway
from gateway.subscription_ops import SubscriptionOps
from tests.support import (
    GatewayAuth,
    eventually,
    order,
    post_json,
    running_gateway,
    write_config,
)

OLD = "whsec_" + base64.b64encode(b"the-old-secret-of-acme-0123456789").decode()
NEW = "whsec_" + base64.b64encode(b"the-new-secret-of-acme-9876543210").decode()
FAST_RETRY = {"initial_delay": 0.05, "max_delay": 0.2, "max_attempts": 6, "max_age": 60}
LONG_AGO = "2020-01-01T00:00:00Z"
FAR_AHEAD = "2100-01-01T00:00:00Z"


class Got(msgspec.Struct, frozen=True):
    """One request as it arrived, and whether the receiver's verifier accepted it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    def verifies_with(self, secret: str) -> bool:
        """Check this request again with a verifier that knows only ``secret``."""
        try:
            StandardWebhooks([secret]).verify(self.headers, self.body, now=time.time())
        except VerificationError:
            return False
        return True


class VerifyingReceiver:
    """An ASGI receiver: verifies each request with ``secrets`` (401 if it fails), then answers
    the next status of its path's script (200 once the script is used up)."""

    def __init__(self, secrets: list[str]) -> None:
        self.verifier = StandardWebhooks(secrets)
        self.got: list[Got] = []
        self.scripts: dict[str, list[int]] = {}
        self.url = ""

    def on(self, path: str) -> list[Got]:
        return [g for g in self.got if g.path == path]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            self.verifier.verify(headers, body, now=time.time())
            verified = True
        except VerificationError:
            verified = False
        path = scope["path"]
        self.got.append(Got(path, headers, body, verified))
        script = self.scripts.get(path, [])
        status = (script.pop(0) if script else 200) if verified else 401
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@contextlib.asynccontextmanager
async def receiving(secrets: list[str]) -> AsyncIterator[VerifyingReceiver]:
    receiver = VerifyingReceiver(secrets)
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=0, lifespan="off", access_log=False, log_config=None
    )
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


def subscribe(root: Path, *subscriptions: dict[str, Any]) -> None:
    """A config folder without destinations, with these subscriptions (partner acme)."""
    cfg = write_config(root, {})
    items = [
        {
            "partner": "acme",
            "event_types": ["order.accepted"],
            "secrets": [{"env": "ACME_WHSEC_NEW"}],
            "retry": FAST_RETRY,
            **s,
        }
        for s in subscriptions
    ]
    (cfg / "subscriptions.yaml").write_text(yaml.safe_dump(items))


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_WHSEC_NEW", NEW)
    monkeypatch.setenv("ACME_WHSEC_OLD", OLD)


async def _state(gw: Gateway, message_id: str, dest: str) -> str | None:
    for d in await gw.journal.deliveries(message_id):
        if d.destination == dest:
            return d.state
    return None


async def test_signed_event_verifies_and_every_retry_has_the_same_webhook_id(
    tmp_path: Path,
) -> None:
    async with receiving([NEW]) as rx:
        rx.scripts["/hook"] = [503, 503]
        subscribe(tmp_path, {"name": "acme-orders", "url": f"{rx.url}/hook"})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order("PO-9"))
            dest = "subscription:acme-orders"
            await eventually(lambda: _state_is(gw, mid, dest, "delivered"))
            got = rx.on("/hook")
            assert [g.verified for g in got] == [True, True, True]
            assert {g.headers["webhook-id"] for g in got} == {f"{mid}.{dest}"}
            assert len({g.body for g in got}) == 1  # the same event each time
            event = json.loads(got[0].body)
            assert event["type"] == "order.accepted"
            assert event["id"] == f"{mid}.{dest}"
            assert event["data"]["po_number"] == "PO-9"
            attempts = await gw.journal.attempts(f"{mid}.{dest}")
            assert [a.status_code for a in attempts] == [503, 503, 200]


async def _state_is(gw: Gateway, message_id: str, dest: str, state: str) -> bool:
    return await _state(gw, message_id, dest) == state


async def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new(
    tmp_path: Path,
) -> None:
    rotating = [{"env": "ACME_WHSEC_NEW"}, {"env": "ACME_WHSEC_OLD", "not_after": FAR_AHEAD}]
    rotated = [{"env": "ACME_WHSEC_NEW"}, {"env": "ACME_WHSEC_OLD", "not_after": LONG_AGO}]
    async with receiving([OLD]) as old_only, receiving([NEW]) as new_only:
        subscribe(
            tmp_path,
            {"name": "overlap-old", "url": f"{old_only.url}/overlap", "secrets": rotating},
            {"name": "overlap-new", "url": f"{new_only.url}/overlap", "secrets": rotating},
            {"name": "after", "url": f"{new_only.url}/after", "secrets": rotated},
            {"name": "after-old", "url": f"{old_only.url}/after", "secrets": rotated},
        )
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            for name in ("overlap-old", "overlap-new", "after"):
                await eventually(
                    lambda n=name: _state_is(gw, mid, f"subscription:{n}", "delivered")
                )
            # past its not_after the old secret signs nothing: a receiver that only knows it
            # refuses (401, fatal), so the event is dead-lettered for operations
            await eventually(lambda: _state_is(gw, mid, "subscription:after-old", "dead"))
    [during_old] = old_only.on("/overlap")
    [during_new] = new_only.on("/overlap")
    for got in (during_old, during_new):
        assert got.verified
        assert len(got.headers["webhook-signature"].split()) == 2
        assert got.verifies_with(OLD) and got.verifies_with(NEW)
    [after] = new_only.on("/after")
    assert after.verified
    assert len(after.headers["webhook-signature"].split()) == 1
    assert after.verifies_with(NEW) and not after.verifies_with(OLD)
    [refused] = old_only.on("/after")
    assert not refused.verified


async def test_gone_disables_the_endpoint_and_later_events_wait_as_endpoint_disabled(
    tmp_path: Path, records: list[logging.LogRecord]
) -> None:
    async with receiving([NEW]) as rx:
        rx.scripts["/hook"] = [410]
        subscribe(tmp_path, {"name": "acme-orders", "url": f"{rx.url}/hook"})
        dest = "subscription:acme-orders"
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            first = await post_json(client, base, order("PO-1"))
            await eventually(lambda: _state_is(gw, first, dest, "dead"))
            [gone] = await gw.journal.dead_letters(DeadLetterFilter(destination=dest))
            assert gone.code == "endpoint_gone"
            state = await open_endpoint_store(gw.journal).get("acme-orders")
            assert not state.enabled and state.reason.startswith("endpoint_gone")
            [entry] = [e for e in await gw.journal.audit() if e.action == "disable_subscription"]
            assert (entry.actor, entry.target) == ("system", dest)
            metrics = (await client.get(f"{base}/metrics")).text
            assert 'crossdock_webhook_endpoints_disabled_total{subscription="acme-orders"} 1.0' in (
                metrics
            )
            assert any(
                r.levelno == logging.WARNING and r.getMessage() == "webhook endpoint disabled"
                for r in records
            )

            second = await post_json(client, base, order("PO-2"))
            await eventually(lambda: _state_is(gw, second, dest, "dead"))
            [held] = await gw.journal.dead_letters(
                DeadLetterFilter(destination=dest, code="endpoint_disabled")
            )
            assert held.message_id == second
            assert "enable it" in held.error
            assert len(rx.on("/hook")) == 1  # nothing was sent to the disabled endpoint
            assert await gw.journal.attempts(f"{second}.{dest}") == []

            # the receiver is back: operations enable the endpoint and redeliver what waited
            ops = SubscriptionOps(gw.config, gw.journal, ops=gw.ops)
            result = await ops.enable("acme-orders", "ops-tester", redeliver=True)
            assert result is not None and result.changed and result.redelivered == 1
            gw.delivery_wake.set()
            await eventually(lambda: _state_is(gw, second, dest, "delivered"))
            [delivered] = rx.on("/hook")[1:]
            assert delivered.verified
            assert delivered.headers["webhook-id"] == f"{second}.{dest}"
            actions = [(e.actor, e.action) for e in await gw.journal.audit()]
            assert ("ops-tester", "enable_subscription") in actions
            assert ("ops-tester", "redeliver") in actions
    _assert_no_secret(records)


async def test_an_endpoint_failing_for_disable_after_is_disabled_and_audited(
    tmp_path: Path, records: list[logging.LogRecord]
) -> None:
    async with receiving([NEW]) as rx:
        rx.scripts["/hook"] = [503] * 10_000
        retry = {**FAST_RETRY, "max_attempts": 1000}
        breaker = {"failure_threshold": 1000, "reset_timeout": 1}
        subscribe(
            tmp_path,
            {
                "name": "flaky",
                "url": f"{rx.url}/hook",
                "retry": retry,
                "breaker": breaker,
                "disable_after": 0.5,
            },
        )
        dest = "subscription:flaky"
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _state_is(gw, mid, dest, "dead"))
            [dl] = await gw.journal.dead_letters(DeadLetterFilter(destination=dest))
            assert dl.code == "endpoint_disabled"
            state = await open_endpoint_store(gw.journal).get("flaky")
            assert not state.enabled
            assert state.first_failure_at is not None and state.disabled_at is not None
            assert state.disabled_at - state.first_failure_at >= 0.5
            assert "http_503" in state.reason
            [entry] = [e for e in await gw.journal.audit() if e.action == "disable_subscription"]
            assert entry.target == dest and entry.detail["code"] == "http_503"
            attempts = await gw.journal.attempts(f"{mid}.{dest}")
            assert len(attempts) >= 2 and all(a.status_code == 503 for a in attempts)
            listed = await SubscriptionOps(gw.config, gw.journal).list()
            assert [(s["name"], s["enabled"]) for s in listed] == [("flaky", False)]
    _assert_no_secret(records)


async def test_a_filter_keeps_non_matching_documents_away(tmp_path: Path) -> None:
    async with receiving([NEW]) as rx:
        subscribe(
            tmp_path,
            {"name": "us-only", "url": f"{rx.url}/hook", "filter": "currency == 'USD'"},
        )
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            eur = await post_json(client, base, {**order("PO-EUR"), "currency": "EUR"})
            usd = await post_json(client, base, order("PO-USD"))
            await eventually(lambda: _state_is(gw, usd, "subscription:us-only", "delivered"))
            await eventually(lambda: _processed(gw, eur))
            assert await gw.journal.deliveries(eur) == []
            [got] = rx.on("/hook")
            assert json.loads(got.body)["data"]["po_number"] == "PO-USD"


async def _processed(gw: Gateway, message_id: str) -> bool:
    message = await gw.journal.get_message(message_id)
    return message is not None and message.state == "done"


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Every record of the gateway's (and its HTTP stack's) loggers, at every level, whatever
    handlers its logging setup installs; levels and handlers are put back afterwards."""
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    handler = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("crossdock", "httpx", "httpcore", "uvicorn")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield kept
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _assert_no_secret(records: list[logging.LogRecord]) -> None:
    assert records, "the run logged nothing: the check would prove nothing"
    for record in records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in (NEW, OLD):
            assert secret not in text
            assert secret.removeprefix("whsec_") not in text


@contextlib.asynccontextmanager
async def gateway_with_ops_routes(root: Path) -> AsyncIterator[tuple[Gateway, str]]:
    """The app factory's gateway on an ephemeral loopback port."""
    from litestar import Litestar

    from gateway.serve import uvicorn_config
    from gateway.settings import load_settings

    settings = load_settings(
        environ={},
        config_dir=str(root / "config"),
        data_dir=str(root / "data"),
        port=0,
        poll_interval=0.05,
    )
    gw = Gateway(settings)
    config = uvicorn_config(gw)
    app = config.app
    assert isinstance(app, Litestar)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield gw, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_ops_api_lists_subscriptions_and_enables_one(tmp_path: Path) -> None:
    from tests.support import auth_headers

    async with receiving([NEW]) as rx:
        rx.scripts["/hook"] = [410]
        subscribe(
            tmp_path,
            {
                "name": "acme-orders",
                "url": f"{rx.url}/hook?token=receiver-token",
                "filter": "currency == 'USD'",
                "secrets": [
                    {"env": "ACME_WHSEC_NEW"},
                    {"env": "ACME_WHSEC_OLD", "not_after": FAR_AHEAD},
                ],
            },
        )
        dest = "subscription:acme-orders"
        async with (
            gateway_with_ops_routes(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            first = await post_json(client, base, order("PO-1"))
            await eventually(lambda: _state_is(gw, first, dest, "dead"))
            second = await post_json(client, base, order("PO-2"))
            await eventually(lambda: _state_is(gw, second, dest, "dead"))

            listed = await client.get(f"{base}/v1/ops/subscriptions")
            assert listed.status_code == 200, listed.text
            for secret in (NEW, OLD, NEW.removeprefix("whsec_"), "receiver-token"):
                assert secret not in listed.text
            [item] = listed.json()["items"]
            assert item["name"] == "acme-orders" and item["destination"] == dest
            assert item["enabled"] is False and item["reason"].startswith("endpoint_gone")
            assert item["url"] == f"{rx.url}/hook"
            assert item["secrets"] == [
                {"not_after": None},
                {"not_after": "2100-01-01T00:00:00+00:00"},
            ]

            one = await client.get(f"{base}/v1/ops/subscriptions/acme-orders")
            assert one.json()["enabled"] is False
            missing = await client.post(f"{base}/v1/ops/subscriptions/nope/enable")
            assert missing.status_code == 404
            assert missing.json()["code"] == "unknown_subscription"

            partner = await auth_headers(gw, "acme")
            refused = await client.post(
                f"{base}/v1/ops/subscriptions/acme-orders/enable", headers=partner
            )
            assert refused.status_code == 403  # a partner cannot re-enable; operations can
            assert (await open_endpoint_store(gw.journal).get("acme-orders")).enabled is False

            enabled = await client.post(
                f"{base}/v1/ops/subscriptions/acme-orders/enable",
                json={"redeliver": True},
                headers={"X-Crossdock-Actor": "alice"},
            )
            assert enabled.status_code == 200, enabled.text
            body = enabled.json()
            assert body["changed"] is True and body["redelivered"] == 1
            assert body["subscription"]["enabled"] is True
            await eventually(lambda: _state_is(gw, second, dest, "delivered"))
            [entry] = [e for e in await gw.journal.audit() if e.action == "enable_subscription"]
            assert "alice" in entry.actor and entry.target == dest
            again = await client.post(f"{base}/v1/ops/subscriptions/acme-orders/enable")
            assert again.json()["changed"] is False
