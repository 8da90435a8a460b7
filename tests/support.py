"""Helpers shared by integration and e2e tests: temp config folders and an in-loop gateway."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateway.auth import AuthService
from gateway.auth.tokens import issue_token
from gateway.runtime import Gateway
from gateway.serve import serve_in_loop
from gateway.settings import load_settings

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def order(po: str = "PO-1", qty: str = "1") -> dict[str, Any]:
    """A small valid canonical v1 order."""
    return {
        "po_number": po,
        "order_date": "2026-11-22",
        "currency": "USD",
        "lines": [
            {
                "line_number": 1,
                "item": {"sku": "SKU-1"},
                "quantity": {"value": qty, "uom": "EA"},
                "unit_price": {"amount": "9.99", "currency": "USD"},
            }
        ],
    }


def write_config(
    root: Path,
    destinations: dict[str, dict[str, Any]],
    channels: list[dict[str, Any]] | None = None,
    mappings_dir: Path | None = None,
) -> Path:
    """A config folder with partners acme and shop, the given destinations, one route to all."""
    cfg = root / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "gateway.yaml").write_text(
        yaml.safe_dump({"mappings_dir": str(mappings_dir or root / "mappings")})
    )
    (root / "mappings").mkdir(exist_ok=True)
    (cfg / "partners.yaml").write_text(yaml.safe_dump([{"name": "acme"}, {"name": "shop"}]))
    (cfg / "channels.yaml").write_text(
        yaml.safe_dump(
            channels
            or [
                {
                    "name": "json",
                    "partner": "acme",
                    "document_type": "order",
                    "max_body_bytes": 4096,
                }
            ]
        )
    )
    (cfg / "destinations.yaml").write_text(
        yaml.safe_dump([{"name": name, **spec} for name, spec in destinations.items()])
    )
    routes = [{"name": "all", "destinations": list(destinations)}] if destinations else []
    (cfg / "routes.yaml").write_text(yaml.safe_dump(routes))
    return cfg


@contextlib.asynccontextmanager
async def running_gateway(root: Path, **overrides: Any) -> AsyncIterator[tuple[Gateway, str]]:
    """Serve a gateway on an ephemeral loopback port in this event loop."""
    settings = load_settings(
        environ={},
        config_dir=str(root / "config"),
        data_dir=str(root / "data"),
        port=0,
        poll_interval=0.05,
        **overrides,
    )
    gateway = Gateway(settings)
    server, task = await serve_in_loop(gateway)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield gateway, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


PARTNER_SCOPES = "messages:write messages:read mappings:test"
"""What a partner's integration client usually holds."""
OPS_SCOPES = "ops:read ops:replay messages:read mappings:test"
"""An operations client: reads every partner's messages and replays dead letters."""


async def mint_token(
    data_dir: str | Path, partner: str = "acme", scopes: str = PARTNER_SCOPES
) -> str:
    """A fresh client of ``partner`` in the data folder's credentials, and a token for it.

    Signed with the folder's keys, exactly as ``POST /oauth2/token`` would (without the scrypt
    round trip or the token endpoint's rate limit), so a running gateway on that folder
    verifies it.
    """
    service = AuthService(data_dir)
    await service.open()
    issued = await service.store.add(partner, scopes)
    client = issued.client
    return issue_token(service.keys, service.config, client, client.scopes).access_token


async def auth_headers(
    where: Gateway | str | Path, partner: str = "acme", scopes: str = PARTNER_SCOPES
) -> dict[str, str]:
    """``Authorization: Bearer`` for a new client of ``partner`` (a gateway or its data dir)."""
    data_dir = where.settings.data_dir if isinstance(where, Gateway) else where
    return {"Authorization": f"Bearer {await mint_token(data_dir, partner, scopes)}"}


STRANGER = "stranger"
"""A partner with every partner scope and no channel: what an unknown channel is sent as."""


class GatewayAuth(httpx.Auth):
    """httpx auth for tests: each request carries a token of the partner it acts for.

    ``/v1/inbound/{channel}`` and ``/v1/inbound/soap/{endpoint}`` are sent as the partner the
    config gives that channel or endpoint (a client with :data:`PARTNER_SCOPES`); everything
    else (message status, ops, dry runs) as an operations client (:data:`OPS_SCOPES`, partner
    ``ops``), which sees every partner. An unknown channel or endpoint is sent as a partner
    that owns nothing (:data:`STRANGER`). Tokens are minted once per partner, on first use.
    Tests of isolation and scopes send explicit :func:`auth_headers` instead.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._tokens: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def _partner_for(self, path: str) -> str | None:
        parts = path.strip("/").split("/")
        config = self.gateway.config
        if parts[:2] == ["v1", "inbound"] and len(parts) == 3:
            channel = config.channels.get(parts[2])
            return channel.partner if channel else STRANGER
        if parts[:3] == ["v1", "inbound", "soap"] and len(parts) == 4:
            endpoint = config.soap.get(parts[3])
            return endpoint.partner if endpoint else STRANGER
        return None

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Add the bearer token (unless the test set its own Authorization header)."""
        if "authorization" not in request.headers:
            partner = self._partner_for(request.url.path)
            key = partner or "ops"
            async with self._lock:
                if key not in self._tokens:
                    scopes = PARTNER_SCOPES if partner else OPS_SCOPES
                    self._tokens[key] = await mint_token(
                        self.gateway.settings.data_dir, key, scopes
                    )
            request.headers["Authorization"] = f"Bearer {self._tokens[key]}"
        yield request


@contextlib.asynccontextmanager
async def writer_held(writer: Any) -> AsyncIterator[None]:
    """Keep the journal's writer busy with one job until the block ends.

    Jobs queued meanwhile wait (``writer.waiting`` counts them) and run as one group when it
    lets go: how a test holds a request at its journal write, or builds a batch on purpose.
    """
    held, go = threading.Event(), threading.Event()

    def hold(_conn: Any) -> None:
        held.set()
        go.wait(10)

    blocker = asyncio.create_task(writer.run(hold))
    await asyncio.to_thread(held.wait, 10)
    try:
        yield
    finally:
        go.set()
        await blocker


async def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll an (async) check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def post_json(client: httpx.AsyncClient, base: str, body: Any, channel: str = "json") -> str:
    """POST a JSON body to an inbound channel; return the message id (asserts 202)."""
    response = await client.post(f"{base}/v1/inbound/{channel}", json=body)
    assert response.status_code == 202, response.text
    message_id: str = response.json()["message_id"]
    return message_id
