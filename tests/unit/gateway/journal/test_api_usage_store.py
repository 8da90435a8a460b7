"""API usage counts: added up in memory, written in batches, summed per partner and version."""

from __future__ import annotations

import asyncio
import calendar
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.journal.api_usage import (
    ApiUsageStore,
    SqliteApiUsageStore,
    UsageCount,
    UsageCounter,
    UsageSummary,
    open_api_usage_store,
    utc_day,
)
from gateway.journal.sqlite import SqliteJournal
from tests.support import eventually

DAY1 = float(calendar.timegm((2026, 11, 20, 10, 0, 0)))
DAY2 = DAY1 + 86400


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ApiUsageStore]:
    journal = SqliteJournal(tmp_path / "journal.db")
    await journal.open()
    try:
        yield open_api_usage_store(journal)
    finally:
        await journal.close()


def test_utc_day() -> None:
    assert utc_day(DAY1) == "2026-11-20"
    assert utc_day(DAY1 + 14 * 3600 - 1) == "2026-11-20"
    assert utc_day(DAY1 + 14 * 3600) == "2026-11-21"


async def test_counts_add_up_per_partner_version_and_day(store: ApiUsageStore) -> None:
    counter = UsageCounter(store)
    for i in range(5):
        counter.record("acme", "v1", DAY1 + i)
    counter.record("acme", "v1", DAY2)
    counter.record("acme", "v2", DAY2 + 5)
    counter.record("shop", "v2", DAY1)
    assert counter.pending == 8
    assert await counter.flush() == 8
    assert counter.pending == 0
    counter.record("acme", "v1", DAY1 + 100)  # a second flush adds to the same row
    assert await counter.flush() == 1

    assert await store.days("acme", "v1") == [
        UsageCount(
            partner="acme",
            version="v1",
            day="2026-11-20",
            requests=6,
            first_seen=DAY1,
            last_seen=DAY1 + 100,
        ),
        UsageCount(
            partner="acme",
            version="v1",
            day="2026-11-21",
            requests=1,
            first_seen=DAY2,
            last_seen=DAY2,
        ),
    ]
    assert await store.summary(version="v1") == [
        UsageSummary(
            partner="acme",
            version="v1",
            requests=7,
            days_active=2,
            first_seen=DAY1,
            last_seen=DAY2,
        )
    ]
    everything = await store.summary()
    assert [(s.partner, s.version, s.requests) for s in everything] == [
        ("acme", "v2", 1),  # most recently seen first
        ("acme", "v1", 7),
        ("shop", "v2", 1),
    ]
    recent = await store.summary(since_day="2026-11-21")
    assert {(s.partner, s.version, s.requests) for s in recent} == {
        ("acme", "v1", 1),
        ("acme", "v2", 1),
    }


async def test_stop_flushes_what_is_left(store: ApiUsageStore) -> None:
    counter = UsageCounter(store, interval=3600)
    await counter.start()
    counter.record("acme", "v1", DAY1)
    await counter.stop()
    assert [s.requests for s in await store.summary()] == [1]


async def test_the_periodic_flush_writes_without_being_asked(store: ApiUsageStore) -> None:
    counter = UsageCounter(store, interval=0.05)
    await counter.start()
    try:
        counter.record("acme", "v1", DAY1)
        counter.record("acme", "v1", DAY1 + 1)
        rows = await eventually(store.summary)
        assert rows[0].requests == 2
    finally:
        await counter.stop()


class _Failing(ApiUsageStore):
    def __init__(self, inner: ApiUsageStore) -> None:
        self.inner = inner
        self.fail = True

    async def add(self, counts: list[UsageCount]) -> None:
        if self.fail:
            raise OSError("disk full")
        await self.inner.add(counts)

    async def summary(
        self, *, version: str | None = None, since_day: str | None = None
    ) -> list[UsageSummary]:
        return await self.inner.summary(version=version, since_day=since_day)

    async def days(
        self, partner: str, version: str, since_day: str | None = None
    ) -> list[UsageCount]:
        return await self.inner.days(partner, version, since_day)


async def test_a_failed_flush_keeps_its_counts_for_the_next(store: ApiUsageStore) -> None:
    failing = _Failing(store)
    counter = UsageCounter(failing)
    counter.record("acme", "v1", DAY1)
    with pytest.raises(OSError, match="disk full"):
        await counter.flush()
    counter.record("acme", "v1", DAY1 + 10)
    assert counter.pending == 2
    failing.fail = False
    assert await counter.flush() == 2
    [row] = await store.days("acme", "v1")
    assert (row.requests, row.first_seen, row.last_seen) == (2, DAY1, DAY1 + 10)


async def test_concurrent_records_and_flushes_lose_nothing(store: ApiUsageStore) -> None:
    counter = UsageCounter(store)

    async def hammer(partner: str) -> None:
        for i in range(200):
            counter.record(partner, "v1", DAY1 + i)
            if i % 50 == 0:
                await counter.flush()
            await asyncio.sleep(0)

    await asyncio.gather(hammer("acme"), hammer("shop"), counter.flush())
    await counter.flush()
    assert {s.partner: s.requests for s in await store.summary()} == {"acme": 200, "shop": 200}


def test_the_store_needs_a_sqlite_journal() -> None:
    with pytest.raises(TypeError, match="no SQLite writer"):
        SqliteApiUsageStore(object())  # type: ignore[arg-type]


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_the_day_of_any_time_is_its_utc_calendar_day(at: float) -> None:
    assert utc_day(at) == time.strftime("%Y-%m-%d", time.gmtime(at))
    assert utc_day(math.floor(at / 86_400) * 86_400) == utc_day(at)  # midnight is the same day
