"""Acknowledgements: a 997 (4010) or 999 (5010) per functional group, TA1 for the interchange.

Built from what the reader found, so an acknowledgement says exactly what ``x12 inspect`` says:

- one outbound interchange per inbound interchange, sender and receiver swapped, in the
  partner's own element, component and segment separators;
- a TA1 (``R``) when the interchange itself failed (IEA counts or control number, a broken ISA,
  a missing IEA); then no functional acknowledgements, since nothing inside it is trusted;
- otherwise one 997 or 999 per functional group: AK1 names the group (999: AK103 echoes its
  GS08), one AK2 per set with AK3/AK4 (999: IK3/IK4) pointing at the segment position in the set
  and the element of each error, AK5/IK5 ``A`` accepted, ``E`` accepted with errors (warnings
  inside the set) or ``R`` rejected, and AK9 ``A``/``E``/``P`` (partially accepted)/``R``;
- a 997 travels in a group whose GS08 echoes the inbound GS08; a 999 in a ``005010X231`` group;
- groups of acknowledgements (GS01 ``FA``) are never acknowledged, nor is an interchange that
  carries TA1s and no group (a partner's interchange acknowledgement: answering it with a TA1
  could start an endless exchange of acknowledgements);
- a 999 adds CTX context (005010X231) where we know it: a business unit identifier CTX after an
  IK3 naming the set's own document number (``BEG03`` of an 850, ``BSN02`` of an 856...), and an
  element context CTX (``SITUATIONAL TRIGGER``) after an IK4 whose error a syntax note raised
  because another element was present, pointing at that element; a 997 (4010) has no CTX.

``ta1`` chooses when a TA1 goes back: ``never``, ``on_error`` (an interchange-level error: the
TA1 ``R`` alone, since nothing inside the interchange is trusted) or ``always`` (also a TA1 ``A``
ahead of the functional acknowledgements of a sound interchange). ``separators`` replaces the
partner's own (a partner who wants ours).

Control numbers (ISA13, GS06) come from an injectable ``counter``; durable per-partner
numbering is the caller's (a journal-backed counter), not this module's.

Each 997/999 is a document tree in the shape ``_sets.STRUCTURES`` gives those sets, written by
the same encoder as every outbound set (:func:`connectors.x12.encode.encode_groups`), so segment
order, SE01/GE01/IEA01 counts and element types are checked once, for everything we send. The
values we echo (GS01, ST01/ST02, a broken segment id) are cleaned of separators and control
characters and cut to their element's length first: an acknowledgement is always writable.
Separators the encoder refuses (a letter, a space, two the same) are replaced by ours.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from connectors.text import is_digits
from connectors.x12._decode import decode_with_summaries
from connectors.x12._model import (
    GroupSummary,
    InterchangeHeader,
    InterchangeSummary,
    Issue,
    Separators,
    X12Set,
)
from connectors.x12.encode import (
    DEFAULT_SEPARATORS,
    EncodeError,
    Envelope,
    Group,
    check_separators,
    encode_groups,
)

AckKind = Literal["997", "999"]
Ta1Policy = Literal["never", "on_error", "always"]

# reader issue code -> AK304/IK304 segment syntax error code; element issues are "8" + AK4
_SEGMENT_CODES = {
    "bad_segment_id": "1",
    "segment_outside_envelope": "2",
    "mandatory_segment_missing": "3",
    "segment_out_of_order": "7",
}
# warnings an AK3/IK3 names although the set is accepted (AK5 ``E``, errors noted)
_NOTED_WARNINGS = frozenset({"segment_out_of_order"})
# reader issue code -> AK403/IK403 data element error code
_ELEMENT_CODES_997 = {
    "too_many_elements": "3",
    "bad_numeric": "6",
    "element_repeated": "6",
    "unexpected_component": "6",
    "bad_code": "7",
    "hl_parent_missing": "7",
    "hl_duplicate_id": "7",
}
_ELEMENT_CODES_999 = {**_ELEMENT_CODES_997, "element_repeated": "I12", "unexpected_component": "13"}
# reader issue code -> AK502/IK502 transaction set error code
_SET_CODES = {"missing_se": "2", "se02": "3", "se01": "4"}
# reader issue code -> AK905 functional group error code
_GROUP_CODES = {"missing_ge": "3", "ge02": "4", "ge01": "5"}
# reader issue code -> TA105 interchange note code
_TA1_CODES = {
    "iea02": "001",
    "iea01": "021",
    "missing_iea": "023",
    "isa_truncated": "024",
    "isa_bad_separator": "026",
    "isa_separators_clash": "026",
}
_TA1_DEFAULT = "024"  # invalid interchange content
_MAX_AK9_CODES = 5
_MAX_CTX = 9  # segment/element context CTX repeats allowed per IK3/IK4 loop

#: set id -> (segment, element) holding the set's business document number, for the 999's
#: business unit identifier CTX (CTX01-1 is the element's reference designator, e.g. ``BEG03``)
BUSINESS_UNIT_ELEMENTS: dict[str, tuple[str, int]] = {
    "850": ("BEG", 3),
    "855": ("BAK", 3),
    "856": ("BSN", 2),
    "810": ("BIG", 2),
    "860": ("BCH", 3),
    "846": ("BIA", 3),
    "940": ("W05", 2),
    "945": ("W06", 2),
    "214": ("B10", 2),
}
_NOTE = re.compile(r"syntax note ([PCL])((?:\d\d)+):")
_MISSING = re.compile(r"missing ([A-Z0-9, ]+)$")


class SetAck(msgspec.Struct, frozen=True):
    """The verdict on one set: AK5/IK5 code and the errors behind it."""

    set_id: str
    control_number: str
    status: Literal["A", "E", "R"]
    set_codes: list[str]
    errors: list[Issue]
    business_unit: tuple[str, str] | None = None  # (reference designator, value) for a 999 CTX


class GroupAck(msgspec.Struct, frozen=True):
    """The verdict on one functional group: AK9 code, counts and the sets."""

    functional_id: str
    control_number: str
    version: str
    sender_id: str
    receiver_id: str
    status: Literal["A", "E", "P", "R"]
    included: int
    received: int
    accepted: int
    group_codes: list[str]
    sets: list[SetAck]


class Acknowledgement(msgspec.Struct, frozen=True):
    """What we would send back for one inbound interchange: the text and its verdicts."""

    text: str
    kind: AckKind
    interchange_control_number: str
    ta1: str | None  # the TA104 code when a TA1 is in the text
    groups: list[GroupAck]


def sequence(start: int = 1) -> Callable[[], int]:
    """A counter for control numbers: start, start + 1, ... (not durable)."""
    return itertools.count(start).__next__


def build_acks(
    raw: bytes,
    *,
    kind: AckKind | None = None,
    counter: Callable[[], int] | None = None,
    now: datetime | None = None,
    usage: str | None = None,
    ta1: Ta1Policy = "on_error",
    separators: Separators | None = None,
    functional: bool = True,
) -> list[Acknowledgement]:
    """One acknowledgement per inbound interchange that needs one, in input order.

    ``kind`` forces 997 or 999 (a partner setting); by default 999 for a 5010 group (GS08
    ``005010...``) and 997 otherwise. ``counter`` gives ISA13 and GS06 numbers. ``functional``
    False sends TA1s only (a partner with ``ack: none``).
    """
    next_number = counter or sequence()
    at = now or datetime.now(UTC)
    sets, summaries = decode_with_summaries(raw)
    acks: list[Acknowledgement] = []
    for summary in summaries:
        if not summary.header.control_number:  # bytes outside any interchange: nothing to ack
            continue
        if summary.ta1s and not summary.groups:  # their TA1: acknowledgements are never acked
            continue
        members = [s for s in sets if s.interchange.offset == summary.header.offset]
        policy = _Policy(kind, ta1, separators, functional)
        ack = _interchange_ack(summary, members, policy, next_number, at, usage)
        if ack is not None:
            acks.append(ack)
    return acks


class _Policy(msgspec.Struct, frozen=True):
    kind: AckKind | None
    ta1: Ta1Policy
    separators: Separators | None
    functional: bool


def _interchange_ack(  # noqa: PLR0917 - one internal call site
    summary: InterchangeSummary,
    sets: list[X12Set],
    policy: _Policy,
    next_number: Callable[[], int],
    at: datetime,
    usage: str | None,
) -> Acknowledgement | None:
    h = summary.header
    chosen: AckKind = policy.kind or (
        "999" if any(g.header.version.startswith("005010") for g in summary.groups) else "997"
    )
    fatal = [i for i in summary.issues if i.severity == "error"]
    groups = (
        []
        if fatal or not policy.functional
        else [_group_ack(g, sets, summary) for g in summary.groups]
    )
    groups = [g for g in groups if g.functional_id != "FA"]
    wants_ta1 = policy.ta1 == "always" or (policy.ta1 == "on_error" and bool(fatal))
    if not wants_ta1 and not groups:
        return None
    seps = _ack_separators(policy.separators or h.separators, chosen)
    isa13 = next_number()
    control: list[tuple[str, dict[str, str]]] = []
    ta1 = None
    if wants_ta1:
        ta1 = "R" if fatal else "A"
        code = _TA1_CODES.get(fatal[0].code, _TA1_DEFAULT) if fatal else "000"
        control.append(("TA1", _ta1(h, ta1, code, seps)))
    written = [
        Group(
            sets=[(chosen, _ack_tree(g, chosen, seps))],
            control=next_number(),
            functional_id="FA",
            sender_id=_echo(g.receiver_id, 15, seps) or "UNKNOWN",  # we answer as its receiver
            receiver_id=_echo(g.sender_id, 15, seps) or "UNKNOWN",
            version=(_echo(g.version, 12, seps) or "004010") if chosen == "997" else "005010X231",
        )
        for g in groups
    ]
    envelope = Envelope(
        sender_id=_echo(h.receiver_id, 15, seps),
        receiver_id=_echo(h.sender_id, 15, seps),
        at=at,
        sender_qualifier=_echo(h.receiver_qualifier, 2, seps) or "ZZ",
        receiver_qualifier=_echo(h.sender_qualifier, 2, seps) or "ZZ",
        version="00501" if chosen == "999" else "00401",
        usage=_echo(usage or h.usage, 1, seps) or "P",
    )
    raw = encode_groups(
        written,
        envelope=envelope,
        interchange_control=isa13,
        separators=seps,
        control_segments=control,
    )
    return Acknowledgement(
        text=raw.decode(),
        kind=chosen,
        interchange_control_number=f"{isa13:09d}",
        ta1=ta1,
        groups=groups,
    )


def _ack_separators(seps: Separators, kind: AckKind) -> Separators:
    """The partner's separators, with a repetition separator for a 999 (5010 requires one).

    A partner whose separators the encoder would refuse (a letter, a space, two the same) gets
    ours: an acknowledgement their translator can read beats one that echoes their mistake.
    """
    if kind == "999" and not seps.repetition:
        used = (seps.element, seps.component, seps.segment)
        spare = next((c for c in "^|{}" if c not in used), None)
        seps = msgspec.structs.replace(seps, repetition=spare)
    try:
        check_separators(seps, "00501" if kind == "999" else "00401")
    except EncodeError:
        return DEFAULT_SEPARATORS
    return seps


def _echo(value: str, limit: int, seps: Separators) -> str:
    """An inbound value fit to be written back: no separator or control character, ``limit`` long.

    An acknowledgement must always be writable; a value that could not be echoed as received
    (a separator inside a broken segment id, an over-long control number) is echoed as far as
    X12 can carry it, which is what the partner's translator can match on.
    """
    banned = {seps.element, seps.component, seps.repetition or "", *seps.segment}
    kept = "".join(c for c in value if c not in banned and c.isprintable() and c.isascii())
    return kept.strip()[:limit]


def _number(value: str, limit: int) -> str:
    """A numeric inbound control number as written, or "0" when it is no number at all."""
    digits = value.strip()
    return digits[-limit:] if is_digits(digits) else "0"


def _ta1(h: InterchangeHeader, status: str, code: str, seps: Separators) -> dict[str, str]:
    date, time = h.date.strip(), h.time.strip()
    return {
        "TA101": _number(h.control_number, 9).zfill(9),
        "TA102": date if is_digits(date) and len(date) == 6 else "000000",
        "TA103": time if is_digits(time) and len(time) == 4 else "0000",
        "TA104": status,
        "TA105": code,
    }


def _group_ack(group: GroupSummary, sets: list[X12Set], summary: InterchangeSummary) -> GroupAck:
    gh = group.header
    members = [s for s in sets if s.group is not None and s.group.offset == gh.offset]
    warnings = [i for i in summary.issues if i.severity == "warning"]
    set_acks = [_set_ack(s, warnings) for s in members]
    group_errors = [i for i in group.issues if i.severity == "error"]
    group_codes = list(dict.fromkeys(_GROUP_CODES.get(i.code, "6") for i in group_errors))
    accepted = sum(1 for s in set_acks if s.status != "R")
    status: Literal["A", "E", "P", "R"]
    if group_errors or accepted == 0:
        status = "R"
    elif accepted < len(set_acks):
        status = "P"
    elif any(s.status == "E" for s in set_acks):
        status = "E"
    else:
        status = "A"
    if status == "R":
        accepted = 0
    trailer = group.trailer_count or ""
    included = int(trailer) if is_digits(trailer) else len(members)
    return GroupAck(
        functional_id=gh.functional_id,
        control_number=gh.control_number,
        version=gh.version,
        sender_id=gh.sender_id,
        receiver_id=gh.receiver_id,
        status=status,
        included=included,
        received=len(members),
        accepted=accepted,
        group_codes=group_codes[:_MAX_AK9_CODES],
        sets=set_acks,
    )


def _set_ack(xset: X12Set, warnings: list[Issue]) -> SetAck:
    errors = [i for i in xset.issues if i.severity == "error"]
    codes = [_SET_CODES[i.code] for i in errors if i.code in _SET_CODES]
    if any(i.code not in _SET_CODES for i in errors):
        codes.append("5")  # one or more segments in error
    start, end = xset.raw_range
    warned = any(i.severity == "warning" for i in xset.issues) or any(
        start <= w.offset < end for w in warnings
    )
    status: Literal["A", "E", "R"] = "R" if errors else ("E" if warned else "A")
    named = [
        _with_position(i, xset)
        for i in xset.issues
        if (i.severity == "error" and i.code not in _SET_CODES) or i.code in _NOTED_WARNINGS
    ]
    named.sort(key=lambda i: i.set_position)  # AK3s in the order of the set's segments
    return SetAck(
        set_id=xset.set_id,
        control_number=xset.control_number,
        status=status,
        set_codes=list(dict.fromkeys(codes))[:_MAX_AK9_CODES],
        errors=named,
        business_unit=_business_unit(xset) if named else None,
    )


def _business_unit(xset: X12Set) -> tuple[str, str] | None:
    """(``BEG03``, the PO number) for a set whose document number we know, else None."""
    spec = BUSINESS_UNIT_ELEMENTS.get(xset.set_id)
    if spec is None:
        return None
    segment = next((s for s in xset.segments if s.id == spec[0]), None)
    value = segment.get(spec[1]).strip() if segment is not None else ""
    seps = xset.interchange.separators
    if not value or len(value) > 35 or seps.component in value:  # CTX01-2 is AN 1-35
        return None
    if seps.repetition and seps.repetition in value:
        return None
    return f"{spec[0]}{spec[1]:02d}", value


def _trigger(issue: Issue) -> int | None:
    """The element whose presence made a syntax note require (or forbid) ``issue.element``.

    ``C0506``/``L050607``: the first element is the trigger; ``P0607``: the one that is present.
    ``R`` and ``E`` notes have no single trigger.
    """
    if issue.code != "syntax_note":
        return None
    note = _NOTE.search(issue.message)
    if note is None:
        return None
    positions = [int(note.group(2)[i : i + 2]) for i in range(0, len(note.group(2)), 2)]
    if note.group(1) in {"C", "L"}:
        return positions[0]
    missing = _MISSING.search(issue.message)
    absent = {m.strip() for m in missing.group(1).split(",")} if missing else set()
    present = [p for p in positions if f"{issue.segment_id}{p:02d}" not in absent]
    return present[0] if present else None


def _with_position(issue: Issue, xset: X12Set) -> Issue:
    """The issue with its segment position in the set (ST = 1) filled in when it was not."""
    if issue.set_position or not xset.segments:
        return issue
    position = issue.segment_no - xset.segments[0].number + 1
    return msgspec.structs.replace(issue, set_position=max(position, 1))


def _ack_tree(g: GroupAck, kind: AckKind, seps: Separators) -> dict[str, Any]:
    """The 997/999 for one group as a document tree (``_sets.STRUCTURES``), for the encoder."""
    prefix = "AK" if kind == "997" else "IK"
    codes = _ELEMENT_CODES_997 if kind == "997" else _ELEMENT_CODES_999
    ak1 = {"AK101": _echo(g.functional_id, 2, seps), "AK102": _number(g.control_number, 9)}
    tree: dict[str, Any] = {"AK1": ak1}
    if kind == "999":
        tree["ST"] = {"ST03": "005010X231"}
        ak1["AK103"] = _echo(g.version, 12, seps)
    loops: list[dict[str, Any]] = []
    for s in g.sets:
        instance: dict[str, Any] = {
            "AK2": {"AK201": _echo(s.set_id, 3, seps), "AK202": _echo(s.control_number, 9, seps)}
        }
        errors = _segment_errors(s, prefix, codes, seps, context=kind == "999")
        if errors:
            instance[f"{prefix}3_loop"] = errors
        instance[f"{prefix}5"] = _numbered(f"{prefix}5", [s.status, *s.set_codes])
        loops.append(instance)
    if loops:
        tree["AK2_loop"] = loops
    counts = [str(g.included), str(g.received), str(g.accepted)]
    tree["AK9"] = _numbered("AK9", [g.status, *counts, *g.group_codes])
    return tree


def _numbered(sid: str, values: list[str]) -> dict[str, str]:
    return {f"{sid}{i:02d}": v for i, v in enumerate(values, 1) if v}


def _segment_errors(
    s: SetAck, prefix: str, codes: dict[str, str], seps: Separators, *, context: bool
) -> list[dict[str, Any]]:
    """One AK3/IK3 loop per segment in error, with one AK4/IK4 per distinct element error.

    In a 999 (``context``) each IK3 carries the set's business unit CTX (when known) and each
    IK4 the element context CTX of its syntax-note trigger (when there is one).
    """
    by_segment: dict[tuple[str, int], list[Issue]] = {}
    for issue in s.errors:
        by_segment.setdefault((issue.segment_id, issue.set_position), []).append(issue)
    loops: list[dict[str, Any]] = []
    for (seg_id, position), issues in by_segment.items():
        seg_code = next((_SEGMENT_CODES[i.code] for i in issues if i.code in _SEGMENT_CODES), "8")
        shown = _echo(seg_id, 3, seps) or "???"
        head = {f"{prefix}301": shown, f"{prefix}302": str(position), f"{prefix}304": seg_code}
        loop: dict[str, Any] = {f"{prefix}3": head}
        unit = s.business_unit
        if context and unit is not None and _echo(unit[1], 35, seps) == unit[1]:
            loop["CTX"] = [{"CTX01": list(unit)}]  # only when it can be echoed unchanged
        loops.append(loop)
        if seg_code != "8":
            continue
        seen: set[tuple[str, str]] = set()
        elements: list[dict[str, Any]] = []
        for issue in issues:
            element = (_element_position(issue), _element_code(issue, codes))
            if element in seen:
                continue
            seen.add(element)
            ak4 = {f"{prefix}401": element[0], f"{prefix}403": element[1]}
            if not context:
                elements.append(ak4)
                continue
            ik4: dict[str, Any] = {"IK4": ak4}
            trigger = _trigger(issue)
            if trigger is not None:
                ik4["CTX"] = [
                    {
                        "CTX01": "SITUATIONAL TRIGGER",
                        "CTX02": shown,
                        "CTX03": str(position),
                        "CTX05": str(trigger),
                    }
                ]
            elements.append(ik4)
        if elements:
            loop[f"{prefix}4_loop" if context else f"{prefix}4"] = elements
    return loops


def _element_position(issue: Issue) -> str:
    digits = issue.element[len(issue.segment_id) :] if issue.element else ""
    return str(int(digits)) if is_digits(digits) else "1"


def _element_code(issue: Issue, codes: dict[str, str]) -> str:
    if issue.code in codes:
        return codes[issue.code]
    if issue.code == "bad_length":
        return "5" if "length" in issue.message and _too_long(issue.message) else "4"
    if issue.code == "syntax_note":
        return "10" if "only one of" in issue.message else "2"
    return "7" if "code" in issue.code else "6"


def _too_long(message: str) -> bool:
    # "... length 12 is outside 1-10: ..." -> 12 > 10
    try:
        after = message.split("length ", 1)[1]
        found, bounds = after.split(" is outside ", 1)
        high = bounds.split(":", 1)[0].split("-", 1)[1]
        return int(found) > int(high)
    except (IndexError, ValueError):
        return False


__all__ = [
    "BUSINESS_UNIT_ELEMENTS",
    "AckKind",
    "Acknowledgement",
    "GroupAck",
    "SetAck",
    "Ta1Policy",
    "build_acks",
    "sequence",
]
