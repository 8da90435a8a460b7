"""Pick the limiter backend a process uses from its settings (``memory`` or ``redis``).

Redis is imported only when asked for, so the embedded gateway runs without redis-py.
"""

from __future__ import annotations

from gateway.throttle.base import Limiter
from gateway.throttle.memory import MemoryLimiter


def open_limiter(backend: str, redis_url: str = "") -> Limiter:
    """A limiter for ``backend``; nothing connects until the first request is limited."""
    if backend == "memory":
        return MemoryLimiter()
    if backend == "redis":
        if not redis_url:
            msg = "the redis rate limit backend needs a redis_url"
            raise ValueError(msg)
        from gateway.throttle.redis import RedisLimiter  # optional dependency: imported on demand

        return RedisLimiter.from_url(redis_url)
    msg = f"unknown rate limit backend {backend!r}: expected memory or redis"
    raise ValueError(msg)
