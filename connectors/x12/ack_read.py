"""Read a partner's 997 or 999 back into verdicts: which of our groups and sets they accepted.

Reconciliation needs only the control numbers and codes: AK1 (functional id, our GS06), each
AK2 (set id, our ST02) with its AK3/IK3 segment errors (and their AK4/IK4 element errors and
CTX context) and the AK5/IK5 code, and AK9. The set must have passed the reader's checks
(``connectors.x12._rules`` defines the acknowledgement segments' elements), so a malformed ack
is refused with the reader's error, never half-applied: :class:`DecodeError` names the segment,
its position in the set and the element.

A TA1 (interchange acknowledgement) is read by :func:`read_ta1` from the message acceptance
journals for it (its ISA, the TA1 and the IEA): TA101 (our ISA13), TA102/TA103 (our ISA09/ISA10
as they read them), TA104 (``A``, ``E``, ``R``) and TA105 (the note code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from connectors.errors import DecodeError
from connectors.text import is_digits
from connectors.x12._decode import decode, decode_with_summaries
from connectors.x12._model import Segment, X12Set

ACK_SET_IDS = frozenset({"997", "999"})
# GE01/IEA01 count the original interchange; a journaled set is a slice of it (see _messages)
_SLICING_CODES = frozenset({"ge01", "iea01"})


class ReceivedSetAck(msgspec.Struct, frozen=True, kw_only=True):
    """One AK2 loop: our set (AK201/AK202), the partner's code (AK501/IK501) and the errors."""

    set_id: str
    control_number: str
    code: str
    error_codes: list[str] = []
    errors: list[dict[str, Any]] = []


class ReceivedAck(msgspec.Struct, frozen=True, kw_only=True):
    """One received 997/999 set: the group it answers (AK1) and its verdict (AK9)."""

    kind: str  # "997" or "999"
    control_number: str  # the ack's own ST02
    functional_id: str  # AK101
    group_control_number: str  # AK102 = our GS06
    version: str  # AK103 (999), else ""
    code: str  # AK901
    included: int
    received: int
    accepted: int
    error_codes: list[str] = []
    sets: list[ReceivedSetAck] = []


def _int(value: str) -> int:
    return int(value) if is_digits(value) else 0


def read_ack_set(xset: X12Set) -> ReceivedAck:  # noqa: PLR0912 - one branch per segment id
    """The verdicts in one decoded 997/999 set; :class:`DecodeError` when it has errors."""
    if xset.set_id not in ACK_SET_IDS:
        raise DecodeError(
            f"decode: set {xset.set_id} {xset.control_number} is not a 997 or 999",
            code="not_an_ack",
            path="ST01",
        )
    errors = [
        i
        for i in (*xset.issues, *xset.envelope_issues)
        if i.severity == "error" and i.code not in _SLICING_CODES
    ]
    if errors:
        first = errors[0]
        where = first.segment_id or "segment"
        if first.element:
            where += f" {first.element}"
        if first.set_position:
            where += f" at set position {first.set_position}"
        raise DecodeError(
            f"{xset.set_id} {xset.control_number}: {first.message}",
            code=first.code,
            path=where,
            found=first.found,
        )
    comp = xset.interchange.separators.component
    ak1: Segment | None = None
    ak9: Segment | None = None
    sets: list[ReceivedSetAck] = []
    current: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def close_set() -> None:
        nonlocal current
        if current is not None:
            sets.append(ReceivedSetAck(**current))
        current = None

    for seg in xset.segments:
        sid = seg.id
        if sid == "AK1":
            ak1 = seg
        elif sid == "AK2":
            close_set()
            current = {"set_id": seg.get(1), "control_number": seg.get(2), "code": ""}
            current["errors"] = []
        elif sid in {"AK3", "IK3"} and current is not None:
            error = {
                "segment": seg.get(1),
                "position": _int(seg.get(2)),
                "loop": seg.get(3),
                "code": seg.get(4),
                "elements": [],
                "context": [],
            }
            current["errors"].append(error)
        elif sid in {"AK4", "IK4"} and error is not None:
            position = seg.get(1).split(comp)
            error["elements"].append(
                {
                    "position": _int(position[0]),
                    "component": _int(position[1]) if len(position) > 1 else 0,
                    "reference": seg.get(2),
                    "code": seg.get(3),
                    "value": seg.get(4),
                }
            )
        elif sid == "CTX" and error is not None:
            error["context"].append(list(seg.elements))
        elif sid in {"AK5", "IK5"} and current is not None:
            current["code"] = seg.get(1)
            current["error_codes"] = [e for e in seg.elements[1:] if e]
            error = None
        elif sid == "AK9":
            ak9 = seg
    close_set()
    if ak1 is None or ak9 is None:
        missing = "AK1" if ak1 is None else "AK9"
        raise DecodeError(
            f"{xset.set_id} {xset.control_number}: no {missing} segment; expected AK1 naming "
            "the acknowledged group and AK9 with its verdict",
            code="ack_incomplete",
            path=missing,
        )
    return ReceivedAck(
        kind=xset.set_id,
        control_number=xset.control_number,
        functional_id=ak1.get(1),
        group_control_number=ak1.get(2),
        version=ak1.get(3),
        code=ak9.get(1),
        included=_int(ak9.get(2)),
        received=_int(ak9.get(3)),
        accepted=_int(ak9.get(4)),
        error_codes=[e for e in ak9.elements[4:] if e],
        sets=sets,
    )


