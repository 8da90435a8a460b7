"""What a drop folder watcher picks, and how it names a reader error's segment (property tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.x12 import Reader, Segment
from gateway.x12_drop_folder import ignored, segment_position

SAMPLE = Path(__file__).resolve().parents[3].parent / "shared/samples/x12/850/edieng_850_ok.edi"

names = st.text(st.characters(blacklist_characters="/\0"), min_size=1, max_size=30)


@given(names)
def test_marked_names_are_never_picked(name: str) -> None:
    for marked in (f".{name}", f"{name}.tmp", f"{name}.PART", f"{name}.filepart"):
        assert ignored(marked)


@given(names)
def test_other_names_are_picked(name: str) -> None:
    clean = name.lstrip(".") or "x"
    if not clean.lower().endswith((".tmp", ".part", ".filepart")):
        assert not ignored(clean)


@pytest.mark.skipif(not SAMPLE.is_file(), reason=f"shared sample not found at {SAMPLE}")
@given(st.data())
def test_a_byte_names_the_segment_that_holds_it(data: st.DataObject) -> None:
    raw = SAMPLE.read_bytes()
    segments = [s for s in Reader(raw) if isinstance(s, Segment)]
    offset = data.draw(st.integers(segments[0].offset, len(raw)))
    holder = [s for s in segments if s.offset <= offset][-1]
    assert segment_position(raw, f"byte {offset}") == f"segment {holder.number} ({holder.id})"


@given(st.binary(max_size=200), st.integers(0, 300))
def test_any_bytes_give_a_position_or_none(raw: bytes, offset: int) -> None:
    found = segment_position(raw, f"byte {offset}")
    assert found is not None
    assert found == "before the first segment" or found.startswith("segment ")
    assert segment_position(raw, "ISA13") is None
