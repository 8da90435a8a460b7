"""``GET /v1/messages/{id}``: where a message is, stage by stage, and where each delivery is."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from gateway.api.auth import principal_of
from gateway.api.documented import problems
from gateway.api.governance import MESSAGES_READ, governed, owns
from gateway.api.problems import ProblemError
from gateway.journal import ORIGINAL_KEY, Message
from gateway.runtime import Gateway

_encode = msgspec.json.Encoder().encode


def iso(ts: float | None) -> str | None:
    """POSIX seconds as RFC 3339 UTC with milliseconds."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


class EventView(msgspec.Struct, frozen=True):
    """One step in a message's history."""

    stage: str
    outcome: str
    code: str | None
    at: str | None
    delivery_id: str | None
    actor: str
    detail: dict[str, Any]


class DeliveryView(msgspec.Struct, frozen=True):
    """One destination's delivery of the message."""

    id: str
    destination: str
    state: str
    attempts: int
    idempotency_key: str
    next_attempt_at: str | None
    last_code: str | None
    last_error: str | None


class MessageStatus(msgspec.Struct, frozen=True):
    """The answer of ``GET /v1/messages/{id}`` (documentation of the body built below)."""

    id: str
    partner: str
    channel: str
    document_type: str
    state: str
    stage: str
    received_at: str | None
    trace_id: str
    business_keys: dict[str, str]
    events: list[EventView]
    deliveries: list[DeliveryView]


async def _owned_message(request: Request[Any, Any, Any], gw: Gateway, message_id: str) -> Message:
    """The message, if the caller may read it; else the 404 a missing one gets.

    Another partner's message reads exactly like a missing one: ids cannot be probed.
    """
    message = await gw.journal.get_message(message_id)
    if message is None or not owns(principal_of(request), message.partner):
        raise ProblemError(
            404, "unknown_message", "Unknown message", f"no message with id {message_id!r}"
        )
    return message


@get(
    "/v1/messages/{message_id:str}",
    summary="A message's status and stage history",
    description="Needs scope messages:read; another partner's message answers 404 "
    "(an operations client, scope ops:read, sees every partner's).",
    guards=[governed(MESSAGES_READ, route="messages")],
    responses={
        200: ResponseSpec(MessageStatus, description="The message", generate_examples=False),
        **problems(s404="unknown_message: no such message, or another partner's"),
    },
)
async def get_message(
    request: Request[Any, Any, Any], message_id: FromPath[str]
) -> Response[bytes]:
    """Return the message's state, its events and its deliveries."""
    gw: Gateway = request.app.state.gateway
    message = await _owned_message(request, gw, message_id)
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


@get(
    "/v1/messages/{message_id:str}/original",
    summary="The whole body a message was split from, exactly as received",
    description="An X12 interchange is journaled as one message per transaction set; this "
    "answers the interchange's bytes as the partner sent them (bytes between sets included), "
    "with the Content-Type it came with. Needs scope messages:read; another partner's message "
    "answers 404, and so does a message that was not split from a larger body.",
    guards=[governed(MESSAGES_READ, route="messages")],
    responses={
        200: ResponseSpec(
            bytes,
            description="The original body",
            media_type="application/octet-stream",
            generate_examples=False,
        ),
        **problems(
            s404="unknown_message (no such message, or another partner's) or no_original "
            "(the message is its own body)"
        ),
    },
)
async def get_original(
    request: Request[Any, Any, Any], message_id: FromPath[str]
) -> Response[bytes]:
    """Return the original body of a split message."""
    gw: Gateway = request.app.state.gateway
    message = await _owned_message(request, gw, message_id)
    original_id = message.business_keys.get(ORIGINAL_KEY)
    original = await gw.journal.get_original(original_id) if original_id else None
    if original is None:
        raise ProblemError(
            404,
            "no_original",
            "No original body",
            f"message {message_id!r} was not split from a larger body; its own raw bytes are "
            "the body as received",
        )
    return Response(
        original.raw,
        media_type=original.content_type or "application/octet-stream",
        headers={"X-Original-Id": original.id},
    )
