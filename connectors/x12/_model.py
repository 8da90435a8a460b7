"""The values the X12 reader produces: segments with positions, issues, envelope headers, sets.

Everything a human needs to find a problem travels with it: the byte offset in the file, the
segment's ordinal in its interchange (ISA = 1) and the segment id. Issues are data (code,
expected, found) so that acknowledgements (997 AK3/AK4) and dead-letter triage can use them
without parsing prose.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Severity = Literal["error", "warning"]


class Issue(msgspec.Struct, frozen=True, omit_defaults=True):
    """One anomaly at one position. ``error`` rejects the set (or group/interchange) it is in."""

    severity: Severity
    code: str
    message: str
    offset: int
    segment_no: int = 0
    segment_id: str = ""
    element: str = ""
    set_position: int = 0
    expected: str | None = None
    found: str | None = None


class Separators(msgspec.Struct, frozen=True):
    r"""Delimiters of one interchange, as text; ``segment`` may be several characters or "\\n"."""

    element: str
    segment: str
    component: str
    repetition: str | None = None


class Segment(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One segment: id, elements (01..n, raw text), byte range ``[offset, end)``, ordinal.

    Elements stay whole strings here (splitting components costs time on every segment and most
    have none); :meth:`value` splits on demand with the interchange's separators.
    """

    id: str
    elements: list[str]
    offset: int
    end: int
    number: int

    def get(self, index: int) -> str:
        """Element ``index`` (1-based) or "" when absent."""
        return self.elements[index - 1] if 0 < index <= len(self.elements) else ""


def split_value(raw: str, seps: Separators, repeatable: bool = False) -> Any:
    """Split one element into repeats and components: a str, a list of components, or repeats."""
    rep = seps.repetition
    if repeatable and rep and rep in raw:
        return [split_value(part, seps) for part in raw.split(rep)]
    if seps.component in raw:
        return raw.split(seps.component)
    return raw


class InterchangeHeader(msgspec.Struct, frozen=True):
    """What the ISA says, with padding removed (the raw segment keeps the padding)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    version: str
    control_number: str
    ack_requested: str
    usage: str
    separators: Separators
    offset: int


class GroupHeader(msgspec.Struct, frozen=True):
    """What the GS says: functional id (PO, SH, IN...), GS06 control number, GS08 version."""

    functional_id: str
    sender_id: str
    receiver_id: str
    control_number: str
    version: str
    offset: int
    segment_no: int


class GroupSummary(msgspec.Struct):
    """A functional group once read: header, sets counted, and group-level issues."""

    header: GroupHeader
    set_count: int = 0
    trailer_count: str | None = None
    issues: list[Issue] = []


class InterchangeSummary(msgspec.Struct):
    """An interchange once read (IEA seen, or the data ended): groups and interchange issues.

    ``ta1s`` are the TA1 segments directly inside the interchange (outside any group): a
    partner's interchange acknowledgements of what we sent them. They belong to no transaction
    set, so they travel here and acceptance journals each one as its own message.
    """

    header: InterchangeHeader
    groups: list[GroupSummary] = []
    segment_count: int = 0
    end: int = 0
    issues: list[Issue] = []
    closed: bool = False
    ta1s: list[Segment] = []


class X12Set(msgspec.Struct):
    """One transaction set (ST..SE): what gets journalled as one message.

    ``raw_range`` is the exact byte range ``[start, end)`` of ST through SE's terminator in the
    input. ``issues`` are the set's own; ``envelope_issues`` are errors of its group or
    interchange (filled in by :func:`decode` once the interchange is closed).
    """

    set_id: str
    control_number: str
    interchange: InterchangeHeader
    group: GroupHeader | None
    raw_range: tuple[int, int]
    segment_count: int
    segments: list[Segment]
    tree: dict[str, Any] = {}
    issues: list[Issue] = []
    envelope_issues: list[Issue] = []

    @property
    def accepted(self) -> bool:
        """True when neither the set nor its envelope has an error."""
        return not any(i.severity == "error" for i in (*self.issues, *self.envelope_issues))
