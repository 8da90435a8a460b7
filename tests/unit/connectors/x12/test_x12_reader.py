"""The tokeniser's tolerance: every oddity partners send is read and reported, never dropped."""

from __future__ import annotations

import io

import pytest
from _x12_build import interchange, po_850

from connectors.x12 import Issue, Reader, Segment, decode, decode_with_summaries, read_sets
from connectors.x12._model import X12Set

BODY = [["BEG", "00", "SA", "PO1", "", "20240101"], ["PO1", "1", "2", "EA"]]


def _segments(raw: bytes, chunk_size: int = 1 << 16) -> list[Segment]:
    return [s for s in Reader(io.BytesIO(raw), chunk_size=chunk_size) if isinstance(s, Segment)]


def _issues(raw: bytes) -> list[Issue]:
    sets, summaries = decode_with_summaries(raw)
    return [
        *(i for s in sets for i in s.issues),
        *(i for m in summaries for i in m.issues),
        *(i for m in summaries for g in m.groups for i in g.issues),
    ]


def _codes(raw: bytes) -> set[str]:
    return {i.code for i in _issues(raw)}


def test_plain_interchange_has_no_issues() -> None:
    raw = interchange([BODY]).encode()
    (xset,) = decode(raw)
    assert xset.accepted
    assert (xset.set_id, xset.control_number, xset.segment_count) == ("850", "0001", 4)
    assert xset.interchange.sender_id == "SENDER"
    assert xset.group is not None
    assert xset.group.control_number == "1"
    assert _codes(raw) == set()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("terminator", ["~", "\n", "\u2026", "$", "!"])
def test_chunk_boundaries_do_not_change_the_result(chunk_size: int, terminator: str) -> None:
    raw = interchange([BODY, BODY], t=terminator).encode()
    whole = [(s.id, s.elements, s.offset, s.end, s.number) for s in _segments(raw)]
    chunked = [(s.id, s.elements, s.offset, s.end, s.number) for s in _segments(raw, chunk_size)]
    assert chunked == whole
    assert [s[0] for s in whole][:3] == ["ISA", "GS", "ST"]
    assert len(whole) == 12


def test_offsets_point_at_the_segment_in_the_bytes() -> None:
    raw = interchange([BODY], t="\u2026", after="\r\n").encode()
    for seg in _segments(raw):
        assert raw[seg.offset : seg.offset + len(seg.id)] == seg.id.encode()


def test_bom_whitespace_and_crlf_are_tolerated() -> None:
    raw = b"\xef\xbb\xbf \r\n" + interchange([BODY], after="\r\n").encode()
    (xset,) = decode(raw)
    assert xset.segment_count == 4
    assert _codes(raw) == {"byte_order_mark", "padding_outside_interchange"}
    [padding] = [i for i in _issues(raw) if i.code == "padding_outside_interchange"]
    assert padding.severity == "warning"
    assert padding.offset == 3  # after the byte-order mark
    assert "1 line break, 1 carriage return, 1 space before an ISA" in padding.message
    # line breaks alone around interchanges are layout
    plain = b"\r\n" + interchange([BODY]).encode() + b"\n\n"
    assert _codes(plain) == set()
    nul_padded = interchange([BODY]).encode() + b"\x00" * 80  # fixed-block padding
    [tail] = _issues(nul_padded)
    assert (tail.code, tail.offset) == ("padding_outside_interchange", len(nul_padded) - 80)
    assert "80 NULs after the last IEA" in tail.message


def test_newline_terminator_with_crlf() -> None:
    raw = interchange([BODY], t="\r\n").encode()
    (xset,) = decode(raw)
    assert xset.interchange.separators.segment == "\n"
    assert xset.segments[1].elements == ["00", "SA", "PO1", "", "20240101"]
    assert xset.accepted


def test_unpadded_isa_is_read_by_counting_elements() -> None:
    raw = interchange([BODY], padded=False, c="^", t="!").encode()
    (xset,) = decode(raw)
    seps = xset.interchange.separators
    assert (seps.element, seps.component, seps.segment) == ("*", "^", "!")
    assert xset.interchange.receiver_id == "RECEIVER"
    assert _codes(raw) == {"isa_not_fixed_width"}


def test_repetition_separator_from_isa11_for_00501() -> None:
    (xset,) = decode(interchange([BODY], version="00501", isa11="^", c=":").encode())
    assert xset.interchange.separators.repetition == "^"
    (xset,) = decode(interchange([BODY], version="00401", isa11="^").encode())
    assert xset.interchange.separators.repetition is None


