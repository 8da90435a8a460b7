"""The X12 encoder: generated trees and real samples survive encode -> decode unchanged.

Trees are generated from the set structures themselves (``_sets.STRUCTURES``), with values that
respect the element definitions, so every set we know is exercised, not a hand-picked few. The
generator avoids the one thing the structure notation cannot say: a segment written after a loop
that the loop's own body also has (the reader would, rightly, put it inside the loop).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from _x12_build import sample_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_x12_ack import NOW, maps, validate  # noqa: F401 - maps: the pyx12 map fixture

from connectors.x12 import Reader, Segment, Separators, decode_with_summaries
from connectors.x12._element_defs import element_defs
from connectors.x12._rules import ELEMENTS
from connectors.x12._sets import HIERARCHICAL, REQUIRED, STRUCTURES, Node, Required
from connectors.x12.ack import Acknowledgement, build_acks, sequence
from connectors.x12.encode import (
    FUNCTIONAL_IDS,
    EncodeError,
    Envelope,
    encode,
    encode_interchange,
)

AT = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)
ENVELOPE = Envelope(sender_id="CROSSDOCK", receiver_id="ACME", at=AT)
TEXT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-/()"

# -- the structure, as the reader reads it ---------------------------------------------------------
Level = tuple[
    str, list[tuple[str, str, Any]]
]  # (trigger, [(key, kind, sub)]), kind single|multi|loop


def _level(trigger: str, nodes: list[Node]) -> Level:
    kinds: dict[str, tuple[str, str, Any]] = {}  # segment id -> (key, kind, sub)
    order: list[str] = []
    for node in nodes:
        if isinstance(node, tuple):
            sid, entry = node[0], (f"{node[0]}_loop", "loop", _level(node[0], node[1]))
        else:
            sid = node.removesuffix("+")
            if sid in ("ST", "SE") or sid == trigger:
                continue
            entry = (sid, "multi" if node.endswith("+") else "single", None)
        if sid not in kinds:
            order.append(sid)
        kinds[sid] = entry  # the reader's rule: the last definition of a segment id wins
    return trigger, [kinds[sid] for sid in order]


def _reach(level: Level) -> set[str]:
    """Every segment id a loop's body can hold, at any depth (including its trigger)."""
    trigger, entries = level
    found = {trigger}
    for key, kind, sub in entries:
        found |= _reach(sub) if kind == "loop" else {key}
    return found


LEVELS = {sid: _level("", nodes) for sid, nodes in STRUCTURES.items()}


# -- values --------------------------------------------------------------------------------------
def _value(sid: str, index: int) -> st.SearchStrategy[Any]:
    checked = ELEMENTS.get(sid)  # what the reader validates (acknowledgement segments)
    if checked is not None and index <= len(checked):
        rule = checked[index - 1]
        if rule.codes:
            return st.sampled_from(sorted(rule.codes))
        if rule.type == "N0":
            return st.integers(10 ** (rule.min - 1) if rule.min > 1 else 0, 10**rule.max - 1).map(
                str
            )
        return st.text("ABC123", min_size=rule.min, max_size=rule.max)
    defs = element_defs(sid)
    kind, size = ("AN", 10) if defs is None else (defs[index - 1].type, defs[index - 1].max)
    size = size or 10  # a composite's components have no length here
    text = st.text(TEXT, min_size=1, max_size=min(size, 10)).filter(lambda s: s.strip() == s)
    if kind in ("N0", "N2"):
        return st.integers(0, 10 ** min(size, 9) - 1).map(str)
    if kind == "R":
        return st.decimals(0, 9999, places=2).map(lambda d: format(d.normalize(), "f"))
    if kind == "DT":
        return st.dates(date(1900, 1, 1), date(2099, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))
    if kind == "TM":
        return st.times().map(lambda t: t.strftime("%H%M"))
    composite = st.lists(text, min_size=2, max_size=3)
    if kind == "C" or defs is None:
        return st.one_of(text, composite)
    return text


def _segment(sid: str) -> st.SearchStrategy[dict[str, Any]]:
    defs = element_defs(sid)
    count = min(len(defs), 8) if defs is not None else 6
    if sid == "HL":
        count = 0  # numbering is the encoder's: HL01/HL02 are filled in, HL03 below
    elements = st.fixed_dictionaries(
        {}, optional={f"{sid}{i:02d}": _value(sid, i) for i in range(1, count + 1)}
    )
    if sid == "HL":
        return st.fixed_dictionaries({"HL03": st.sampled_from(["S", "O", "P", "I"])})
    return elements


