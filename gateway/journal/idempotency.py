"""Idempotency-Key records, durable beside the journal (draft-ietf-httpapi-idempotency-key-header).

A key belongs to one client, one method and one path. The first request with a key claims it
with an in-flight row (``running``) in one transaction, so two concurrent requests cannot both
run; the row carries the body's fingerprint and a lease. When the request finishes, its response
(status, a few headers, body) is stored on the row until the key expires, and a retry with the
same key and body gets that response back instead of running again.

* same key, same fingerprint, stored response -> ``replay``
* same key, another fingerprint (running or done) -> ``mismatch`` (the API answers 422)
* same key, same fingerprint, still running -> ``running`` (the API answers 409)
* no row, an expired row, or a running row whose lease ran out -> ``new``

The lease exists because a process can die between claim and completion: without it the key
would be wedged until it expired. A request that did not complete (a 4xx/5xx the API chose not to
store, an exception) gives the key back with :meth:`IdempotencyStore.release`. Expired rows are
purged a few at a time by every claim (and by :meth:`IdempotencyStore.purge`), so the table does
not grow with keys nobody reuses.

The SQLite implementation runs every job on the journal's writer thread
(:attr:`SqliteJournal.writer`): a stored response is committed in the same group commits as the
messages it accepted, so "replay" never returns a response whose message was lost.
"""

from __future__ import annotations

import abc
import math
import sqlite3
from typing import Any, Literal

import msgspec

from gateway.journal._rows import insert_padded
from gateway.journal._sqlite_writer import Batchable
from gateway.journal.base import Journal, NewMessage
from gateway.journal.sqlite import (
    SqliteJournal,
    insert_message,
    message_values,
    stored_message_ids,
)

__all__ = [
    "Claim",
    "IdempotencyStore",
    "KeyRef",
    "SqliteIdempotencyStore",
    "StoredResponse",
    "open_idempotency_store",
]

PURGE_BATCH = 100
"""Expired rows deleted per claim: bounded so a claim never pays for a large backlog at once."""

_headers_encode = msgspec.json.Encoder().encode
_headers_decode = msgspec.json.Decoder(list[tuple[str, str]]).decode


class KeyRef(msgspec.Struct, frozen=True, kw_only=True):
    """Which key (per client, method and path) and the fingerprint of the body sent with it."""

    client: str
    method: str
    path: str
    key: str
    fingerprint: str

    @property
    def pk(self) -> tuple[str, str, str, str]:
        """The row's primary key."""
        return (self.client, self.method, self.path, self.key)


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    """What a replay sends back: the original status, the headers kept, the exact body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of claiming a key; ``response`` is set for ``replay``."""

    outcome: Literal["new", "replay", "mismatch", "running"]
    response: StoredResponse | None = None
    created_at: float | None = None


class IdempotencyStore(abc.ABC):
    """Claim, complete, release and purge idempotency keys; each method is one transaction."""

    @abc.abstractmethod
    async def claim(
        self,
        ref: KeyRef,
        *,
        now: float,
        lease: float,
        ttl: float,
    ) -> Claim:
        """Claim ``key`` for a new run, or say why not (replay, mismatch, running)."""

    @abc.abstractmethod
    async def complete(
        self,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
    ) -> bool:
        """Store the response of our run; False if the row is no longer our running claim."""

    @abc.abstractmethod
    async def release(self, ref: KeyRef) -> bool:
        """Forget our running claim (the request had no effect); False if it was not ours."""

    @abc.abstractmethod
    async def accept_completing(
        self,
        message: NewMessage,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
    ) -> bool:
        """Accept ``message`` and complete our claim with ``response`` in ONE transaction.

        A handler that knows its answer before it writes uses this instead of
        ``journal.accept`` + :meth:`complete`: a stored response then never exists without its
        message, nor an accepted message without its stored response (a crash between two
        transactions would leave the key claimed, and a retry after the lease a second message).
        False if the claim was no longer ours (the message is accepted all the same).
        """

    @abc.abstractmethod
    async def accept_claiming(
        self,
        message: NewMessage,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
    ) -> Claim:
        """Claim the key and, if it is free, accept ``message`` and store ``response``: ONE job.

        For a handler whose only effect is that message (a deferred claim, see
        :class:`gateway.api.idempotency.IdempotencyMiddleware`): nothing is written before
        the answer is known, so there is no running row and no lease. ``new`` when the message
        was accepted; otherwise why not (``replay``, ``mismatch``, ``running``), and nothing
        was written.
        """

    @abc.abstractmethod
    async def purge(self, now: float, limit: int = 10_000) -> int:
        """Delete up to ``limit`` expired rows; returns how many."""


