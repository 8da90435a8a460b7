"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.runtime import Gateway


@get("/healthz", summary="Liveness: the process answers", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """Always ok while the event loop runs."""
    return {"status": "ok"}


@get("/readyz", summary="Readiness: the journal answers", include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Ready when started and the journal answers a query."""
    gw: Gateway = request.app.state.gateway
    if not gw.ready:
        return Response({"status": "starting"}, status_code=503)
    try:
        stats = await gw.journal.stats()
    except Exception as exc:  # a broken journal must read as not ready, not as a crash
        return Response(
            {"status": "journal_unavailable", "error": type(exc).__name__}, status_code=503
        )
    return Response(
        {
            "status": "ready",
            "messages_pending": stats.messages_pending,
            "deliveries_pending": stats.deliveries_pending,
            "dead_letters_open": stats.dead_letters_open,
        }
    )


@get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The text exposition format, with queue gauges refreshed on scrape."""
    gw: Gateway = request.app.state.gateway
    await gw.refresh_gauges()
    return Response(gw.metrics.render(), media_type=CONTENT_TYPE_LATEST)
