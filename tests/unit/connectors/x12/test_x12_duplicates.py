"""Duplicate interchanges: same sender/receiver and ISA13 within the window."""

from __future__ import annotations

import msgspec
from _x12_build import interchange

from connectors.x12 import DuplicateDetector, MemoryInterchangeStore, decode


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_same_interchange_twice_within_window_is_a_duplicate() -> None:
    clock = _Clock()
    detector = DuplicateDetector(MemoryInterchangeStore(), window=3600, clock=clock)
    header = decode(interchange([[["REF", "A"]]]).encode())[0].interchange
    assert await detector.check(header) is None
    clock.now += 60
    issue = await detector.check(header)
    assert issue is not None
    assert (issue.code, issue.element, issue.found) == (
        "duplicate_interchange",
        "ISA13",
        "000000001",
    )
    assert "60 s ago" in issue.message


async def test_outside_window_or_other_sender_is_not_a_duplicate() -> None:
    clock = _Clock()
    detector = DuplicateDetector(MemoryInterchangeStore(), window=3600, clock=clock)
    header = decode(interchange([[["REF", "A"]]]).encode())[0].interchange
    assert await detector.check(header) is None
    other = msgspec.structs.replace(header, sender_id="SOMEONE")
    assert await detector.check(other) is None
    clock.now += 7200
    assert await detector.check(header) is None


async def test_memory_store_prunes_past_retention() -> None:
    store = MemoryInterchangeStore(retention=10)
    await store.record("a", 0.0)
    await store.record("b", 100.0)
    assert await store.first_seen("a") is None
    assert await store.first_seen("b") == 100.0
