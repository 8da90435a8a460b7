"""``api.yaml``: the partner API's plans (rate and burst per partner and per route).

Optional; without it every partner gets the default plan and the token endpoint its default
limits. Example::

    rate_limits:
      default: {rate: 50, burst: 100, name: standard}
      partners:
        acme: {rate: 200, burst: 400, name: gold}
      routes:
        inbound: {rate: 20, burst: 40}
    token_limits:
      per_client: {rate: 1, burst: 10}
      per_address: {rate: 5, burst: 20}

Plans are business terms (what a partner bought), so they live in the reviewed config folder;
where the limiter keeps its state (memory or Redis) is a process setting
(``rate_limit_backend``, ``redis_url``).
"""

from __future__ import annotations

import msgspec

from gateway.throttle.policy import Plan, RatePolicy

DEFAULT_PLAN = Plan(rate=50.0, burst=100, name="default")
"""50 requests per second sustained, 100 at once: ample for a partner's ERP, small enough that
one runaway client cannot starve the others on an embedded gateway."""


class TokenLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Token endpoint limits, checked BEFORE the client secret's scrypt hash (~45 ms of CPU).

    Tokens live minutes, so a well-behaved client asks rarely; these stop a guessing loop
    (per client id) and a flood from one host (per source address) from eating the CPU.
    """

    per_client: Plan = Plan(rate=1.0, burst=10, name="token-client")
    per_address: Plan = Plan(rate=5.0, burst=20, name="token-address")


class ApiSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The governed partner API's settings from ``api.yaml``."""

    rate_limits: RatePolicy = RatePolicy(default=DEFAULT_PLAN)
    """Per partner plan (``partners``, else ``default``) and per route plan (``routes``, keyed by
    the route names in docs/api-governance.md)."""
    token_limits: TokenLimits = TokenLimits()
