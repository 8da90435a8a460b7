"""The embedded journal: SQLite in WAL mode with ``synchronous=FULL`` and group commit.

Every public method is one job on the writer thread, hence one transaction, hence atomic: an
acceptance writes the message, its event and its work item together; a routing outcome writes the
canonical payload, its events and every delivery together (the transactional outbox).
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from gateway.journal._rows import insert_padded
from gateway.journal._sqlite_writer import Batchable, SqliteWriter
from gateway.journal.base import (
    Attempt,
    AuditEntry,
    ClaimedDelivery,
    DeadLetter,
    DeadLetterFilter,
    Delivery,
    DeliveryState,
    Event,
    Journal,
    Message,
    MessageFilter,
    NewDelivery,
    NewMessage,
    Original,
    Stats,
)

_KEY_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_json_encode = msgspec.json.Encoder().encode
_dict_decode = msgspec.json.Decoder(dict[str, Any]).decode
_keys_decode = msgspec.json.Decoder(dict[str, str]).decode

_MESSAGE_COLUMNS = (
    "id, partner, channel, document_type, content_type, raw, received_at, trace_id,"
    " business_keys, state, stage, canonical, attempts, updated_at"
)
_DELIVERY_COLUMNS = (
    "id, message_id, destination, idempotency_key, state, attempts, next_attempt_at,"
    " created_at, first_attempt_at, last_code, last_error, updated_at"
)
_DEAD_COLUMNS = (
    "id, message_id, stage, code, error, partner, document_type, created_at, state,"
    " delivery_id, destination, resolved_at, resolved_by, reason"
)


def _message(row: tuple[Any, ...]) -> Message:
    return Message(
        id=row[0],
        partner=row[1],
        channel=row[2],
        document_type=row[3],
        content_type=row[4],
        raw=bytes(row[5]),
        received_at=row[6],
        trace_id=row[7],
        business_keys=_keys_decode(row[8]),
        state=row[9],
        stage=row[10],
        canonical=None if row[11] is None else bytes(row[11]),
        attempts=row[12],
        updated_at=row[13],
    )


def _delivery(row: tuple[Any, ...]) -> Delivery:
    return Delivery(
        id=row[0],
        message_id=row[1],
        destination=row[2],
        idempotency_key=row[3],
        state=row[4],
        attempts=row[5],
        next_attempt_at=row[6],
        created_at=row[7],
        first_attempt_at=row[8],
        last_code=row[9],
        last_error=row[10],
        updated_at=row[11],
    )


def _dead_letter(row: tuple[Any, ...]) -> DeadLetter:
    return DeadLetter(
        id=row[0],
        message_id=row[1],
        stage=row[2],
        code=row[3],
        error=row[4],
        partner=row[5],
        document_type=row[6],
        created_at=row[7],
        state=row[8],
        delivery_id=row[9],
        destination=row[10],
        resolved_at=row[11],
        resolved_by=row[12],
        reason=row[13],
    )


def _insert_event(conn: sqlite3.Connection, e: Event) -> None:
    conn.execute(
        "INSERT INTO events (message_id, delivery_id, stage, outcome, code, detail, at, actor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.message_id,
            e.delivery_id,
            e.stage,
            e.outcome,
            e.code,
            _json_encode(e.detail),
            e.at,
            e.actor,
        ),
    )


def message_values(m: NewMessage) -> tuple[Any, ...]:
    """A message as the views that accept one take it.

    That is ``accepts`` in ``_schema.sql``, and the tail of ``accept_claims`` in
    ``sql/21_accept_claims.sql``: id, partner, channel, document_type, content_type, raw,
    received_at, trace_id, business_keys and the accept event's detail.
    """
    return (m.id, m.partner, m.channel, m.document_type, m.content_type, m.raw, m.received_at,
            m.trace_id, _json_encode(m.business_keys), b'{"bytes":%d}' % len(m.raw))  # fmt: skip


_IDS_AT_ONCE = 500


def stored_message_ids(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a message row."""
    found: set[str] = set()
    for at in range(0, len(ids), _IDS_AT_ONCE):
        chunk = ids[at : at + _IDS_AT_ONCE]
        marks = ", ".join(["?"] * len(chunk))
        cursor = conn.execute(f"SELECT id FROM messages WHERE id IN ({marks})", chunk)  # noqa: S608
        found.update(row[0] for row in cursor)
    return found