@st.composite
def _body(
    draw: st.DrawFn, level: Level, depth: int, hierarchical: bool, required: Required
) -> dict[str, Any]:
    trigger, entries = level
    node: dict[str, Any] = {}
    must = required.get(trigger, ())  # the structure's mandatory keys are always drawn
    if trigger:
        node[trigger] = draw(_segment(trigger))
    captured: set[str] = set()
    for key, kind, sub in entries:
        sid = sub[0] if kind == "loop" else key
        if sid in captured or (key not in must and not draw(st.booleans())):
            continue
        if kind == "single":
            node[key] = draw(_segment(key))
        elif kind == "multi":
            node[key] = draw(st.lists(_segment(key), min_size=1, max_size=2))
        elif depth < 2:
            inner = _reach(sub) - {sub[0]}
            most = (
                1 if sub[0] in {s for k, c, s2 in sub[1] if c == "loop" for s in _reach(s2)} else 2
            )
            node[key] = draw(
                st.lists(_body(sub, depth + 1, hierarchical, required), min_size=1, max_size=most)
            )
            captured |= inner | {sub[0]}
    if hierarchical and trigger == "HL" and depth < 3 and draw(st.booleans()):
        node["HL_loop"] = draw(
            st.lists(_body(level, depth + 1, hierarchical, required), max_size=2)
        )
        if not node["HL_loop"]:
            del node["HL_loop"]
    return node


TREES = st.sampled_from(sorted(STRUCTURES)).flatmap(
    lambda sid: st.tuples(
        st.just(sid), _body(LEVELS[sid], 0, sid in HIERARCHICAL, REQUIRED.get(sid, {}))
    )
)
SEPARATORS = st.sampled_from(
    [
        Separators("*", "~", ">", "^"),
        Separators("|", "\n", ":", "^"),
        Separators("+", "'", ":", "{"),
        Separators("^", "!", "\\", "|"),
    ]
)


def _numbered(tree: dict[str, Any]) -> dict[str, Any]:
    """What the reader returns for a generated 856: HL01 in depth-first order, HL02 the parent."""
    count = 0

    def walk(instance: dict[str, Any], parent: str) -> dict[str, Any]:
        nonlocal count
        count += 1
        own = str(count)
        hl = {"HL01": own, **({"HL02": parent} if parent else {}), **instance["HL"]}
        out = {**instance, "HL": hl}
        if "HL_loop" in instance:
            out["HL_loop"] = [walk(child, own) for child in instance["HL_loop"]]
        return out

    if "HL_loop" not in tree:
        return tree
    return {**tree, "HL_loop": [walk(i, "") for i in tree["HL_loop"]]}


def _body_of(tree: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tree.items() if k not in ("ST", "SE")}


