"""997/999/TA1: every acknowledgement we build for the shared samples is read back and validated
with pyx12's own 997.4010 / 999.5010 maps, and carries the AK5/IK5 and AK9 codes we expect.

pyx12's maps are written for HIPAA: they restrict AK101 (functional id), AK201 (set id), the 997
group's GS08 and the ISA05/ISA07 id qualifiers (also in the control maps) to health-care values.
A copy of each map with exactly those code lists removed (``_WIDENED``) is used, so an 850 from
a partner with a SCAC or phone-number qualifier can be acknowledged; every other rule of the maps
(segment order and repeats, usage, element lengths and types, the other code lists, SE/GE/IEA
counts) applies.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import msgspec
import pytest
import pyx12.params
import pyx12.x12file
import pyx12.x12n_document
from _x12_build import interchange, po_850, sample_files, samples_dir
from click.testing import CliRunner

from connectors.x12 import Reader, Segment
from connectors.x12.ack import Acknowledgement, build_acks, sequence
from gateway.cli_x12 import x12

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
_WIDENED = {
    "997.4010.xml": ("ISA05", "ISA07", "AK101", "AK201", "GS08"),
    "999.5010.xml": ("AK101", "AK201"),
    "x12.control.00401.xml": ("ISA05", "ISA07"),
    "x12.control.00501.xml": ("ISA05", "ISA07"),
}


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pyx12's map folder, with the HIPAA-only code lists widened (see the module docstring)."""
    source = Path(str(files("pyx12") / "map"))
    target = tmp_path_factory.mktemp("pyx12-maps")
    for path in source.iterdir():
        if path.suffix in (".xml", ".xsd") and path.name != "maps.xml":
            (target / path.name).symlink_to(path)
    for name, widened in _WIDENED.items():
        text = (source / name).read_text("utf-8")
        for xid in widened:
            text = re.sub(
                rf'(<element xid="{xid}">.*?)<valid_codes>.*?</valid_codes>',
                r"\1",
                text,
                count=1,
                flags=re.DOTALL,
            )
        (target / name).unlink()
        (target / name).write_text(text, "utf-8")
    return target


def validate(ack: Acknowledgement, maps: Path) -> list[dict[str, Any]]:
    """pyx12's verdict on ``ack.text``: the list of its errors (empty when valid)."""
    icvn = "00501" if ack.kind == "999" else "00401"
    map_file = "999.5010.xml" if ack.kind == "999" else "997.4010.xml"
    entries = "".join(
        f'<map vriic="{version}" fic="FA" abbr="{ack.kind}">{map_file}</map>'
        for version in _gs08s(ack.text)
    )
    (maps / "maps.xml").write_text(
        f'<maps><version icvn="{icvn}">{entries}</version></maps>', "utf-8"
    )
    param = pyx12.params.params()
    errors = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        param, io.StringIO(ack.text), None, None, fd_json=errors, map_path=str(maps)
    )
    found = json.loads(errors.getvalue() or "[]")
    return [] if valid else [found]


def _gs08s(text: str) -> set[str]:
    return {s.get(8) for s in Reader(text.encode()) if isinstance(s, Segment) and s.id == "GS"}


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