_ACCEPTS_WIDTH = 10
"""Columns of the ``accepts`` view (``_schema.sql``), as :func:`message_values` gives them."""


def insert_message(conn: sqlite3.Connection, m: NewMessage) -> None:
    """The message row and its accept event (for stores that accept in their own job)."""
    insert_padded(conn, "INSERT INTO accepts", _ACCEPTS_WIDTH, [message_values(m)])


class _Accept(Batchable):
    """One acceptance as a writer job; a group of them is one INSERT into the accepts view."""

    __slots__ = ("message",)
    self_committing = True

    def __init__(self, message: NewMessage) -> None:
        self.message = message

    @staticmethod
    def run_many(conn: sqlite3.Connection, jobs: list[Any]) -> None:
        rows = [message_values(job.message) for job in jobs]
        insert_padded(conn, "INSERT INTO accepts", _ACCEPTS_WIDTH, rows)


def _insert_dead_letter(conn: sqlite3.Connection, d: DeadLetter) -> None:
    conn.execute(
        f"INSERT INTO dead_letters ({_DEAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
        (
            d.id,
            d.message_id,
            d.stage,
            d.code,
            d.error,
            d.partner,
            d.document_type,
            d.created_at,
            d.state,
            d.delivery_id,
            d.destination,
            d.resolved_at,
            d.resolved_by,
            d.reason,
        ),
    )


def _audit(
    conn: sqlite3.Connection,
    *,
    now: float,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any],
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, target, _json_encode(detail)),
    )


def _name(item: Any) -> str:
    return str(item.name)


