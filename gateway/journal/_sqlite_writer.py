"""One thread owns the SQLite connection and commits jobs in groups.

SQLite allows one writer at a time and each durable commit costs an fsync (~180 µs here). Under
load, many acceptances arrive while one commit is in flight; this thread drains everything
queued, runs it as one group (one failing job does not undo the others), commits once, and
only then resolves the callers' futures. So "202 Accepted" still means "on disk", and
throughput grows with concurrency instead of being capped by fsyncs per second.

Every ``execute`` releases the GIL and has to win it back from the event loop, which is what a
job costs under load (docs/benchmarks.md, "The common cause"): a group's cost is its number of
statements. A group made only of one :attr:`Batchable.self_committing` kind (acceptances, or
deferred Idempotency-Key claims) is one multi-row INSERT into a view, with no transaction
around it. Any other group is first tried *optimistically*: one transaction, no savepoints,
jobs of a :class:`Batchable` kind done together. Only if something fails is the group rolled
back and run again the careful way, one savepoint per job, so one failing job still fails
alone. Jobs must therefore be safe to run twice on a rolled-back connection: they touch
nothing but the connection and their own locals (true of every job in ``gateway/journal``).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from gateway.journal._rows import MAX_PADDED

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

_STOP = object()
MAX_GROUP = MAX_PADDED  # so a self-committing group is always one statement


class Batchable:
    """A job whose kind can run a whole group's worth at once (``run_many``).

    Calling the job runs it alone (the careful path); ``run_many`` must do exactly what calling
    each would, in fewer statements, in the order given (a later job sees an earlier one's
    effect), and return each job's result in that order (or None when every result is None).
    """

    self_committing: ClassVar[bool] = False
    """``run_many`` writes each job's rows in one statement, every job's in the same one, so a
    group of only this kind needs no transaction around it: in autocommit the statement is
    its own (all of it durable, or none of it), and the writer gives up the GIL for it once,
    not also for a BEGIN and a COMMIT. Reads after that statement are fine; writes are not."""

    @staticmethod
    def run_many(conn: sqlite3.Connection, jobs: list[Any]) -> list[Any] | None:
        """Do every job of ``jobs`` (all of this kind) on ``conn``."""
        raise NotImplementedError

    def __call__(self, conn: sqlite3.Connection) -> Any:
        values = type(self).run_many(conn, [self])
        return None if values is None else values[0]


class SqliteWriter:
    """A serial executor for one connection, with group commit."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start the thread and wait until its connection is open."""
        self._thread = threading.Thread(target=self._run, name="crossdock-journal", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    async def stop(self) -> None:
        """Finish queued jobs, then close the connection and join the thread."""
        if self._thread is None:
            return
        # refuse new jobs before queueing the stop: a job queued behind it would never run
        thread, self._thread = self._thread, None
        self._queue.put(_STOP)
        await asyncio.to_thread(thread.join)

    @property
    def waiting(self) -> int:
        """Jobs queued and not yet taken into a group (approximate, as ``Queue.qsize`` is)."""
        return self._queue.qsize()

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` in the writer's transaction; returns once the group is committed."""
        if self._thread is None:
            raise RuntimeError("journal is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((job, future, loop))
        return await future

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                group = [first]
                stop = False
                while len(group) < MAX_GROUP:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    group.append(item)
                self._run_group(conn, group)
                if stop:
                    return
        finally:
            conn.close()

    @staticmethod
    def _run_group(conn: sqlite3.Connection, group: list[Any]) -> None:
        kind = type(group[0][0])
        if getattr(kind, "self_committing", False) and all(type(j) is kind for j, _, _ in group):
            results = _self_committing(conn, kind, group)
        elif len(group) == 1:
            results = [_alone(conn, group[0][0])]
        else:
            results = _optimistic(conn, group) or _careful(conn, group)
        # one wake-up per event loop, not per job: each is a system call on the loop's side
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (ok, value), (_job, future, loop) in zip(results, group, strict=True):
            by_loop.setdefault(loop, []).append((future, ok, value))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # the caller's loop has closed; nobody is waiting any more
                continue


def _alone(conn: sqlite3.Connection, job: Job) -> tuple[bool, Any]:
    """A job with the writer to itself: its own transaction is its savepoint."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = job(conn)
        except Exception as exc:  # handed to the awaiting caller
            conn.execute("ROLLBACK")
            return False, exc
        conn.execute("COMMIT")
    except Exception as exc:  # the commit itself failed
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False, exc
    return True, value


def _self_committing(
    conn: sqlite3.Connection, kind: type[Batchable], group: list[Any]
) -> list[tuple[bool, Any]]:
    """A group of one self-committing kind: its statement, no BEGIN or COMMIT around it.

    If it fails, nothing of it was written, and the careful path finds out which job it was.
    """
    jobs = [job for job, _future, _loop in group]
    try:
        values = kind.run_many(conn, jobs)
    except Exception:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return _careful(conn, group)
    return [(True, None)] * len(jobs) if values is None else [(True, v) for v in values]


def _optimistic(conn: sqlite3.Connection, group: list[Any]) -> list[tuple[bool, Any]] | None:
    """The whole group in one transaction, batchable kinds batched; None if anything failed.

    Batched jobs run first: their callers are all still waiting, so no job in the group can
    depend on another's effect.
    """
    kinds: dict[type[Batchable], list[Batchable]] = {}
    for job, _future, _loop in group:
        if isinstance(job, Batchable):
            kinds.setdefault(type(job), []).append(job)
    results: list[tuple[bool, Any]] = []
    batched: dict[int, Any] = {}  # id(job) -> its result, for kinds that return results
    try:
        conn.execute("BEGIN IMMEDIATE")
        for kind, jobs in kinds.items():
            values = kind.run_many(conn, jobs)
            if values is not None:
                batched.update(zip(map(id, jobs), values, strict=True))
        for job, _future, _loop in group:
            if isinstance(job, Batchable):
                results.append((True, batched.get(id(job))))
            else:
                results.append((True, job(conn)))
        conn.execute("COMMIT")
    except Exception:  # the careful path finds out which job it was
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return None
    return results


def _careful(conn: sqlite3.Connection, group: list[Any]) -> list[tuple[bool, Any]]:
    """One savepoint per job: a failing job is rolled back alone and its caller gets the error."""
    results: list[tuple[bool, Any]] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for job, _future, _loop in group:
            conn.execute("SAVEPOINT job")
            try:
                value = job(conn)
            except Exception as exc:  # handed to the awaiting caller
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                results.append((False, exc))
            else:
                conn.execute("RELEASE job")
                results.append((True, value))
        conn.execute("COMMIT")
    except Exception as exc:  # the whole group failed to commit
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        results = [(False, exc)] * len(group)
    return results


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in settled:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
