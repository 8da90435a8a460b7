"""CircuitBreaker and the Breakers registry, driven by explicit clock values."""

from __future__ import annotations

import pytest

from gateway.config.model import BreakerSpec
from gateway.delivery.breaker import Breakers, BreakerStore, CircuitBreaker

SPEC = BreakerSpec(failure_threshold=3, reset_timeout=30.0)


def open_breaker(at: float = 100.0) -> CircuitBreaker:
    breaker = CircuitBreaker(SPEC)
    for _ in range(SPEC.failure_threshold):
        breaker.record_failure(at)
    return breaker


def test_starts_closed_and_lets_everything_through() -> None:
    breaker = CircuitBreaker(SPEC)
    assert breaker.state(0.0) == "closed"
    assert [breaker.allow(t) for t in (0.0, 0.0, 1.0)] == [None, None, None]


def test_opens_only_after_consecutive_failures() -> None:
    breaker = CircuitBreaker(SPEC)
    breaker.record_failure(1.0)
    breaker.record_failure(2.0)
    breaker.record_success(3.0)  # streak broken
    breaker.record_failure(4.0)
    breaker.record_failure(5.0)
    assert (breaker.state(5.0), breaker.failures) == ("closed", 2)
    breaker.record_failure(6.0)
    assert breaker.state(6.0) == "open"


def test_open_breaker_says_how_long_to_wait() -> None:
    breaker = open_breaker(at=100.0)
    assert breaker.allow(100.0) == 30.0
    assert breaker.allow(110.0) == 20.0
    assert breaker.allow(129.5) == 0.5
    assert breaker.state(129.9) == "open"
    assert breaker.state(130.0) == "half_open"  # reads half-open once the timer has run


def test_exactly_one_half_open_probe_at_a_time() -> None:
    breaker = open_breaker(at=100.0)
    assert breaker.allow(130.0) is None  # the probe
    assert breaker.state(130.0) == "half_open"
    assert breaker.allow(130.0) == 30.0  # everyone else waits for its result
    assert breaker.allow(140.0) == 20.0


def test_successful_probe_closes() -> None:
    breaker = open_breaker(at=100.0)
    assert breaker.allow(131.0) is None
    breaker.record_success(132.0)
    assert breaker.state(132.0) == "closed"
    assert [breaker.allow(132.0) for _ in range(3)] == [None, None, None]
    assert breaker.failures == 0


def test_failed_probe_reopens_with_a_fresh_timer() -> None:
    breaker = open_breaker(at=100.0)
    assert breaker.allow(131.0) is None
    breaker.record_failure(135.0)
    assert breaker.state(135.0) == "open"
    assert breaker.allow(135.0) == 30.0
    assert breaker.allow(164.0) == 1.0
    assert breaker.allow(165.0) is None  # the next probe
    assert breaker.allow(165.0) == 30.0


def test_one_failure_in_half_open_is_enough_to_reopen() -> None:
    breaker = open_breaker(at=0.0)
    breaker.allow(30.0)
    breaker.record_failure(31.0)  # threshold is 3, but a failed probe re-opens at once
    assert breaker.state(31.0) == "open"


def test_a_lost_probe_frees_its_slot_after_reset_timeout() -> None:
    breaker = open_breaker(at=0.0)
    assert breaker.allow(30.0) is None  # probe granted, result never recorded
    assert breaker.allow(59.0) == 1.0
    assert breaker.allow(60.0) is None  # a new probe


def test_late_results_while_open_do_not_move_the_timer_or_close() -> None:
    breaker = open_breaker(at=0.0)
    breaker.record_failure(10.0)  # a straggler sent before the breaker opened
    assert breaker.allow(10.0) == 20.0
    breaker.record_success(11.0)  # not a probe: proves nothing
    assert breaker.state(11.0) == "open"


def test_default_spec() -> None:
    breaker = CircuitBreaker()
    for _ in range(BreakerSpec().failure_threshold - 1):
        breaker.record_failure(0.0)
    assert breaker.state(0.0) == "closed"
    breaker.record_failure(0.0)
    assert breaker.allow(0.0) == BreakerSpec().reset_timeout


async def test_registry_keeps_one_breaker_per_destination() -> None:
    store: BreakerStore = Breakers({"erp": SPEC, "wms": BreakerSpec(failure_threshold=1)})
    await store.record_failure("wms", 0.0)
    assert await store.state("wms", 0.0) == "open"
    assert await store.allow("wms", 0.0) == BreakerSpec().reset_timeout
    assert await store.state("erp", 0.0) == "closed"
    assert await store.allow("erp", 0.0) is None
    for _ in range(3):
        await store.record_failure("erp", 1.0)
    assert await store.allow("erp", 1.0) == 30.0
    assert await store.allow("erp", 31.0) is None
    await store.record_success("erp", 32.0)
    assert await store.state("erp", 32.0) == "closed"


def test_registry_unknown_destination() -> None:
    breakers = Breakers({"erp": SPEC})
    assert sorted(breakers) == ["erp"]
    assert len(breakers) == 1
    assert breakers["erp"] is breakers["erp"]
    with pytest.raises(KeyError):
        breakers["nope"]
    lenient = Breakers({}, default=SPEC)
    assert lenient["new"].spec == SPEC
    assert lenient["new"] is lenient["new"]
    assert list(lenient) == ["new"]
