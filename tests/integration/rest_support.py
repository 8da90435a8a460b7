"""Helpers for the REST resource and Idempotency-Key tests: a gateway with the resource routes
(registered here until the app factory lists them), valid documents, and tokens."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from gateway.api.resources import RESOURCES
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
    """A gateway on an ephemeral loopback port with the REST resources and ``extra`` routes."""
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
    registered = {
        (path, method)
        for route in app.routes
        for path in [route.path]
        for method in getattr(route, "methods", ())
    }
    for handlers in RESOURCES.values():
        for handler in handlers:
            method = next(iter(handler.http_methods))
            if not any((p, method) in registered for p in handler.paths):
                app.register(handler)
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
