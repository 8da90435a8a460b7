"""Partner API usage by version: counted in memory per request, written in batches.

Operations need to know which partners still call a deprecated version (``v1``), how often and
when last, before a sunset date can be kept. A write per request would put an fsync on every
API call, so :class:`UsageCounter` adds requests up in memory per (partner, version, UTC day)
and a background task flushes the sums every few seconds (and once more at shutdown) as one
upsert job on the journal's writer. A crash loses at most one interval's counts, which is fine
for a number that answers "who still calls v1", never for billing.

:class:`ApiUsageStore` is the durable side (``sql/30_api_usage.sql``); the SQLite implementation
runs on :attr:`SqliteJournal.writer` like every store beside the journal.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from typing import Final

import msgspec

from gateway.journal.base import Journal
from gateway.journal.sqlite import SqliteJournal

__all__ = [
    "FLUSH_INTERVAL",
    "ApiUsageStore",
    "SqliteApiUsageStore",
    "UsageCount",
    "UsageCounter",
    "UsageSummary",
    "open_api_usage_store",
    "utc_day",
]

log = logging.getLogger("crossdock.api_usage")

FLUSH_INTERVAL: Final = 5.0
"""Seconds between flushes: the most a crash can lose, and the staleness of the listing if it
did not flush first (it does)."""


def utc_day(at: float) -> str:
    """``YYYY-MM-DD`` of a POSIX time, in UTC (every counted request asks; days repeat)."""
    return _day_name(int(at) // 86_400)  # int() truncates as gmtime does


@functools.lru_cache(maxsize=64)
def _day_name(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))


class UsageCount(msgspec.Struct, frozen=True, kw_only=True):
    """Requests of one partner on one version on one UTC day (a row, or a batch to add)."""

    partner: str
    version: str
    day: str
    requests: int
    first_seen: float
    last_seen: float


class UsageSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One partner's use of one version over a window of days."""

    partner: str
    version: str
    requests: int
    days_active: int
    first_seen: float
    last_seen: float


class ApiUsageStore(abc.ABC):
    """Durable usage counts, added in batches."""

    @abc.abstractmethod
    async def add(self, counts: list[UsageCount]) -> None:
        """Add each batch's requests to its row (one transaction for the whole batch)."""

    @abc.abstractmethod
    async def summary(
        self, *, version: str | None = None, since_day: str | None = None
    ) -> list[UsageSummary]:
        """Per (partner, version), from ``since_day`` on; most recently seen first."""

    @abc.abstractmethod
    async def days(
        self, partner: str, version: str, since_day: str | None = None
    ) -> list[UsageCount]:
        """One partner's rows on one version, oldest day first."""


_UPSERT = """
INSERT INTO api_usage (partner, version, day, requests, first_seen, last_seen)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (partner, version, day) DO UPDATE SET
    requests = requests + excluded.requests,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen)
"""


