"""``GET /v1/messages/{id}``: where a message is, stage by stage, and where each delivery is."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath

from gateway.api.problems import ProblemError
from gateway.runtime import Gateway

_encode = msgspec.json.Encoder().encode


def iso(ts: float | None) -> str | None:
    """POSIX seconds as RFC 3339 UTC with milliseconds."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


@get("/v1/messages/{message_id:str}", summary="A message's status and stage history")
async def get_message(
    request: Request[Any, Any, Any], message_id: FromPath[str]
) -> Response[bytes]:
    """Return the message's state, its events and its deliveries."""
    gw: Gateway = request.app.state.gateway
    message = await gw.journal.get_message(message_id)
    if message is None:
        raise ProblemError(
            404, "unknown_message", "Unknown message", f"no message with id {message_id!r}"
        )
    events = await gw.journal.events(message_id)
    deliveries = await gw.journal.deliveries(message_id)
    body = {
        "id": message.id,
        "partner": message.partner,
        "channel": message.channel,
        "document_type": message.document_type,
        "state": message.state,
        "stage": message.stage,
        "received_at": iso(message.received_at),
        "trace_id": message.trace_id,
        "business_keys": message.business_keys,
        "events": [
            {
                "stage": e.stage,
                "outcome": e.outcome,
                "code": e.code or None,
                "at": iso(e.at),
                "delivery_id": e.delivery_id,
                "actor": e.actor,
                "detail": e.detail,
            }
            for e in events
        ],
        "deliveries": [
            {
                "id": d.id,
                "destination": d.destination,
                "state": d.state,
                "attempts": d.attempts,
                "idempotency_key": d.idempotency_key,
                "next_attempt_at": iso(d.next_attempt_at) if d.state == "pending" else None,
                "last_code": d.last_code or None,
                "last_error": d.last_error or None,
            }
            for d in deliveries
        ],
    }
    return Response(_encode(body), media_type="application/json")
