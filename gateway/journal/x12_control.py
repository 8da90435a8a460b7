"""X12 control numbers per partner, and the register of interchanges we sent and their acks.

Why durable: a partner's translator rejects (or silently drops) an interchange whose ISA13 it has
seen before, and audits gaps. Numbers therefore survive restarts, never repeat for new traffic,
and a *retried* delivery must carry the *same* numbers as its first attempt (it is the same
interchange, and the partner's duplicate check is what protects it from double booking). Hence
:meth:`X12Control.allocate` takes a ``key`` (a delivery id, a message id + group index...): the
first call for a key takes the next number, every later call for that key returns it again.

Why a register: a 997/999 only names group (GS06) and set (ST02) control numbers; to say "the
856 we sent at 10:02 was rejected" we must remember what each interchange carried. Each outbound
interchange is recorded once (:meth:`record_outbound`), an inbound 997/999 is matched to it by
partner + functional id + group control number (+ set control numbers) (:meth:`reconcile`), and
an interchange that expects an ack and got none by its due time is overdue (:meth:`overdue`).
A TA1 is matched by partner + ISA13 (:meth:`reconcile_ta1`, gateway.journal._x12_ta1): ``R``
rejects the interchange, ``A``/``E`` are recorded and leave its state to the 997/999.

Interchange states: ``pending`` (an ack is due), ``not_expected`` (no ack is expected, e.g. our
own 997s), ``accepted``, ``accepted_with_errors``, ``rejected``; ``overdue`` is not stored: it is
``pending`` with ``ack_due_at`` in the past, reported by :meth:`overdue` and :meth:`interchanges`.
Group and set states are ``pending``, ``accepted``, ``accepted_with_errors``, ``rejected``.

Every method is one job on the journal's writer (one transaction), so allocation is atomic and
serial across all coroutines of the process: concurrent callers never get the same number.
"""

from __future__ import annotations

import abc
import sqlite3
import time
from typing import Any, Literal

import msgspec

from connectors.text import is_digits
from gateway.journal._x12_ta1 import AckedInterchange, Ta1Record, apply_ta1, read_ta1_record
from gateway.journal.base import Event
from gateway.journal.sqlite import SqliteJournal, _insert_event

ControlKind = Literal["isa", "gs", "st"]
InterchangeState = Literal[
    "pending", "not_expected", "accepted", "accepted_with_errors", "rejected", "overdue"
]
AckState = Literal["pending", "accepted", "accepted_with_errors", "rejected"]

#: ISA13 is exactly nine digits; GS06 and ST02 allow nine too. After the last, numbering wraps to 1.
MAX_CONTROL_NUMBER = 999_999_999
KINDS: tuple[ControlKind, ...] = ("isa", "gs", "st")

_json_encode = msgspec.json.Encoder().encode


