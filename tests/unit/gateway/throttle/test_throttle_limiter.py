"""The limiter contract, run on every backend: burst, waiting time, refill, keys, cost."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from gateway.throttle.base import Decision, gcra

if TYPE_CHECKING:
    from conftest import Backend

RATE = 10.0  # one unit per 0.1 s: quick enough to wait for on Redis's real clock
INTERVAL = 1 / RATE


async def test_burst_admitted_then_limited(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    decisions = [await acquire("k", RATE, 5) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    refused = decisions[5]
    assert refused.remaining == 0
    assert refused.limit == 5
    assert refused.retry_after > 0


async def test_retry_after_is_the_wait_until_admission(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    for _ in range(3):
        assert (await acquire("k", RATE, 3)).allowed
    refused = await acquire("k", RATE, 3)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(INTERVAL, abs=backend.slack)
    # reset_after: the whole bucket (3 units) refills in 3 intervals
    assert refused.reset_after == pytest.approx(3 * INTERVAL, abs=backend.slack)
    await backend.advance(refused.retry_after + backend.slack / 5)
    assert (await acquire("k", RATE, 3)).allowed


async def test_waiting_less_than_retry_after_is_refused(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    assert (await acquire("k", 2.0, 1)).allowed
    refused = await acquire("k", 2.0, 1)
    assert refused.retry_after == pytest.approx(0.5, abs=backend.slack)
    await backend.advance(0.25)
    again = await acquire("k", 2.0, 1)
    assert not again.allowed
    assert again.retry_after == pytest.approx(0.25, abs=backend.slack)


async def test_refill_over_time(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    for _ in range(4):
        assert (await acquire("k", RATE, 4)).allowed
    assert not (await acquire("k", RATE, 4)).allowed
    await backend.advance(2 * INTERVAL + backend.slack / 2)  # two units back, not three
    assert [(await acquire("k", RATE, 4)).allowed for _ in range(3)] == [True, True, False]
    await backend.advance(4 * INTERVAL + backend.slack)  # a full bucket again
    assert [(await acquire("k", RATE, 4)).allowed for _ in range(5)] == [True] * 4 + [False]


async def test_keys_are_independent(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    assert (await acquire("a", RATE, 1)).allowed
    assert not (await acquire("a", RATE, 1)).allowed
    assert (await acquire("b", RATE, 1)).allowed
    assert (await acquire("a:b", RATE, 1)).allowed


async def test_cost_spends_several_units(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    first = await acquire("k", RATE, 10, cost=4)
    assert first.allowed
    assert first.remaining == 6
    assert (await acquire("k", RATE, 10, cost=6)).allowed
    refused = await acquire("k", RATE, 10, cost=3)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(3 * INTERVAL, abs=backend.slack)
    await backend.advance(INTERVAL + backend.slack)
    one = await acquire("k", RATE, 10, cost=1)  # one unit back: a cost of 1 passes
    assert one.allowed


async def test_refused_request_spends_nothing(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    assert (await acquire("k", RATE, 2, cost=2)).allowed
    for _ in range(5):
        assert not (await acquire("k", RATE, 2)).allowed
    await backend.advance(INTERVAL + backend.slack)
    assert (await acquire("k", RATE, 2)).allowed


async def test_cost_zero_peeks(backend: Backend) -> None:
    acquire = backend.limiter.acquire
    assert (await acquire("k", RATE, 3)).allowed
    peek = await acquire("k", RATE, 3, cost=0)
    assert peek.allowed
    assert peek.remaining == 2
    assert (await acquire("k", RATE, 3, cost=0)).remaining == 2


@pytest.mark.parametrize(
    ("rate", "burst", "cost"),
    [
        (0, 1, 1),
        (-1, 1, 1),
        (float("inf"), 1, 1),
        (float("nan"), 1, 1),
        (1, 0, 1),
        (1, 2, 3),
        (1, 2, -1),
    ],
)
async def test_impossible_limits_are_refused(
    backend: Backend, rate: float, burst: int, cost: int
) -> None:
    with pytest.raises(ValueError, match=r"rate|burst|cost"):
        await backend.limiter.acquire("k", rate, burst, cost)


async def test_concurrent_acquires_admit_exactly_the_burst(backend: Backend) -> None:
    """200 at once on one key: exactly the burst passes (Redis: one atomic script per call)."""
    results = await asyncio.gather(*(backend.limiter.acquire("hot", 0.001, 50) for _ in range(200)))
    assert sum(d.allowed for d in results) == 50
    assert all(d.retry_after > 0 for d in results if not d.allowed)


async def test_fractional_intervals_keep_the_burst_exact(backend: Backend) -> None:
    """1/3 s intervals do not add up exactly in floats; the burst must still be exact."""
    decisions = [await backend.limiter.acquire("k", 3.0, 3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]


def test_gcra_reference_arithmetic() -> None:
    """The documented GCRA step: TAT moves by cost * T; tolerance is burst * T."""
    decision, tat = gcra(tat=0.0, now=100.0, rate=4.0, burst=2, cost=1)
    assert decision == Decision(True, 0.0, 1, 0.25, 2)
    assert tat == 100.25
    decision, tat = gcra(tat=tat, now=100.0, rate=4.0, burst=2, cost=1)
    assert decision == Decision(True, 0.0, 0, 0.5, 2)
    decision, same = gcra(tat=tat, now=100.1, rate=4.0, burst=2, cost=1)
    assert not decision.allowed
    assert decision.retry_after == pytest.approx(0.15)
    assert same == tat