class SqliteIdempotencyStore(IdempotencyStore):
    """Rows in the journal's SQLite file (``sql/20_idempotency.sql``), jobs on its writer."""

    def __init__(self, journal: Journal) -> None:
        if not isinstance(journal, SqliteJournal):
            raise TypeError(f"{type(journal).__name__} has no SQLite writer to share")
        self._journal = journal
        self._sweeper = _Sweeper()

    async def claim(
        self,
        ref: KeyRef,
        *,
        now: float,
        lease: float,
        ttl: float,
    ) -> Claim:
        """One job: purge a few expired rows, read the key's row, take it over if free."""

        def job(conn: sqlite3.Connection) -> Claim:
            _purge(conn, now, PURGE_BATCH)
            taken = _live_claim(conn, ref, now)
            if taken is not None:
                return taken
            conn.execute(
                "INSERT OR REPLACE INTO idempotency_keys (client, method, path, key,"
                " fingerprint, state, created_at, lease_until, expires_at)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (*ref.pk, ref.fingerprint, now, now + lease, now + max(ttl, lease)),
            )
            return Claim(outcome="new", created_at=now)

        return await self._journal.writer.run(job)

    async def complete(
        self,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
    ) -> bool:
        """Turn our running row into a stored response that lives ``ttl`` seconds."""
        return await self._journal.writer.run(
            lambda conn: _complete(conn, ref, response, now=now, ttl=ttl)
        )

    async def accept_completing(
        self,
        message: NewMessage,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
    ) -> bool:
        """One writer job: the message row, its accept event, and our key's stored response."""

        def job(conn: sqlite3.Connection) -> bool:
            insert_message(conn, message)
            return _complete(conn, ref, response, now=now, ttl=ttl)

        return await self._journal.writer.run(job)

    async def accept_claiming(
        self,
        message: NewMessage,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
    ) -> Claim:
        """One writer job: claim the key already answered, or accept the message and store it.

        Batched: a writer group of these is one INSERT into the ``accept_claims`` view, with
        no transaction around it (:class:`_AcceptClaiming`).
        """
        job = _AcceptClaiming(message, ref, response, now=now, ttl=ttl, sweeper=self._sweeper)
        return await self._journal.writer.run(job)

    async def release(self, ref: KeyRef) -> bool:
        """Delete our running row so a retry with this key runs afresh."""

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM idempotency_keys WHERE client = ? AND method = ? AND path = ?"
                " AND key = ? AND fingerprint = ? AND state = 'running'",
                (*ref.pk, ref.fingerprint),
            )
            return cursor.rowcount == 1

        return await self._journal.writer.run(job)

    async def purge(self, now: float, limit: int = 10_000) -> int:
        """Delete expired rows (stored responses and abandoned claims alike)."""
        return await self._journal.writer.run(lambda conn: _purge(conn, now, limit))


_KEY_COLUMNS = "fingerprint, state, lease_until, expires_at, status, headers, body, created_at"
_KEY_COLUMNS_IK = ", ".join(f"ik.{name.strip()}" for name in _KEY_COLUMNS.split(","))


def _live_claim(conn: sqlite3.Connection, ref: KeyRef, now: float) -> Claim | None:
    """Why ``ref`` cannot run now (replay, mismatch, running), or None if its key is free."""
    row = conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM idempotency_keys"  # noqa: S608 - a constant
        " WHERE client = ? AND method = ? AND path = ? AND key = ?",
        ref.pk,
    ).fetchone()
    return _claim_of(row, ref, now)


def _claim_of(row: Any, ref: KeyRef, now: float) -> Claim | None:
    """:func:`_live_claim` for a row already read (``_KEY_COLUMNS``, or None: no row)."""
    if row is None or row[3] <= now:
        return None
    if row[1] == "running" and row[2] <= now:
        return None  # its request died mid-way: the lease frees the key
    if row[0] != ref.fingerprint:
        return Claim(outcome="mismatch", created_at=row[7])
    if row[1] == "running":
        return Claim(outcome="running", created_at=row[7])
    stored = StoredResponse(status=row[4], headers=_headers_decode(row[5]), body=bytes(row[6]))
    return Claim(outcome="replay", response=stored, created_at=row[7])


class _Sweeper:
    """When a group of batched claims also deletes expired keys, and how many.

    A claim on its own deletes up to :data:`PURGE_BATCH` expired rows every time. A group does
    it at most once every :data:`SWEEP_EVERY` seconds (a statement less per group on the busy
    path: the writer's statements are what a group waits for), deleting up to twice the keys
    written since, so expired rows are cleared faster than new ones arrive and the table stays
    bounded by the keys' lifetime. Only the writer thread touches it.
    """

    def __init__(self) -> None:
        self._at = -math.inf
        self._owed = 0

    def sweep(self, conn: sqlite3.Connection, now: float, written: int) -> None:
        """Count ``written`` keys about to be written; delete expired ones if it is time."""
        self._owed += written
        if now - self._at < SWEEP_EVERY:
            return
        _purge(conn, now, max(PURGE_BATCH, 2 * self._owed))
        self._at, self._owed = now, 0


SWEEP_EVERY = 1.0
"""Seconds between the expired-key sweeps that batched claims make."""

_CLAIM_WIDTH = 20
"""Columns of the ``accept_claims`` view (``sql/21_accept_claims.sql``)."""


