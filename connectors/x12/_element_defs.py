"""Element definitions for the segments we *write*: type and maximum length per position.

Why only these: the encoder must refuse a value the partner's translator would reject (a 40
character PO number in BAK03, letters in a quantity) with the segment and element named, instead
of sending it and waiting for a 997 rejection. Inbound we stay tolerant and need no such table.
A segment missing here is written unchecked (apart from separators), so a partner mapping may use
any segment; adding one is one line.

Notation per segment: one token per element position, ``TYPE[MAX]``. Types: ``AN`` text, ``ID``
code, ``N0``/``N2`` integers (``N2``: two implied decimals), ``R`` decimal, ``DT`` date
(CCYYMMDD; 6 digits accepted), ``TM`` time (HHMM[SS[D..]]), ``C`` composite (components, no
length check). Where 4010 and 5010 differ, the larger maximum is used (REF02 30 -> 50 ...), so a
limit error is a real error in both.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

_PAIRS = " ".join(["ID2 AN48"] * 10)

_SPECS: dict[str, str] = {
    "ST": "ID3 AN9 AN35",
    "SE": "N010 AN9",
    "BAK": "ID2 ID2 AN22 DT8 AN30 AN30 AN45 AN22 DT8 ID2",
    "ACK": f"ID2 R15 ID2 ID3 DT8 AN30 {_PAIRS} ID2 ID3 ID2",
    "PO1": f"AN20 R15 ID2 R17 ID2 {_PAIRS}",
    "IT1": f"AN20 R10 ID2 R17 ID2 {_PAIRS}",
    "CTT": "N06 R10 R10 ID2 R8 ID2 AN80",
    "BSN": "ID2 AN30 DT8 TM8 ID4 ID2 ID2 ID2",
    "HL": "AN12 AN12 ID2 ID1",
    "TD1": "AN5 N07 ID2 ID2 AN50 ID2 R10 ID2 R8 ID2",
    "TD5": "ID2 ID2 AN80 ID2 AN35 ID2 ID2 AN30 ID2 ID2 R4 ID2 ID2 ID2 ID3",
    "REF": "ID3 AN50 AN80 C",
    "PRF": "AN22 AN30 AN8 DT8 AN30 AN22 ID2",
    "LIN": "AN20 " + " ".join(["ID2 AN48"] * 15),
    "SN1": "AN20 R15 ID2 R15 R15 ID2 R15 ID2",
    "MAN": "ID2 AN48 AN48 ID2 AN48 AN48",
    "DTM": "ID3 DT8 TM8 ID2 ID3 AN35",
    "N1": "ID3 AN60 ID2 AN80 ID2 ID3",
    "N2": "AN60 AN60",
    "N3": "AN55 AN55",
    "N4": "AN30 ID2 ID15 ID3 ID2 AN30 ID3",
    "PER": "ID2 AN60 ID2 AN256 ID2 AN256 ID2 AN256 AN20",
    "PID": "ID1 ID3 ID2 AN12 AN80 ID3 ID2 ID1 ID3",
    "CUR": "ID3 ID3 R10 ID3 ID3",
    "BIG": "DT8 AN22 DT8 AN22 AN30 AN8 ID2 ID2 ID2 AN22",
    "TDS": "N215 N215 N215 N215",
    "SAC": "ID1 ID4 ID2 AN10 N215 ID1 R6 R9 ID2 R15 R15 ID2 AN30 AN10 AN80 ID3",
    "ITD": "ID2 ID2 R6 DT8 N03 DT8 N03 N210 N210 N210 N05 AN80 ID2 ID2 R15",
    "BGN": "ID2 AN50 DT8 TM8 ID2 AN50 ID2 ID2 ID2",
    "RDR": "ID2 ID2 ID2 AN80 ID1",
    "BLI": "ID2 AN48 R15 ID2 ID3 R17 ID2 ID2 AN48 ID2 AN48 ID2 AN48",
    "N9": "ID3 AN50 AN45 DT8 TM8 ID2 C",
    "QTY": "ID3 R15 C AN30",
    "AMT": "ID3 R18 ID1",
    "NTE": "ID3 AN80",
    "MSG": "AN264 ID2 N09",
    "TA1": "N09 DT6 TM4 ID1 ID3",
    "AK1": "ID2 N09 AN12",
    "AK2": "ID3 AN9 AN35",
    "AK3": "ID3 N010 AN4 ID3",
    "AK4": "C N04 ID3 AN99",
    "AK5": "ID1 ID3 ID3 ID3 ID3 ID3",
    "AK9": "ID1 N06 N06 N06 ID3 ID3 ID3 ID3 ID3",
    "IK3": "ID3 N010 AN4 ID3",
    "IK4": "C N04 ID3 AN99",
    "IK5": "ID1 ID3 ID3 ID3 ID3 ID3",
    "CTX": "C C N010 AN4 C C",
}


class ElementDef(NamedTuple):
    """One element position: its type (AN, ID, N0, N2, R, DT, TM, C) and maximum length."""

    type: str
    max: int


def _parse(token: str) -> ElementDef:
    if token == "C":  # noqa: S105 - a notation token, not a secret
        return ElementDef("C", 0)
    kind = token[:2] if token[:2] in ("AN", "ID", "N0", "N2", "DT", "TM") else token[:1]
    return ElementDef(kind, int(token[len(kind) :]))


@cache
def element_defs(segment_id: str) -> tuple[ElementDef, ...] | None:
    """The element definitions of a segment we write, or None when we have none for it."""
    spec = _SPECS.get(segment_id)
    return None if spec is None else tuple(_parse(t) for t in spec.split())


def defined_segments() -> frozenset[str]:
    """Segment ids with element definitions (for lint messages and tests)."""
    return frozenset(_SPECS)


__all__ = ["ElementDef", "defined_segments", "element_defs"]
