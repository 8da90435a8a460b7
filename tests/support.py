"""Helpers shared by integration and e2e tests: temp config folders and an in-loop gateway."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

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
