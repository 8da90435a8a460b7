"""One journal message per transaction set, and the decode stage's view of one such message.

**What a set's message holds.** The partner's own bytes, never bytes we made up: the ISA and GS
segments exactly as received, the set's ST..SE exactly as received (``raw_range``), then the GE
and IEA exactly as received. So a message is a small, valid-looking interchange that any X12
tool reads, keeps the partner's separators, and costs its set's size (not the whole
interchange's, which for a file of a thousand 850s would store each set a thousand times).
Slicing changes two things that are therefore not re-checked when the set is read again: GE01
and IEA01 count the sets and groups of the *original* interchange. The verdict on those counts
is made once, at acceptance, on the whole interchange and travels in the business keys
(``x12_error``, ``x12_error_at``).

**Document type.** The canonical contract type when X12 has one (850 -> ``order``, 856 ->
``shipment``, 810 -> ``invoice``...: :data:`DOCUMENT_TYPES`), so mapping selection
(``<partner>/order.yaml``), validation and routing work as for any other channel; a set without
a canonical counterpart (997, 999, 943, 944) is ``x12.<set id>``.

**TA1.** A partner's interchange acknowledgement is a TA1 segment right inside an ISA..IEA, in no
set: alone (``ISA TA1 IEA``, the usual shape) or ahead of groups. It is what tells us whether they
took an interchange we sent, so it is journaled like a set (one message per TA1, ``set_id``
``TA1``, document type ``x12.TA1``): its ISA, the TA1 and the IEA exactly as received. An input
with TA1s and no set is therefore accepted, not refused as empty.
"""

from __future__ import annotations

import msgspec

from connectors.base import Decoded
from connectors.errors import DecodeError
from connectors.x12._decode import decode_with_summaries, no_sets_error
from connectors.x12._doctypes import DOCUMENT_TYPES, document_type
from connectors.x12._model import InterchangeSummary, Issue, Segment, X12Set
from connectors.x12._reader import Reader

# Counts of the original interchange; a sliced message legitimately differs from them.
_SLICING_CODES = frozenset({"ge01", "iea01"})
#: ``set_id`` of the message that carries one TA1 (an interchange acknowledgement, in no set)
TA1_SET_ID = "TA1"


class SetMessage(msgspec.Struct, frozen=True, kw_only=True):
    """What acceptance journals for one set (or one TA1): its bytes, type, keys and verdict.

    For a TA1, ``set_id`` is ``TA1`` and ``control_number`` its TA101 (the ISA13 it answers).
    """

    set_id: str
    control_number: str
    raw: bytes
    document_type: str
    business_keys: dict[str, str]
    accepted: bool
    error: Issue | None = None


def split_sets(raw: bytes) -> list[SetMessage]:
    """One :class:`SetMessage` per transaction set and per TA1 in ``raw``, in input order.

    Raises :class:`DecodeError` (code ``x12_no_sets``, the byte offset in ``path``) when
    ``raw`` holds neither a transaction set nor a TA1.
    """
    sets, summaries = decode_with_summaries(raw)
    ta1s = [(summary, ta1) for summary in summaries for ta1 in summary.ta1s]
    if not sets and not ta1s:
        raise no_sets_error(summaries)
    envelope = _envelope_segments(raw)
    found = [(xset.raw_range[0], _message(raw, xset, envelope)) for xset in sets]
    found += [(ta1.offset, _ta1_message(raw, s, ta1, envelope)) for s, ta1 in ta1s]
    return [message for _, message in sorted(found, key=lambda item: item[0])]


def _envelope_segments(raw: bytes) -> list[Segment]:
    """ISA, GS, GE and IEA segments with their byte ranges, in input order."""
    return [
        item
        for item in Reader(raw)
        if isinstance(item, Segment) and item.id in ("ISA", "GS", "GE", "IEA")
    ]


def _first_after(
    envelope: list[Segment], seg_id: str, offset: int, stop: tuple[str, ...]
) -> Segment | None:
    """The first ``seg_id`` after ``offset``, unless one of ``stop`` comes first."""
    for seg in envelope:
        if seg.offset <= offset:
            continue
        if seg.id == seg_id:
            return seg
        if seg.id in stop:
            return None
    return None