class ReceivedTa1(msgspec.Struct, frozen=True, kw_only=True):
    """One received TA1: the interchange of ours it answers (TA101) and their verdict (TA104).

    ``sender`` and ``receiver`` are the TA1 interchange's own ISA parties (``qualifier:id``):
    the partner and us, the other way round from the interchange it acknowledges.
    """

    control_number: str  # TA101 = our ISA13
    date: str  # TA102 = our ISA09, as they read it
    time: str  # TA103 = our ISA10
    code: str  # TA104: A accepted, E accepted with errors noted, R rejected
    note: str  # TA105: the interchange note code (000 = no error), "" when absent
    sender: str
    receiver: str
    isa13: str  # the TA1 interchange's own ISA13


# (element, what it must be, pattern, code when it is not); a missing one is missing_element
_TA1_CHECKS = (
    (1, "one of our ISA13s (1-9 digits)", re.compile(r"\d{1,9}"), "bad_numeric"),
    (4, "the acknowledgment code A, E or R", re.compile(r"[AER]"), "bad_code"),
    (5, "an interchange note code (three digits)", re.compile(r"\d{3}"), "bad_code"),
)
_TA1_REQUIRED = frozenset({1, 4})  # what matching and the verdict cannot do without


def read_ta1(raw: bytes, business_keys: Mapping[str, str] | None = None) -> ReceivedTa1:
    """The TA1 of one journaled TA1 message; :class:`DecodeError` when it cannot be trusted.

    Refused, so that nothing of it is applied: an interchange that failed its own checks (now,
    or at acceptance: ``x12_error`` in ``business_keys``), a message without exactly one TA1, a
    missing or non-numeric TA101, a TA104 other than ``A``/``E``/``R``, a TA105 that is not
    three digits. TA102/TA103 are kept as written: matching is on TA101 and nothing acts on them.
    """
    keys = business_keys or {}
    _, summaries = decode_with_summaries(raw, trees=False)
    found = [(summary, seg) for summary in summaries for seg in summary.ta1s]
    if len(found) != 1:
        raise DecodeError(
            f"decode: expected one TA1 in the message, found {len(found)}",
            code="x12_ta1_count",
            path="TA1",
        )
    [(summary, seg)] = found
    errors = [
        i
        for s in summaries
        for i in s.issues
        if i.severity == "error" and i.code not in _SLICING_CODES
    ]
    if errors:
        first = errors[0]
        where = f"{first.segment_id} {first.element}".strip() if first.segment_id else "ISA"
        raise DecodeError(
            f"TA1 {seg.get(1)}: {first.message}", code=first.code, path=where, found=first.found
        )
    if "x12_error" in keys:
        raise DecodeError(
            f"decode: the interchange this TA1 came in failed the {keys['x12_error']} check at "
            f"acceptance ({keys.get('x12_error_at', 'position unknown')})",
            code=keys["x12_error"],
            path=keys.get("x12_error_at"),
        )
    _check_ta1(seg)
    h = summary.header
    return ReceivedTa1(
        control_number=seg.get(1),
        date=seg.get(2),
        time=seg.get(3),
        code=seg.get(4),
        note=seg.get(5),
        sender=f"{h.sender_qualifier}:{h.sender_id}",
        receiver=f"{h.receiver_qualifier}:{h.receiver_id}",
        isa13=h.control_number,
    )


def _check_ta1(seg: Segment) -> None:
    """DecodeError naming the first TA1 element matching or the verdict cannot use."""
    for position, what, pattern, bad in _TA1_CHECKS:
        value = seg.get(position)
        name = f"TA1{position:02d}"
        if not value and position not in _TA1_REQUIRED:
            continue
        if not value:
            problem, code = f"{name} is missing; expected {what}", "missing_element"
        elif pattern.fullmatch(value) is None:
            problem, code = f"{name} {value!r} is not {what}", bad
        else:
            continue
        raise DecodeError(
            f"decode: TA1 at segment {seg.number} (byte {seg.offset}): {problem}",
            code=code,
            path=f"TA1 {name}",
            found=value,
        )


def read_acks(raw: bytes) -> list[ReceivedAck]:
    """Every 997/999 set in ``raw``, in order; the first malformed one raises DecodeError."""
    return [read_ack_set(s) for s in decode(raw) if s.set_id in ACK_SET_IDS]


__all__ = [
    "ACK_SET_IDS",
    "ReceivedAck",
    "ReceivedSetAck",
    "ReceivedTa1",
    "read_ack_set",
    "read_acks",
    "read_ta1",
]
