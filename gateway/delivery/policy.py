"""When to try a delivery again, and when to dead-letter it: pure functions over a RetrySpec.

Connectors report one attempt's :class:`~connectors.base.Outcome`; this module turns it into a
:data:`Decision`. Backoff is exponential with *full* jitter (a uniform draw between zero and the
capped exponential), which spreads a burst of failures over the whole window instead of having
every worker retry in lock-step. A destination's ``Retry-After`` is honoured as a floor, capped
so one bad header cannot park a message for a week.

Nothing here sleeps, reads a clock or does I/O: callers pass ``now`` and, for tests, an rng.
"""

from __future__ import annotations

import math
import random
from typing import Literal

import msgspec

from connectors.base import Outcome
from gateway.config.model import RetrySpec

DeadReason = Literal["max_attempts", "max_age", "fatal"]


class RetryAt(msgspec.Struct, frozen=True):
    """Try again at ``at`` (same clock as ``now``); ``delay`` is ``at - now``, for logs."""

    at: float
    delay: float


class Dead(msgspec.Struct, frozen=True):
    """Stop and dead-letter: ``reason`` tells operations which limit (or the outcome) ended it."""

    reason: DeadReason


class Done(msgspec.Struct, frozen=True):
    """The destination took the delivery; nothing more to do."""


Decision = RetryAt | Dead | Done


class RetryPolicy:
    """Backoff and give-up rules for one destination, built from its :class:`RetrySpec`.

    ``rng`` is used when a call passes none; inject a seeded :class:`random.Random` to make the
    jitter reproducible in tests.
    """

    def __init__(self, spec: RetrySpec, rng: random.Random | None = None) -> None:
        self.spec = spec
        # Jitter only spreads load; it protects nothing, so a non-cryptographic PRNG is right.
        self._rng = rng or random.Random()  # noqa: S311

    def backoff_cap(self, attempt: int) -> float:
        """Return the upper bound of the jitter window after ``attempt`` failed attempts."""
        if attempt < 1:
            msg = "attempt counts from 1"
            raise ValueError(msg)
        spec = self.spec
        try:
            raw = spec.initial_delay * spec.multiplier ** (attempt - 1)
        except OverflowError:  # a huge attempt number: the cap applies anyway
            raw = math.inf
        return min(spec.max_delay, raw)

    def honoured_retry_after(self, retry_after: float | None) -> float | None:
        """Clamp a destination's ``Retry-After`` into ``[0, max_retry_after]``; NaN is ignored."""
        if retry_after is None or math.isnan(retry_after):
            return None
        return min(max(retry_after, 0.0), self.spec.max_retry_after)

    def next_delay(
        self, attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after ``attempt`` failed attempts (1 = the first one failed).

        Full jitter: ``uniform(0, min(max_delay, initial * multiplier ** (attempt - 1)))``. A
        ``Retry-After`` raises the result to at least that many seconds (capped by
        ``max_retry_after``); it may exceed ``max_delay``, because the destination asked.
        """
        delay = (rng or self._rng).uniform(0.0, self.backoff_cap(attempt))
        floor = self.honoured_retry_after(retry_after)
        return delay if floor is None else max(delay, floor)

    def decide(
        self,
        attempts_made: int,
        first_attempt_at: float,
        now: float,
        outcome: Outcome,
        rng: random.Random | None = None,
    ) -> Decision:
        """Decide what follows an attempt's ``outcome``, ``attempts_made`` attempts in.

        A retry that would land after ``first_attempt_at + max_age`` is not scheduled: the
        message is dead-lettered now rather than held only to be discarded later.
        """
        if outcome.kind == "ok":
            return Done()
        if outcome.kind == "fatal":
            return Dead(reason="fatal")
        if attempts_made >= self.spec.max_attempts:
            return Dead(reason="max_attempts")
        delay = self.next_delay(attempts_made, outcome.retry_after, rng)
        if now + delay > first_attempt_at + self.spec.max_age:
            return Dead(reason="max_age")
        return RetryAt(at=now + delay, delay=delay)
