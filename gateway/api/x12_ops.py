"""``GET /v1/ops/x12/interchanges``: the interchanges we sent partners and their acknowledgements.

Operations read this to answer "did ACME accept the ASN we sent at 10:02?": every outbound
interchange (acknowledgements we send included) with its groups and sets, and its state:
``pending`` (an ack is due, not yet late), ``overdue`` (no 997/999 by the partner's
``ack_overdue_after``), ``accepted``, ``accepted_with_errors``, ``rejected`` or ``not_expected``.
Scope ``ops:read``. Newest first; page with ``before`` = the previous page's ``next_before``.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter

from gateway.api.governance import OPS_READ, governed
from gateway.api.problems import ProblemError
from gateway.journal.x12_control import OutboundInterchange
from gateway.runtime import Gateway
from gateway.x12_acks import control_for

_encode = msgspec.json.Encoder().encode

StateQuery = Literal[
    "pending", "overdue", "accepted", "accepted_with_errors", "rejected", "not_expected"
]


def _cursor(value: str | None) -> tuple[float, str, str] | None:
    """``sent_at:partner:isa13`` (a ``next_before``) -> the keyset cursor; 400 when malformed."""
    if value is None:
        return None
    parts = value.split(":")
    try:
        if len(parts) != 3:
            raise ValueError(value)
        return float(parts[0]), parts[1], parts[2]
    except ValueError as exc:
        raise ProblemError(
            400,
            "invalid_query",
            "Invalid query parameter",
            f"before={value!r}: expected the next_before of the previous page",
            parameter="before",
        ) from exc


class InterchangePage(msgspec.Struct, frozen=True):
    """A page of the register, newest first (declared for the OpenAPI document)."""

    items: list[OutboundInterchange]
    next_before: str | None


@get(
    "/v1/ops/x12/interchanges",
    summary="Outbound X12 interchanges and their 997/999 state",
    guards=[governed(OPS_READ, route="ops")],
    responses={200: ResponseSpec(InterchangePage, description="A page", generate_examples=False)},
)
async def list_x12_interchanges(
    request: Request[Any, Any, Any],
    *,
    partner: FromQuery[str | None] = None,
    ich_state: Annotated[StateQuery | None, QueryParameter(name="state")] = None,
    limit: FromQuery[int] = 100,
    before: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Page through the outbound register, newest first."""
    gw: Gateway = request.app.state.gateway
    size = max(1, min(limit, 1000))
    items = await control_for(gw.journal).interchanges(
        partner=partner, state=ich_state, now=time.time(), limit=size, before=_cursor(before)
    )
    last = items[-1] if len(items) == size else None
    body = {
        "items": msgspec.to_builtins(items),
        "next_before": None if last is None else f"{last.sent_at!r}:{last.partner}:{last.isa13}",
    }
    return Response(_encode(body), media_type="application/json")


__all__ = ["list_x12_interchanges"]
