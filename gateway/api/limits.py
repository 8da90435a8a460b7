"""Where the API finds its limiter and plans: the running gateway, else a per-app fallback.

Separate from :mod:`gateway.api.governance` so the token endpoint (``gateway.api.auth``, which
governance builds on) can limit without an import cycle.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from gateway.config.api import ApiSpec
from gateway.throttle import Limiter
from gateway.throttle.memory import MemoryLimiter

#: Where an admitted request's limiter outcome waits for the ``RateLimit`` headers middleware.
STATE_KEY = "rate_limit_outcome"


def limits_of(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[Limiter, ApiSpec]:
    """The gateway's limiter and ``api.yaml`` spec.

    An app without a gateway (a test's bare Litestar app) gets a process-local memory limiter
    and the default plans, kept on the app, so a governed route is never silently unlimited.
    """
    state = connection.app.state
    gateway = state.get("gateway")
    limiter: Limiter | None = getattr(gateway, "limiter", None)
    api: ApiSpec | None = getattr(getattr(gateway, "config", None), "api", None)
    if limiter is None:
        limiter = state.get("governance_limiter")
        if limiter is None:
            limiter = MemoryLimiter()
            state.governance_limiter = limiter
    return limiter, api or ApiSpec()