class SentSet(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A transaction set inside a sent group; after reconciliation, the partner's verdict on it.

    ``code`` is AK501/IK501 as received, ``error_codes`` AK502.., ``errors`` one entry per
    AK3/IK3 segment error (``segment``, ``position``, ``loop``, ``code``, ``elements``).
    """

    set_id: str
    control_number: str
    state: AckState = "pending"
    code: str = ""
    error_codes: list[str] = []
    errors: list[dict[str, Any]] = []


class SentGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A functional group inside a sent interchange: GS01, GS06, GS08 and its sets."""

    functional_id: str
    control_number: str
    version: str = ""
    sets: list[SentSet] = []
    state: AckState = "pending"
    ack_code: str = ""  # AK901 as received: A, E, P, R (or M, W, X)
    error_codes: list[str] = []


class OutboundInterchange(msgspec.Struct, frozen=True, kw_only=True):
    """One interchange we sent a partner, with its groups and where its acknowledgement stands.

    ``kind`` says what it carries (``997``, ``999``, ``TA1``, ``856``...). ``state`` is the stored
    state, except that a pending interchange read after its ``ack_due_at`` reads ``overdue``.
    ``ta1_code`` is the TA104 of the partner's latest TA1 about it and ``ta1`` that TA1 in full
    (note code, its TA102/TA103, the journaled message), both None until one came.
    """

    partner: str
    isa13: str
    kind: str
    sender: str
    receiver: str
    message_id: str | None
    delivery_id: str | None
    sent_at: float
    expects_ack: bool
    ack_due_at: float | None
    state: InterchangeState
    acked_at: float | None
    ack_message_id: str | None
    ta1_code: str | None
    groups: list[SentGroup]
    ta1: Ta1Record | None = None


class AckedSet(msgspec.Struct, frozen=True, kw_only=True):
    """One AK2..AK5 (IK5) loop of a received 997/999."""

    set_id: str
    control_number: str
    code: str  # AK501/IK501: A, E, M, R, W, X
    error_codes: list[str] = []
    errors: list[dict[str, Any]] = []


class AckedGroup(msgspec.Struct, frozen=True, kw_only=True):
    """One received 997/999 transaction set: AK1 (the group acknowledged), its AK2s and AK9."""

    functional_id: str  # AK101
    control_number: str  # AK102 = our GS06
    code: str  # AK901: A, E, P, R, M, W, X
    sets: list[AckedSet] = []
    error_codes: list[str] = []


class OutboundX12(msgspec.Struct, frozen=True, kw_only=True):
    """An interchange we start (an acknowledgement, say) and the delivery that carries it.

    Journaled as a message that is already processed (``state='done'``): ``raw`` and
    ``canonical`` are the X12 bytes, ``document_type`` says what it is (``x12_ack``), and one
    delivery to ``destination`` makes the delivery worker send it with retries like any other.
    """

    message_id: str
    partner: str
    channel: str
    document_type: str
    content_type: str
    payload: bytes
    trace_id: str
    destination: str
    delivery_id: str
    idempotency_key: str
    business_keys: dict[str, str] = {}
    detail: dict[str, Any] = {}


class ReconcileResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one received acknowledgement changed: the groups matched and those we never sent.

    For a 997/999, ``matched`` holds ``{isa13, gs06, functional_id, state, interchange_state}``
    and ``unmatched`` ``{functional_id, gs06, reason}``. For a TA1, ``matched`` holds ``{isa13,
    ta1_code, ta1_note, interchange_state}`` (and ``ignored`` with the reason when it changed
    nothing) and ``unmatched`` ``{isa13, reason}``.
    """

    matched: list[dict[str, str]]
    unmatched: list[dict[str, str]]


def group_state(code: str) -> AckState:
    """AK901/IK901 -> group state: A accepted, E/P accepted with errors, anything else rejected.

    ``P`` (partially accepted: some sets rejected) counts as accepted with errors: part of the
    group will be processed, and the sets carry their own ``rejected`` state.
    """
    if code == "A":
        return "accepted"
    if code in {"E", "P"}:
        return "accepted_with_errors"
    return "rejected"


def set_state(code: str) -> AckState:
    """AK501/IK501 -> set state: A accepted, E accepted with errors, M/R/W/X rejected."""
    if code == "A":
        return "accepted"
    if code == "E":
        return "accepted_with_errors"
    return "rejected"


def rollup(states: list[AckState]) -> AckState:
    """An interchange's state from its groups': pending until every group has its ack."""
    if not states or "pending" in states:
        return "pending"
    if all(s == "accepted" for s in states):
        return "accepted"
    if all(s == "rejected" for s in states):
        return "rejected"
    return "accepted_with_errors"


class X12Control(abc.ABC):
    """Durable control numbers per partner and the outbound interchange register."""

    @abc.abstractmethod
    async def allocate(self, partner: str, kind: ControlKind, key: str) -> int:
        """The control number for ``key``: the same key always gets the same number.

        A new key takes the partner's next number of that ``kind`` (1, 2, ...,
        999 999 999, then 1 again). Format ISA13 as ``f"{n:09d}"``; GS06 and ST02 as you like
        (``str(n)``, ``f"{n:04d}"``).
        """

    @abc.abstractmethod
    async def allocate_many(self, partner: str, kind: ControlKind, keys: list[str]) -> list[int]:
        """:meth:`allocate` for several keys in one transaction, in the order given."""

    @abc.abstractmethod
    async def set_next(self, partner: str, kind: ControlKind, number: int) -> None:
        """Make ``number`` the next new allocation (migrating a partner from another system)."""

    @abc.abstractmethod
    async def last_allocated(self, partner: str, kind: ControlKind) -> int | None:
        """The last number handed out, or None before the first allocation."""

    @abc.abstractmethod
    async def record_outbound(
        self,
        partner: str,
        isa13: str,
        *,
        kind: str,
        groups: list[SentGroup],
        sender: str = "",
        receiver: str = "",
        message_id: str | None = None,
        delivery_id: str | None = None,
        sent_at: float | None = None,
        expects_ack: bool = True,
        ack_overdue_after: float | None = None,
    ) -> bool:
        """Remember an interchange we are sending; False when it was already recorded.

        Idempotent for a retried delivery: a second call with the same partner, ISA13 and message
        id changes nothing. A different message id under a known ISA13 means the numbering
        wrapped around: the old record (and its groups) is replaced. ``ack_due_at`` is
        ``sent_at + ack_overdue_after`` when an ack is expected and ``ack_overdue_after`` is set.
        """

    @abc.abstractmethod
    async def emit(
        self,
        outbound: OutboundX12,
        *,
        isa13: str,
        kind: str,
        groups: list[SentGroup],
        sender: str = "",
        receiver: str = "",
        now: float | None = None,
        expects_ack: bool = False,
        ack_overdue_after: float | None = None,
    ) -> bool:
        """Journal ``outbound`` (message, events, delivery) and record it, in one transaction.

        False (and nothing written) when the message id is already journaled: emitting is
        idempotent per message id. The record's ``sent_at`` is ``now`` (queued); the delivery
        worker may move it with :meth:`mark_sent`.
        """

    @abc.abstractmethod
    async def mark_sent(self, partner: str, isa13: str, sent_at: float) -> bool:
        """The delivery went out at ``sent_at``: move ``sent_at`` (and the due time with it)."""

    @abc.abstractmethod
    async def reconcile(
        self,
        partner: str,
        groups: list[AckedGroup],
        *,
        ack_message_id: str | None = None,
        received_at: float | None = None,
    ) -> ReconcileResult:
        """Apply a received 997/999 (one :class:`AckedGroup` per ST..SE of it).

        Each group is matched to the partner's sent group with the same functional id and GS06,
        the most recently sent first; when the ack lists sets, a candidate must contain every
        listed ST02. A match takes the ack's group and set states (a later ack for the same group
        overrides an earlier one) and the interchange's state becomes the rollup of its groups'.
        Groups we never sent are reported in ``unmatched``, not raised: the ack is still journaled.
        """

    @abc.abstractmethod
    async def reconcile_ta1(
        self,
        partner: str,
        ta1: AckedInterchange,
        *,
        ack_message_id: str | None = None,
        received_at: float | None = None,
    ) -> ReconcileResult:
        """Apply a received TA1 to the interchange of ``partner`` whose ISA13 is its TA101.

        TA104 ``R`` rejects the interchange for good (``ta1_code`` ``R``); ``A`` and ``E`` record
        the code and TA105 note and leave the state to the 997/999 (a TA1 acknowledges the
        envelope only), so a pending interchange stays pending. An ISA13 never sent to this
        partner, or a TA1 whose ISA parties are not the recorded ones swapped, is reported in
        ``unmatched``, not raised: the TA1 is journaled either way.
        """

    @abc.abstractmethod
    async def overdue(
        self, now: float, after_seconds: float | None = None
    ) -> list[OutboundInterchange]:
        """Pending interchanges whose ack is late, oldest first.

        Late means ``ack_due_at <= now`` (the partner's setting at record time), or, when
        ``after_seconds`` is given, ``sent_at + after_seconds <= now`` for every pending one.
        """

    @abc.abstractmethod
    async def interchanges(
        self,
        *,
        partner: str | None = None,
        state: InterchangeState | None = None,
        now: float | None = None,
        limit: int = 100,
        before: tuple[float, str, str] | None = None,
    ) -> list[OutboundInterchange]:
        """The register for operations, newest first.

        Keyset pages: ``before`` is the last item's ``(sent_at, partner, isa13)``, so items sent
        at the same instant are neither skipped nor repeated across pages.

        ``state="overdue"`` lists pending interchanges past due; ``state="pending"`` lists those
        not yet due. ``now`` defaults to the current time.
        """

    @abc.abstractmethod
    async def get(
        self, partner: str, isa13: str, now: float | None = None
    ) -> OutboundInterchange | None:
        """One recorded interchange with its groups, or None."""


# -- SQLite --------------------------------------------------------------------------------------

_OUTBOUND_COLUMNS = (
    "partner, isa13, kind, sender, receiver, message_id, delivery_id, sent_at, expects_ack,"
    " ack_due_at, state, acked_at, ack_message_id, ta1_code"
)
_sets_decode = msgspec.json.Decoder(list[SentSet]).decode
_codes_decode = msgspec.json.Decoder(list[str]).decode


def control_key(number: str) -> str:
    """GS06/ST02 as compared: ``000005`` and ``5`` are the same group (an ack may drop zeros)."""
    text = number.strip()
    return str(int(text)) if is_digits(text) else text


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"control number kind {kind!r}: expected one of {', '.join(KINDS)}")


def _allocate(conn: sqlite3.Connection, partner: str, kind: str, key: str, now: float) -> int:
    row = conn.execute(
        "SELECT number FROM x12_control_allocations WHERE partner = ? AND kind = ? AND key = ?",
        (partner, kind, key),
    ).fetchone()
    if row is not None:
        return int(row[0])
    row = conn.execute(
        "INSERT INTO x12_control_counters (partner, kind, last, updated_at) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (partner, kind) DO UPDATE SET"
        " last = x12_control_counters.last % 999999999 + 1,"  # MAX_CONTROL_NUMBER
        " updated_at = excluded.updated_at"
        " RETURNING last",
        (partner, kind, now),
    ).fetchone()
    number = int(row[0])
    conn.execute(
        "INSERT INTO x12_control_allocations (partner, kind, key, number, allocated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (partner, kind, key, number, now),
    )
    return number


def _groups(conn: sqlite3.Connection, partner: str, isa13: str) -> list[SentGroup]:
    rows = conn.execute(
        "SELECT gs06, functional_id, version, state, ack_code, error_codes, sets"
        " FROM x12_outbound_groups WHERE partner = ? AND isa13 = ? ORDER BY rowid",
        (partner, isa13),
    ).fetchall()
    return [
        SentGroup(
            control_number=r[0],
            functional_id=r[1],
            version=r[2],
            state=r[3],
            ack_code=r[4],
            error_codes=_codes_decode(r[5]),
            sets=_sets_decode(r[6]),
        )
        for r in rows
    ]


def _interchange(conn: sqlite3.Connection, row: tuple[Any, ...], now: float) -> OutboundInterchange:
    state = row[10]
    if state == "pending" and row[9] is not None and row[9] <= now:
        state = "overdue"
    return OutboundInterchange(
        partner=row[0],
        isa13=row[1],
        kind=row[2],
        sender=row[3],
        receiver=row[4],
        message_id=row[5],
        delivery_id=row[6],
        sent_at=row[7],
        expects_ack=bool(row[8]),
        ack_due_at=row[9],
        state=state,
        acked_at=row[11],
        ack_message_id=row[12],
        ta1_code=row[13],
        groups=_groups(conn, row[0], row[1]),
        ta1=None if row[13] is None else read_ta1_record(conn, row[0], row[1]),
    )


def _insert_group(conn: sqlite3.Connection, partner: str, isa13: str, g: SentGroup) -> None:
    conn.execute(
        "INSERT INTO x12_outbound_groups (partner, isa13, gs06, functional_id, version, state,"
        " ack_code, error_codes, sets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            partner,
            isa13,
            control_key(g.control_number),
            g.functional_id,
            g.version,
            g.state,
            g.ack_code,
            _json_encode(g.error_codes),
            _json_encode(g.sets),
        ),
    )


def _apply_sets(recorded: list[SentSet], acked: list[AckedSet]) -> list[SentSet]:
    by_number = {control_key(a.control_number): a for a in acked}
    out = []
    for s in recorded:
        a = by_number.get(control_key(s.control_number))
        if a is None:
            out.append(s)
            continue
        out.append(
            msgspec.structs.replace(
                s,
                state=set_state(a.code),
                code=a.code,
                error_codes=a.error_codes,
                errors=a.errors,
            )
        )
    return out


class _Record(msgspec.Struct, frozen=True, kw_only=True):
    """One register entry to write inside a writer job (alone, or with its message)."""

    partner: str
    isa13: str
    kind: str
    groups: list[SentGroup]
    sender: str
    receiver: str
    message_id: str | None
    delivery_id: str | None
    sent_at: float
    expects_ack: bool
    ack_overdue_after: float | None

    def write(self, conn: sqlite3.Connection) -> bool:
        """Insert (or, after a wrap-around, replace) the entry; False when already recorded."""
        row = conn.execute(
            "SELECT message_id FROM x12_outbound WHERE partner = ? AND isa13 = ?",
            (self.partner, self.isa13),
        ).fetchone()
        if row is not None:
            if row[0] == self.message_id:
                return False
            # the nine digits wrapped around: this ISA13 now names a new interchange
            for table in ("x12_outbound_groups", "x12_outbound_ta1", "x12_outbound"):
                conn.execute(
                    f"DELETE FROM {table} WHERE partner = ? AND isa13 = ?",  # noqa: S608
                    (self.partner, self.isa13),
                )
        due = None
        if self.expects_ack and self.ack_overdue_after:
            due = self.sent_at + self.ack_overdue_after
        conn.execute(
            f"INSERT INTO x12_outbound ({_OUTBOUND_COLUMNS})"  # noqa: S608 - fixed columns
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
            (
                self.partner,
                self.isa13,
                self.kind,
                self.sender,
                self.receiver,
                self.message_id,
                self.delivery_id,
                self.sent_at,
                int(self.expects_ack),
                due,
                "pending" if self.expects_ack else "not_expected",
            ),
        )
        for g in self.groups:
            _insert_group(conn, self.partner, self.isa13, g)
        return True


class SqliteX12Control(X12Control):
    """The register in the journal's SQLite file, on its writer (tables: sql/10_x12_control.sql)."""

    def __init__(self, journal: SqliteJournal) -> None:
        self._journal = journal

    async def _run(self, job: Any) -> Any:
        return await self._journal.writer.run(job)

    async def allocate(self, partner: str, kind: ControlKind, key: str) -> int:
        """See :meth:`X12Control.allocate`."""
        _check_kind(kind)
        now = time.time()
        number: int = await self._run(lambda conn: _allocate(conn, partner, kind, key, now))
        return number

    async def allocate_many(self, partner: str, kind: ControlKind, keys: list[str]) -> list[int]:
        """See :meth:`X12Control.allocate_many`."""
        _check_kind(kind)
        now = time.time()

        def job(conn: sqlite3.Connection) -> list[int]:
            return [_allocate(conn, partner, kind, key, now) for key in keys]

        numbers: list[int] = await self._run(job)
        return numbers

    async def set_next(self, partner: str, kind: ControlKind, number: int) -> None:
        """See :meth:`X12Control.set_next`."""
        _check_kind(kind)
        if not 1 <= number <= MAX_CONTROL_NUMBER:
            raise ValueError(f"next control number {number}: expected 1..{MAX_CONTROL_NUMBER}")
        last = MAX_CONTROL_NUMBER if number == 1 else number - 1
        now = time.time()
        await self._run(
            lambda conn: conn.execute(
                "INSERT INTO x12_control_counters (partner, kind, last, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (partner, kind) DO UPDATE SET"
                " last = excluded.last, updated_at = excluded.updated_at",
                (partner, kind, last, now),
            )
        )

    async def last_allocated(self, partner: str, kind: ControlKind) -> int | None:
        """See :meth:`X12Control.last_allocated`."""
        _check_kind(kind)

        def job(conn: sqlite3.Connection) -> int | None:
            row = conn.execute(
                "SELECT last FROM x12_control_counters WHERE partner = ? AND kind = ?",
                (partner, kind),
            ).fetchone()
            return None if row is None else int(row[0])

        found: int | None = await self._run(job)
        return found

    async def record_outbound(
        self,
        partner: str,
        isa13: str,
        *,
        kind: str,
        groups: list[SentGroup],
        sender: str = "",
        receiver: str = "",
        message_id: str | None = None,
        delivery_id: str | None = None,
        sent_at: float | None = None,
        expects_ack: bool = True,
        ack_overdue_after: float | None = None,
    ) -> bool:
        """See :meth:`X12Control.record_outbound`."""
        at = time.time() if sent_at is None else sent_at
        record = _Record(
            partner=partner,
            isa13=isa13,
            kind=kind,
            groups=groups,
            sender=sender,
            receiver=receiver,
            message_id=message_id,
            delivery_id=delivery_id,
            sent_at=at,
            expects_ack=expects_ack,
            ack_overdue_after=ack_overdue_after,
        )
        recorded: bool = await self._run(record.write)
        return recorded

    async def emit(
        self,
        outbound: OutboundX12,
        *,
        isa13: str,
        kind: str,
        groups: list[SentGroup],
        sender: str = "",
        receiver: str = "",
        now: float | None = None,
        expects_ack: bool = False,
        ack_overdue_after: float | None = None,
    ) -> bool:
        """See :meth:`X12Control.emit`."""
        at = time.time() if now is None else now
        o = outbound
        record = _Record(
            partner=o.partner,
            isa13=isa13,
            kind=kind,
            groups=groups,
            sender=sender,
            receiver=receiver,
            message_id=o.message_id,
            delivery_id=o.delivery_id,
            sent_at=at,
            expects_ack=expects_ack,
            ack_overdue_after=ack_overdue_after,
        )

        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM messages WHERE id = ?", (o.message_id,)).fetchone():
                return False
            conn.execute(
                "INSERT INTO messages (id, partner, channel, document_type, content_type, raw,"
                " received_at, trace_id, business_keys, state, stage, canonical, available_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'done', 'route', ?, ?, ?)",
                (
                    o.message_id,
                    o.partner,
                    o.channel,
                    o.document_type,
                    o.content_type,
                    o.payload,
                    at,
                    o.trace_id,
                    _json_encode(o.business_keys),
                    o.payload,
                    at,
                    at,
                ),
            )
            for stage, detail in (
                ("emit", {**o.detail, "bytes": len(o.payload), "isa13": isa13, "kind": kind}),
                ("route", {"destinations": [o.destination]}),
            ):
                _insert_event(
                    conn,
                    Event(message_id=o.message_id, stage=stage, outcome="ok", at=at, detail=detail),
                )
            conn.execute(
                "INSERT INTO deliveries (id, message_id, destination, idempotency_key, state,"
                " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                (o.delivery_id, o.message_id, o.destination, o.idempotency_key, at, at, at),
            )
            record.write(conn)
            return True

        emitted: bool = await self._run(job)
        return emitted

    async def mark_sent(self, partner: str, isa13: str, sent_at: float) -> bool:
        """See :meth:`X12Control.mark_sent`."""

        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE x12_outbound SET ack_due_at = ack_due_at - sent_at + ?, sent_at = ?"
                " WHERE partner = ? AND isa13 = ?",
                (sent_at, sent_at, partner, isa13),
            )
            return cur.rowcount > 0

        changed: bool = await self._run(job)
        return changed

    async def reconcile(
        self,
        partner: str,
        groups: list[AckedGroup],
        *,
        ack_message_id: str | None = None,
        received_at: float | None = None,
    ) -> ReconcileResult:
        """See :meth:`X12Control.reconcile`."""
        at = time.time() if received_at is None else received_at

        def job(conn: sqlite3.Connection) -> ReconcileResult:
            matched: list[dict[str, str]] = []
            unmatched: list[dict[str, str]] = []
            for acked in groups:
                found = self._match(conn, partner, acked)
                if isinstance(found, str):
                    unmatched.append(
                        {
                            "functional_id": acked.functional_id,
                            "gs06": acked.control_number,
                            "reason": found,
                        }
                    )
                    continue
                isa13, sets = found
                gstate = group_state(acked.code)
                conn.execute(
                    "UPDATE x12_outbound_groups SET state = ?, ack_code = ?, error_codes = ?,"
                    " sets = ? WHERE partner = ? AND isa13 = ? AND gs06 = ?",
                    (
                        gstate,
                        acked.code,
                        _json_encode(acked.error_codes),
                        _json_encode(_apply_sets(sets, acked.sets)),
                        partner,
                        isa13,
                        control_key(acked.control_number),
                    ),
                )
                states = [
                    r[0]
                    for r in conn.execute(
                        "SELECT state FROM x12_outbound_groups WHERE partner = ? AND isa13 = ?",
                        (partner, isa13),
                    )
                ]
                ich_state = rollup(states)
                # a TA1 rejection stands; an interchange that expected no ack stays so until
                # every group is acknowledged
                conn.execute(
                    "UPDATE x12_outbound SET state = CASE WHEN ta1_code = 'R' THEN 'rejected'"
                    " WHEN ? = 'pending' AND state = 'not_expected' THEN state ELSE ? END,"
                    " acked_at = ?, ack_message_id = ? WHERE partner = ? AND isa13 = ?",
                    (ich_state, ich_state, at, ack_message_id, partner, isa13),
                )
                matched.append(
                    {
                        "isa13": isa13,
                        "gs06": acked.control_number,
                        "functional_id": acked.functional_id,
                        "state": gstate,
                        "interchange_state": ich_state,
                    }
                )
            return ReconcileResult(matched=matched, unmatched=unmatched)

        result: ReconcileResult = await self._run(job)
        return result

    @staticmethod
    def _match(
        conn: sqlite3.Connection, partner: str, acked: AckedGroup
    ) -> tuple[str, list[SentSet]] | str:
        """(isa13, recorded sets) of the sent group this ack is about, or why there is none."""
        rows = conn.execute(
            "SELECT g.isa13, g.sets FROM x12_outbound_groups g JOIN x12_outbound o"
            " ON o.partner = g.partner AND o.isa13 = g.isa13"
            " WHERE g.partner = ? AND g.functional_id = ? AND g.gs06 = ?"
            " ORDER BY (g.state = 'pending') DESC, o.sent_at DESC",
            (partner, acked.functional_id, control_key(acked.control_number)),
        ).fetchall()
        if not rows:
            return (
                f"no {acked.functional_id} group with GS06 {acked.control_number} was sent to "
                f"{partner}"
            )
        wanted = {control_key(s.control_number) for s in acked.sets}
        for isa13, raw_sets in rows:
            sets = _sets_decode(raw_sets)
            if wanted <= {control_key(s.control_number) for s in sets}:
                return isa13, sets
        return (
            f"{acked.functional_id} group {acked.control_number} sent to {partner} has no set "
            f"with ST02 {', '.join(s.control_number for s in acked.sets)}"
        )

    async def reconcile_ta1(
        self,
        partner: str,
        ta1: AckedInterchange,
        *,
        ack_message_id: str | None = None,
        received_at: float | None = None,
    ) -> ReconcileResult:
        """See :meth:`X12Control.reconcile_ta1`."""
        at = time.time() if received_at is None else received_at

        def job(conn: sqlite3.Connection) -> ReconcileResult:
            matched, unmatched = apply_ta1(conn, partner, ta1, ack_message_id=ack_message_id, at=at)
            return ReconcileResult(matched=matched, unmatched=unmatched)

        result: ReconcileResult = await self._run(job)
        return result

    async def overdue(
        self, now: float, after_seconds: float | None = None
    ) -> list[OutboundInterchange]:
        """See :meth:`X12Control.overdue`."""

        def job(conn: sqlite3.Connection) -> list[OutboundInterchange]:
            if after_seconds is None:
                rows = conn.execute(
                    f"SELECT {_OUTBOUND_COLUMNS} FROM x12_outbound"  # noqa: S608
                    " WHERE state = 'pending' AND ack_due_at <= ? ORDER BY sent_at",
                    (now,),
                ).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {_OUTBOUND_COLUMNS} FROM x12_outbound"  # noqa: S608
                    " WHERE state = 'pending' AND sent_at + ? <= ? ORDER BY sent_at",
                    (after_seconds, now),
                ).fetchall()
            found = [_interchange(conn, r, now) for r in rows]
            return [msgspec.structs.replace(i, state="overdue") for i in found]

        result: list[OutboundInterchange] = await self._run(job)
        return result

    async def interchanges(
        self,
        *,
        partner: str | None = None,
        state: InterchangeState | None = None,
        now: float | None = None,
        limit: int = 100,
        before: tuple[float, str, str] | None = None,
    ) -> list[OutboundInterchange]:
        """See :meth:`X12Control.interchanges`."""
        at = time.time() if now is None else now
        where: list[str] = []
        params: list[Any] = []
        if partner is not None:
            where.append("partner = ?")
            params.append(partner)
        if before is not None:
            where.append("(sent_at, partner, isa13) < (?, ?, ?)")
            params.extend(before)
        if state == "overdue":
            where.append("state = 'pending' AND ack_due_at <= ?")
            params.append(at)
        elif state == "pending":
            where.append("state = 'pending' AND (ack_due_at IS NULL OR ack_due_at > ?)")
            params.append(at)
        elif state is not None:
            where.append("state = ?")
            params.append(state)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        params.append(limit)

        def job(conn: sqlite3.Connection) -> list[OutboundInterchange]:
            rows = conn.execute(
                f"SELECT {_OUTBOUND_COLUMNS} FROM x12_outbound{clause}"  # noqa: S608
                " ORDER BY sent_at DESC, partner DESC, isa13 DESC LIMIT ?",
                params,
            ).fetchall()
            return [_interchange(conn, r, at) for r in rows]

        result: list[OutboundInterchange] = await self._run(job)
        return result

    async def get(
        self, partner: str, isa13: str, now: float | None = None
    ) -> OutboundInterchange | None:
        """See :meth:`X12Control.get`."""
        at = time.time() if now is None else now

        def job(conn: sqlite3.Connection) -> OutboundInterchange | None:
            row = conn.execute(
                f"SELECT {_OUTBOUND_COLUMNS} FROM x12_outbound"  # noqa: S608
                " WHERE partner = ? AND isa13 = ?",
                (partner, isa13),
            ).fetchone()
            return None if row is None else _interchange(conn, row, at)

        result: OutboundInterchange | None = await self._run(job)
        return result


__all__ = [
    "KINDS",
    "MAX_CONTROL_NUMBER",
    "AckState",
    "AckedGroup",
    "AckedInterchange",
    "AckedSet",
    "ControlKind",
    "InterchangeState",
    "OutboundInterchange",
    "OutboundX12",
    "ReconcileResult",
    "SentGroup",
    "SentSet",
    "SqliteX12Control",
    "Ta1Record",
    "X12Control",
    "control_key",
    "group_state",
    "rollup",
    "set_state",
]
