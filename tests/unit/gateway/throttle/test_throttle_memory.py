"""What only the memory backend has: bounded state."""

from __future__ import annotations

import pytest

from gateway.throttle.memory import MemoryLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def test_full_buckets_are_evicted() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock, sweep_at=8)
    for i in range(8):
        await limiter.acquire(f"k{i}", 10.0, 2)
    assert len(limiter) == 8
    clock.now += 1.0  # every bucket is full again
    await limiter.acquire("new", 10.0, 2)  # the 9th key triggers a sweep
    assert len(limiter) == 1


async def test_a_key_back_to_full_is_dropped_on_its_next_use() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock)
    await limiter.acquire("k", 10.0, 2)
    clock.now += 1.0
    assert (await limiter.acquire("k", 10.0, 2, cost=0)).remaining == 2
    assert len(limiter) == 0


async def test_live_keys_are_capped_forgetting_the_nearest_to_full() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock, max_keys=10, sweep_at=4)
    for i in range(30):
        clock.now += 0.001
        await limiter.acquire(f"k{i}", 1.0, 5)  # all live for ~1 s
        assert len(limiter) <= 10
    # the most recent keys survive; the oldest (nearest to a full bucket) were forgotten
    assert (await limiter.acquire("k29", 1.0, 5, cost=0)).remaining == 4
    assert (await limiter.acquire("k0", 1.0, 5, cost=0)).remaining == 5


def test_bad_bounds() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MemoryLimiter(max_keys=0)
