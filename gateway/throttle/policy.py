"""Plans (rate and burst) per partner and per route, turned into limiter keys and checks.

A request is checked against up to two limits, most specific first:

1. the route's plan, if the route has one, kept per subject (``route:{route}:{subject}``);
2. the subject's own plan (``partners[subject]`` or ``default``), kept per subject
   (``subject:{subject}``), shared by every route.

The second is only spent when the first admits; a request the second refuses has still spent
its units of the first (a refused request costs its sender a little route quota, never more
than it asked for). ``subject`` is whatever is limited: a partner id for the canonical API, a
client id or a source address for the token endpoint.
"""

from __future__ import annotations

import math

import msgspec

from gateway.throttle.base import Decision, Limiter, check_arguments


class Plan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``rate`` units per second on average, up to ``burst`` at once after a quiet spell."""

    rate: float
    burst: int
    #: The policy name partners see in ``RateLimit-Policy``; defaults to what it limits.
    name: str | None = None

    def __post_init__(self) -> None:
        check_arguments(self.rate, self.burst, 1)

    @property
    def window(self) -> int:
        """Seconds an empty bucket takes to refill (at least 1): the advertised window."""
        return max(1, math.ceil(self.burst / self.rate))


class Check(msgspec.Struct, frozen=True):
    """One limit that applied to a request and what the limiter said."""

    name: str
    plan: Plan
    decision: Decision


class Outcome(msgspec.Struct, frozen=True):
    """Every limit checked for one request, most specific first."""

    checks: tuple[Check, ...]

    @property
    def allowed(self) -> bool:
        """True when every limit checked admitted the request."""
        return all(c.decision.allowed for c in self.checks)

    @property
    def retry_after(self) -> float:
        """Seconds until a refused request could pass the limit that refused it (0 if none)."""
        return max(
            (c.decision.retry_after for c in self.checks if not c.decision.allowed), default=0.0
        )

    @property
    def violated(self) -> list[str]:
        """Names of the policies that refused the request."""
        return [c.name for c in self.checks if not c.decision.allowed]


class RatePolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which plan applies to which subject and route; decode it from config with msgspec."""

    default: Plan
    partners: dict[str, Plan] = {}
    routes: dict[str, Plan] = {}

    def limits(self, subject: str, route: str | None = None) -> list[tuple[str, str, Plan]]:
        """``(policy name, limiter key, plan)`` for each limit, most specific first."""
        out = []
        route_plan = self.routes.get(route) if route is not None else None
        if route_plan is not None:
            name = route_plan.name or f"route {route}"
            out.append((name, f"route:{route}:{subject}", route_plan))
        plan = self.partners.get(subject, self.default)
        out.append((plan.name or "default", f"subject:{subject}", plan))
        return out

    async def check(
        self, limiter: Limiter, subject: str, route: str | None = None, cost: int = 1
    ) -> Outcome:
        """Spend ``cost`` on each applicable limit, stopping at the first that refuses."""
        checks = []
        for name, key, plan in self.limits(subject, route):
            decision = await limiter.acquire(key, plan.rate, plan.burst, cost)
            checks.append(Check(name, plan, decision))
            if not decision.allowed:
                break
        return Outcome(tuple(checks))
