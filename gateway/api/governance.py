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
:class:`~gateway.throttle.policy.Outcome` in the connection's state; the edge middleware
(:mod:`gateway.api.edge`, which the app factory installs) copies it into the response headers,
whatever the handler answered, so every governed response says how much quota is left.

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

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from gateway.api.auth import authenticate, check_scopes
from gateway.api.limits import STATE_KEY, limits_of
from gateway.api.ratelimit import rate_limited_problem
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
