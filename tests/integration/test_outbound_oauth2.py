"""Outbound OAuth 2.0 client credentials against real servers on 127.0.0.1.

The partner API is a crossdock gateway of its own: its ``POST /oauth2/token`` issues tokens to a
client registered in its credential store, and a route behind ``require_scopes("orders:write")``
verifies them. A second gateway delivers to that route with an ``oauth2:`` destination. Token
requests are counted at the token server (the auth service's ``token`` calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar, Request, Response, post
from litestar.handlers import HTTPRouteHandler

from connectors.base import Delivery
from connectors.rest import AuthError, RestDeliverer
from gateway.api.auth import require_scopes
from gateway.auth import AuthConfig, AuthService, CredentialStore, TokenRequest
from gateway.auth.tokens import IssuedToken
from gateway.config.model import SecretRef
from gateway.config.oauth2 import OAuth2Client
from gateway.delivery.oauth2 import OAuth2TokenSource
from gateway.demo.receiver import Ok, RateLimited, Reject, running_receiver
from gateway.journal import DeadLetterFilter
from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings
from tests.support import GatewayAuth, eventually, order, post_json, running_gateway, write_config

FAST_RETRY = {"initial_delay": 0.05, "max_delay": 0.2, "max_attempts": 60, "max_age": 120}
FAST_BREAKER = {"failure_threshold": 50, "reset_timeout": 0.2}


class CountingAuth(AuthService):
    """The partner's auth service, counting the token requests that reach it."""

    requests = 0

    async def token(self, request: TokenRequest) -> IssuedToken:
        self.requests += 1
        return await super().token(request)


class PartnerResource:
    """The partner's protected route: records tokens it accepted, answers 401 to stale ones."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.stale: set[str] = set()
        self.refuse_all = False
        self.refused = 0

    def handler(self) -> HTTPRouteHandler:
        @post("/partner/orders", guards=[require_scopes("orders:write")], status_code=201)
        async def partner_orders(request: Request[Any, Any, Any]) -> Response[dict[str, bool]]:
            token = request.headers["authorization"].split(" ", 1)[1]
            if self.refuse_all or token in self.stale:
                self.refused += 1
                return Response({"ok": False}, status_code=401)
            self.accepted.append(token)
            return Response({"ok": True}, status_code=201)

        return partner_orders


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def partner_api(
    root: Path, resource: PartnerResource, port: int = 0
) -> AsyncIterator[tuple[CountingAuth, str]]:
    """The partner's gateway: token endpoint, JWKS and the protected route, on 127.0.0.1."""
    write_config(root, {})
    settings = load_settings(
        environ={},
        config_dir=str(root / "config"),
        data_dir=str(root / "data"),
        port=port,
        workers_enabled=False,
    )
    config = uvicorn_config(Gateway(settings))
    app = config.app
    assert isinstance(app, Litestar)
    app.register(resource.handler())
    service = CountingAuth(root / "data", AuthConfig(token_lifetime=300))
    await service.open()
    app.state.auth = service
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=10)
    if task.done():
        task.result()
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield service, f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        await task


async def register_client(api_root: Path, scopes: str = "orders:write") -> tuple[str, str]:
    """A client of partner ``crossdock`` in the partner's credential store: (id, secret)."""
    issued = await CredentialStore.in_data_dir(api_root / "data").add("crossdock", scopes)
    return issued.client.client_id, issued.secret


def oauth2_block(
    root: Path, token_url: str, client_id: str, secret: str, **extra: Any
) -> dict[str, Any]:
    """The destination's ``oauth2:`` section, with the secret in a file (a reference)."""
    path = root / "partner-secret.txt"
    path.write_text(secret + "\n")
    return {
        "token_url": token_url,
        "client_id": client_id,
        "client_secret": {"file": str(path)},
        **extra,
    }


def token_source(
    token_url: str, client_id: str, secret: str, clock: Any = None, **extra: Any
) -> OAuth2TokenSource:
    spec = OAuth2Client(
        token_url=token_url,
        client_id=client_id,
        client_secret=SecretRef(env="UNUSED"),
        **extra,
    )
    if clock is None:
        return OAuth2TokenSource("partner", spec, secret)
    return OAuth2TokenSource("partner", spec, secret, clock=clock)


