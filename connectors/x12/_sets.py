"""Transaction-set structures as data: which segments repeat and which start a loop.

The notation is deliberately small so a new set is a few lines:

- ``"BEG"``: a segment that occurs at most once here (a dict in the tree);
- ``"REF+"``: a repeatable segment (always a list in the tree);
- ``("N1", [...])``: a loop started by its first segment (always a list, key ``N1_loop``).

Order is the list's: a segment that comes back to an earlier place in its level (a ``CUR``
after the ``DTM`` of an 850 header) is a ``segment_out_of_order`` error. :data:`REQUIRED` names
the segments and loops a level must hold (the standard's mandatory ones we are sure of); a
missing one is a ``mandatory_segment_missing`` error. Max-use counts are not checked: a guessed
limit would reject real partners' files. A segment no definition expects is kept under
``_other`` with a warning, so nothing is lost.
"""

from __future__ import annotations

from typing import TypeAlias

Node: TypeAlias = "str | tuple[str, list[Node]]"
#: level trigger ("" for the set itself) -> segment ids and ``<TRIGGER>_loop`` keys it must hold
Required: TypeAlias = dict[str, tuple[str, ...]]

_N1: Node = ("N1", ["N1", "N2+", "N3+", "N4+", "NX2+", "REF+", "PER+", "FOB", "G61+", "TD5+"])
_N9: Node = ("N9", ["N9", "DTM+", "MSG+"])
_PID: Node = ("PID", ["PID", "MEA+"])
_SAC: Node = ("SAC", ["SAC", "CUR"])
_LM: Node = ("LM", ["LM", "LQ+"])
_FA1: Node = ("FA1", ["FA1", "FA2+"])
_HEAD = ["ST", "CUR", "REF+", "PER+", "TAX+", "FOB+", "CTP+", "PAM+", "CSH+", "SAC+", "ITD+"]
_HEAD += ["DIS+", "DTM+", "LDT+", "LIN+", "SI+", "PWK+", "PKG+", "TD1+", "TD5+", "TD3+", "TD4+"]
_HEAD += ["MAN+", "PCT+", "CTB+", "TXI+", "MSG+", "NTE+", "G61+", "MEA+", "PO4+", "QTY+"]
_TAIL = ["CTT", "AMT+", "TDS", "CAD+", "ISS+", "SE"]

_PO1_BODY: list[Node] = ["PO1", "LIN+", "SI+", "CUR", "CN1", "PO3+", "CTP+", "PAM+", "MEA+"]
_PO1_BODY += [_PID, "PWK+", "PO4+", "REF+", "PER+", "SAC+", "IT8", "CSH+", "ITD+", "DIS+"]
_PO1_BODY += ["TAX+", "FOB+", "SDQ+", "DTM+", "TD1+", "TD5+", "TD3+", "TD4+", "MAN+", "MSG+"]
_PO1_BODY += ["SPI+", "TC2+", "G53", "AMT+", "ACK+", "SCH+", "NTE+", _N1, ("SLN", ["SLN"])]

_IT1_BODY: list[Node] = ["IT1", "CRC", "QTY+", "CUR", "IT3+", "TXI+", "CTP+", "PAM+", "MEA+"]
_IT1_BODY += [_PID, "PWK+", "PKG+", "PO4", "ITD+", "REF+", "YNQ+", "PER+", "SDQ+", "DTM+", "CAD+"]
_IT1_BODY += ["L7+", "SR", _SAC, ("SLN", ["SLN", "DTM+", "REF+", "PID+", "SAC+", "TC2+"]), _N1]

