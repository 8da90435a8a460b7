"""One parametrised ``backend`` fixture: every throttle test runs on memory and on Redis.

Memory runs on an injected clock, so times are exact and ``advance`` costs nothing; Redis runs
on a real redis-server (unix socket, one per session) and its own clock, so ``advance`` sleeps
and time assertions allow ``slack``. Without redis-server the Redis half skips with the reason,
or FAILS when ``CI`` is set (see ``tests/redis_server.py``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from gateway.throttle.base import Limiter
from gateway.throttle.memory import MemoryLimiter
from tests.redis_server import RedisServer, require_redis


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Backend:
    """A limiter plus the way time passes for it."""

    def __init__(self, name: str, limiter: Limiter, slack: float, clock: FakeClock | None) -> None:
        self.name = name
        self.limiter = limiter
        self.slack = slack  # seconds of tolerance on times the limiter reports
        self.clock = clock

    async def advance(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.now += seconds
        else:
            await asyncio.sleep(seconds)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    require_redis()
    with RedisServer.start() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        clock = FakeClock()
        yield Backend("memory", MemoryLimiter(clock=clock), 1e-9, clock)
        return
    from gateway.throttle.redis import RedisLimiter

    server: RedisServer = request.getfixturevalue("redis_server")
    # A fresh prefix per test: no flush between tests, no state shared between them.
    limiter = RedisLimiter.from_url(server.url, prefix=f"test:{uuid.uuid4().hex}:")
    try:
        yield Backend("redis", limiter, 0.05, None)
    finally:
        await limiter.close()
