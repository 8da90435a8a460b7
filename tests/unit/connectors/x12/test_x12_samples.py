"""Every file under ../shared/samples/x12 is a golden test: envelopes, counts and exact errors.

Each expected error is (code, segment number in the interchange, segment id, element). Warnings
are listed too where the sample is known for them, so a change in tolerance shows up here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _x12_build import sample_files, samples_dir

from connectors.x12 import decode, decode_with_summaries

# file -> [(set id, ST02, segment count ST..SE, accepted)]
SETS: dict[str, list[tuple[str, str, int, bool]]] = {
    "214/edinet_214.edi": [("214", "822650001", 16, True)],
    "810/staedi_810_850_dual.edi": [
        ("810", "000000001", 32, True),
        ("810", "000000002", 22, True),
        ("850", "000191240", 17, False),
    ],
    "810/staedi_simple810.edi": [("810", "000000001", 32, True), ("810", "000000002", 22, True)],
    "812/machete_812_cs_1.edi": [("812", "0001", 42, False)],
    "850/edieng_850_ok.edi": [("850", "000000010", 33, True)],
    "850/edieng_850_syntaxnotes_err.edi": [("850", "000000010", 33, False)],
    "850/nodex12_850.edi": [("850", "000000010", 33, True)],
    "850/stupidedi_850_4010_pass.edi": [("850", "0001", 5, True)],
    "855/nodex12_855.edi": [("855", "0005", 26, True)],
    "856/edieng_856_crossdock.edi": [("856", "0001", 57, True)],
    "856/nodex12_856.edi": [("856", "0008", 31, True)],
    "856/stupidedi_856_fail_dollar_term.edi": [("856", "0000001", 22, False)],
    "940/edieng_940_bad_se01.edi": [("940", "20066", 9, False)],
    "940/edieng_940_ok.edi": [("940", "0001", 29, True)],
    "940/edieng_ctrl_mismatch.edi": [("940", "0001", 5, False)],
    "940/edieng_multi_isa_gs.edi": [
        ("940", "0001", 5, True),
        ("940", "0002", 5, True),
        ("940", "0001", 5, True),
    ]
    * 2,
    "943/stupidedi_943.edi": [("943", "0001", 9, True)],
    "944/stupidedi_944.edi": [("944", "0001", 8, True)],
    "945/x12types_945_rs_1.edi": [("945", "000006123", 16, False)],
    "997/staedi_extra_delim997.edi": [("997", "0001", 8, False)],
    "997/staedi_invalid997.edi": [("997", "0001", 8, False)],
    "997/staedi_simple997.edi": [("997", "0001", 8, True)],
    "999/staedi_simple999.edi": [("999", "2870001", 16, True)],
}

# file -> every issue (set, group and interchange level): (code, segment_no, segment id, element)
ISSUES: dict[str, set[tuple[str, int, str, str]]] = {
    "214/edinet_214.edi": {
        ("byte_order_mark", 0, "", ""),
        ("isa_not_fixed_width", 1, "ISA", ""),
        ("line_break_in_segment", 1, "ISA", ""),  # the ISA is wrapped onto two lines
    },
    # the 850 in the second group: N1*ST*CARGO LIMITED #112*92 has N103 without N104
    "810/staedi_810_850_dual.edi": {("syntax_note", 67, "N1", "N104")},
    # generator placeholders: IEA02 does not echo ISA13; the file ends without a terminator
    "812/machete_812_cs_1.edi": {
        ("iea02", 46, "IEA", "IEA02"),
        ("missing_terminator", 46, "IEA", ""),
    },
    # PO1*1 has PO106 'CB' without PO107; the last PO4 has PO405 without PO406 and PO407
    # without PO406
    "850/edieng_850_syntaxnotes_err.edi": {
        ("syntax_note", 15, "PO1", "PO107"),
        ("syntax_note", 32, "PO4", "PO406"),
    },
    "850/stupidedi_850_4010_pass.edi": {("isa_not_fixed_width", 1, "ISA", "")},
    "856/nodex12_856.edi": {("isa11_basic_character", 1, "ISA", "ISA11")},
    # N1, N3, N4 and HL*2 end with '~' instead of '$': read as one N1, so SE01 is off by 3 and
    # HL 3 names a parent that never appeared
    "856/stupidedi_856_fail_dollar_term.edi": {
        ("line_break_in_segment", 13, "N1", ""),
        ("se01", 24, "SE", "SE01"),
        ("hl_parent_missing", 19, "HL", "HL02"),
        # PRF and REF after the N1 loop of an HL: the 856 table puts them before it
        ("segment_out_of_order", 14, "PRF", ""),
        ("segment_out_of_order", 15, "REF", ""),
    },
    "940/edieng_940_bad_se01.edi": {
        ("se01", 11, "SE", "SE01"),
        ("missing_terminator", 13, "IEA", ""),
    },
    "940/edieng_940_ok.edi": {("missing_terminator", 33, "IEA", "")},
    "940/edieng_ctrl_mismatch.edi": {
        ("se02", 7, "SE", "SE02"),
        ("ge02", 8, "GE", "GE02"),
        ("iea02", 9, "IEA", "IEA02"),
    },
    "940/edieng_multi_isa_gs.edi": {
        ("iea02_format", 21, "IEA", "IEA02"),
        ("missing_terminator", 21, "IEA", ""),
    },
    # unpadded ISA; SE01 says 12 for 16 segments; N1*SF***CHI has neither N102 nor N103
    "945/x12types_945_rs_1.edi": {
        ("isa_not_fixed_width", 1, "ISA", ""),
        ("se01", 18, "SE", "SE01"),
        ("syntax_note", 8, "N1", "N102"),
        ("syntax_note", 8, "N1", "N103"),
    },
    # repetition and component separators inside simple elements
    "997/staedi_extra_delim997.edi": {
        ("element_repeated", 6, "AK3", "AK302"),
        ("element_repeated", 6, "AK3", "AK304"),
        ("element_repeated", 7, "AK4", "AK404"),
    },
    "997/staedi_invalid997.edi": {
        ("bad_code", 4, "AK1", "AK101"),
        ("bad_numeric", 7, "AK4", "AK402"),
    },
}

# ISA13, version, (GS06, set count) per group, per interchange. Written from the files with an
# independent splitter (separators from the ISA by counting elements), not from our reader.
ENVELOPES: dict[str, list[tuple[str, str, list[tuple[str, int]]]]] = {
    "214/edinet_214.edi": [("000082265", "00403", [("82265", 1)])],
    "810/staedi_810_850_dual.edi": [("000000020", "00401", [("1", 2), ("165", 1)])],
    "810/staedi_simple810.edi": [("000000020", "00401", [("1", 2)])],
    "812/machete_812_cs_1.edi": [("000003438", "00400", [("1", 1)])],
    "850/edieng_850_ok.edi": [("000003438", "00400", [("1421", 1)])],
    "850/edieng_850_syntaxnotes_err.edi": [("000003438", "00400", [("1421", 1)])],
    "850/nodex12_850.edi": [("000003438", "00400", [("1421", 1)])],
    "850/stupidedi_850_4010_pass.edi": [("000000001", "00401", [("1", 1)])],
    "855/nodex12_855.edi": [("000000005", "00401", [("5", 1)])],
    "856/edieng_856_crossdock.edi": [("000000091", "00401", [("91", 1)])],
    "856/nodex12_856.edi": [("000000049", "00406", [("49", 1)])],
    "856/stupidedi_856_fail_dollar_term.edi": [("000000089", "00400", [("000000089", 1)])],
    "940/edieng_940_bad_se01.edi": [("000009221", "00401", [("9221", 1)])],
    "940/edieng_940_ok.edi": [("000003438", "00400", [("3317", 1)])],
    "940/edieng_ctrl_mismatch.edi": [("000003438", "00400", [("3314", 1)])],
    "940/edieng_multi_isa_gs.edi": [
        ("000003438", "00400", [("3313", 2), ("3314", 1)]),
        ("000003439", "00400", [("3315", 2), ("3316", 1)]),
    ],
    "943/stupidedi_943.edi": [("000000001", "00401", [("1", 1)])],
    "944/stupidedi_944.edi": [("000000001", "00401", [("1", 1)])],
    "945/x12types_945_rs_1.edi": [("043000123", "00401", [("000000123", 1)])],
    "997/staedi_extra_delim997.edi": [("508121953", "00501", [("000005", 1)])],
    "997/staedi_invalid997.edi": [("508121953", "00501", [("000005", 1)])],
    "997/staedi_simple997.edi": [("508121953", "00501", [("000005", 1)])],
    "999/staedi_simple999.edi": [("000000286", "00501", [("287", 1)])],
}


def _name(path: Path) -> str:
    return path.relative_to(samples_dir()).as_posix()


def test_every_sample_has_a_golden_entry(samples: Path) -> None:
    names = {_name(p) for p in sample_files()}
    assert names, "no samples found"
    assert names == set(SETS), f"add golden entries for {names - set(SETS)}"
    assert names == set(ENVELOPES), f"add envelopes for {names - set(ENVELOPES)}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_sample_sets_and_issues(samples: Path, name: str) -> None:
    raw = (samples / name).read_bytes()
    sets, summaries = decode_with_summaries(raw)
    assert [(s.set_id, s.control_number, s.segment_count, s.accepted) for s in sets] == SETS[name]
    found = {
        (i.code, i.segment_no, i.segment_id, i.element)
        for i in [
            *(i for s in sets for i in s.issues),
            *(i for m in summaries for i in m.issues),
            *(i for m in summaries for g in m.groups for i in g.issues),
        ]
    }
    assert found == ISSUES.get(name, set())
    for s in sets:
        start, end = s.raw_range
        assert raw[start:end].startswith(b"ST")
        assert s.segments[-1].id == "SE"
        assert raw[s.segments[-1].offset : end].startswith(b"SE")


@pytest.mark.parametrize("name", sorted(ENVELOPES))
def test_sample_envelopes(samples: Path, name: str) -> None:
    _, summaries = decode_with_summaries((samples / name).read_bytes())
    got = [
        (
            m.header.control_number,
            m.header.version,
            [(g.header.control_number, g.set_count) for g in m.groups],
        )
        for m in summaries
    ]
    assert got == ENVELOPES[name]
    assert all(m.closed for m in summaries)


def test_messages_name_stage_position_and_expectation(samples: Path) -> None:
    sets = decode((samples / "940/edieng_940_bad_se01.edi").read_bytes())
    (issue,) = [i for i in sets[0].issues if i.code == "se01"]
    assert issue.message.startswith("decode: SE01")
    assert "segment 11" in issue.message
    assert "byte 307" in issue.message
    assert (issue.expected, issue.found) == ("9", "12")


def test_rejected_set_does_not_stop_the_interchange(samples: Path) -> None:
    sets = decode((samples / "810/staedi_810_850_dual.edi").read_bytes())
    assert [s.accepted for s in sets] == [True, True, False]


# -- pyx12 as a second opinion on the samples it can read --------------------------------------
def _pyx12_set_counts(path: Path) -> list[int] | None:
    x12file = pytest.importorskip("pyx12.x12file")
    from pyx12.errors import X12Error

    try:
        with path.open(encoding="latin-1") as fh:
            counts: list[int] = []
            current = 0
            for seg in x12file.X12Reader(fh):
                sid = seg.get_seg_id()
                current = 1 if sid == "ST" else current + 1
                if sid == "SE":
                    counts.append(current)
    except X12Error:
        return None
    return counts


@pytest.mark.parametrize("name", sorted(SETS))
def test_segment_counts_agree_with_pyx12(samples: Path, name: str) -> None:
    theirs = _pyx12_set_counts(samples / name)
    if theirs is None:
        pytest.skip("pyx12 cannot read this sample (version, BOM or unpadded ISA)")
    ours = [s.segment_count for s in decode((samples / name).read_bytes())]
    assert ours == theirs