def _message(raw: bytes, xset: X12Set, envelope: list[Segment]) -> SetMessage:
    ich, grp = xset.interchange, xset.group
    start, end = xset.raw_range
    parts: list[bytes] = []
    isa = next((s for s in envelope if s.id == "ISA" and s.offset == ich.offset), None)
    if isa is not None:
        parts.append(raw[isa.offset : isa.end])
    if grp is not None:
        parts.append(_slice(raw, envelope, "GS", grp.offset))
    parts.append(raw[start:end])
    if grp is not None:
        ge = _first_after(envelope, "GE", end - 1, stop=("GS", "IEA", "ISA"))
        if ge is not None:
            parts.append(raw[ge.offset : ge.end])
    iea = _first_after(envelope, "IEA", end - 1, stop=("ISA",))
    if iea is not None:
        parts.append(raw[iea.offset : iea.end])
    keys = {
        "set_id": xset.set_id,
        "st02": xset.control_number,
        "isa13": ich.control_number,
        "sender": f"{ich.sender_qualifier}:{ich.sender_id}",
        "receiver": f"{ich.receiver_qualifier}:{ich.receiver_id}",
        "x12_offset": str(start),
    }
    if grp is not None:
        keys["gs06"] = grp.control_number
    error = next((i for i in (*xset.issues, *xset.envelope_issues) if i.severity == "error"), None)
    if error is not None:
        keys["x12_error"] = error.code
        keys["x12_error_at"] = f"byte {error.offset}"
    return SetMessage(
        set_id=xset.set_id,
        control_number=xset.control_number,
        raw=b"".join(parts),
        document_type=document_type(xset.set_id),
        business_keys=keys,
        accepted=error is None,
        error=error,
    )


def _ta1_message(
    raw: bytes, summary: InterchangeSummary, ta1: Segment, envelope: list[Segment]
) -> SetMessage:
    """The message for one TA1: its interchange's ISA, the TA1 and the IEA, as received.

    Its verdict is the interchange's: an interchange that failed its own checks (IEA02, a
    missing IEA...) cannot be trusted to say which of our interchanges it acknowledges.
    """
    ich = summary.header
    parts = [_slice(raw, envelope, "ISA", ich.offset), raw[ta1.offset : ta1.end]]
    iea = _first_after(envelope, "IEA", ta1.end - 1, stop=("ISA",))
    if iea is not None:
        parts.append(raw[iea.offset : iea.end])
    keys = {
        "set_id": TA1_SET_ID,
        "ta101": ta1.get(1),
        "isa13": ich.control_number,
        "sender": f"{ich.sender_qualifier}:{ich.sender_id}",
        "receiver": f"{ich.receiver_qualifier}:{ich.receiver_id}",
        "x12_offset": str(ta1.offset),
    }
    error = next((i for i in summary.issues if i.severity == "error"), None)
    if error is not None:
        keys["x12_error"] = error.code
        keys["x12_error_at"] = f"byte {error.offset}"
    return SetMessage(
        set_id=TA1_SET_ID,
        control_number=ta1.get(1),
        raw=b"".join(parts),
        document_type=document_type(TA1_SET_ID),
        business_keys=keys,
        accepted=error is None,
        error=error,
    )


def _slice(raw: bytes, envelope: list[Segment], seg_id: str, offset: int) -> bytes:
    seg = next(s for s in envelope if s.id == seg_id and s.offset == offset)
    return raw[seg.offset : seg.end]


def decode_set(raw: bytes, business_keys: dict[str, str] | None = None) -> Decoded:
    """The decode stage for one journalled set: its tree, or the first error as DecodeError.

    ``raw`` is a message made by :func:`split_sets`. The set is read again (syntax and envelope
    checks included); its first error raises :class:`DecodeError` with the issue's code and its
    position (set position, segment, element). Errors only the whole interchange could show
    (GE01/IEA01 counts) come from the acceptance verdict in ``business_keys``.
    """
    keys = business_keys or {}
    sets, _ = decode_with_summaries(raw)
    if len(sets) != 1:
        raise DecodeError(
            f"decode: expected one X12 transaction set in the message, found {len(sets)}",
            code="x12_set_count",
        )
    [xset] = sets
    errors = [
        i
        for i in (*xset.issues, *xset.envelope_issues)
        if i.severity == "error" and i.code not in _SLICING_CODES
    ]
    if errors:
        first = errors[0]
        inside = "x12_offset" in keys and first.offset >= xset.raw_range[0]
        origin = int(keys["x12_offset"]) - xset.raw_range[0] if inside else None
        raise DecodeError(
            first.message, code=first.code, path=_position(first, origin), found=first.found
        )
    if "x12_error" in keys:
        raise DecodeError(
            f"decode: the interchange this set came in failed the {keys['x12_error']} check at "
            f"acceptance ({keys.get('x12_error_at', 'position unknown')})",
            code=keys["x12_error"],
            path=keys.get("x12_error_at"),
        )
    decoded_keys = {k: v for k, v in keys.items() if not k.startswith("x12_")}
    return Decoded(
        tree=xset.tree, document_type=document_type(xset.set_id), business_keys=decoded_keys
    )


def _position(issue: Issue, origin: int | None) -> str:
    """Where an issue is: segment id, element, set position (as a 997 says it), received byte.

    ``origin`` turns an offset in the sliced message into one in the body the partner sent
    (known for the set's own segments only).
    """
    where = issue.segment_id or "segment"
    if issue.element:
        where += f" {issue.element}"
    if issue.set_position:
        where += f" at set position {issue.set_position}"
    if origin is None:
        return where
    return f"{where} (byte {issue.offset + origin} of the received body)"


__all__ = [
    "DOCUMENT_TYPES",
    "TA1_SET_ID",
    "SetMessage",
    "decode_set",
    "document_type",
    "split_sets",
]
