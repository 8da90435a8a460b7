"""Operations endpoints: list, inspect, redeliver, reprocess and discard dead letters.

Operations clients only: listing, inspecting and the audit trail need scope ``ops:read``; the
actions (redeliver, reprocess, discard, bulk replay) need ``ops:replay`` as well. The audit trail
records the acting client id (from its verified token); an ``X-Crossdock-Actor`` header (say, the
person behind an operations console) is appended as an unverified note.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from gateway.api.auth import principal_of
from gateway.api.documented import problems
from gateway.api.governance import OPS_READ, OPS_REPLAY, governed
from gateway.api.idempotency import idempotency
from gateway.api.problems import ProblemError
from gateway.journal import AuditEntry, DeadLetter, DeadLetterFilter
from gateway.ops import Action, ActionResult
from gateway.runtime import Gateway

_encode = msgspec.json.Encoder().encode


def _actor(request: Request[Any, Any, Any]) -> str:
    """The verified client id, with the caller's unverified ``X-Crossdock-Actor`` note."""
    client_id = principal_of(request).client_id
    named = "".join(ch for ch in request.headers.get("x-crossdock-actor", "") if ch.isprintable())
    named = named.strip()[:128]
    return f"{client_id} (for {named})" if named else client_id


_MAX_SEQ = 2**63 - 1  # SQLite's INTEGER; a larger ``after`` is a 400, not an overflow
_READ = [governed(OPS_READ, route="ops")]
_REPLAY = [governed(OPS_READ, OPS_REPLAY, route="ops")]


class DeadLetterPage(msgspec.Struct, frozen=True):
    """A page of dead letters; pass ``next_after`` as ``after`` for the next one."""

    items: list[DeadLetter]
    next_after: str | None


class AuditPage(msgspec.Struct, frozen=True):
    """A page of the audit trail; pass ``next_after`` as ``after`` for the next one."""

    items: list[AuditEntry]
    next_after: int | None


class BulkOutcome(msgspec.Struct, frozen=True):
    """What a bulk replay did."""

    action: str
    matched: int
    done: int
    skipped: int
    seconds: float
    skipped_items: list[ActionResult]


def _ok(kind: Any, description: str) -> ResponseSpec:
    return ResponseSpec(kind, description=description, generate_examples=False)


_UNKNOWN = problems(s404="unknown_dead_letter: no dead letter with this id")
_ACTION = {
    200: _ok(ActionResult, "What the action did"),
    **problems(
        s400='invalid_body: the body is not {"reason": "..."}',
        s404="unknown_dead_letter: no dead letter with this id",
        s409="not_eligible: the dead letter is closed, or the action does not apply to it",
    ),
}


