"""Helpers for the REST resource and Idempotency-Key tests: a served gateway, valid documents,
and tokens."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings
from tests.support import auth_headers, eventually, order

WRITE_READ = {
    "orders": "orders:write orders:read",
    "returns": "returns:write returns:read",
    "shipments": "shipments:write shipments:read",
    "inventory-adjustments": "inventory:write inventory:read",
}
ALL_SCOPES = " ".join(WRITE_READ.values())


def documents() -> dict[str, dict[str, Any]]:
    """One small valid v1 document per resource, keyed by the resource's path segment."""
    item = {"sku": "SKU-1"}
    qty = {"value": "2", "uom": "EA"}
    return {
        "orders": order("PO-REST-1"),
        "returns": {
            "rma_number": "RMA-1",
            "issued_date": "2026-11-20",
            "lines": [
                {
                    "line_number": 1,
                    "item": item,
                    "quantity": qty,
                    "reason": "damaged",
                    "disposition": "inspect",
                }
            ],
        },
        "shipments": {
            "shipment_id": "ASN-1",
            "ship_date": "2026-11-21",
            "orders": [
                {
                    "po_number": "PO-REST-1",
                    "packs": [
                        {
                            "level": "carton",
                            "sscc": "003456789012345678",
                            "items": [{"item": item, "quantity": qty}],
                        }
                    ],
                }
            ],
        },
        "inventory-adjustments": {
            "adjustment_id": "ADJ-1",
            "occurred_at": "2026-11-21T10:00:00Z",
            "lines": [
                {"item": item, "quantity": qty, "direction": "decrease", "reason": "damaged"}
            ],
        },
    }


KEY_FIELDS = {
    "orders": "po_number",
    "returns": "rma_number",
    "shipments": "shipment_id",
    "inventory-adjustments": "adjustment_id",
}


@contextlib.asynccontextmanager
async def rest_gateway(
    root: Path, *extra: HTTPRouteHandler, **overrides: Any
) -> AsyncIterator[tuple[Gateway, str]]:
    """The app factory's gateway on an ephemeral loopback port, plus ``extra`` test routes."""
    settings = load_settings(
        environ={},
        config_dir=str(root / "config"),
        data_dir=str(root / "data"),
        port=0,
        poll_interval=0.05,
        **overrides,
    )
    gateway = Gateway(settings)
    config = uvicorn_config(gateway)
    app = config.app
    assert isinstance(app, Litestar)
    for handler in extra:
        app.register(handler)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=10)
    if task.done():
        task.result()
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield gateway, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def partner_headers(
    gw: Gateway, partner: str = "acme", scopes: str = ALL_SCOPES
) -> dict[str, str]:
    """Bearer headers of a new client of ``partner`` with every resource scope by default."""
    return await auth_headers(gw, partner, scopes)