STRUCTURES: dict[str, list[Node]] = {
    "850": ["BEG", *_HEAD, _N9, _N1, ("PO1", _PO1_BODY), *_TAIL],
    "855": ["BAK", *_HEAD, _N9, _N1, ("PO1", _PO1_BODY), *_TAIL],
    # 856: HL loops are read flat, then nested by HL02 (see _tree); body covers every level.
    "856": [
        "BSN",
        "DTM+",
        (
            "HL",
            [
                "HL",
                "LIN",
                "SN1",
                "SLN+",
                "PRF",
                "PO4+",
                "PID+",
                "MEA+",
                "PWK+",
                "PKG+",
                "TD1+",
                "TD5+",
                "TD3+",
                "TD4+",
                "REF+",
                "PER+",
                "MAN+",
                "DTM+",
                "FOB",
                "PAL",
                "CUR",
                "SAC+",
                "ITD+",
                "CLD+",
                _N1,
            ],
        ),
        "CTT",
        "SE",
    ],
    # 810: the standard's order (the N1 loop before ITD/DTM/FOB, line REF/DTM inside IT1);
    # the common header segments after it, for partners who send more than the table lists.
    "810": [
        "BIG",
        *["NTE+", "CUR", "REF+", "YNQ+", "PER+", _N1, "ITD+", "DTM+", "FOB", "PID+", "MEA+"],
        *["PWK+", "PKG+", "L7", "BAL+", "INC", "PAM+", _LM, _N9, *_HEAD[1:]],
        ("IT1", _IT1_BODY),
        "TDS",
        "TXI+",
        "CAD+",
        _SAC,
        ("ISS", ["ISS", "PID"]),
        "CTT",
        "SE",
    ],
    "940": [
        "W05",
        *_HEAD,
        _N1,
        "N9+",
        "G62+",
        "NTE+",
        "W66",
        ("LX", ["LX", ("W01", ["W01", "G69+", "N9+", "W20", "AMT+", "NTE+", "G62"])]),
        "W76",
        "SE",
    ],
    "945": [
        "W06",
        _N1,
        "N9+",
        "G62+",
        "NTE+",
        "W27",
        "W10+",
        ("LX", ["LX", "MAN+", "PAL+", ("W12", ["W12", "G69+", "N9+", "AMT+"])]),
        "W03",
        "SE",
    ],
    "943": [
        "W06",
        _N1,
        "N9+",
        "G61+",
        "G62+",
        "NTE+",
        "W27",
        "W28",
        "W10",
        ("W04", ["W04", "G69+", "N9+", "W20+", "QTY+"]),
        "W03",
        "SE",
    ],
    "944": [
        "W17",
        _N1,
        "N9+",
        "G61+",
        "G62+",
        "NTE+",
        "W08",
        "W18+",
        "G08+",
        ("W07", ["W07", "G69+", "N9+", "W20+", "QTY+", ("W13", ["W13", "N9+"])]),
        "W14",
        "SE",
    ],
    # 180, 947, 846, 812: segment order and loops as the 4010 standard lists them (5010 adds
    # nothing the mappings read); a partner's extra segment still lands under _other.
    "180": [
        "BGN",
        "RDR",
        "PRF",
        "DTM+",
        "N9+",
        "PER+",
        "SAC+",
        "G38",
        "PKG+",
        "TD1+",
        "TD5+",
        "NTE+",
        _N1,
        _LM,
        (
            "BLI",
            [
                "BLI",
                "N9+",
                "PID+",
                "RDR",
                "SAC+",
                "AMT+",
                "MEA+",
                "CRC+",
                "NTE+",
                "PRF",
                "DTM+",
                "DD+",
                "GF",
                "TD5+",
                "SDQ+",
                _LM,
                _N1,
                (
                    "QTY",
                    ["QTY", "AMT+", "DTM+", "N1", _LM, ("LX", ["LX", "N9+", "DTM+", "N1", _LM])],
                ),
                _FA1,
            ],
        ),
        "SE",
    ],
    "947": [
        "W15",
        _N1,
        "N9+",
        "G61+",
        "G62+",
        "NTE+",
        _LM,
        (
            "W19",
            [
                "W19",
                "G69+",
                "N9+",
                "CS",
                "AMT",
                "G62+",
                _LM,
                _N1,
                ("LX", ["LX", "N9+", "G62", "N1", _LM]),
                _FA1,
            ],
        ),
        "SE",
    ],
    "846": [
        "BIA",
        "CUR",
        "DTM+",
        "REF+",
        "PER+",
        "MEA+",
        _N1,
        _LM,
        (
            "LIN",
            [
                "LIN",
                "PID+",
                "MEA+",
                "PKG+",
                "DTM+",
                "CTP+",
                "CUR",
                "SAC+",
                "REF+",
                "PER+",
                "SDQ+",
                "MAN+",
                "UIT+",
                "CS",
                "DD+",
                "G53",
                "PCT+",
                "LDT+",
                _LM,
                ("SLN", ["SLN", "PID+", "MEA+", "PKG+", ("MAN", ["MAN", "MEA+"])]),
                (
                    "QTY",
                    [
                        "QTY",
                        "UIT+",
                        "MEA+",
                        "LDT+",
                        "DTM+",
                        ("SCH", ["SCH", "MEA+"]),
                        _LM,
                        ("LS", ["LS", ("REF", ["REF", "DTM+", "N1", _LM]), "LE"]),
                    ],
                ),
                _N1,
            ],
        ),
        "CTT",
        "SE",
    ],
    "812": [
        "BCD",
        "CUR",
        "N9+",
        "REF+",
        "PER+",
        "ITD+",
        "DTM+",
        "FOB",
        "SHD+",
        "SAC+",
        ("N1", ["N1", "N2+", "N3+", "N4", "REF+", "N9+", "PER+", "AMT+"]),
        _LM,
        _FA1,
        (
            "CDD",
            [
                "CDD",
                "LIN",
                "PO4",
                "SAC+",
                "N9+",
                "REF+",
                "DTM+",
                _LM,
                ("N11", ["N11", "AMT+", "PCT+", ("N1", ["N1", "AMT+", "PCT+"])]),
            ],
        ),
        "SE",
    ],
    "214": [
        "B10",
        "L11+",
        "MAN+",
        "K1+",
        "G62+",
        "MS3+",
        _N1,
        ("MS3", ["MS3"]),
        (
            "LX",
            [
                "LX",
                ("AT7", ["AT7", "MS1", "MS2"]),
                "L11+",
                "MAN+",
                "Q7+",
                "K1+",
                "AT5+",
                "AT8+",
                "G62+",
            ],
        ),
        "SE",
    ],
    "997": [
        "AK1",
        ("AK2", ["AK2", ("AK3", ["AK3", "AK4+"]), "AK5"]),
        "AK9",
        "SE",
    ],
    "999": [
        "AK1",
        ("AK2", ["AK2", ("IK3", ["IK3", "CTX+", ("IK4", ["IK4", "CTX+"])]), "IK5"]),
        "AK9",
        "SE",
    ],
}

# Sets whose HL segments are nested by HL02 (parent id) after reading.
HIERARCHICAL = frozenset({"856"})

#: set id -> what its levels must hold: the beginning segment of every set, and the mandatory
#: segments and loops of the X12 tables (the same in 4010 and 5010) that a document cannot do
#: without. Only what the standard marks M everywhere; a partner's implementation guide may
#: require more, which is the mapping's to check.
REQUIRED: dict[str, Required] = {
    "850": {"": ("BEG", "PO1_loop")},
    "855": {"": ("BAK",)},
    "856": {"": ("BSN", "HL_loop")},
    "810": {"": ("BIG", "TDS")},
    "940": {"": ("W05",)},
    "945": {"": ("W06",)},
    "943": {"": ("W06",)},
    "944": {"": ("W17",)},
    "180": {"": ("BGN",)},
    "947": {"": ("W15",)},
    "846": {"": ("BIA",)},
    "812": {"": ("BCD",)},
    "214": {"": ("B10",)},
    "997": {"": ("AK1", "AK9"), "AK2": ("AK5",)},
    "999": {"": ("AK1", "AK9"), "AK2": ("IK5",)},
}