@pytest.mark.parametrize(
    ("version", "isa11", "repetition"),
    [
        ("00200", "U", None),
        ("00300", "U", None),
        ("00400", "U", None),
        ("00401", "U", None),
        ("00403", "^", "^"),  # ISA11 is the repetition separator from 00402 on
        ("00406", "~", "~"),
        ("00501", "^", "^"),
        ("00601", "{", "{"),
        ("00801", "^", "^"),
    ],
)
@pytest.mark.parametrize("padded", [True, False])
def test_every_isa_version_gives_its_separators(
    version: str, isa11: str, repetition: str | None, padded: bool
) -> None:
    raw = interchange([BODY], version=version, isa11=isa11, e="|", t="$", padded=padded).encode()
    (xset,) = decode(raw)
    seps = xset.interchange.separators
    assert (seps.element, seps.segment, seps.component, seps.repetition) == (
        "|",
        "$",
        ">",
        repetition,
    )
    assert xset.accepted, xset.issues
    assert xset.tree["BEG"]["BEG03"] == "PO1"


def test_missing_final_terminator_is_read_with_a_warning() -> None:
    raw = interchange([BODY]).encode()[:-1]
    issues = _issues(raw)
    assert [(i.code, i.segment_id, i.severity) for i in issues] == [
        ("missing_terminator", "IEA", "warning")
    ]
    _, summaries = decode_with_summaries(raw)
    assert summaries[0].closed


def test_doubled_terminator_is_a_warning_not_a_stop() -> None:
    raw = interchange([BODY]).replace("~BEG", "~~BEG").encode()
    (xset,) = decode(raw)
    assert xset.segment_count == 4
    (issue,) = _issues(raw)
    assert issue.code == "empty_segment"
    assert issue.offset == raw.index(b"~~") + 1


def test_several_interchanges_with_different_separators() -> None:
    first = interchange([BODY], control="000000001", e="*", t="~")
    second = interchange([BODY, BODY], control="000000002", e="|", c="^", t="\n")
    third = interchange([BODY], control="000000003", e="+", c=":", t="\u2026", padded=False)
    raw = (first + "\r\n" + second + third).encode()
    sets, summaries = decode_with_summaries(raw)
    assert [m.header.control_number for m in summaries] == ["000000001", "000000002", "000000003"]
    assert [len(s.segments) for s in sets] == [4, 4, 4, 4]
    assert [s.interchange.separators.element for s in sets] == ["*", "|", "|", "+"]
    assert all(s.accepted for s in sets)


def test_missing_trailers_are_errors_with_positions() -> None:
    text = interchange([BODY, BODY])
    text = text.replace("SE*4*0001~", "", 1)  # first set loses its SE
    raw = (text.replace("IEA*1*000000001~", "")).encode()
    sets, summaries = decode_with_summaries(raw)
    assert [len(s.issues) for s in sets] == [1, 0]
    assert [s.accepted for s in sets] == [False, False]  # no IEA: the envelope is suspect
    assert {i.code for i in sets[1].envelope_issues} == {"missing_iea"}
    (missing_se,) = sets[0].issues
    assert (missing_se.code, missing_se.found) == ("missing_se", "ST")
    assert {i.code for i in summaries[0].issues} == {"missing_iea"}


def test_a_new_isa_before_iea_closes_the_previous_interchange() -> None:
    first = interchange([BODY]).replace("IEA*1*000000001~", "")
    raw = (first + interchange([BODY], control="000000002", e="|")).encode()
    sets, summaries = decode_with_summaries(raw)
    assert len(sets) == 2
    assert [m.closed for m in summaries] == [False, True]
    assert summaries[0].issues[0].code == "missing_iea"


def test_junk_outside_interchanges_is_reported() -> None:
    raw = b"hello" + interchange([BODY]).encode() + b"trailing junk"
    codes = [i.code for i in _issues(raw)]
    assert codes.count("data_outside_interchange") == 2


def test_no_isa_at_all_raises_decode_error() -> None:
    from connectors.errors import DecodeError

    with pytest.raises(DecodeError) as info:
        decode(b"not edi at all")
    assert info.value.stage == "decode"
    assert info.value.code == "x12_no_sets"


