"""997/999/TA1: every acknowledgement we build for the shared samples is read back and validated
with pyx12's own 997.4010 / 999.5010 maps, and carries the AK5/IK5 and AK9 codes we expect.

The maps are widened where they are HIPAA-only; see tests/pyx12_check.py for exactly how.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
import pyx12.x12file
from _x12_build import interchange, isa, po_850, sample_files, samples_dir
from click.testing import CliRunner

from connectors.x12.ack import Acknowledgement, build_acks, sequence
from gateway.cli_x12 import x12
from tests.pyx12_check import pyx12_errors, widened_maps

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pyx12's map folder, with the HIPAA-only code lists widened (see tests/pyx12_check.py)."""
    return widened_maps(tmp_path_factory.mktemp("pyx12-maps"))


def validate(ack: Acknowledgement, maps: Path) -> list[dict[str, Any]]:
    """pyx12's verdict on ``ack.text``: the list of its errors (empty when valid)."""
    return pyx12_errors(ack.text, ack.kind, maps)


def segments(ack: Acknowledgement) -> list[list[str]]:
    """The acknowledgement as pyx12 reads it: [segment id, element 01, 02, ...]."""
    out = []
    for seg in pyx12.x12file.X12Reader(io.StringIO(ack.text)):
        sid = seg.get_seg_id()
        out.append([sid, *(seg.get_value(f"{sid}{i:02d}") or "" for i in range(1, 12))])
    return out


def codes(ack: Acknowledgement, seg_id: str) -> list[list[str]]:
    return [[v for v in s[1:] if v] for s in segments(ack) if s[0] == seg_id]


def _acks(name: str, **kw: Any) -> list[Acknowledgement]:
    return build_acks((samples_dir() / name).read_bytes(), now=NOW, counter=sequence(), **kw)


@pytest.mark.parametrize("kind", ["997", "999"])
@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_every_sample_acknowledgement_is_valid_for_pyx12(path: Path, kind: str, maps: Path) -> None:
    acks = build_acks(path.read_bytes(), kind=kind, now=NOW, counter=sequence())  # type: ignore[arg-type]
    if path.parent.name in ("997", "999"):
        assert acks == []  # acknowledgements are never acknowledged
        return
    assert acks
    for ack in acks:
        assert ack.kind == kind
        assert validate(ack, maps) == [], ack.text
        if ack.ta1 is None:
            assert len(codes(ack, "AK9")) == len(ack.groups)


# (sample, AK5/IK5 per set, AK9 per group) -- A accepted, E with errors, P partial, R rejected
GOLDEN = [
    ("850/edieng_850_ok.edi", [["A"]], [["A", "1", "1", "1"]]),
    ("850/stupidedi_850_4010_pass.edi", [["A"]], [["A", "1", "1", "1"]]),
    ("850/edieng_850_syntaxnotes_err.edi", [["R", "5"]], [["R", "1", "1", "0"]]),
    ("940/edieng_940_bad_se01.edi", [["R", "4"]], [["R", "1", "1", "0"]]),
    ("856/stupidedi_856_fail_dollar_term.edi", [["R", "4", "5"]], [["R", "1", "1", "0"]]),
    (
        "810/staedi_810_850_dual.edi",
        [["A"], ["A"], ["R", "5"]],
        [["A", "2", "2", "2"], ["R", "1", "1", "0"]],
    ),
]


