"""Segment-level syntax checks, as data: syntax notes and (for 997/999) element definitions.

X12 syntax notes are compact codes: ``P0607`` "PO106 and PO107 both or neither", ``R0203``
"at least one of 02, 03", ``C0506`` "if 05 then 06", ``E0203`` "not both", ``L050607`` "if 05
then at least one of 06, 07". Keeping them as strings means a new segment is one line. The
element definitions cover the acknowledgement segments, whose values we act on (reconciliation).
Every finding carries the segment's position in the set, as 997 AK3/AK4 need.
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

from connectors.text import is_digits
from connectors.x12._model import Issue, Segment, Separators, X12Set

_PAIRS = [f"P{i:02d}{i + 1:02d}" for i in range(6, 31, 2)]  # P0607 ... P3031 (id/qualifier)

SYNTAX_NOTES: dict[str, list[str]] = {
    "N1": ["R0203", "P0304"],
    "REF": ["R0203"],
    "PER": ["P0304", "P0506", "P0708"],
    "DTM": ["R020305", "C0403", "P0506"],
    "PO1": ["C0302", "C0504", *_PAIRS[:10]],
    "IT1": ["P020304", *_PAIRS[:10]],
    "LIN": ["P0405", *_PAIRS[:13]],
    "PO4": ["P0203", "C0506", "P0607", "P0809"],
    "SN1": ["P0405"],
}


class Element(NamedTuple):
    """One simple element: type (AN, ID, N0, DT, TM, R), lengths, code list, composite flag."""

    type: str
    min: int
    max: int
    codes: frozenset[str] = frozenset()
    composite: bool = False
    repeat: bool = False


_FUNCTIONAL_IDS = frozenset(
    "AG AR CA FA GF IB IN OW PC PO PR PS QM RC RE SC SH SM SW TX HB HC HI HN HP HR HS BE".split()  # noqa: SIM905
)
_ACK_CODES = frozenset("AEMPRWX")

ELEMENTS: dict[str, list[Element]] = {
    "AK1": [Element("ID", 2, 2, _FUNCTIONAL_IDS), Element("N0", 1, 9), Element("AN", 1, 12)],
    "AK2": [Element("ID", 3, 3), Element("AN", 4, 9), Element("AN", 1, 35)],
    "AK3": [Element("ID", 2, 3), Element("N0", 1, 10), Element("AN", 1, 4), Element("ID", 1, 3)],
    "AK4": [
        Element("N0", 1, 2, composite=True),
        Element("N0", 1, 4),
        Element("ID", 1, 3),
        Element("AN", 1, 99),
    ],
    "AK5": [Element("ID", 1, 1, _ACK_CODES), *[Element("ID", 1, 3)] * 5],
    "AK9": [
        Element("ID", 1, 1, _ACK_CODES),
        *[Element("N0", 1, 6)] * 3,
        *[Element("ID", 1, 3)] * 5,
    ],
}


class _Note(NamedTuple):
    kind: str
    idx: tuple[int, ...]
    note: str


def _compile(notes: list[str]) -> list[_Note]:
    return [_Note(n[0], tuple(int(n[i : i + 2]) for i in range(1, len(n), 2)), n) for n in notes]


_COMPILED = {sid: _compile(notes) for sid, notes in SYNTAX_NOTES.items()}
# (segment id, present?...) -> the notes' findings; bounded, as partners' shapes are few
_FINDINGS: dict[tuple[object, ...], list[tuple[str, str]]] = {}
_FINDINGS_MAX = 4096


def check_set(xset: X12Set) -> None:
    """Append syntax-note and element errors of every segment to ``xset.issues``.

    A syntax note depends only on which elements are present, so the findings for a segment id
    and presence pattern are worked out once and remembered (a bounded cache): an 850's PO1
    lines, nearly all shaped alike, then cost one tuple and one lookup each.
    """
    seps = xset.interchange.separators
    compiled, elements, seen = _COMPILED, ELEMENTS, _FINDINGS
    for position, seg in enumerate(xset.segments, 1):
        sid = seg.id
        notes = compiled.get(sid)
        if notes:
            key = (sid, *map(bool, seg.elements))
            found = seen.get(key)
            if found is None:
                found = [p for p in map(_check_note, notes, repeat(seg)) if p is not None]
                if len(seen) < _FINDINGS_MAX:
                    seen[key] = found
            for element, what in found:
                xset.issues.append(_issue(seg, position, "syntax_note", element, what))
        defs = elements.get(sid)
        if defs is not None:
            _check_elements(xset, seg, position, defs, seps)


def _issue(seg: Segment, position: int, code: str, element: str, what: str) -> Issue:
    return Issue(
        "error",
        code,
        f"decode: {seg.id} at segment {seg.number} (set position {position}, byte "
        f"{seg.offset}): {what}",
        seg.offset,
        seg.number,
        seg.id,
        element=element,
        set_position=position,
    )


def _check_note(compiled: _Note, seg: Segment) -> tuple[str, str] | None:  # noqa: PLR0911 - one return per note kind
    kind, idx, note = compiled
    els = seg.elements
    n = len(els)
    present = [i <= n and els[i - 1] != "" for i in idx]
    if kind == "P" and (all(present) or not any(present)):
        return None
    names = [f"{seg.id}{i:02d}" for i in idx]
    if kind == "P":
        missing = [n for n, p in zip(names, present, strict=True) if not p]
        return missing[0], (
            f"syntax note {note}: {', '.join(names)} must be all present or all absent; "
            f"missing {', '.join(missing)}"
        )
    if kind == "R" and not any(present):
        return names[0], f"syntax note {note}: at least one of {', '.join(names)} is required"
    if kind == "C" and present[0] and not all(present[1:]):
        missing = [n for n, p in zip(names[1:], present[1:], strict=True) if not p]
        return missing[0], (
            f"syntax note {note}: {names[0]} is present, so {', '.join(missing)} is required"
        )
    if kind == "E" and sum(present) > 1:
        return names[1], f"syntax note {note}: only one of {', '.join(names)} may be present"
    if kind == "L" and present[0] and not any(present[1:]):
        return names[1], (
            f"syntax note {note}: {names[0]} is present, so one of "
            f"{', '.join(names[1:])} is required"
        )
    return None


def _check_elements(
    xset: X12Set, seg: Segment, position: int, defs: list[Element], seps: Separators
) -> None:
    if len(seg.elements) > len(defs):
        xset.issues.append(
            _issue(
                seg,
                position,
                "too_many_elements",
                f"{seg.id}{len(defs) + 1:02d}",
                f"{len(seg.elements)} elements, at most {len(defs)} defined",
            )
        )
    for i, (value, spec) in enumerate(zip(seg.elements, defs, strict=False), 1):
        if not value:
            continue
        name = f"{seg.id}{i:02d}"
        problem = _element_problem(value, spec, seps)
        if problem:
            xset.issues.append(_issue(seg, position, problem[0], name, f"{name} {problem[1]}"))


def _element_problem(value: str, spec: Element, seps: Separators) -> tuple[str, str] | None:
    if seps.repetition and seps.repetition in value and not spec.repeat:
        return "element_repeated", (
            f"is not repeatable but contains the repetition separator {seps.repetition!r}"
        )
    if seps.component in value:
        if not spec.composite:
            return "unexpected_component", (
                f"is a simple element but contains the component separator {seps.component!r}"
            )
        value = value.split(seps.component, maxsplit=1)[0]
    if spec.type == "N0" and not is_digits(value.lstrip("-")):
        return "bad_numeric", f"must be numeric (N0), found {value!r}"
    if spec.codes and value not in spec.codes:
        return "bad_code", f"{value!r} is not a valid code"
    if not spec.min <= len(value) <= spec.max:
        return "bad_length", f"length {len(value)} is outside {spec.min}-{spec.max}: {value!r}"
    return None