@given(
    TREES,
    SEPARATORS,
    st.booleans(),
    st.integers(1, 999_999_999),
    st.integers(1, 999_999_999),
    st.integers(1, 99_999),
    st.sampled_from(["00401", "00501"]),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_trees_round_trip(
    case: tuple[str, dict[str, Any]],
    seps: Separators,
    newline: bool,
    isa13: int,
    gs06: int,
    st02: int,
    version: str,
) -> None:
    set_id, tree = case
    env = Envelope(sender_id="CROSSDOCK", receiver_id="ACME", at=AT, version=version)
    raw = encode(
        set_id,
        tree,
        envelope=env,
        interchange_control=isa13,
        group_control=gs06,
        set_control=st02,
        separators=seps,
        newline=newline,
    )
    sets, summaries = decode_with_summaries(raw)
    assert len(sets) == 1
    (xset,) = sets
    # syntax notes (N102 or N103...) are relations between values the generator does not know
    assert [i.message for i in xset.issues if i.code != "syntax_note"] == []
    assert xset.envelope_issues == []
    assert _body_of(xset.tree) == _numbered(tree)
    # envelope counts and numbers, as our reader validates them
    (summary,) = summaries
    assert summary.issues == [] and summary.closed
    assert summary.header.control_number == f"{isa13:09d}"
    (group,) = summary.groups
    assert group.header.control_number == str(gs06) and group.set_count == 1 and not group.issues
    assert group.header.functional_id == FUNCTIONAL_IDS[set_id]
    assert xset.control_number == f"{st02:04d}"
    assert xset.tree["SE"] == {"SE01": str(xset.segment_count), "SE02": f"{st02:04d}"}


# -- real samples ----------------------------------------------------------------------------------
def _sample_sets() -> list[tuple[str, int]]:
    out = []
    for path in sample_files():
        sets, _ = decode_with_summaries(path.read_bytes())
        out.extend((str(path), i) for i, s in enumerate(sets) if s.accepted)
    return out


@pytest.mark.parametrize(("path", "index"), _sample_sets(), ids=lambda v: Path(str(v)).name)
def test_sample_trees_re_encode_to_the_same_tree(path: str, index: int) -> None:
    sets, _ = decode_with_summaries(Path(path).read_bytes())
    xset = sets[index]
    seps = xset.interchange.separators
    version = xset.interchange.version if xset.interchange.version >= "00401" else "00401"
    repetition = seps.repetition or next(
        c for c in "^|{" if c not in (seps.element, seps.component)
    )
    ours = Separators(seps.element, seps.segment.strip() or "\n", seps.component, repetition)
    raw_set = Path(path).read_bytes()[xset.raw_range[0] : xset.raw_range[1]].decode("latin-1")
    if seps.repetition and seps.repetition in raw_set:
        pytest.skip("the set repeats an element; trees keep repeats as raw text (see docs)")
    raw = encode(
        xset.set_id,
        xset.tree,
        envelope=Envelope(
            sender_id=xset.interchange.sender_id,
            receiver_id=xset.interchange.receiver_id,
            at=AT,
            version=version,
            functional_id=xset.group.functional_id if xset.group else None,
            gs_version=xset.group.version if xset.group else None,
        ),
        interchange_control=7,
        group_control=7,
        set_control=int(xset.control_number) if xset.control_number.isdigit() else 1,
        separators=ours,
        newline=True,
    )
    (back,), (summary,) = decode_with_summaries(raw)
    assert back.accepted, [*back.issues, *back.envelope_issues]
    assert summary.issues == []
    assert _body_of(back.tree) == _body_of(xset.tree)
    assert back.segment_count == xset.segment_count
    if xset.tree.get("ST", {}).get("ST03"):
        assert back.tree["ST"]["ST03"] == xset.tree["ST"]["ST03"]


# -- what the encoder refuses, and says ------------------------------------------------------------
def _855(**bak: Any) -> dict[str, Any]:
    return {"BAK": {"BAK01": "00", "BAK02": "AC", "BAK03": "PO1", "BAK04": "20240101", **bak}}


@pytest.mark.parametrize(
    ("tree", "words"),
    [
        (_855(BAK03="PO*1"), ["BAK.BAK03", "separator '*'"]),
        (_855(BAK03="PO~1"), ["BAK.BAK03", "separator '~'"]),
        (_855(BAK03="PO>1"), ["BAK.BAK03", "separator '>'"]),
        (_855(BAK03="PO\n1"), ["BAK.BAK03", "control character"]),
        (_855(BAK03="X" * 23), ["BAK.BAK03", "23 characters", "at most 22"]),
        (_855(BAK04="2024-01-01"), ["BAK.BAK04", "CCYYMMDD"]),
        (_855(BAK13="x"), ["BAK13", "no BAK13"]),
        (_855(BAK3="x"), ["BAK3", "expected an element of BAK"]),
        ({**_855(), "BEG": {"BEG01": "00"}}, ["'BEG' is not in", "855"]),
        ({**_855(), "_other": []}, ["'_other'"]),
        (
            {**_855(), "PO1_loop": [{"PO1": {"PO102": "ten"}}]},
            ["PO1_loop[0].PO1.PO102", "decimal number"],
        ),
        ({**_855(), "PO1_loop": [{"ACK": [{"ACK01": "IA"}]}]}, ["must start with its PO1"]),
        (_855(BAK02=True), ["BAK.BAK02", "boolean"]),
        (_855(BAK02=["A", "C"]), ["BAK.BAK02", "simple element"]),
    ],
)
def test_bad_values_are_refused_with_their_place(tree: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(EncodeError) as caught:
        encode("855", tree, envelope=ENVELOPE, interchange_control=1, group_control=1)
    for word in words:
        assert word in caught.value.message, caught.value.message


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"separators": Separators("*", "~", "*", "^")}, ["separators must differ"]),
        ({"separators": Separators("A", "~", ">", "^")}, ["not a usable separator"]),
        ({"interchange_control": 0}, ["ISA13", "outside"]),
        ({"interchange_control": 1_000_000_000}, ["ISA13"]),
        ({"envelope": Envelope(sender_id="X" * 16, receiver_id="A", at=AT)}, ["ISA06"]),
        ({"envelope": Envelope(sender_id="A*B", receiver_id="A", at=AT)}, ["ISA06", "separator"]),
    ],
)
def test_bad_envelopes_are_refused(kwargs: dict[str, Any], words: list[str]) -> None:
    args: dict[str, Any] = {"envelope": ENVELOPE, "interchange_control": 1, "group_control": 1}
    with pytest.raises(EncodeError) as caught:
        encode("855", _855(), **{**args, **kwargs})
    for word in words:
        assert word in caught.value.message