def wire(n: int) -> Delivery:
    return Delivery(
        delivery_id=f"m{n}.partner",
        message_id=f"m{n}",
        destination="partner",
        idempotency_key=f"m{n}.partner",
        attempt=1,
        document_type="order",
        payload=b'{"po_number":"PO-1"}',
    )


async def _delivered(gw: Gateway, message_id: str) -> bool:
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "delivered" for d in ds)


async def _dead(gw: Gateway, message_id: str) -> bool:
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "dead" for d in ds)


def _assert_nothing_secret_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    assert caplog.records, "nothing was captured: the check below would prove nothing"
    for record in caplog.records:
        text = f"{record.getMessage()} {record.__dict__!r}"
        for value in secrets:
            assert value not in text, f"{record.name}: {record.getMessage()}"


def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "httpx", "httpcore", "authlib", "crossdock"):
        caplog.set_level(logging.DEBUG, logger=name)


# -- through two gateways ---------------------------------------------------------------------
@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_one_token_serves_many_deliveries_and_nothing_secret_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    _capture_everything(caplog)
    resource = PartnerResource()
    async with partner_api(tmp_path / "partner", resource) as (service, api):
        cid, secret = await register_client(tmp_path / "partner")
        oauth2 = oauth2_block(
            tmp_path, f"{api}/oauth2/token", cid, secret, auth_method=method, scope="orders:write"
        )
        dest = {"url": f"{api}/partner/orders", "retry": FAST_RETRY, "oauth2": oauth2}
        write_config(tmp_path / "us", {"partner": dest})
        async with (
            running_gateway(tmp_path / "us") as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mids = [await post_json(client, base, order(f"PO-{i}")) for i in range(20)]
            for mid in mids:
                await eventually(lambda mid=mid: _delivered(gw, mid))
    assert len(resource.accepted) == 20
    assert len(set(resource.accepted)) == 1
    assert service.requests == 1
    assert any(r.getMessage() == "oauth2 token fetched" for r in caplog.records)
    token = resource.accepted[0]
    _assert_nothing_secret_logged(caplog, secret, token, token.split(".")[2])


async def test_revoked_client_dead_letters_as_invalid_client(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _capture_everything(caplog)
    resource = PartnerResource()
    async with partner_api(tmp_path / "partner", resource) as (service, api):
        cid, secret = await register_client(tmp_path / "partner")
        await CredentialStore.in_data_dir(tmp_path / "partner" / "data").revoke(cid)
        oauth2 = oauth2_block(tmp_path, f"{api}/oauth2/token", cid, secret)
        dest = {"url": f"{api}/partner/orders", "retry": FAST_RETRY, "oauth2": oauth2}
        write_config(tmp_path / "us", {"partner": dest})
        async with (
            running_gateway(tmp_path / "us") as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _dead(gw, mid))
            [dl] = await gw.journal.dead_letters(DeadLetterFilter(destination="partner"))
            attempts = await gw.journal.attempts(f"{mid}.partner")
    assert dl.code == "oauth_invalid_client"
    assert cid in dl.error
    assert "invalid_client" in dl.error
    assert secret not in dl.error
    assert [(a.outcome, a.code) for a in attempts] == [("fatal", "oauth_invalid_client")]
    assert service.requests == 1  # fatal: not retried
    assert resource.accepted == []
    _assert_nothing_secret_logged(caplog, secret)


async def test_token_server_down_is_retried_until_it_is_back(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens here yet
    api = f"http://127.0.0.1:{port}"
    cid, secret = await register_client(tmp_path / "partner")
    oauth2 = oauth2_block(tmp_path, f"{api}/oauth2/token", cid, secret)
    dest = {
        "url": f"{api}/partner/orders",
        "retry": FAST_RETRY,
        "breaker": FAST_BREAKER,
        "oauth2": oauth2,
    }
    write_config(tmp_path / "us", {"partner": dest})
    resource = PartnerResource()
    async with (
        running_gateway(tmp_path / "us") as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        mid = await post_json(client, base, order())

        async def failed_twice() -> bool:
            return len(await gw.journal.attempts(f"{mid}.partner")) >= 2

        await eventually(failed_twice)
        async with partner_api(tmp_path / "partner", resource, port=port) as (service, _):
            await eventually(lambda: _delivered(gw, mid))
        attempts = await gw.journal.attempts(f"{mid}.partner")
    failed = attempts[:-1]
    assert failed
    assert {(a.outcome, a.code) for a in failed} == {("retriable", "oauth_token_unavailable")}
    assert all("ConnectError" in a.error and secret not in a.error for a in failed)
    assert (attempts[-1].outcome, attempts[-1].status_code) == ("ok", 201)
    assert service.requests == 1
    assert len(resource.accepted) == 1


async def test_stale_token_gets_one_refetch_within_the_attempt(tmp_path: Path) -> None:
    resource = PartnerResource()
    async with partner_api(tmp_path / "partner", resource) as (service, api):
        cid, secret = await register_client(tmp_path / "partner")
        oauth2 = oauth2_block(tmp_path, f"{api}/oauth2/token", cid, secret)
        dest = {"url": f"{api}/partner/orders", "retry": FAST_RETRY, "oauth2": oauth2}
        write_config(tmp_path / "us", {"partner": dest})
        async with (
            running_gateway(tmp_path / "us") as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            first = await post_json(client, base, order("PO-1"))
            await eventually(lambda: _delivered(gw, first))
            resource.stale.add(resource.accepted[0])  # the partner revoked that token early
            second = await post_json(client, base, order("PO-2"))
            await eventually(lambda: _delivered(gw, second))
            attempts = await gw.journal.attempts(f"{second}.partner")
    assert [(a.outcome, a.status_code) for a in attempts] == [("ok", 201)]
    assert resource.refused == 1
    assert service.requests == 2
    assert len(resource.accepted) == 2
    assert resource.accepted[0] != resource.accepted[1]


# -- the token source and deliverer directly, against the partner's real gateway ---------------
async def test_fifty_concurrent_deliveries_share_one_token_request(tmp_path: Path) -> None:
    resource = PartnerResource()
    async with partner_api(tmp_path, resource) as (service, api):
        cid, secret = await register_client(tmp_path)
        source = token_source(f"{api}/oauth2/token", cid, secret)
        async with RestDeliverer(f"{api}/partner/orders", auth=source) as deliverer:
            outcomes = await asyncio.gather(*(deliverer.deliver(wire(i)) for i in range(50)))
            assert [o.kind for o in outcomes] == ["ok"] * 50
            assert (source.fetches, service.requests) == (1, 1)

            # the partner drops that token: 50 deliveries refused with it cause ONE new fetch
            resource.stale.add(resource.accepted[0])
            outcomes = await asyncio.gather(*(deliverer.deliver(wire(i)) for i in range(50)))
            assert [o.kind for o in outcomes] == ["ok"] * 50
            assert (source.fetches, service.requests) == (2, 2)
            assert resource.refused == 50
            assert len(set(resource.accepted)) == 2

            # refused even with a fresh token: one refetch, then the 401 is the answer
            resource.refuse_all = True
            outcome = await deliverer.deliver(wire(99))
            assert (outcome.kind, outcome.code) == ("fatal", "http_401")
            assert source.fetches == 3


async def test_token_is_refreshed_before_expiry_and_kept_while_the_server_is_down(
    tmp_path: Path,
) -> None:
    now = [1000.0]
    resource = PartnerResource()
    async with partner_api(tmp_path, resource) as (service, api):
        cid, secret = await register_client(tmp_path)
        source = token_source(
            f"{api}/oauth2/token", cid, secret, clock=lambda: now[0], refresh_margin=60
        )
        first = await source.authorization()
        now[0] += 239  # lifetime 300, margin 60: still fresh
        assert await source.authorization() == first
        assert service.requests == 1
        now[0] += 2  # inside the margin: replaced before it expires
        second = await source.authorization()
        assert second != first
        assert service.requests == 2
        assert source.fetches == 2
    # the token server is gone now; the current token is still valid for 59 s
    try:
        now[0] += 250
        assert await source.authorization() == second
        assert source.fetches == 3  # it did try
        now[0] += 60  # expired, and no new one to be had
        with pytest.raises(AuthError) as caught:
            await source.authorization()
        assert (caught.value.kind, caught.value.code) == ("retriable", "oauth_token_unavailable")
        assert secret not in caught.value.detail
    finally:
        await source.aclose()


async def test_margin_is_capped_at_half_the_lifetime(tmp_path: Path) -> None:
    now = [0.0]
    resource = PartnerResource()
    async with partner_api(tmp_path, resource) as (service, api):
        cid, secret = await register_client(tmp_path)
        source = token_source(
            f"{api}/oauth2/token", cid, secret, clock=lambda: now[0], refresh_margin=3600
        )
        try:
            await source.authorization()
            now[0] = 149  # a margin beyond the lifetime would mean a fetch per request
            await source.authorization()
            assert service.requests == 1
            now[0] = 151
            await source.authorization()
            assert service.requests == 2
        finally:
            await source.aclose()


async def test_scope_not_granted_is_a_fatal_refusal(tmp_path: Path) -> None:
    resource = PartnerResource()
    async with partner_api(tmp_path, resource) as (_, api):
        cid, secret = await register_client(tmp_path)
        source = token_source(f"{api}/oauth2/token", cid, secret, scope="admin:all")
        async with RestDeliverer(f"{api}/partner/orders", auth=source) as deliverer:
            outcome = await deliverer.deliver(wire(1))
    assert (outcome.kind, outcome.code) == ("fatal", "oauth_token_refused")
    assert "invalid_scope" in outcome.error
    assert resource.accepted == []


# -- token endpoints that misbehave (the demo receiver plays the token server) -----------------
@pytest.mark.parametrize(
    ("behaviour", "kind", "code", "retry_after"),
    [
        (Reject(503, b"<html>down</html>"), "retriable", "oauth_token_unavailable", None),
        (RateLimited(5, 7), "retriable", "oauth_token_unavailable", 7.0),
        (
            Reject(400, b'{"error":"temporarily_unavailable"}'),
            "retriable",
            "oauth_token_unavailable",
            None,
        ),
        (Reject(401, b""), "fatal", "oauth_invalid_client", None),
        (Reject(400, b'{"error":"invalid_client"}'), "fatal", "oauth_invalid_client", None),
        (Reject(400, b'{"error":"unauthorized_client"}'), "fatal", "oauth_token_refused", None),
        (Reject(404, b"not here"), "fatal", "oauth_token_refused", None),
        (Ok(200, b"<html>login</html>"), "fatal", "oauth_bad_token_response", None),
        (Ok(200, b'{"token_type":"Bearer"}'), "fatal", "oauth_bad_token_response", None),
        (
            Ok(200, b'{"access_token":"abc","token_type":"mac"}'),
            "fatal",
            "oauth_bad_token_response",
            None,
        ),
        (
            Ok(200, b'{"access_token":"abc","token_type":"Bearer","expires_in":0}'),
            "fatal",
            "oauth_bad_token_response",
            None,
        ),
    ],
)
async def test_token_endpoint_failures_are_classified(
    behaviour: Any, kind: str, code: str, retry_after: float | None
) -> None:
    async with (
        running_receiver({"/token": behaviour, "/orders": Ok(201)}) as rx,
        RestDeliverer(
            f"{rx.url}/orders", auth=token_source(f"{rx.url}/token", "cid", "s3cret-value")
        ) as deliverer,
    ):
        outcome = await deliverer.deliver(wire(1))
        assert rx.received_on("/orders") == []
    assert (outcome.kind, outcome.code, outcome.retry_after) == (kind, code, retry_after)
    assert "s3cret-value" not in outcome.error
    assert "destination partner" in outcome.error


async def test_a_token_without_expiry_is_kept_until_refused() -> None:
    body = b'{"access_token":"tok-1","token_type":"bearer"}'
    async with running_receiver({"/token": Ok(200, body), "/orders": Ok(201)}) as rx:
        source = token_source(f"{rx.url}/token", "cid", "s3cret-value")
        async with RestDeliverer(f"{rx.url}/orders", auth=source) as deliverer:
            for i in range(3):
                assert (await deliverer.deliver(wire(i))).kind == "ok"
        assert len(rx.received_on("/token")) == 1
        got = rx.received_on("/orders")
        assert [r.headers.get("authorization") for r in got] == ["Bearer tok-1"] * 3