class SqliteApiUsageStore(ApiUsageStore):
    """Rows in the journal's SQLite file (``sql/30_api_usage.sql``), jobs on its writer."""

    def __init__(self, journal: Journal) -> None:
        if not isinstance(journal, SqliteJournal):
            raise TypeError(f"{type(journal).__name__} has no SQLite writer to share")
        self._journal = journal

    async def add(self, counts: list[UsageCount]) -> None:
        """One upsert per (partner, version, day), all in one job."""
        rows = [
            (c.partner, c.version, c.day, c.requests, c.first_seen, c.last_seen) for c in counts
        ]

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(_UPSERT, rows)

        if rows:
            await self._journal.writer.run(job)

    async def summary(
        self, *, version: str | None = None, since_day: str | None = None
    ) -> list[UsageSummary]:
        """Sums per (partner, version), most recently seen first."""
        sql = (
            "SELECT partner, version, sum(requests), count(*), min(first_seen), max(last_seen) "
            "FROM api_usage WHERE (?1 IS NULL OR version = ?1) AND (?2 IS NULL OR day >= ?2) "
            "GROUP BY partner, version ORDER BY max(last_seen) DESC, partner, version"
        )

        def job(conn: sqlite3.Connection) -> list[UsageSummary]:
            return [
                UsageSummary(
                    partner=row[0],
                    version=row[1],
                    requests=row[2],
                    days_active=row[3],
                    first_seen=row[4],
                    last_seen=row[5],
                )
                for row in conn.execute(sql, (version, since_day))
            ]

        return await self._journal.writer.run(job)

    async def days(
        self, partner: str, version: str, since_day: str | None = None
    ) -> list[UsageCount]:
        """One partner's days on one version, oldest first."""
        sql = (
            "SELECT day, requests, first_seen, last_seen FROM api_usage "
            "WHERE partner = ? AND version = ? AND (?3 IS NULL OR day >= ?3) ORDER BY day"
        )

        def job(conn: sqlite3.Connection) -> list[UsageCount]:
            return [
                UsageCount(
                    partner=partner,
                    version=version,
                    day=row[0],
                    requests=row[1],
                    first_seen=row[2],
                    last_seen=row[3],
                )
                for row in conn.execute(sql, (partner, version, since_day))
            ]

        return await self._journal.writer.run(job)


def open_api_usage_store(journal: Journal) -> ApiUsageStore:
    """The store that lives beside ``journal`` (the composition roots call this)."""
    return SqliteApiUsageStore(journal)


class UsageCounter:
    """Counts requests in memory and flushes the sums to an :class:`ApiUsageStore`.

    :meth:`record` is synchronous and allocation-light (it runs on every partner API response);
    :meth:`start` runs the periodic flush, :meth:`stop` ends it with a final flush. A flush that
    fails puts its counts back, so a busy writer delays counts but does not lose them.
    """

    def __init__(self, store: ApiUsageStore, interval: float = FLUSH_INTERVAL) -> None:
        self.store = store
        self.interval = interval
        self._pending: dict[tuple[str, str, str], list[float]] = {}  # [requests, first, last]
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def record(self, partner: str, version: str, at: float | None = None) -> None:
        """One request of ``partner`` on ``version`` (at ``at``, default now)."""
        now = time.time() if at is None else at
        key = (partner, version, utc_day(now))
        found = self._pending.get(key)
        if found is None:
            self._pending[key] = [1, now, now]
        else:
            found[0] += 1
            found[1] = min(found[1], now)
            found[2] = max(found[2], now)

    @property
    def pending(self) -> int:
        """Requests counted but not flushed yet."""
        return int(sum(entry[0] for entry in self._pending.values()))

    async def flush(self) -> int:
        """Write what was counted so far; return how many requests it wrote."""
        async with self._lock:
            batch, self._pending = self._pending, {}
            counts = [
                UsageCount(
                    partner=partner,
                    version=version,
                    day=day,
                    requests=int(entry[0]),
                    first_seen=entry[1],
                    last_seen=entry[2],
                )
                for (partner, version, day), entry in batch.items()
            ]
            try:
                await self.store.add(counts)
            except BaseException:
                for count in counts:  # put them back (cancelled or failed): the next flush retries
                    self._merge(count)
                raise
            return sum(c.requests for c in counts)

    def _merge(self, count: UsageCount) -> None:
        key = (count.partner, count.version, count.day)
        found = self._pending.get(key)
        if found is None:
            self._pending[key] = [count.requests, count.first_seen, count.last_seen]
        else:
            found[0] += count.requests
            found[1] = min(found[1], count.first_seen)
            found[2] = max(found[2], count.last_seen)

    async def start(self) -> None:
        """Start the periodic flush (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="crossdock-api-usage")

    async def stop(self) -> None:
        """Stop the periodic flush and write what is left (call before the journal closes)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                log.exception("could not flush API usage counts; retrying next interval")
