"""GCRA on Redis: one atomic ``EVALSHA`` of ``gcra.lua`` per request, shared by every process.

The script reads the clock with ``TIME`` on the server, so gateway processes on different hosts
agree on "now"; each key expires when its bucket is full again, so idle keys vanish.

Calls are pipelined: the ``EVALSHA``s that requests ask for in one turn of the event loop go
out together in one non-transactional pipeline (one write, one read, one pooled connection).
Each is still its own atomic script call; only the round trip is shared. redis-py's per-command
work (pool checkout, retry wrapper, reply parsing per call) cost about 97 µs of CPU per call
under 64 concurrent requests here, and 27 µs pipelined. The client
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
MAX_PIPELINE = 256
"""Script calls sent in one pipeline at most; a larger turn's worth goes out in several."""

_Args = tuple[str, float, int, int, float]


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
        # calls waiting for this turn's pipeline, and whether its flush is scheduled
        self._waiting: list[tuple[_Args, asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()  # strong refs while they run

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
        """One EVALSHA, sent with this loop turn's others (EVAL if the server lacks the script)."""
        check_arguments(rate, burst, cost)
        loop = asyncio.get_running_loop()
        self.client  # noqa: B018 - creates the client in this loop, or refuses another loop
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append(
            ((self._prefix + key, 1_000_000 / rate, burst, cost, _SLACK_US), future)
        )
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._start_flush)
        reply = await future
        allowed, remaining, retry_us, reset_us = (int(v) for v in reply)
        return Decision(
            allowed=allowed == 1,
            retry_after=retry_us / 1_000_000,
            remaining=remaining,
            reset_after=reset_us / 1_000_000,
            limit=burst,
        )

    def _start_flush(self) -> None:
        """At the end of the turn: send what this turn asked for, in pipelines of at most 256."""
        self._flush_scheduled = False
        waiting, self._waiting = self._waiting, []
        for at in range(0, len(waiting), MAX_PIPELINE):
            task = asyncio.ensure_future(self._flush(waiting[at : at + MAX_PIPELINE]))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[_Args, asyncio.Future[Any]]]) -> None:
        """One pipeline of EVALSHAs; each caller gets its reply or its own error."""
        client = self.client
        try:
            async with client.pipeline(transaction=False) as pipe:
                for args, _future in batch:
                    pipe.evalsha(SCRIPT_SHA, 1, *args)
                replies = await pipe.execute(raise_on_error=False)
            for i, ((args, _future), reply) in enumerate(zip(batch, replies, strict=True)):
                if isinstance(reply, NoScriptError):  # a new or flushed server: EVAL caches it
                    replies[i] = await client.eval(SCRIPT, 1, *args)
        except Exception as exc:  # the connection or the pool: every waiter gets the error
            for _args, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # the flush itself was cancelled (shutdown): so are its waiters
            for _args, future in batch:
                future.cancel()
            raise
        for (_args, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its request was cancelled meanwhile
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def close(self) -> None:
        """Answer the calls in flight, then close the client and pool if this limiter made them."""
        if self._waiting:
            self._start_flush()
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
