"""GCRA in this process: the embedded default, and the reference the Redis backend must match.

State is one float per key (its theoretical arrival time). A key whose TAT has passed holds a
full bucket, the same as no entry at all, so such keys are evicted by a sweep that runs when the
table has doubled since the last one (amortised O(1) per call). If the live keys alone exceed
``max_keys``, the ones closest to a full bucket are dropped (down to 90% of it): that forgets a
little spending (those keys may burst early) rather than letting memory grow without bound.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable

from gateway.throttle.base import Decision, Limiter, check_arguments, gcra


class MemoryLimiter(Limiter):
    """One process's limits; ``clock`` (seconds, monotonic) is injectable for tests."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
        sweep_at: int = 1024,
    ) -> None:
        if max_keys < 1 or sweep_at < 1:
            msg = "max_keys and sweep_at must be at least 1"
            raise ValueError(msg)
        self._clock = clock
        self._max_keys = max_keys
        self._min_sweep = min(sweep_at, max_keys)
        self._sweep_at = self._min_sweep
        self._tat: dict[str, float] = {}

    def __len__(self) -> int:
        """Keys currently held (for tests and metrics)."""
        return len(self._tat)

    async def acquire(self, key: str, rate: float, burst: int, cost: int = 1) -> Decision:
        """GCRA on this process's monotonic clock; never awaits, so it is atomic in the loop."""
        check_arguments(rate, burst, cost)
        now = self._clock()
        tats = self._tat
        decision, new_tat = gcra(tats.get(key, now), now, rate, burst, cost)
        if new_tat > now:
            tats[key] = new_tat
            if len(tats) > self._sweep_at:
                self._sweep(now)
        else:
            tats.pop(key, None)
        return decision

    def _sweep(self, now: float) -> None:
        """Drop full buckets; past ``max_keys``, drop the live keys nearest to full."""
        tats = self._tat
        for key in [k for k, tat in tats.items() if tat <= now]:
            del tats[key]
        if len(tats) > self._max_keys:  # evict to 90% so the next sweep is far off
            excess = len(tats) - (self._max_keys - self._max_keys // 10)
            for key, _ in heapq.nsmallest(excess, tats.items(), key=lambda kv: kv[1]):
                del tats[key]
        self._sweep_at = min(self._max_keys, max(self._min_sweep, 2 * len(tats)))