class SqliteJournal(Journal):
    """The default journal: one file, WAL, one writer thread with group commit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer = SqliteWriter(self._connect)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a 202 means the fsync happened
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        package = resources.files("gateway.journal")
        conn.executescript(package.joinpath("_schema.sql").read_text("utf-8"))
        # stores kept beside the journal (idempotency keys, control numbers...) bring their own
        # tables in sql/NN_<store>.sql; every statement there must be idempotent (IF NOT EXISTS)
        extra = package.joinpath("sql")
        for script in sorted((f for f in extra.iterdir() if f.name.endswith(".sql")), key=_name):
            conn.executescript(script.read_text("utf-8"))
        return conn

    @property
    def writer(self) -> SqliteWriter:
        """The writer thread, for stores that share the journal's file and transactions.

        A store beside the journal (``gateway.journal.<store>``) runs its jobs here, so its
        writes are durable in the same group commits and can never interleave with ours.
        """
        return self._writer

    async def open(self) -> None:
        """Start the writer thread (which creates the schema)."""
        self._writer.start()

    async def close(self) -> None:
        """Commit what is queued and stop."""
        await self._writer.stop()

    # -- acceptance ---------------------------------------------------------------------------
    async def accept(self, message: NewMessage) -> None:
        """Message row (= processing work item) and its accept event, in one transaction."""
        await self._writer.run(_Accept(message))

    async def accept_many(
        self, messages: list[NewMessage], original: Original | None = None
    ) -> None:
        """Every message and its accept event in one job: the writer's savepoint makes it whole.

        A failing insert (a duplicate id, say) rolls the job's savepoint back, so none of the
        messages (and not the original) is stored and the error reaches the caller.
        """

        def job(conn: sqlite3.Connection) -> None:
            if original is not None:
                conn.execute(
                    "INSERT INTO originals (id, partner, channel, content_type, raw, received_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        original.id,
                        original.partner,
                        original.channel,
                        original.content_type,
                        original.raw,
                        original.received_at,
                    ),
                )
            for m in messages:
                insert_message(conn, m)

        if messages:
            await self._writer.run(job)

    async def get_original(self, original_id: str) -> Original | None:
        """The whole body a group of messages was split from."""

        def job(conn: sqlite3.Connection) -> Original | None:
            row = conn.execute(
                "SELECT id, partner, channel, content_type, raw, received_at FROM originals"
                " WHERE id = ?",
                (original_id,),
            ).fetchone()
            if row is None:
                return None
            return Original(
                id=row[0],
                partner=row[1],
                channel=row[2],
                content_type=row[3],
                raw=bytes(row[4]),
                received_at=row[5],
            )

        return await self._writer.run(job)

    # -- processing ---------------------------------------------------------------------------
    async def claim_messages(
        self, owner: str, limit: int, lease_seconds: float, now: float
    ) -> list[Message]:
        """Lease received messages that are available and whose lease is free or expired."""

        def job(conn: sqlite3.Connection) -> list[Message]:
            rows = conn.execute(
                f"UPDATE messages SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"  # noqa: S608
                " WHERE id IN (SELECT id FROM messages WHERE state = 'received'"
                "   AND available_at <= ? AND (lease_until IS NULL OR lease_until < ?)"
                "   ORDER BY available_at LIMIT ?)"
                f" RETURNING {_MESSAGE_COLUMNS}",
                (owner, now + lease_seconds, now, now, limit),
            ).fetchall()
            return sorted((_message(r) for r in rows), key=lambda m: m.id)

        return await self._writer.run(job)

    @staticmethod
    def _holds_lease(conn: sqlite3.Connection, table: str, row_id: str, owner: str) -> bool:
        row = conn.execute(
            f"SELECT lease_owner FROM {table} WHERE id = ?",  # noqa: S608 - fixed table names
            (row_id,),
        ).fetchone()
        return row is not None and row[0] == owner

    async def complete_processing(
        self,
        message_id: str,
        owner: str,
        *,
        document_type: str,
        canonical: bytes,
        business_keys: dict[str, str],
        events: list[Event],
        deliveries: list[NewDelivery],
        now: float,
    ) -> bool:
        """Canonical payload + events + deliveries, only while the lease is ours."""

        def job(conn: sqlite3.Connection) -> bool:
            if not self._holds_lease(conn, "messages", message_id, owner):
                return False
            conn.execute(
                "UPDATE messages SET state = 'done', stage = 'route', canonical = ?,"
                " document_type = ?, business_keys = ?, lease_owner = NULL, lease_until = NULL,"
                " updated_at = ? WHERE id = ?",
                (canonical, document_type, _json_encode(business_keys), now, message_id),
            )
            for e in events:
                _insert_event(conn, e)
            for d in deliveries:
                # a reprocessed message keeps its delivery rows (and so its idempotency keys);
                # what was delivered stays delivered, what was dead is tried again
                conn.execute(
                    "INSERT INTO deliveries (id, message_id, destination, idempotency_key, state,"
                    " next_attempt_at, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)"
                    " ON CONFLICT (message_id, destination) DO UPDATE SET state = 'pending',"
                    " attempts = 0, next_attempt_at = excluded.next_attempt_at,"
                    " first_attempt_at = NULL, lease_owner = NULL, lease_until = NULL,"
                    " updated_at = excluded.updated_at WHERE deliveries.state = 'dead'",
                    (d.id, message_id, d.destination, d.idempotency_key, now, now, now),
                )
            return True

        return await self._writer.run(job)

    async def fail_processing(
        self,
        message_id: str,
        owner: str,
        *,
        events: list[Event],
        dead_letter: DeadLetter | None,
        retry_at: float | None,
        now: float,
    ) -> bool:
        """Dead-letter the message, or make it available again at ``retry_at``."""

        def job(conn: sqlite3.Connection) -> bool:
            if not self._holds_lease(conn, "messages", message_id, owner):
                return False
            stage = events[-1].stage if events else "decode"
            if retry_at is not None:
                conn.execute(
                    "UPDATE messages SET available_at = ?, stage = ?, lease_owner = NULL,"
                    " lease_until = NULL, updated_at = ? WHERE id = ?",
                    (retry_at, stage, now, message_id),
                )
            else:
                conn.execute(
                    "UPDATE messages SET state = 'failed', stage = ?, lease_owner = NULL,"
                    " lease_until = NULL, updated_at = ? WHERE id = ?",
                    (stage, now, message_id),
                )
            for e in events:
                _insert_event(conn, e)
            if dead_letter is not None:
                _insert_dead_letter(conn, dead_letter)
            return True

        return await self._writer.run(job)

    # -- delivery -----------------------------------------------------------------------------
    async def claim_deliveries(
        self,
        owner: str,
        limit: int,
        lease_seconds: float,
        now: float,
        destinations: list[str] | None = None,
    ) -> list[ClaimedDelivery]:
        """Lease due deliveries with their message's canonical payload."""
        dest_clause = ""
        params: list[Any] = [owner, now + lease_seconds, now, now]
        if destinations is not None:
            if not destinations:
                return []
            dest_clause = f" AND destination IN ({','.join('?' * len(destinations))})"
            params.extend(destinations)
        params.append(limit)

        def job(conn: sqlite3.Connection) -> list[ClaimedDelivery]:
            rows = conn.execute(
                "UPDATE deliveries SET lease_owner = ?, lease_until = ?"  # noqa: S608
                " WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending'"
                "   AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)"
                f"   {dest_clause} ORDER BY next_attempt_at LIMIT ?)"
                f" RETURNING {_DELIVERY_COLUMNS}",
                params,
            ).fetchall()
            out = []
            for row in rows:
                d = _delivery(row)
                m = conn.execute(
                    "SELECT canonical, document_type, trace_id, partner FROM messages WHERE id = ?",
                    (d.message_id,),
                ).fetchone()
                out.append(
                    ClaimedDelivery(
                        delivery=d,
                        payload=bytes(m[0] or b""),
                        document_type=m[1],
                        trace_id=m[2],
                        partner=m[3],
                    )
                )
            out.sort(key=lambda c: c.delivery.next_attempt_at)
            return out

        return await self._writer.run(job)

    async def record_attempt(
        self,
        delivery_id: str,
        owner: str,
        *,
        attempt: Attempt | None,
        state: DeliveryState,
        next_attempt_at: float,
        event: Event,
        dead_letter: DeadLetter | None,
        now: float,
    ) -> bool:
        """Attempt row, new delivery state, its event and maybe a dead letter, atomically."""

        def job(conn: sqlite3.Connection) -> bool:
            # one conditional UPDATE both checks the lease and moves the delivery on
            a = attempt
            cursor = conn.execute(
                "UPDATE deliveries SET state = ?, next_attempt_at = ?, lease_owner = NULL,"
                " lease_until = NULL, updated_at = ?, attempts = attempts + ?,"
                " first_attempt_at = COALESCE(first_attempt_at, ?),"
                " last_code = COALESCE(?, last_code), last_error = COALESCE(?, last_error)"
                " WHERE id = ? AND lease_owner = ?",
                (
                    state,
                    next_attempt_at,
                    now,
                    0 if a is None else 1,
                    None if a is None else a.started_at,
                    None if a is None else a.code,
                    None if a is None else a.error,
                    delivery_id,
                    owner,
                ),
            )
            if cursor.rowcount == 0:
                return False
            if a is not None:
                conn.execute(
                    "INSERT INTO attempts (delivery_id, number, started_at, latency_ms, outcome,"
                    " status_code, code, error, body_excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.delivery_id,
                        a.number,
                        a.started_at,
                        a.latency_ms,
                        a.outcome,
                        a.status_code,
                        a.code,
                        a.error,
                        a.body_excerpt,
                    ),
                )
            _insert_event(conn, event)
            if dead_letter is not None:
                _insert_dead_letter(conn, dead_letter)
            return True

        return await self._writer.run(job)

    async def next_due(self) -> float | None:
        """Earliest time a pending delivery becomes claimable (a held lease defers it)."""

        def job(conn: sqlite3.Connection) -> float | None:
            row = conn.execute(
                "SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, next_attempt_at)))"
                " FROM deliveries WHERE state = 'pending'"
            ).fetchone()
            return None if row is None else row[0]

        return await self._writer.run(job)

    # -- reading ------------------------------------------------------------------------------
    async def get_message(self, message_id: str) -> Message | None:
        """One message by id."""

        def job(conn: sqlite3.Connection) -> Message | None:
            row = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?",  # noqa: S608
                (message_id,),
            ).fetchone()
            return None if row is None else _message(row)

        return await self._writer.run(job)

    async def events(self, message_id: str) -> list[Event]:
        """Stage history, oldest first."""

        def job(conn: sqlite3.Connection) -> list[Event]:
            rows = conn.execute(
                "SELECT message_id, delivery_id, stage, outcome, code, detail, at, actor"
                " FROM events WHERE message_id = ? ORDER BY seq",
                (message_id,),
            ).fetchall()
            return [
                Event(
                    message_id=r[0],
                    delivery_id=r[1],
                    stage=r[2],
                    outcome=r[3],
                    code=r[4],
                    detail=_dict_decode(r[5]),
                    at=r[6],
                    actor=r[7],
                )
                for r in rows
            ]

        return await self._writer.run(job)

    async def deliveries(self, message_id: str) -> list[Delivery]:
        """Deliveries of one message."""

        def job(conn: sqlite3.Connection) -> list[Delivery]:
            rows = conn.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE message_id = ?"  # noqa: S608
                " ORDER BY destination",
                (message_id,),
            ).fetchall()
            return [_delivery(r) for r in rows]

        return await self._writer.run(job)

    async def attempts(self, delivery_id: str) -> list[Attempt]:
        """Attempts of one delivery, oldest first."""

        def job(conn: sqlite3.Connection) -> list[Attempt]:
            rows = conn.execute(
                "SELECT delivery_id, number, started_at, latency_ms, outcome, status_code, code,"
                " error, body_excerpt FROM attempts WHERE delivery_id = ?"
                " ORDER BY started_at, rowid",
                (delivery_id,),
            ).fetchall()
            return [
                Attempt(
                    delivery_id=r[0],
                    number=r[1],
                    started_at=r[2],
                    latency_ms=r[3],
                    outcome=r[4],
                    status_code=r[5],
                    code=r[6],
                    error=r[7],
                    body_excerpt=r[8],
                )
                for r in rows
            ]

        return await self._writer.run(job)

    async def dead_letters(self, flt: DeadLetterFilter) -> list[DeadLetter]:
        """Filtered, oldest first, keyset-paged by id."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("partner", flt.partner),
            ("destination", flt.destination),
            ("stage", flt.stage),
            ("code", flt.code),
            ("state", flt.state),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if flt.since is not None:
            clauses.append("created_at >= ?")
            params.append(flt.since)
        if flt.until is not None:
            clauses.append("created_at < ?")
            params.append(flt.until)
        if flt.after_id is not None:
            clauses.append("id > ?")
            params.append(flt.after_id)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        params.append(flt.limit)

        def job(conn: sqlite3.Connection) -> list[DeadLetter]:
            rows = conn.execute(
                f"SELECT {_DEAD_COLUMNS} FROM dead_letters{where} ORDER BY id LIMIT ?",  # noqa: S608
                params,
            ).fetchall()
            return [_dead_letter(r) for r in rows]

        return await self._writer.run(job)

    async def get_dead_letter(self, dead_letter_id: str) -> DeadLetter | None:
        """One dead letter by id."""

        def job(conn: sqlite3.Connection) -> DeadLetter | None:
            row = conn.execute(
                f"SELECT {_DEAD_COLUMNS} FROM dead_letters WHERE id = ?",  # noqa: S608
                (dead_letter_id,),
            ).fetchone()
            return None if row is None else _dead_letter(row)

        return await self._writer.run(job)

    async def stats(self) -> Stats:
        """Counts for gauges."""

        def job(conn: sqlite3.Connection) -> Stats:
            m = conn.execute("SELECT COUNT(*) FROM messages WHERE state = 'received'").fetchone()
            d = conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").fetchone()
            x = conn.execute("SELECT COUNT(*) FROM dead_letters WHERE state = 'open'").fetchone()
            return Stats(messages_pending=m[0], deliveries_pending=d[0], dead_letters_open=x[0])

        return await self._writer.run(job)

    # -- operations ---------------------------------------------------------------------------
    @staticmethod
    def _close_dead_letter(
        conn: sqlite3.Connection,
        dl_id: str,
        *,
        state: str,
        actor: str,
        reason: str | None,
        now: float,
    ) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(
            "UPDATE dead_letters SET state = ?, resolved_at = ?, resolved_by = ?, reason = ?"
            " WHERE id = ? AND state = 'open' RETURNING message_id, delivery_id, stage",
            (state, now, actor, reason, dl_id),
        ).fetchone()
        return row

    async def redeliver(self, dead_letter_id: str, actor: str, now: float) -> bool:
        """Same canonical payload, same idempotency key, fresh attempt budget."""

        def job(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT delivery_id FROM dead_letters WHERE id = ? AND state = 'open'",
                (dead_letter_id,),
            ).fetchone()
            if row is None or row[0] is None:
                return False  # only a delivery can be redelivered; the rest needs reprocess
            found = self._close_dead_letter(
                conn, dead_letter_id, state="replayed", actor=actor, reason=None, now=now
            )
            assert found is not None
            message_id, delivery_id, _stage = found
            conn.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?,"
                " first_attempt_at = NULL, lease_owner = NULL, lease_until = NULL,"
                " updated_at = ? WHERE id = ?",
                (now, now, delivery_id),
            )
            _insert_event(
                conn,
                Event(
                    message_id=message_id,
                    delivery_id=delivery_id,
                    stage="replay",
                    outcome="action",
                    code="redeliver",
                    at=now,
                    actor=actor,
                    detail={"dead_letter": dead_letter_id},
                ),
            )
            _audit(
                conn,
                now=now,
                actor=actor,
                action="redeliver",
                target=dead_letter_id,
                detail={"delivery": delivery_id},
            )
            return True

        return await self._writer.run(job)

    async def reprocess(self, dead_letter_id: str, actor: str, now: float) -> bool:
        """Decode and map the raw payload again with today's mappings."""

        def job(conn: sqlite3.Connection) -> bool:
            found = self._close_dead_letter(
                conn, dead_letter_id, state="replayed", actor=actor, reason=None, now=now
            )
            if found is None:
                return False
            message_id, delivery_id, _stage = found
            conn.execute(
                "UPDATE messages SET state = 'received', stage = 'accept', available_at = ?,"
                " attempts = 0, lease_owner = NULL, lease_until = NULL, updated_at = ?"
                " WHERE id = ?",
                (now, now, message_id),
            )
            _insert_event(
                conn,
                Event(
                    message_id=message_id,
                    delivery_id=delivery_id,
                    stage="replay",
                    outcome="action",
                    code="reprocess",
                    at=now,
                    actor=actor,
                    detail={"dead_letter": dead_letter_id},
                ),
            )
            _audit(
                conn,
                now=now,
                actor=actor,
                action="reprocess",
                target=dead_letter_id,
                detail={"message": message_id},
            )
            return True

        return await self._writer.run(job)

    async def discard(self, dead_letter_id: str, actor: str, reason: str, now: float) -> bool:
        """Close without replay; the delivery (if any) becomes ``discarded``."""

        def job(conn: sqlite3.Connection) -> bool:
            found = self._close_dead_letter(
                conn, dead_letter_id, state="discarded", actor=actor, reason=reason, now=now
            )
            if found is None:
                return False
            message_id, delivery_id, _stage = found
            if delivery_id is not None:
                conn.execute(
                    "UPDATE deliveries SET state = 'discarded', updated_at = ? WHERE id = ?",
                    (now, delivery_id),
                )
            else:
                conn.execute(
                    "UPDATE messages SET state = 'discarded', updated_at = ? WHERE id = ?",
                    (now, message_id),
                )
            _insert_event(
                conn,
                Event(
                    message_id=message_id,
                    delivery_id=delivery_id,
                    stage="replay",
                    outcome="action",
                    code="discard",
                    at=now,
                    actor=actor,
                    detail={"dead_letter": dead_letter_id, "reason": reason},
                ),
            )
            _audit(
                conn,
                now=now,
                actor=actor,
                action="discard",
                target=dead_letter_id,
                detail={"reason": reason},
            )
            return True

        return await self._writer.run(job)

    async def audit(self, limit: int = 100, after_seq: int = 0) -> list[AuditEntry]:
        """Operations actions, oldest first."""

        def job(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                "SELECT seq, at, actor, action, target, detail FROM audit WHERE seq > ?"
                " ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
            return [
                AuditEntry(
                    seq=r[0],
                    at=r[1],
                    actor=r[2],
                    action=r[3],
                    target=r[4],
                    detail=_dict_decode(r[5]),
                )
                for r in rows
            ]

        return await self._writer.run(job)

    async def find_by_key(self, partner: str, key: str, value: str) -> str | None:
        """Look a message up by one of its business keys (e.g. a webhook's event id)."""
        if not _KEY_NAME.fullmatch(key):
            raise ValueError(f"not a business key name: {key!r}")
        # the JSON path is spelled out (not bound) so SQLite can use the expression index
        path = f"'$.{key}'"

        def job(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                f"SELECT id FROM messages WHERE partner = ?"  # noqa: S608 - key is validated
                f" AND json_extract(business_keys, {path}) = ? ORDER BY id LIMIT 1",
                (partner, value),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._writer.run(job)

    async def list_messages(self, flt: MessageFilter) -> list[Message]:
        """Keyset-paged on ``(received_at, id)`` (index ``messages_listing``), oldest first."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("channel", flt.channel),
            ("partner", flt.partner),
            ("state", flt.state),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if flt.since is not None:
            clauses.append("received_at >= ?")
            params.append(flt.since)
        if flt.until is not None:
            clauses.append("received_at < ?")
            params.append(flt.until)
        if flt.key is not None:
            name, value = flt.key
            if not _KEY_NAME.fullmatch(name):
                raise ValueError(f"not a business key name: {name!r}")
            clauses.append(f"json_extract(business_keys, '$.{name}') = ?")
            params.append(value)
        if flt.after is not None:
            clauses.append("(received_at, id) > (?, ?)")
            params.extend(flt.after)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        params.append(flt.limit)
        sql = (
            f"SELECT {_MESSAGE_COLUMNS} FROM messages{where}"  # noqa: S608 - names are fixed
            " ORDER BY received_at, id LIMIT ?"
        )

        def job(conn: sqlite3.Connection) -> list[Message]:
            return [_message(r) for r in conn.execute(sql, params).fetchall()]

        return await self._writer.run(job)

    async def release(self, owner: str) -> int:
        """Clear the owner's leases on work not finished, so a restart need not wait them out."""

        def job(conn: sqlite3.Connection) -> int:
            messages = conn.execute(
                "UPDATE messages SET lease_owner = NULL, lease_until = NULL"
                " WHERE lease_owner = ? AND state = 'received'",
                (owner,),
            ).rowcount
            deliveries = conn.execute(
                "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL"
                " WHERE lease_owner = ? AND state = 'pending'",
                (owner,),
            ).rowcount
            return int(messages + deliveries)

        return await self._writer.run(job)