class _AcceptClaiming(Batchable):
    """:meth:`SqliteIdempotencyStore.accept_claiming` as a writer job a group runs in a batch.

    The group is one INSERT into the ``accept_claims`` view, whose trigger writes each key's
    answer if the key is free and then that job's message: one statement, so the writer runs a
    group of these with no transaction around it (:attr:`Batchable.self_committing`).
    """

    __slots__ = ("message", "now", "ref", "response", "sweeper", "ttl")
    self_committing = True

    def __init__(
        self,
        message: NewMessage,
        ref: KeyRef,
        response: StoredResponse,
        *,
        now: float,
        ttl: float,
        sweeper: _Sweeper,
    ) -> None:
        self.message = message
        self.ref = ref
        self.response = response
        self.now = now
        self.ttl = ttl
        self.sweeper = sweeper

    def claim_row(self) -> tuple[Any, ...]:
        """Its row of the ``accept_claims`` view: the key's answer, then the message."""
        r, m = self.response, self.message
        return (*self.ref.pk, self.ref.fingerprint, self.now + self.ttl, r.status,
                _headers_encode(r.headers), r.body, self.now, *message_values(m))  # fmt: skip

    @staticmethod
    def run_many(conn: sqlite3.Connection, jobs: list[Any]) -> list[Any]:
        """Every key new (the usual case): one statement, and nothing read back.

        Each job that wins its key writes three rows (key, message, event), one that does not
        writes none; if fewer were written than that, :func:`_claims_read_back` says which.
        """
        jobs[0].sweeper.sweep(conn, min(job.now for job in jobs), len(jobs))
        before = conn.total_changes
        insert_padded(
            conn, "INSERT INTO accept_claims", _CLAIM_WIDTH, [j.claim_row() for j in jobs]
        )
        if conn.total_changes - before == 3 * len(jobs):
            return [Claim(outcome="new", created_at=job.now) for job in jobs]
        return _claims_read_back(conn, jobs)


def _claims_read_back(conn: sqlite3.Connection, jobs: list[_AcceptClaiming]) -> list[Claim]:
    """Each job's claim once some keys were held.

    A job whose message is stored won its key; the others are answered from the row that held
    it (replay, mismatch or running).

    A row no longer held when read (it expired, or another process purged it, in the
    microseconds between) answers "running": nothing was journaled for that request, and the
    409 tells its client to try again, which will then succeed.
    """
    stored = stored_message_ids(conn, [job.message.id for job in jobs])
    rows = _rows_of(conn, [job.ref for job in jobs if job.message.id not in stored])
    results: list[Claim] = []
    for job in jobs:
        if job.message.id in stored:
            results.append(Claim(outcome="new", created_at=job.now))
            continue
        taken = _claim_of(rows.get(job.ref.pk), job.ref, job.now)
        results.append(taken or Claim(outcome="running", created_at=job.now))
    return results


_ROWS_AT_ONCE = 200
"""Keys per SELECT (4 parameters each, well under SQLite's parameter limit)."""


def _rows_of(conn: sqlite3.Connection, refs: list[KeyRef]) -> dict[tuple[str, ...], Any]:
    """The stored rows of ``refs``' keys, by primary key (keys without a row are absent)."""
    found: dict[tuple[str, ...], Any] = {}
    for at in range(0, len(refs), _ROWS_AT_ONCE):
        chunk = refs[at : at + _ROWS_AT_ONCE]
        marks = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
        # a join from the wanted keys probes the primary key per key; ``(...) IN (VALUES ...)``
        # would scan the table (SQLite 3.40's plan)
        cursor = conn.execute(
            f"WITH wanted (c, m, p, k) AS (VALUES {marks})"  # noqa: S608 - placeholders only
            f" SELECT ik.client, ik.method, ik.path, ik.key, {_KEY_COLUMNS_IK}"
            " FROM wanted CROSS JOIN idempotency_keys AS ik ON ik.client = wanted.c"
            " AND ik.method = wanted.m AND ik.path = wanted.p AND ik.key = wanted.k",
            [value for ref in chunk for value in ref.pk],
        )
        for row in cursor:
            found[row[:4]] = row[4:]
    return found


def _complete(
    conn: sqlite3.Connection, ref: KeyRef, response: StoredResponse, *, now: float, ttl: float
) -> bool:
    """Turn our running row into the stored response; False if the row is not ours any more."""
    cursor = conn.execute(
        "UPDATE idempotency_keys SET state = 'done', status = ?, headers = ?, body = ?,"
        " expires_at = ? WHERE client = ? AND method = ? AND path = ? AND key = ?"
        " AND fingerprint = ? AND state = 'running'",
        (
            response.status,
            _headers_encode(response.headers),
            response.body,
            now + ttl,
            *ref.pk,
            ref.fingerprint,
        ),
    )
    return cursor.rowcount == 1


def _purge(conn: sqlite3.Connection, now: float, limit: int) -> int:
    cursor = conn.execute(
        "DELETE FROM idempotency_keys WHERE rowid IN"
        " (SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)",
        (now, limit),
    )
    return int(cursor.rowcount)


def open_idempotency_store(journal: Journal) -> IdempotencyStore:
    """The store that lives beside ``journal`` (the composition roots call this)."""
    return SqliteIdempotencyStore(journal)