def test_the_isa_has_fixed_widths_and_counts_are_right() -> None:
    raw = encode_interchange(
        [("855", _855()), ("855", _855(BAK03="PO2"))],
        envelope=ENVELOPE,
        interchange_control=12,
        group_control=34,
        set_controls=[5, 6],
    )
    text = raw.decode()
    isa = text.split("~", 1)[0]
    assert len(isa) + 1 == 106
    assert isa.split("*")[6] == "CROSSDOCK      " and isa.split("*")[13] == "000000012"
    segments = [s for s in Reader(raw) if isinstance(s, Segment)]
    assert [s.id for s in segments] == [
        "ISA", "GS", "ST", "BAK", "SE", "ST", "BAK", "SE", "GE", "IEA",
    ]  # fmt: skip
    assert segments[4].elements == ["3", "0005"] and segments[7].elements == ["3", "0006"]
    assert segments[8].elements == ["2", "34"] and segments[9].elements == ["1", "000000012"]


def test_hl02_that_contradicts_the_nesting_is_refused() -> None:
    tree = {
        "BSN": {"BSN01": "00", "BSN02": "A1", "BSN03": "20240101", "BSN04": "1200"},
        "HL_loop": [{"HL": {"HL03": "S"}, "HL_loop": [{"HL": {"HL02": "9", "HL03": "O"}}]}],
    }
    with pytest.raises(EncodeError, match=r"HL_loop\[0\]\.HL_loop\[0\]\.HL\.HL02"):
        encode("856", tree, envelope=ENVELOPE, interchange_control=1, group_control=1)


def test_trailing_empty_elements_and_components_are_trimmed() -> None:
    tree = {**_855(BAK05=None, BAK06=""), "REF": [{"REF01": "ZZ", "REF04": ["A", "B", "", None]}]}
    raw = encode("855", tree, envelope=ENVELOPE, interchange_control=1, group_control=1)
    assert "BAK*00*AC*PO1*20240101~" in raw.decode()
    assert "REF*ZZ***A>B~" in raw.decode()


# -- 997/999 written by the encoder: pyx12's own maps as a second opinion -------------------------
@pytest.mark.parametrize("kind", ["997", "999"])
def test_acknowledgements_re_encoded_from_their_trees_satisfy_pyx12(
    kind: str, request: pytest.FixtureRequest
) -> None:
    maps_dir: Path = request.getfixturevalue("maps")  # test_x12_ack's widened pyx12 maps
    checked = 0
    for path in sample_files():
        for ack in build_acks(path.read_bytes(), kind=kind, now=NOW, counter=sequence()):  # type: ignore[arg-type]
            if ack.ta1 is not None:
                continue
            sets, (summary,) = decode_with_summaries(ack.text.encode())
            group = summary.groups[0].header
            raw = encode_interchange(
                [(s.set_id, s.tree) for s in sets],
                envelope=Envelope(
                    sender_id=summary.header.sender_id,
                    receiver_id=summary.header.receiver_id,
                    at=NOW,
                    version="00501" if kind == "999" else "00401",
                    gs_version=group.version,
                ),
                interchange_control=5,
                group_control=5,
                separators=Separators("*", "~", ":", "^"),
            )
            ours = Acknowledgement(
                text=raw.decode(),
                kind=ack.kind,
                interchange_control_number="000000005",
                ta1=None,
                groups=[],
            )
            assert validate(ours, maps_dir) == [], ours.text
            checked += 1
    assert checked