@pytest.mark.parametrize("kind", ["997", "999"])
@pytest.mark.parametrize(("name", "ak5", "ak9"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_set_and_group_codes(
    name: str, ak5: list[list[str]], ak9: list[list[str]], kind: str
) -> None:
    [ack] = _acks(name, kind=kind)
    assert codes(ack, "AK5" if kind == "997" else "IK5") == ak5
    assert codes(ack, "AK9") == ak9


# (sample, kind, segment id -> every occurrence's non-empty elements), checked against each
# sample's known defects (test_x12_samples.ISSUES) and the 997 code lists
EXACT = [
    # IEA02 does not echo ISA13: TA1 R with TA105 001 (control numbers do not match), no 997
    ("812/machete_812_cs_1.edi", "997", {"TA1": [["000003438", "101127", "1719", "R", "001"]]}),
    # SE01 says 12 for 16 segments (AK502 4); N1*SF***CHI (6th in the set) has neither N102
    # nor N103 (AK304 8, AK403 2 conditional required element missing)
    (
        "945/x12types_945_rs_1.edi",
        "997",
        {
            "AK1": [["SW", "000000123"]],
            "AK2": [["945", "000006123"]],
            "AK3": [["N1", "6", "8"]],
            "AK4": [["2", "2"], ["3", "2"]],
            "AK5": [["R", "4", "5"]],
            "AK9": [["R", "1", "1", "0"]],
        },
    ),
    # HL 3 (17th in the set) names a parent that never appeared: HL02 invalid (AK403 7)
    (
        "856/stupidedi_856_fail_dollar_term.edi",
        "999",
        {
            "AK1": [["SH", "000000089", "004010"]],
            # PRF and REF after the N1 loop of an HL: out of order (7), noted; the HL error rejects
            "IK3": [["PRF", "12", "7"], ["REF", "13", "7"], ["HL", "17", "8"]],
            "IK4": [["2", "7"]],
            "IK5": [["R", "4", "5"]],
            "AK9": [["R", "1", "1", "0"]],
        },
    ),
    # two interchanges of two groups each: one acknowledgement per interchange, one 997 per group
    (
        "940/edieng_multi_isa_gs.edi",
        "997",
        {
            "AK1": [["OW", "3313"], ["OW", "3314"]],
            "AK2": [["940", "0001"], ["940", "0002"], ["940", "0001"]],
            "AK5": [["A"], ["A"], ["A"]],
            "AK9": [["A", "2", "2", "2"], ["A", "1", "1", "1"]],
        },
    ),
]


@pytest.mark.parametrize(("name", "kind", "expected"), EXACT, ids=[e[0] for e in EXACT])
def test_the_exact_acknowledgement_of_a_sample(
    name: str, kind: str, expected: dict[str, list[list[str]]], maps: Path
) -> None:
    first, *rest = _acks(name, kind=kind)
    for seg_id, occurrences in expected.items():
        assert codes(first, seg_id) == occurrences, seg_id
    if "TA1" in expected:
        assert first.ta1 == "R"
        assert codes(first, "ST") == []  # a rejected interchange gets no 997 for its groups
    assert validate(first, maps) == []
    if name.startswith("940/"):
        [second] = rest
        assert codes(second, "AK1") == [["OW", "3315"], ["OW", "3316"]]


def test_errors_point_at_segment_position_and_element() -> None:
    [ack] = _acks("850/edieng_850_syntaxnotes_err.edi")
    # PO1 is the 13th segment of the set; PO107 (P0607: PO106/PO107 paired) is missing
    assert codes(ack, "AK3") == [["PO1", "13", "8"], ["PO4", "30", "8"]]
    assert codes(ack, "AK4") == [["7", "2"], ["6", "2"]]
    [ack999] = _acks("850/edieng_850_syntaxnotes_err.edi", kind="999")
    assert codes(ack999, "IK3") == [["PO1", "13", "8"], ["PO4", "30", "8"]]
    assert codes(ack999, "IK4") == [["7", "2"], ["6", "2"]]


def test_ack_echoes_gs08_and_uses_partner_separators() -> None:
    [ack] = _acks("850/nodex12_850.edi")
    assert "*X*004010VICS~" in ack.text  # 997 group in the inbound version
    [ack] = _acks("856/stupidedi_856_fail_dollar_term.edi")
    assert ack.text.endswith("IEA*1*000000001$")  # the partner's "$" terminator
    [ack999] = _acks("850/nodex12_850.edi", kind="999")
    assert codes(ack999, "AK1") == [["PO", "1421", "004010VICS"]]
    assert "GS*FA*999999999*4405197800*20261122*0300*2*X*005010X231~" in ack999.text


def test_control_numbers_come_from_the_counter() -> None:
    raw = (samples_dir() / "940/edieng_multi_isa_gs.edi").read_bytes()
    first, second = build_acks(raw, now=NOW, counter=sequence(500))
    assert (first.interchange_control_number, second.interchange_control_number) == (
        "000000500",
        "000000503",
    )
    assert codes(first, "GE") == [["1", "501"], ["1", "502"]]


def test_interchange_errors_answer_with_ta1(maps: Path) -> None:
    [ack] = _acks("940/edieng_ctrl_mismatch.edi")
    assert ack.ta1 == "R"
    assert codes(ack, "TA1") == [["000003438", "101127", "1719", "R", "001"]]
    assert codes(ack, "AK9") == []
    assert validate(ack, maps) == []


def test_partial_and_with_errors_group_codes(maps: Path) -> None:
    good, bad = po_850(1), po_850(1)
    raw = interchange([good, bad]).replace("SE*10*0002", "SE*11*0002")
    raw = raw.replace("REF*DP*038~", "REF*DP*038~~", 1)  # an empty segment: a warning in set 1
    [ack] = build_acks(raw.encode(), now=NOW, counter=sequence())
    assert codes(ack, "AK5") == [["E"], ["R", "4"]]
    assert codes(ack, "AK9") == [["P", "2", "2", "1"]]
    assert validate(ack, maps) == []


def test_cli_prints_the_acknowledgement() -> None:
    path = samples_dir() / "850/edieng_850_ok.edi"
    result = CliRunner().invoke(x12, ["ack", str(path), "--start", "42"])
    assert result.exit_code == 0, result.output
    assert "ISA*00*" in result.output
    assert "AK5*A" in result.output
    assert "*000000042*" in result.output
    result = CliRunner().invoke(x12, ["ack", str(samples_dir() / "997/staedi_simple997.edi")])
    assert result.exit_code == 0
    assert "no acknowledgement due" in result.output


def test_the_pyx12_check_does_reject_a_broken_acknowledgement(maps: Path) -> None:
    [ack] = _acks("850/edieng_850_ok.edi")
    broken = msgspec.structs.replace(ack, text=ack.text.replace("SE*6*0001", "SE*7*0001"))
    assert validate(broken, maps) != []
    broken = msgspec.structs.replace(ack, text=ack.text.replace("AK5*A", "AK5*Q"))
    assert validate(broken, maps) != []


def test_999_carries_business_unit_and_element_context(maps: Path) -> None:
    [ack] = _acks("850/edieng_850_syntaxnotes_err.edi", kind="999")
    # each IK3 names the PO (BEG03) the error is in; each IK4 of a syntax note points at the
    # element whose presence required the missing one (P0607: PO106; C0506: PO405)
    assert codes(ack, "CTX") == [
        ["BEG03>08292233294"],
        ["SITUATIONAL TRIGGER", "PO1", "13", "6"],
        ["BEG03>08292233294"],
        ["SITUATIONAL TRIGGER", "PO4", "30", "5"],
    ]
    lines = ack.text.splitlines()  # this partner ends segments with a newline
    ik3 = lines.index("IK3*PO1*13**8")
    assert lines[ik3 : ik3 + 4] == [
        "IK3*PO1*13**8",
        "CTX*BEG03>08292233294",
        "IK4*7**2",
        "CTX*SITUATIONAL TRIGGER*PO1*13**6",
    ]
    assert validate(ack, maps) == [], ack.text


def test_997_has_no_ctx_and_stays_valid_for_4010(maps: Path) -> None:
    [ack] = _acks("850/edieng_850_syntaxnotes_err.edi", kind="997")
    assert "CTX" not in [s[0] for s in segments(ack)]
    assert validate(ack, maps) == []


def test_pyx12_refuses_a_misplaced_ctx(maps: Path) -> None:
    # the check above can fail: a business unit CTX after the IK4 is out of order for X231
    [ack] = _acks("850/edieng_850_syntaxnotes_err.edi", kind="999")
    moved = ack.text.replace(
        "CTX*BEG03>08292233294\nIK4*7**2\n", "IK4*7**2\nCTX*BEG03>08292233294\n", 1
    )
    assert moved != ack.text
    assert validate(msgspec.structs.replace(ack, text=moved), maps) != []


@pytest.mark.parametrize("kind", ["997", "999"])
def test_ta1_policy(kind: str, maps: Path) -> None:
    ok = "850/edieng_850_ok.edi"
    [always] = _acks(ok, kind=kind, ta1="always")
    assert always.ta1 == "A"
    assert codes(always, "TA1")[0][3:] == ["A", "000"]
    assert len(codes(always, "AK9")) == 1  # the functional ack follows the TA1
    assert validate(always, maps) == [], always.text
    [plain] = _acks(ok, kind=kind)  # on_error: nothing wrong with the interchange, no TA1
    assert plain.ta1 is None
    assert _acks("940/edieng_ctrl_mismatch.edi", kind=kind, ta1="never") == []
    [only_ta1] = _acks(ok, kind=kind, ta1="always", functional=False)
    assert codes(only_ta1, "AK9") == []
    assert codes(only_ta1, "IEA")[0][0] == "0"
    assert validate(only_ta1, maps) == [], only_ta1.text
    assert _acks(ok, kind=kind, functional=False) == []


def test_our_separators_replace_theirs(maps: Path) -> None:
    from connectors.x12 import Separators

    ours = Separators(element="|", component=":", segment="\n", repetition="^")
    [ack] = _acks("850/edieng_850_syntaxnotes_err.edi", kind="999", separators=ours)
    assert "CTX|BEG03:08292233294\n" in ack.text
    assert ack.text.startswith("ISA|00|")


def test_a_partners_ta1_is_never_acknowledged() -> None:
    ta1 = f"{isa('000000007')}TA1*000000042*240101*1159*A*000~IEA*0*000000007~"
    for policy in ("always", "on_error"):
        assert build_acks(ta1.encode(), ta1=policy, now=NOW, counter=sequence()) == []  # type: ignore[arg-type]
    # not even a broken one: a TA1 about their TA1 could bounce between the two of us forever
    broken = ta1.replace("IEA*0*000000007", "IEA*0*000000008")
    assert build_acks(broken.encode(), ta1="on_error", now=NOW, counter=sequence()) == []


@pytest.mark.parametrize("component", ["A", " "])
@pytest.mark.parametrize("kind", ["997", "999"])
def test_separators_we_cannot_write_are_answered_in_ours(
    component: str, kind: str, maps: Path
) -> None:
    """A letter or a space as ISA16 reads, but writing it back would corrupt the answer."""
    raw = interchange([po_850(2)], c=component).encode()
    [ack] = build_acks(raw, kind=kind, now=NOW, counter=sequence())  # type: ignore[arg-type]
    assert ack.text.startswith("ISA*00*")
    assert ack.text.split("~", 1)[0].endswith("*>")  # our component separator in ISA16
    assert validate(ack, maps) == [], ack.text
    assert codes(ack, "AK9") == [["A", "1", "1", "1"]]


def test_echoed_values_are_cut_to_what_the_element_can_carry(maps: Path) -> None:
    """An over-long ST02 comes back cut to AK202's nine characters, never as an EncodeError."""
    raw = interchange([po_850(2)]).replace("ST*850*0001", "ST*850*00000000012345")
    raw = raw.replace("SE*", "SE*", 1).replace("*0001~GE", "*00000000012345~GE")
    [ack] = build_acks(raw.encode(), kind="997", now=NOW, counter=sequence())
    [ak2] = codes(ack, "AK2")
    assert ak2 == ["850", "000000000"]
    assert validate(ack, maps) == [], ack.text


def test_structure_errors_are_named_in_the_acknowledgement(maps: Path) -> None:
    # no BEG: rejected with AK304 3; a CUR after the N1 loop: accepted, noted with AK304 7
    no_beg = po_850(1)[1:]
    late_cur = [*po_850(1)[:5], ["CUR", "BY", "USD"], *po_850(1)[5:]]
    raw = interchange([no_beg, late_cur]).encode()
    for kind, prefix in (("997", "AK"), ("999", "IK")):
        [ack] = build_acks(raw, kind=kind, now=NOW, counter=sequence())  # type: ignore[arg-type]
        assert validate(ack, maps) == []
        assert codes(ack, f"{prefix}3") == [["BEG", "2", "3"], ["CUR", "7", "7"]]
        assert codes(ack, f"{prefix}5") == [["R", "5"], ["E"]]
        assert codes(ack, "AK9") == [["P", "2", "2", "1"]]
