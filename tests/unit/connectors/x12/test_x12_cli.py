"""``crossdock x12 inspect``: JSON with envelopes, sets and every issue with its position."""

from __future__ import annotations

import json

from _x12_build import sample_files, samples_dir
from click.testing import CliRunner

from gateway.cli_x12 import x12


def test_inspect_reports_envelopes_and_issues() -> None:
    path = samples_dir() / "940/edieng_ctrl_mismatch.edi"
    result = CliRunner().invoke(x12, ["inspect", str(path)])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    (ich,) = report["interchanges"]
    assert ich["control_number"] == "000003438"
    (group,) = ich["groups"]
    assert group["control_number"] == "3314"
    (xset,) = group["sets"]
    assert (xset["set_id"], xset["control_number"], xset["segment_count"]) == ("940", "0001", 5)
    assert [i["code"] for i in xset["issues"]] == ["se02"]
    assert xset["issues"][0]["offset"] == 265
    assert [i["code"] for i in group["issues"]] == ["ge02"]
    assert [i["code"] for i in ich["issues"]] == ["iea02"]
    assert report["error_count"] == 3


def test_inspect_clean_file_exits_zero() -> None:
    path = samples_dir() / "850/nodex12_850.edi"
    result = CliRunner().invoke(x12, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["interchanges"][0]["groups"][0]["sets"][0]["segment_count"] == 33


def test_inspect_never_crashes_on_the_samples() -> None:
    for path in sample_files():
        result = CliRunner().invoke(x12, ["inspect", str(path)])
        assert result.exit_code in (0, 1), (path, result.output)
        assert json.loads(result.output)["interchanges"]


def test_inspect_includes_structure_and_syntax_errors() -> None:
    path = samples_dir() / "856/stupidedi_856_fail_dollar_term.edi"
    result = CliRunner().invoke(x12, ["inspect", str(path)])
    report = json.loads(result.output)
    (xset,) = report["interchanges"][0]["groups"][0]["sets"]
    assert [(i["code"], i["segment_no"]) for i in xset["issues"]] == [
        ("line_break_in_segment", 13),
        ("se01", 24),
        ("segment_out_of_order", 14),  # PRF and REF after the HL's N1 loop
        ("segment_out_of_order", 15),
        ("hl_parent_missing", 19),
    ]
    assert xset["accepted"] is False
