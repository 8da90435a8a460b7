"""Syntax notes: the remembered findings per presence pattern equal checking every note afresh."""

from __future__ import annotations

from _x12_build import interchange
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.x12 import read_sets
from connectors.x12._model import X12Set
from connectors.x12._rules import _COMPILED, _check_note, check_set

SEGMENT = st.tuples(
    st.sampled_from(sorted(_COMPILED)), st.lists(st.sampled_from(["", "", "X1"]), max_size=32)
).map(lambda t: [t[0], *t[1]])


def _set(body: list[list[str]]) -> X12Set:
    raw = interchange([body]).encode()
    (xset,) = [s for s in read_sets(raw) if isinstance(s, X12Set)]
    return xset


@given(st.lists(SEGMENT, min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_findings_match_every_note_checked_afresh(body: list[list[str]]) -> None:
    # shapes repeat on purpose (few element choices): the cache must give each its own position
    xset = _set(body)
    expected = []
    for position, seg in enumerate(xset.segments, 1):
        for note in _COMPILED.get(seg.id, []):
            problem = _check_note(note, seg)
            if problem is not None:
                expected.append((position, seg.number, problem[0], problem[1]))
    check_set(xset)
    got = [
        (i.set_position, i.segment_no, i.element, i.message.split("): ", 1)[1])
        for i in xset.issues
        if i.code == "syntax_note"
    ]
    assert got == expected


def test_two_lines_with_the_same_gap_each_get_their_own_finding() -> None:
    line = ["PO1", "1", "2", "EA", "9.25", "", "BP", ""]  # PO106 without PO107
    xset = _set([line, ["PO1", "2", "2", "EA", "9.25", "", "BP", ""]])
    check_set(xset)
    found = [(i.set_position, i.element) for i in xset.issues if i.code == "syntax_note"]
    assert found == [(2, "PO107"), (3, "PO107")]
