"""GCRA on Redis: one atomic ``EVALSHA`` of ``gcra.lua`` per request, shared by every process.

The script reads the clock with ``TIME`` on the server, so gateway processes on different hosts
agree on "now"; each key expires when its bucket is full again, so idle keys vanish. The client
is ``redis.asyncio`` over a ``BlockingConnectionPool`` (the default pool raises past its
``max_connections`` instead of waiting), created on first use inside the running event loop:
constructing a limiter (``from_url``) opens nothing, so it is safe at import or config time.
"""

from __future__ import annotations

import asyncio
import hashlib
from importlib.resources import files
from typing import Any

try:
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.exceptions import NoScriptError
except ImportError as exc:  # pragma: no cover - depends on the installation
    msg = "the Redis rate limiter needs redis-py: pip install 'redis>=5' hiredis"
    raise ImportError(msg) from exc

from gateway.throttle.base import EPSILON, Decision, Limiter, check_arguments

SCRIPT = files("gateway.throttle").joinpath("gcra.lua").read_text(encoding="utf-8")
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()
DEFAULT_PREFIX = "crossdock:throttle:"
_SLACK_US = EPSILON * 1_000_000


class RedisLimiter(Limiter):
    """Limits shared through one Redis server; build with :meth:`from_url` or pass a client."""

    def __init__(
        self,
        client: Redis | None = None,
        *,
        url: str | None = None,
        max_connections: int = 64,
        pool_timeout: float = 5.0,
        prefix: str = DEFAULT_PREFIX,
        **connection_kwargs: Any,
    ) -> None:
        if (client is None) == (url is None):
            msg = "pass a redis.asyncio client or a url (RedisLimiter.from_url), not both"
            raise ValueError(msg)
        self._client = client
        self._owns_client = client is None
        self._url = url
        self._pool_kwargs: dict[str, Any] = {
            "max_connections": max_connections,
            "timeout": pool_timeout,
            **connection_kwargs,
        }
        self._prefix = prefix
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        max_connections: int = 64,
        pool_timeout: float = 5.0,
        prefix: str = DEFAULT_PREFIX,
        **connection_kwargs: Any,
    ) -> RedisLimiter:
        """``redis://host:6379/0`` or ``unix:///run/redis.sock``; connects on first use.

        ``max_connections`` bounds the pool; a request that finds every connection busy waits
        up to ``pool_timeout`` seconds for one.
        """
        return cls(
            url=url,
            max_connections=max_connections,
            pool_timeout=pool_timeout,
            prefix=prefix,
            **connection_kwargs,
        )

    @property
    def client(self) -> Redis:
        """The client, created on first use in the running loop and bound to it."""
        loop = asyncio.get_running_loop()
        if self._client is None:
            assert self._url is not None
            pool = BlockingConnectionPool.from_url(self._url, **self._pool_kwargs)
            self._client = Redis.from_pool(pool)
            self._loop = loop
        elif self._owns_client and self._loop is not loop:
            msg = "this RedisLimiter was first used in another event loop; make one per loop"
            raise RuntimeError(msg)
        return self._client

    async def acquire(self, key: str, rate: float, burst: int, cost: int = 1) -> Decision:
        """One round trip: EVALSHA (EVAL once if the server does not have the script yet)."""
        check_arguments(rate, burst, cost)
        client = self.client
        args = (self._prefix + key, 1_000_000 / rate, burst, cost, _SLACK_US)
        try:
            reply = await client.evalsha(SCRIPT_SHA, 1, *args)
        except NoScriptError:  # a new or flushed server: EVAL runs the script and caches it
            reply = await client.eval(SCRIPT, 1, *args)
        allowed, remaining, retry_us, reset_us = (int(v) for v in reply)
        return Decision(
            allowed=allowed == 1,
            retry_after=retry_us / 1_000_000,
            remaining=remaining,
            reset_after=reset_us / 1_000_000,
            limit=burst,
        )

    async def close(self) -> None:
        """Close the client and its pool if this limiter made them (not a client passed in)."""
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
