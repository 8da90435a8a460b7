"""Operations endpoints for outbound webhook subscriptions: list them, enable a disabled one.

Same access rules as the dead-letter endpoints: reading needs scope ``ops:read``, enabling
(an action on a partner's traffic, audited with the client id) needs ``ops:replay`` as well.
``POST .../enable`` with ``{"redeliver": true}`` also redelivers the events that were
dead-lettered as ``endpoint_disabled`` while the endpoint was disabled.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from gateway.api.auth import principal_of
from gateway.api.documented import problems
from gateway.api.governance import OPS_READ, OPS_REPLAY, governed
from gateway.api.idempotency import idempotency
from gateway.api.problems import ProblemError
from gateway.runtime import Gateway
from gateway.subscription_ops import EnableResult, SubscriptionOps

_encode = msgspec.json.Encoder().encode
_READ = [governed(OPS_READ, route="ops")]
_ENABLE = [governed(OPS_READ, OPS_REPLAY, route="ops")]


class EnableBody(msgspec.Struct, forbid_unknown_fields=True):
    """Optional body of an enable: also redeliver what was held back while disabled."""

    redeliver: bool = False


class SubscriptionList(msgspec.Struct, frozen=True):
    """Every subscription with its endpoint state (declared for the OpenAPI document)."""

    items: list[dict[str, Any]]


_UNKNOWN = problems(s404="unknown_subscription: no subscription with this name")


def _ok(kind: Any, description: str) -> ResponseSpec:
    return ResponseSpec(kind, description=description, generate_examples=False)


def _ops(request: Request[Any, Any, Any]) -> tuple[Gateway, SubscriptionOps]:
    gw: Gateway = request.app.state.gateway
    return gw, SubscriptionOps(gw.config, gw.journal, ops=gw.ops)


def _actor(request: Request[Any, Any, Any]) -> str:
    """The verified client id, with the caller's unverified ``X-Crossdock-Actor`` note."""
    client_id = principal_of(request).client_id
    named = "".join(ch for ch in request.headers.get("x-crossdock-actor", "") if ch.isprintable())
    named = named.strip()[:128]
    return f"{client_id} (for {named})" if named else client_id


def _unknown(name: str) -> ProblemError:
    return ProblemError(
        404,
        "unknown_subscription",
        "Unknown subscription",
        f"no subscription named {name!r} in subscriptions.yaml",
        subscription=name,
    )


@get(
    "/v1/ops/subscriptions",
    summary="Outbound webhook subscriptions with their endpoint state",
    guards=_READ,
    responses={200: _ok(SubscriptionList, "Every subscription")},
)
async def list_subscriptions(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every subscription: events, filter, secrets' validity (never values) and health."""
    _, ops = _ops(request)
    return Response(_encode({"items": await ops.list()}), media_type="application/json")


@get(
    "/v1/ops/subscriptions/{name:str}",
    summary="One outbound webhook subscription with its endpoint state",
    guards=_READ,
    responses={200: _ok(dict[str, Any], "The subscription and its endpoint"), **_UNKNOWN},
)
async def get_subscription(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """One subscription, or 404."""
    _, ops = _ops(request)
    found = await ops.get(name)
    if found is None:
        raise _unknown(name)
    return Response(_encode(found), media_type="application/json")


@post(
    "/v1/ops/subscriptions/{name:str}/enable",
    status_code=200,
    summary="Enable a disabled webhook endpoint (optionally redeliver what it missed)",
    guards=_ENABLE,
    middleware=[idempotency()],
    responses={
        200: _ok(EnableResult, "What enabling did"),
        **problems(
            s400='invalid_body: the body is not {"redeliver": true|false}',
            s404="unknown_subscription: no subscription with this name",
        ),
    },
)
async def enable_subscription(
    request: Request[Any, Any, Any], name: FromPath[str]
) -> Response[bytes]:
    """Enable; ``changed`` says whether it was disabled, ``redelivered`` how many were replayed."""
    gw, ops = _ops(request)
    raw = await request.body()
    try:
        body = msgspec.json.decode(raw, type=EnableBody) if raw.strip() else EnableBody()
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "invalid_body", "Invalid body", str(exc)) from exc
    result = await ops.enable(name, _actor(request), redeliver=body.redeliver)
    if result is None:
        raise _unknown(name)
    if result.redelivered:
        gw.delivery_wake.set()
    return Response(_encode(result), media_type="application/json")
