"""The SQLite backend's writer thread: group commit, optimistic first, a SAVEPOINT per job after.

These pin the mechanism itself (jobs queued together share one transaction; one job failing
rolls back only its own writes; batchable jobs share statements), so they run on SQLite only.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.journal._sqlite_writer import MAX_GROUP, Batchable, SqliteWriter
from gateway.journal.sqlite import SqliteJournal


class Harness:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.statements: list[str] = []
        self.writer = SqliteWriter(self._connect)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
        conn.set_trace_callback(self.statements.append)
        return conn

    def ids(self) -> list[int]:
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            return [r[0] for r in conn.execute("SELECT id FROM t ORDER BY id")]

    def commits(self) -> int:
        return self.statements.count("COMMIT")

    async def hold(self) -> tuple[asyncio.Future[Any], threading.Event]:
        """Occupy the writer until the returned gate is set, so later jobs queue up."""
        started, gate = threading.Event(), threading.Event()

        def block(conn: sqlite3.Connection) -> None:
            started.set()
            gate.wait(10)

        blocker = asyncio.ensure_future(self.writer.run(block))
        await asyncio.to_thread(started.wait, 10)
        return blocker, gate


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path / "w.db")
    h.writer.start()
    yield h
    await h.writer.stop()


def insert(i: int) -> Callable[[sqlite3.Connection], int]:
    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (id) VALUES (?)", (i,))
        return i

    return job


def insert_then_fail(i: int) -> Callable[[sqlite3.Connection], int]:
    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (id) VALUES (?)", (i,))
        raise ValueError(f"job {i} broke after writing")

    return job


async def test_queued_jobs_share_one_commit_and_fail_alone(harness: Harness) -> None:
    blocker, gate = await harness.hold()
    jobs = [insert(1), insert(2), insert_then_fail(100), insert(3), insert(1), insert(4)]
    futures = [asyncio.ensure_future(harness.writer.run(j)) for j in jobs]
    await asyncio.sleep(0)  # every job is queued behind the blocker
    commits_before = harness.commits()

    gate.set()
    await blocker
    results = await asyncio.gather(*futures, return_exceptions=True)

    assert results[:2] == [1, 2]
    assert isinstance(results[2], ValueError)
    assert results[3] == 3
    assert isinstance(results[4], sqlite3.IntegrityError)  # id 1 again
    assert results[5] == 4
    assert harness.ids() == [1, 2, 3, 4]  # the failed jobs' writes are gone, nobody else's
    # the blocker's group, then one group for all six jobs
    assert harness.commits() - commits_before == 2
    # the optimistic try was rolled back whole, then the careful pass isolated the two
    assert harness.statements.count("ROLLBACK") == 1
    assert harness.statements.count("ROLLBACK TO job") == 2


async def test_a_group_that_succeeds_needs_no_savepoints(harness: Harness) -> None:
    blocker, gate = await harness.hold()
    futures = [asyncio.ensure_future(harness.writer.run(insert(i))) for i in range(5)]
    await asyncio.sleep(0)
    before = len(harness.statements)
    gate.set()
    await blocker
    assert await asyncio.gather(*futures) == list(range(5))
    group = harness.statements[before:]
    assert group.count("COMMIT") == 2  # the blocker's, then the five jobs' together
    assert not [s for s in group if "SAVEPOINT" in s or "ROLLBACK" in s]


async def test_a_job_alone_that_fails_is_rolled_back(harness: Harness) -> None:
    with pytest.raises(ValueError, match="job 7 broke"):
        await harness.writer.run(insert_then_fail(7))
    assert await harness.writer.run(insert(8)) == 8
    assert harness.ids() == [8]


class Row(Batchable):
    """A batchable insert, like the journal's acceptances."""

    def __init__(self, i: int) -> None:
        self.i = i

    @staticmethod
    def run_many(conn: sqlite3.Connection, jobs: list[Any]) -> None:
        conn.executemany("INSERT INTO t (id) VALUES (?)", [(job.i,) for job in jobs])


async def test_batchable_jobs_share_one_statement_and_still_fail_alone(harness: Harness) -> None:
    blocker, gate = await harness.hold()
    futures = [asyncio.ensure_future(harness.writer.run(Row(i))) for i in (1, 2, 3)]
    await asyncio.sleep(0)
    before = len(harness.statements)
    gate.set()
    await blocker
    assert await asyncio.gather(*futures) == [None, None, None]
    inserts = [s for s in harness.statements[before:] if s.startswith("INSERT")]
    assert len(inserts) == 3  # the trace shows each row, but no SAVEPOINT between them
    assert not [s for s in harness.statements[before:] if "SAVEPOINT" in s]

    blocker, gate = await harness.hold()
    jobs = [Row(4), Row(2), insert(5), Row(6)]  # Row(2) is a duplicate: the batch fails
    futures = [asyncio.ensure_future(harness.writer.run(j)) for j in jobs]
    await asyncio.sleep(0)
    gate.set()
    await blocker
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] is None
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert results[2:] == [5, None]
    assert harness.ids() == [1, 2, 3, 4, 5, 6]


async def test_a_group_is_capped(harness: Harness) -> None:
    blocker, gate = await harness.hold()
    n = MAX_GROUP + 10
    futures = [asyncio.ensure_future(harness.writer.run(insert(i))) for i in range(n)]
    await asyncio.sleep(0)
    commits_before = harness.commits()

    gate.set()
    await blocker
    assert await asyncio.gather(*futures) == list(range(n))

    assert harness.commits() - commits_before == 3  # blocker, MAX_GROUP jobs, the rest
    assert len(harness.ids()) == n


async def test_results_wait_for_the_commit(harness: Harness) -> None:
    """A caller hears back only after COMMIT: what it wrote is visible to everyone."""
    futures = [asyncio.ensure_future(harness.writer.run(insert(i))) for i in range(50)]
    for done in asyncio.as_completed(futures):
        i = await done
        assert i in harness.ids()


async def test_a_writer_that_is_not_running_refuses_work(tmp_path: Path) -> None:
    h = Harness(tmp_path / "w.db")
    with pytest.raises(RuntimeError):
        await h.writer.run(insert(1))
    h.writer.start()
    assert await h.writer.run(insert(1)) == 1
    await h.writer.stop()
    await h.writer.stop()  # idempotent
    with pytest.raises(RuntimeError):
        await h.writer.run(insert(2))
    assert h.ids() == [1]


async def test_a_connection_error_is_raised_by_start(tmp_path: Path) -> None:
    def broken() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    with pytest.raises(sqlite3.OperationalError):
        SqliteWriter(broken).start()


async def test_the_journal_connection_is_configured_for_durability(tmp_path: Path) -> None:
    """A 202 promises the message is on disk: WAL, fsync on every commit, enforced references."""
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    try:
        pragmas = await journal._writer.run(
            lambda conn: [
                conn.execute(f"PRAGMA {p}").fetchone()[0]
                for p in ("journal_mode", "synchronous", "foreign_keys")
            ]
        )
    finally:
        await journal.close()

    assert pragmas == ["wal", 2, 1]  # synchronous 2 = FULL
