"""The limiter interface and the GCRA arithmetic every backend implements.

GCRA, the generic cell rate algorithm, is a token bucket kept as one timestamp per key:

* the *emission interval* ``T = 1 / rate`` is the time one unit of quota takes to refill;
* the *tolerance* ``tau = burst * T`` is how far ahead of real time a key may run, so a key that
  has been idle can spend ``burst`` units at once, then ``rate`` units per second;
* the *theoretical arrival time* ``TAT`` is when the key's bucket would be full again if
  nothing more were spent; a key with no state (or ``TAT <= now``) has a full bucket.

A request of ``cost`` units at time ``now`` computes ``new_tat = max(TAT, now) + cost * T``.
It is admitted when ``new_tat - tau <= now`` (then ``TAT = new_tat``), otherwise it is refused
and must wait ``retry_after = new_tat - tau - now``; a refusal changes nothing. So ``burst``
requests at the same instant are admitted and the next one waits exactly ``T``.

The limiter answers "how long to wait", not yes or no: a :class:`Decision` says whether the
request may go ahead, when it could (``retry_after``), what is left (``remaining``), when the
bucket is full again (``reset_after``) and the size of the bucket (``limit``). The memory and
Redis backends run this same arithmetic; the Redis one in ``gcra.lua`` on the server's clock.
"""

from __future__ import annotations

import abc
import math

import msgspec

#: Slack (seconds) when comparing times: absorbs float rounding of ``now + k * T`` so the
#: ``burst``-th request of a burst is not refused by a rounding error. One microsecond, far
#: below any interval we accept (see :data:`MAX_RATE`).
EPSILON = 1e-6
#: The highest rate accepted (units per second): keeps ``T`` well above :data:`EPSILON`.
MAX_RATE = 100_000.0


class Decision(msgspec.Struct, frozen=True):
    """What the limiter decided for one request (times in seconds, relative to now)."""

    allowed: bool
    #: 0 when allowed; otherwise how long until the same request would be admitted.
    retry_after: float
    #: Units that could still be spent right now (after this request, when it was admitted).
    remaining: int
    #: How long until the bucket is full again (nothing spent in the meantime).
    reset_after: float
    #: The bucket size: the burst.
    limit: int


def check_arguments(rate: float, burst: int, cost: int) -> None:
    """Refuse limits that cannot work; ``cost`` 0 is a peek that spends nothing."""
    if not (0 < rate <= MAX_RATE) or not math.isfinite(rate):
        msg = f"rate must be > 0 and <= {MAX_RATE:g} per second, not {rate!r}"
        raise ValueError(msg)
    if burst < 1:
        msg = f"burst must be at least 1, not {burst!r}"
        raise ValueError(msg)
    if not 0 <= cost <= burst:
        msg = f"cost must be between 0 and the burst ({burst}), not {cost!r}: it could never pass"
        raise ValueError(msg)


def gcra(tat: float, now: float, rate: float, burst: int, cost: int) -> tuple[Decision, float]:
    """One GCRA step: the decision and the key's new TAT (unchanged when refused).

    ``tat`` is the stored theoretical arrival time (anything ``<= now`` means a full bucket).
    """
    interval = 1.0 / rate
    tolerance = burst * interval
    tat = max(tat, now)
    new_tat = tat + cost * interval
    allow_at = new_tat - tolerance
    if allow_at > now + EPSILON:
        remaining = _units(tolerance - (tat - now), interval, burst)
        return Decision(False, allow_at - now, remaining, tat - now, burst), tat
    remaining = _units(tolerance - (new_tat - now), interval, burst)
    return Decision(True, 0.0, remaining, new_tat - now, burst), new_tat


def _units(slack: float, interval: float, burst: int) -> int:
    return max(0, min(burst, math.floor((slack + EPSILON) / interval)))


class Limiter(abc.ABC):
    """A GCRA rate limiter over many keys. Backends: ``memory`` and ``redis``."""

    @abc.abstractmethod
    async def acquire(self, key: str, rate: float, burst: int, cost: int = 1) -> Decision:
        """Spend ``cost`` units of ``key``'s bucket (``rate`` per second, ``burst`` deep).

        Raises ``ValueError`` for a rate, burst or cost that can never work.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections; the limiter is not used afterwards."""
