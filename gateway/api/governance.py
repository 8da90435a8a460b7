"""The governed partner API: one guard that authenticates, authorises and rate-limits a route.

``guards=[governed("orders:write", route="orders.create")]`` on a handler means, in order:

1. a valid bearer token (:func:`gateway.api.auth.authenticate`; 401 ``missing_token`` /
   ``invalid_token`` otherwise);
2. every scope listed (403 ``insufficient_scope`` with the RFC 6750 challenge otherwise);
3. the caller's partner has quota left on its plan and on the route's plan
   (:class:`~gateway.throttle.policy.RatePolicy` from ``api.yaml``): 429 ``rate_limited`` with
   ``Retry-After`` and the IETF ``RateLimit-Policy`` / ``RateLimit`` headers otherwise.

The order matters: a request without a valid token never spends anyone's quota (it cannot say
whose), and one with too few scopes does not either, so a misconfigured client learns about its
scopes rather than about a rate limit. An admitted request leaves its limiter
:class:`~gateway.throttle.policy.Outcome` in the connection's state; :class:`RateLimitHeaders`
(an ASGI middleware the app factory installs) copies it into the response headers, whatever the
handler answered, so every governed response says how much quota is left.

Tenant isolation is decided by the handlers with :func:`owns` (reads: a partner sees its own
messages, an operations client, scope ``ops:read``, sees all) and :func:`acts_for` (writes: a
client only ever sends as its own partner). Another partner's resource answers 404, exactly as a
missing one, so ids cannot be probed.

The limiter and the plans come from the running gateway (``Gateway.limiter``,
``Gateway.config.api.rate_limits``); an app without them (a test's bare Litestar app) gets a
process-local memory limiter and the default plans, so the guard never runs unlimited silently.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Guard, HTTPResponseStartEvent, Message, Receive, Scope, Send

from gateway.api.auth import authenticate, check_scopes
from gateway.api.limits import STATE_KEY, limits_of
from gateway.api.problems import PROBLEM_JSON, TYPE_BASE
from gateway.api.ratelimit import rate_limit_headers, rate_limited_problem
from gateway.auth import Principal
from gateway.throttle import Outcome

#: Scope to send documents to the partner's own inbound channels (and SOAP endpoints).
MESSAGES_WRITE = "messages:write"
#: Scope to read the partner's own messages' status.
MESSAGES_READ = "messages:read"
#: Scope to dry-run a document through the partner's mappings.
MAPPINGS_TEST = "mappings:test"
#: Scope of an operations client: reads every partner's messages and the dead-letter queue.
OPS_READ = "ops:read"
#: Scope that lets an operations client redeliver, reprocess, discard and bulk replay.
OPS_REPLAY = "ops:replay"


def sees_all(principal: Principal) -> bool:
    """An operations client (scope ``ops:read``): reads every partner's messages."""
    return OPS_READ in principal.scopes


def owns(principal: Principal, partner: str | None) -> bool:
    """Whether ``principal`` may READ a resource of ``partner`` (its own, or it sees all).

    ``None`` (a resource no partner owns, e.g. an unknown channel's message) is visible to
    operations clients only.
    """
    return sees_all(principal) or (partner is not None and principal.partner == partner)


def acts_for(principal: Principal, partner: str | None) -> bool:
    """Whether ``principal`` may WRITE as ``partner``: only its own, never on another's behalf.

    Operations scopes do not widen this: an ops client replays what partners sent, it does not
    send documents in their name.
    """
    return partner is not None and principal.partner == partner


async def spend(
    connection: ASGIConnection[Any, Any, Any, Any], subject: str, route: str | None
) -> Outcome:
    """Spend one unit of ``subject``'s quota on ``route``; raise the 429 problem if refused.

    For doors that authenticate otherwise (webhook signatures, SOAP endpoints): the handler
    calls this with the partner its config names, after the signature checks out.
    """
    limiter, spec = limits_of(connection)
    outcome = await spec.rate_limits.check(limiter, subject, route)
    if not outcome.allowed:
        raise rate_limited_problem(outcome)
    connection.scope.setdefault("state", {})[STATE_KEY] = outcome
    return outcome


class _GovernedGuard:
    """The guard :func:`governed` returns; its scopes are readable for the OpenAPI document."""

    def __init__(self, scopes: tuple[str, ...], route: str | None) -> None:
        self.governed_scopes = scopes
        self.route = route

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        principal = await authenticate(connection)
        check_scopes(principal, self.governed_scopes)
        await spend(connection, principal.partner, self.route or handler.handler_name)


def governed(*scopes: str, route: str | None = None) -> Guard:
    """A guard: a valid token with every one of ``scopes``, then the partner's rate limit.

    ``route`` names the route's plan in ``api.yaml`` (``rate_limits.routes``) and its limiter
    key; by default the handler's function name. The app factory's
    :func:`gateway.api.documented.document_governed_routes` hook declares the route's
    ``security`` (these scopes) and its 400/401/403/429 problems in the OpenAPI document.
    """
    return _GovernedGuard(scopes, route)


#: Request header bytes (names and values) accepted when the settings do not say.
MAX_HEADER_BYTES = 16 * 1024
_encode = msgspec.json.Encoder().encode


def _header_limit(scope: Scope) -> int:
    settings = getattr(scope["app"].state.get("gateway"), "settings", None)
    return int(getattr(settings, "max_header_bytes", MAX_HEADER_BYTES))


async def _too_large_headers(scope: Scope, send: Send, size: int, limit: int) -> None:
    """431 (RFC 6585) as our problem+json, before any route or guard runs."""
    body = _encode(
        {
            "type": TYPE_BASE + "headers_too_large",
            "title": "Request headers too large",
            "status": 431,
            "detail": f"the request headers are {size} bytes; this gateway accepts at most {limit}",
            "instance": scope.get("path", ""),
            "code": "headers_too_large",
        }
    )
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 431,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


class RateLimitHeaders:
    """ASGI middleware: caps request header size; puts ``RateLimit*`` headers on responses.

    The cap (``max_header_bytes``, 431) exists because uvicorn's httptools parser sets none: a
    client could otherwise make every request carry megabytes of headers. The headers part runs
    outside litestar's routing, so it also sees responses the exception handlers made (a 404 for
    another partner's message still reports the quota it spent). A refused request (429)
    already carries its headers and stores no outcome.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse oversize headers; else pass through, adding the stored outcome's headers."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) for name, value in scope["headers"])
        limit = _header_limit(scope)
        if size > limit:
            await _too_large_headers(scope, send, size, limit)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome = (scope.get("state") or {}).get(STATE_KEY)
                if isinstance(outcome, Outcome):
                    # only admitted requests store an outcome, and no handler sets these names,
                    # so append the raw pairs (cheaper than a MutableScopeHeaders round trip)
                    extra = [
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in rate_limit_headers(outcome).items()
                    ]
                    message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """The middleware factory to list in ``Litestar(middleware=[...])``."""
    return RateLimitHeaders(app)
