"""A partner's TA1 applied to the outbound register (the SQLite side of ``reconcile_ta1``).

Why a TA1 is handled apart from 997/999: it acknowledges the *envelope* only (TA101 = the ISA13
we sent, TA104 ``A`` accepted, ``E`` accepted with errors noted, ``R`` rejected, TA105 the note
code), never a group or a set. So:

- ``R`` rejects the interchange for good: nothing inside a rejected envelope was processed, and
  a 997/999 that comes later does not lift it (``reconcile`` keeps ``ta1_code = 'R'`` rejected);
- ``A`` and ``E`` record the code and the note but leave the state alone. An interchange that
  expects a 997/999 stays ``pending`` (and goes ``overdue``) until its functional ack comes: an
  accepted envelope says nothing about the documents. One that expects no ack stays
  ``not_expected``. The partner settings have no "TA1 only" expectation, so a TA1 never settles
  an interchange as ``accepted`` by itself;
- after an ``R``, a later ``A``/``E`` for the same ISA13 changes nothing (reported as ignored).

Matching is by partner and ISA13 (leading zeros ignored, as our ISA13s are nine digits). When
the register knows the parties, the TA1's ISA must come from the partner's id to ours (sender
and receiver swapped): a TA1 from another id that happens to name one of our numbers is
reported, not applied. An unknown TA101 is reported the same way; neither is raised, since the
TA1 is journaled either way.
"""

from __future__ import annotations

import sqlite3

import msgspec


class AckedInterchange(msgspec.Struct, frozen=True, kw_only=True):
    """One received TA1 as the register needs it.

    ``sender``/``receiver`` are the TA1 interchange's own ISA parties (``qualifier:id``); ""
    skips the party check (a caller that does not know them).
    """

    control_number: str  # TA101 = our ISA13
    code: str  # TA104: A, E or R
    note: str = ""  # TA105
    date: str = ""  # TA102
    time: str = ""  # TA103
    sender: str = ""
    receiver: str = ""


class Ta1Record(msgspec.Struct, frozen=True, kw_only=True):
    """The latest TA1 recorded for an interchange: code, note, its date/time, and its message."""

    code: str
    note: str
    date: str
    time: str
    message_id: str | None
    received_at: float


def interchange_key(number: str) -> str:
    """TA101 as our ISA13 is stored: nine digits (a partner may drop the leading zeros)."""
    text = number.strip()
    return text.zfill(9) if text.isdigit() and len(text) <= 9 else text


def same_party(recorded: str, seen: str) -> bool:
    """True when ``recorded`` (``qualifier:id``, a bare id, or "" = unknown) names ``seen``.

    The register holds ``qualifier:id`` for interchanges we start as acks and the bare id for
    those the X12 destinations send, so both forms are accepted.
    """
    if not recorded.strip() or not seen:
        return True
    return recorded.strip() in {seen, seen.split(":", 1)[-1]}


def read_ta1_record(conn: sqlite3.Connection, partner: str, isa13: str) -> Ta1Record | None:
    """The TA1 recorded for one interchange, or None."""
    row = conn.execute(
        "SELECT code, note, ta1_date, ta1_time, message_id, received_at FROM x12_outbound_ta1"
        " WHERE partner = ? AND isa13 = ?",
        (partner, isa13),
    ).fetchone()
    if row is None:
        return None
    return Ta1Record(
        code=row[0], note=row[1], date=row[2], time=row[3], message_id=row[4], received_at=row[5]
    )


def apply_ta1(
    conn: sqlite3.Connection,
    partner: str,
    ta1: AckedInterchange,
    *,
    ack_message_id: str | None,
    at: float,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(matched, unmatched) for one TA1, applied inside the caller's writer job."""
    isa13 = interchange_key(ta1.control_number)
    row = conn.execute(
        "SELECT state, ta1_code, sender, receiver FROM x12_outbound"
        " WHERE partner = ? AND isa13 = ?",
        (partner, isa13),
    ).fetchone()
    if row is None:
        return [], [{"isa13": isa13, "reason": f"no interchange {isa13} was sent to {partner}"}]
    state, stored_code, sender, receiver = row
    if not (same_party(sender, ta1.receiver) and same_party(receiver, ta1.sender)):
        reason = (
            f"interchange {isa13} went to {partner} from {sender} to {receiver}; this TA1 "
            f"comes from {ta1.sender} to {ta1.receiver}"
        )
        return [], [{"isa13": isa13, "reason": reason}]
    matched = {"isa13": isa13, "ta1_code": ta1.code, "ta1_note": ta1.note}
    if stored_code == "R" and ta1.code != "R":
        ignored = "an earlier TA1 R rejected this interchange for good"
        return [{**matched, "interchange_state": state, "ignored": ignored}], []
    _store(conn, partner, isa13, ta1, ack_message_id, at)
    if ta1.code == "R":
        conn.execute(
            "UPDATE x12_outbound SET state = 'rejected', ta1_code = ?, acked_at = ?,"
            " ack_message_id = COALESCE(?, ack_message_id) WHERE partner = ? AND isa13 = ?",
            (ta1.code, at, ack_message_id, partner, isa13),
        )
        state = "rejected"
    else:  # the envelope only: a pending interchange still waits for its 997/999
        conn.execute(
            "UPDATE x12_outbound SET ta1_code = ? WHERE partner = ? AND isa13 = ?",
            (ta1.code, partner, isa13),
        )
    return [{**matched, "interchange_state": state}], []


def _store(  # noqa: PLR0917 - one internal call site, inside the writer job
    conn: sqlite3.Connection,
    partner: str,
    isa13: str,
    ta1: AckedInterchange,
    message_id: str | None,
    at: float,
) -> None:
    conn.execute(
        "INSERT INTO x12_outbound_ta1 (partner, isa13, code, note, ta1_date, ta1_time,"
        " message_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (partner, isa13) DO UPDATE SET code = excluded.code,"
        " note = excluded.note, ta1_date = excluded.ta1_date, ta1_time = excluded.ta1_time,"
        " message_id = excluded.message_id, received_at = excluded.received_at",
        (partner, isa13, ta1.code, ta1.note, ta1.date, ta1.time, message_id, at),
    )


__all__ = ["AckedInterchange", "Ta1Record", "apply_ta1", "interchange_key", "read_ta1_record"]
