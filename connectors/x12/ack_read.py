"""Read a partner's 997 or 999 back into verdicts: which of our groups and sets they accepted.

Reconciliation needs only the control numbers and codes: AK1 (functional id, our GS06), each
AK2 (set id, our ST02) with its AK3/IK3 segment errors (and their AK4/IK4 element errors and
CTX context) and the AK5/IK5 code, and AK9. The set must have passed the reader's checks
(``connectors.x12._rules`` defines the acknowledgement segments' elements), so a malformed ack
is refused with the reader's error, never half-applied: :class:`DecodeError` names the segment,
its position in the set and the element.
"""

from __future__ import annotations

from typing import Any

import msgspec

from connectors.errors import DecodeError
from connectors.x12._decode import decode
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
    return int(value) if value.isdigit() else 0


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


def read_acks(raw: bytes) -> list[ReceivedAck]:
    """Every 997/999 set in ``raw``, in order; the first malformed one raises DecodeError."""
    return [read_ack_set(s) for s in decode(raw) if s.set_id in ACK_SET_IDS]


__all__ = ["ACK_SET_IDS", "ReceivedAck", "ReceivedSetAck", "read_ack_set", "read_acks"]