def _time(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ProblemError(
            400,
            "invalid_query",
            "Invalid query parameter",
            f"{name}={value!r}: expected RFC 3339 time or POSIX seconds",
            parameter=name,
        ) from exc
    if parsed.tzinfo is None:
        raise ProblemError(
            400,
            "invalid_query",
            "Invalid query parameter",
            f"{name}={value!r}: the time needs a UTC offset",
            parameter=name,
        )
    return parsed.timestamp()


def _filter(
    *,
    partner: str | None,
    destination: str | None,
    stage: str | None,
    code: str | None,
    since: str | None,
    until: str | None,
    state: Literal["open", "replayed", "discarded"] | None,
    limit: int = 100,
    after: str | None = None,
) -> DeadLetterFilter:
    return DeadLetterFilter(
        partner=partner,
        destination=destination,
        stage=stage,
        code=code,
        since=_time("since", since),
        until=_time("until", until),
        state=state,
        limit=max(1, min(limit, 1000)),
        after_id=after,
    )


@get(
    "/v1/ops/dead-letters",
    summary="List dead letters by partner, destination, stage, code",
    guards=_READ,
    responses={200: _ok(DeadLetterPage, "A page of dead letters")},
)
async def list_dead_letters(
    request: Request[Any, Any, Any],
    *,
    partner: FromQuery[str | None] = None,
    destination: FromQuery[str | None] = None,
    stage: FromQuery[str | None] = None,
    code: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    dl_state: Annotated[
        Literal["open", "replayed", "discarded"] | None, QueryParameter(name="state")
    ] = "open",
    limit: FromQuery[int] = 100,
    after: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Page through dead letters (keyset pagination with ``after``)."""
    gw: Gateway = request.app.state.gateway
    flt = _filter(
        partner=partner,
        destination=destination,
        stage=stage,
        code=code,
        since=since,
        until=until,
        state=dl_state,
        limit=limit,
        after=after,
    )
    items = await gw.ops.list(flt)
    body = {
        "items": msgspec.to_builtins(items),
        "next_after": items[-1].id if len(items) == flt.limit else None,
    }
    return Response(_encode(body), media_type="application/json")


@get(
    "/v1/ops/dead-letters/{dead_letter_id:str}",
    summary="Inspect one dead letter",
    guards=_READ,
    responses={200: _ok(dict[str, Any], "The dead letter, its message and attempts"), **_UNKNOWN},
)
async def inspect_dead_letter(
    request: Request[Any, Any, Any], dead_letter_id: FromPath[str]
) -> Response[bytes]:
    """Raw and canonical payloads, stage history, every attempt."""
    gw: Gateway = request.app.state.gateway
    found = await gw.ops.inspect(dead_letter_id)
    if found is None:
        raise ProblemError(
            404,
            "unknown_dead_letter",
            "Unknown dead letter",
            f"no dead letter with id {dead_letter_id!r}",
        )
    return Response(_encode(found), media_type="application/json")


class ActionBody(msgspec.Struct, forbid_unknown_fields=True):
    """Optional body of an action: the reason (required for discard)."""

    reason: str = ""


async def _act(
    request: Request[Any, Any, Any], dead_letter_id: str, action: Action
) -> Response[bytes]:
    gw: Gateway = request.app.state.gateway
    raw = await request.body()
    try:
        body = msgspec.json.decode(raw, type=ActionBody) if raw.strip() else ActionBody()
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "invalid_body", "Invalid body", str(exc)) from exc
    if await gw.journal.get_dead_letter(dead_letter_id) is None:
        raise ProblemError(
            404,
            "unknown_dead_letter",
            "Unknown dead letter",
            f"no dead letter with id {dead_letter_id!r}",
        )
    result = await gw.ops.act(dead_letter_id, action, _actor(request), body.reason)
    if not result.ok:
        raise ProblemError(
            409, "not_eligible", f"Cannot {action}", result.reason, dead_letter_id=dead_letter_id
        )
    if action == "reprocess":
        gw.process_wake.set()
    else:
        gw.delivery_wake.set()
    return Response(_encode(result), media_type="application/json")


@post(
    "/v1/ops/dead-letters/{dead_letter_id:str}/redeliver",
    status_code=200,
    summary="Send the same canonical payload to the destination again",
    guards=_REPLAY,
    middleware=[idempotency()],
    responses=_ACTION,
)
async def redeliver(
    request: Request[Any, Any, Any], dead_letter_id: FromPath[str]
) -> Response[bytes]:
    """Redeliver one dead delivery."""
    return await _act(request, dead_letter_id, "redeliver")


@post(
    "/v1/ops/dead-letters/{dead_letter_id:str}/reprocess",
    status_code=200,
    summary="Decode and map the raw payload again with today's mappings",
    guards=_REPLAY,
    middleware=[idempotency()],
    responses=_ACTION,
)
async def reprocess(
    request: Request[Any, Any, Any], dead_letter_id: FromPath[str]
) -> Response[bytes]:
    """Reprocess one dead-lettered message."""
    return await _act(request, dead_letter_id, "reprocess")


@post(
    "/v1/ops/dead-letters/{dead_letter_id:str}/discard",
    status_code=200,
    summary="Close a dead letter without replay (a reason is required)",
    guards=_REPLAY,
    middleware=[idempotency()],
    responses=_ACTION,
)
async def discard(
    request: Request[Any, Any, Any], dead_letter_id: FromPath[str]
) -> Response[bytes]:
    """Discard one dead letter."""
    return await _act(request, dead_letter_id, "discard")


class BulkBody(msgspec.Struct, forbid_unknown_fields=True):
    """A bulk replay: the action and the filter (same fields as the list's query)."""

    action: Literal["redeliver", "reprocess", "discard"]
    partner: str | None = None
    destination: str | None = None
    stage: str | None = None
    code: str | None = None
    since: str | None = None
    until: str | None = None
    reason: str = ""


@post(
    "/v1/ops/replay",
    status_code=200,
    summary="Act on every open dead letter matching a filter",
    guards=_REPLAY,
    middleware=[idempotency()],
    responses={
        200: _ok(BulkOutcome, "What the bulk action did"),
        **problems(s400="invalid_body or invalid_query: the body or a time in it is not valid"),
    },
)
async def bulk(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Bulk redeliver / reprocess / discard by filter."""
    gw: Gateway = request.app.state.gateway
    try:
        body = msgspec.json.decode(await request.body(), type=BulkBody)
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "invalid_body", "Invalid body", str(exc)) from exc
    flt = _filter(
        partner=body.partner,
        destination=body.destination,
        stage=body.stage,
        code=body.code,
        since=body.since,
        until=body.until,
        state="open",
    )
    started = time.monotonic()
    result = await gw.ops.bulk(flt, body.action, _actor(request), body.reason)
    gw.process_wake.set()
    gw.delivery_wake.set()
    out = {
        "action": result.action,
        "matched": result.matched,
        "done": result.done,
        "skipped": result.skipped,
        "seconds": round(time.monotonic() - started, 3),
        "skipped_items": [msgspec.to_builtins(r) for r in result.results if not r.ok],
    }
    return Response(_encode(out), media_type="application/json")


@get(
    "/v1/ops/audit",
    summary="Operations actions: who redelivered, reprocessed or discarded what",
    guards=_READ,
    responses={200: _ok(AuditPage, "A page of the audit trail")},
)
async def audit(
    request: Request[Any, Any, Any],
    limit: FromQuery[int] = 100,
    after: Annotated[int, QueryParameter(ge=0, le=_MAX_SEQ)] = 0,
) -> Response[bytes]:
    """Page through the audit trail, oldest first (``after`` is the last ``seq`` seen)."""
    gw: Gateway = request.app.state.gateway
    entries = await gw.journal.audit(max(1, min(limit, 1000)), after)
    body = {
        "items": msgspec.to_builtins(entries),
        "next_after": entries[-1].seq if entries else None,
    }
    return Response(_encode(body), media_type="application/json")