def test_counts_mismatch_reports_expected_and_found() -> None:
    raw = interchange([BODY]).replace("GE*1*1", "GE*2*1").replace("IEA*1*", "IEA*3*").encode()
    issues = {i.code: i for i in _issues(raw)}
    assert (issues["ge01"].expected, issues["ge01"].found) == ("1", "2")
    assert (issues["iea01"].expected, issues["iea01"].found) == ("1", "3")
    (xset,) = decode(raw)
    assert not xset.accepted  # envelope errors reject the sets inside
    assert xset.issues == []


def test_streaming_from_a_file_object_yields_sets_then_summary() -> None:
    raw = interchange([po_850(3)] * 3).encode()
    kinds = [type(x).__name__ for x in read_sets(io.BytesIO(raw), chunk_size=50)]
    assert kinds == ["X12Set"] * 3 + ["InterchangeSummary"]


def test_raw_range_is_the_exact_set_bytes() -> None:
    raw = interchange([BODY, BODY], t="\u2026", after="\n").encode()
    for xset in decode(raw):
        assert isinstance(xset, X12Set)
        start, end = xset.raw_range
        assert raw[start:end].startswith(b"ST*850*")
        assert raw[start:end].endswith(f"SE*4*{xset.control_number}\u2026".encode())


def test_a_missing_terminator_does_not_grow_memory_without_bound() -> None:
    head = interchange([BODY]).split("GS*")[0].encode()
    stream = io.BytesIO(head + b"GS*" + b"A" * (3 << 20) + b"\n" + interchange([BODY]).encode())
    items = list(Reader(stream, chunk_size=1 << 16))
    codes = [i.code for i in items if isinstance(i, Issue)]
    assert codes[0] == "segment_too_long"
    assert "data_outside_interchange" in codes
    ids = [s.id for s in items if isinstance(s, Segment)]
    assert ids[0] == "ISA"
    assert ids[-1] == "IEA"
    assert ids.count("ISA") == 2


def _padding_issues(raw: bytes, chunk_size: int = 1 << 16) -> list[tuple[int, int, str]]:
    items = Reader(io.BytesIO(raw), chunk_size=chunk_size)
    return [
        (i.offset, i.segment_no, i.message)
        for i in items
        if isinstance(i, Issue) and i.code == "padding_before_segment"
    ]


@pytest.mark.parametrize("chunk_size", [1, 5, 64, 1 << 16])
@pytest.mark.parametrize("terminator", ["~", "\u2026"])
def test_padding_between_segments_is_skipped_and_said_where(
    chunk_size: int, terminator: str
) -> None:
    raw = interchange([BODY], t=terminator).encode()
    cut = raw.index(b"BEG")
    padded = raw[:cut] + b"\x00\x00 \t" + raw[cut:]
    assert [(s.id, s.elements) for s in _segments(padded, chunk_size)] == [
        (s.id, s.elements) for s in _segments(raw)
    ]
    [(offset, number, message)] = _padding_issues(padded, chunk_size)
    assert offset == cut  # where the padding starts
    assert number == 4  # ISA, GS, ST, then the BEG it precedes
    assert "1 space, 1 tab, 2 NULs before segment 4" in message


@pytest.mark.parametrize("layout", ["\n", "\r\n", "\r"])
def test_one_line_break_after_a_terminator_is_layout(layout: str) -> None:
    raw = interchange([BODY], after=layout).encode()
    assert _padding_issues(raw) == []
    assert _padding_issues(raw, chunk_size=3) == []


def test_blank_lines_between_segments_are_said() -> None:
    raw = interchange([BODY], after="\r\n").encode()
    cut = raw.index(b"BEG")
    padded = raw[:cut] + b"\r\n\r\n" + raw[cut:]
    [(offset, number, message)] = _padding_issues(padded)
    assert (offset, number) == (cut - 2, 4)
    assert "3 line breaks, 3 carriage returns before segment 4" in message  # the whole gap


def test_non_ascii_digits_in_control_numbers_are_errors_not_crashes() -> None:
    """``'²'.isdigit()`` is true and ``int('²')`` raises: found by the fuzz test."""
    raw = interchange([BODY]).encode()
    cut = raw.rindex(b"IEA*1*") + len(b"IEA*1*")
    bad = raw[:cut] + "²".encode() + raw[cut + 1 :]
    sets, summaries = decode_with_summaries(bad)
    assert [s.set_id for s in sets] == ["850"]
    assert "iea02" in {i.code for m in summaries for i in m.issues}
