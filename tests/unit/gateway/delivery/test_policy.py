"""RetryPolicy: full-jitter backoff, Retry-After as a capped floor, attempt and age limits."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Outcome
from gateway.config.model import RetrySpec
from gateway.delivery.policy import Dead, Done, RetryAt, RetryPolicy

SPEC = RetrySpec(
    initial_delay=1.0,
    max_delay=10.0,
    multiplier=2.0,
    max_attempts=5,
    max_age=600.0,
    max_retry_after=120.0,
)
RETRIABLE = Outcome(kind="retriable", status_code=503, code="http_503")


@pytest.mark.parametrize(
    ("attempt", "cap"), [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (50, 10.0)]
)
def test_backoff_cap_grows_exponentially_then_caps(attempt: int, cap: float) -> None:
    assert RetryPolicy(SPEC).backoff_cap(attempt) == cap


def test_backoff_cap_survives_huge_attempts_and_rejects_zero() -> None:
    policy = RetryPolicy(SPEC)
    assert policy.backoff_cap(100_000) == 10.0  # 2.0 ** 99_999 would overflow
    with pytest.raises(ValueError, match="from 1"):
        policy.backoff_cap(0)


def test_full_jitter_is_uniform_between_zero_and_the_cap() -> None:
    policy = RetryPolicy(SPEC, rng=random.Random(7))
    delays = [policy.next_delay(3, None) for _ in range(2000)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    # Full jitter, not "equal jitter": the whole window is used, including near zero.
    assert min(delays) < 0.1
    assert max(delays) > 3.9
    assert 1.8 < sum(delays) / len(delays) < 2.2


def test_injected_rng_makes_delays_reproducible() -> None:
    expected = random.Random(42).uniform(0.0, 8.0)
    assert RetryPolicy(SPEC, rng=random.Random(42)).next_delay(4, None) == expected
    # A per-call rng wins over the policy's own.
    policy = RetryPolicy(SPEC, rng=random.Random(1))
    assert policy.next_delay(4, None, rng=random.Random(42)) == expected


def test_retry_after_is_a_floor_that_may_exceed_max_delay() -> None:
    policy = RetryPolicy(SPEC, rng=random.Random(3))
    assert policy.next_delay(1, 90.0) == 90.0  # above max_delay: the destination asked
    assert all(policy.next_delay(5, 2.5) >= 2.5 for _ in range(200))
    assert any(policy.next_delay(5, 2.5) > 2.5 for _ in range(200))  # jitter still applies


def test_retry_after_is_capped_and_sanitised() -> None:
    policy = RetryPolicy(SPEC, rng=random.Random(3))
    assert policy.next_delay(1, 86_400.0) == 120.0  # max_retry_after
    assert policy.next_delay(1, math.inf) == 120.0
    assert 0.0 <= policy.next_delay(1, -30.0) <= 1.0  # negative: no floor
    assert 0.0 <= policy.next_delay(1, math.nan) <= 1.0  # NaN: ignored


def test_ok_is_done_and_fatal_is_dead_at_once() -> None:
    policy = RetryPolicy(SPEC)
    assert policy.decide(1, 0.0, 0.0, Outcome(kind="ok", status_code=200)) == Done()
    fatal = Outcome(kind="fatal", status_code=404)
    assert policy.decide(1, 0.0, 0.0, fatal) == Dead(reason="fatal")


def test_retriable_schedules_a_retry_at_now_plus_delay() -> None:
    policy = RetryPolicy(SPEC)
    decision = policy.decide(2, 100.0, 105.0, RETRIABLE, rng=random.Random(9))
    delay = random.Random(9).uniform(0.0, 2.0)
    assert decision == RetryAt(at=105.0 + delay, delay=delay)


def test_retry_honours_retry_after_from_the_outcome() -> None:
    limited = Outcome(kind="retriable", status_code=429, retry_after=30.0)
    decision = RetryPolicy(SPEC).decide(1, 0.0, 0.0, limited)
    assert decision == RetryAt(at=30.0, delay=30.0)


def test_attempt_limit() -> None:
    policy = RetryPolicy(SPEC)
    assert isinstance(policy.decide(4, 0.0, 0.0, RETRIABLE), RetryAt)
    assert policy.decide(5, 0.0, 0.0, RETRIABLE) == Dead(reason="max_attempts")
    assert policy.decide(9, 0.0, 0.0, RETRIABLE) == Dead(reason="max_attempts")


def test_age_limit() -> None:
    policy = RetryPolicy(SPEC)
    assert policy.decide(1, 0.0, 600.0, RETRIABLE) == Dead(reason="max_age")
    # Not past the limit yet, but the retry would land after it.
    assert policy.decide(4, 0.0, 595.0, RETRIABLE, rng=_Fixed(0.999)) == Dead(reason="max_age")
    assert isinstance(policy.decide(4, 0.0, 595.0, RETRIABLE, rng=_Fixed(0.0)), RetryAt)
    late_429 = Outcome(kind="retriable", status_code=429, retry_after=60.0)
    assert policy.decide(1, 0.0, 550.0, late_429) == Dead(reason="max_age")


class _Fixed(random.Random):
    """An rng whose uniform() returns a chosen fraction of the window."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


specs = st.builds(
    RetrySpec,
    initial_delay=st.floats(0.001, 1000.0),
    max_delay=st.floats(0.001, 10_000.0),
    multiplier=st.floats(1.0, 10.0),
    max_retry_after=st.floats(0.001, 100_000.0),
)
retry_afters = st.none() | st.floats(allow_nan=True, allow_infinity=True)


@given(spec=specs, attempt=st.integers(1, 10_000), retry_after=retry_afters, seed=st.integers())
def test_delay_is_within_the_window_or_the_honoured_retry_after(
    spec: RetrySpec, attempt: int, retry_after: float | None, seed: int
) -> None:
    policy = RetryPolicy(spec)
    delay = policy.next_delay(attempt, retry_after, rng=random.Random(seed))
    honoured = policy.honoured_retry_after(retry_after)
    assert math.isfinite(delay)
    assert 0.0 <= delay <= spec.max_delay or delay == honoured
    if honoured is not None:
        assert delay >= honoured
        assert honoured <= spec.max_retry_after
