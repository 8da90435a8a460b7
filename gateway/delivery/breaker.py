"""Per-destination circuit breakers: stop hammering a destination that keeps failing.

After ``failure_threshold`` consecutive failures a breaker *opens* and refuses attempts for
``reset_timeout`` seconds. Then it lets exactly one *probe* through (*half-open*): success closes
it, failure opens it again with a fresh timer. Like the throttle, a breaker answers "how long to
wait" rather than yes/no, so a worker can reschedule the delivery instead of spinning.

Callers pass ``now`` (monotonic seconds) to every method: nothing here reads a clock or sleeps,
which keeps the state machine testable and lets a shared backend reuse it. :class:`BreakerStore`
is the shape the delivery workers use; :class:`Breakers` is its in-memory backend, and a Redis
backend (for several gateway processes) can implement the same protocol later.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal, Protocol

from gateway.config.model import BreakerSpec

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """One destination's breaker, held in memory.

    A granted probe holds the half-open slot for at most ``reset_timeout`` seconds: if its
    result is never recorded (the worker crashed or was cancelled), another probe may go after
    that, so a lost probe cannot wedge the destination shut forever.
    """

    def __init__(self, spec: BreakerSpec | None = None) -> None:
        self.spec = spec or BreakerSpec()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probe_at: float | None = None

    @property
    def failures(self) -> int:
        """Consecutive failures counted while closed (reset by any success)."""
        return self._failures

    def state(self, now: float) -> BreakerState:
        """Report the state as of ``now``; an open breaker whose timer ran out reads half-open."""
        if self._state == "open" and now >= self._opened_at + self.spec.reset_timeout:
            return "half_open"
        return self._state

    def allow(self, now: float) -> float | None:
        """Return None to go ahead, else the seconds until an attempt may be allowed.

        In half-open the first caller gets the probe and later callers wait for its result (or
        for its slot to expire), so exactly one request tests a recovering destination.
        """
        reset = self.spec.reset_timeout
        if self._state == "closed":
            return None
        if self._state == "open":
            ready_at = self._opened_at + reset
            if now < ready_at:
                return ready_at - now
            self._state = "half_open"
            self._probe_at = None
        if self._probe_at is not None and now < self._probe_at + reset:
            return self._probe_at + reset - now
        self._probe_at = now
        return None

    def record_success(self, now: float) -> None:
        """Close the breaker (a probe succeeded) or reset the failure streak.

        A late success reported while open comes from a request sent before the breaker opened;
        it does not prove recovery as a probe would, so the open timer stands.
        """
        del now  # part of the interface: a shared backend may timestamp or expire state
        if self._state == "open":
            return
        self._state = "closed"
        self._failures = 0
        self._probe_at = None

    def record_failure(self, now: float) -> None:
        """Count a failure; open at the threshold, or re-open at once if the probe failed."""
        if self._state == "half_open":
            self._open(now)
        elif self._state == "closed":
            self._failures += 1
            if self._failures >= self.spec.failure_threshold:
                self._open(now)
        # Already open: a late failure from before opening; restarting the timer would let
        # stragglers keep a recovered destination shut.

    def _open(self, now: float) -> None:
        self._state = "open"
        self._opened_at = now
        self._probe_at = None
        self._failures = 0


class BreakerStore(Protocol):
    """Breakers for all destinations, by name; async so a shared (e.g. Redis) backend fits."""

    async def allow(self, destination: str, now: float) -> float | None:
        """Return None to go ahead, else the seconds to wait before trying ``destination``."""
        ...

    async def record_success(self, destination: str, now: float) -> None:
        """Report that an attempt to ``destination`` succeeded."""
        ...

    async def record_failure(self, destination: str, now: float) -> None:
        """Report that an attempt to ``destination`` failed in a way that counts (retriable)."""
        ...

    async def state(self, destination: str, now: float) -> BreakerState:
        """Report ``destination``'s breaker state, for metrics and the admin API."""
        ...


class Breakers:
    """In-memory :class:`BreakerStore`: one :class:`CircuitBreaker` per configured destination.

    Built from ``{destination name: BreakerSpec}``. An unknown name is a KeyError (a routing bug
    should be loud) unless ``default`` is given, in which case a breaker is created on first use.
    """

    def __init__(
        self, specs: Mapping[str, BreakerSpec], default: BreakerSpec | None = None
    ) -> None:
        self._breakers = {name: CircuitBreaker(spec) for name, spec in specs.items()}
        self._default = default

    def __getitem__(self, destination: str) -> CircuitBreaker:
        breaker = self._breakers.get(destination)
        if breaker is None:
            if self._default is None:
                raise KeyError(destination)
            breaker = self._breakers[destination] = CircuitBreaker(self._default)
        return breaker

    def __iter__(self) -> Iterator[str]:
        return iter(self._breakers)

    def __len__(self) -> int:
        return len(self._breakers)

    async def allow(self, destination: str, now: float) -> float | None:
        """See :meth:`CircuitBreaker.allow`."""
        return self[destination].allow(now)

    async def record_success(self, destination: str, now: float) -> None:
        """See :meth:`CircuitBreaker.record_success`."""
        self[destination].record_success(now)

    async def record_failure(self, destination: str, now: float) -> None:
        """See :meth:`CircuitBreaker.record_failure`."""
        self[destination].record_failure(now)

    async def state(self, destination: str, now: float) -> BreakerState:
        """See :meth:`CircuitBreaker.state`."""
        return self[destination].state(now)
