"""``crossdock x12 encode``: a canonical document through a reverse mapping, printed as X12."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from connectors.x12 import decode_with_summaries
from gateway.cli_x12_encode import encode_command

ROOT = Path(__file__).resolve().parents[3]
MAPPING = ROOT / "mappings" / "_base" / "x12-855-from-order.yaml"
ORDER = ROOT / "mappings" / "_base" / "examples" / "x12-855-from-order-1.json"


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(encode_command, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_prints_an_interchange_our_reader_accepts() -> None:
    code, out, _ = _run(
        "--mapping", str(MAPPING), "--isa13", "42", "--gs06", "7", "--st02", "3",
        "--at", "2026-11-22T05:00:00+00:00", "--receiver-id", "ACME", str(ORDER),
    )  # fmt: skip
    assert code == 0
    (xset,), (summary,) = decode_with_summaries(out.encode())
    assert xset.accepted and summary.issues == []
    assert (summary.header.control_number, summary.header.receiver_id) == ("000000042", "ACME")
    assert (summary.groups[0].header.control_number, xset.control_number) == ("7", "0003")
    assert summary.header.usage == "T"  # a preview is a test interchange unless told otherwise
    assert (
        out.startswith("ISA*00*") and "~\nGS*PR*CROSSDOCK*ACME*20261122*0500*7*X*004010~\n" in out
    )


def test_tree_prints_the_mapped_tree() -> None:
    code, out, _ = _run("--mapping", str(MAPPING), "--tree", "-", stdin=ORDER.read_text())
    assert code == 0
    assert json.loads(out)["BAK"]["BAK03"] == "PO-4500012345"


def test_other_separators_and_no_newlines() -> None:
    code, out, _ = _run(
        "--mapping", str(MAPPING), "--separators", "|!:^", "--no-newline", str(ORDER)
    )  # fmt: skip
    assert code == 0 and "\n" not in out and out.count("!") == len(out.split("!")) - 1
    (xset,), _ = decode_with_summaries(out.encode())
    assert xset.accepted and xset.interchange.separators.element == "|"


def test_refusals_go_to_stderr_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(ORDER.read_text()), "po_number": "PO~1"}))
    code, out, err = _run("--mapping", str(MAPPING), str(bad))
    assert (code, out) == (1, "")
    assert "BAK.BAK03 contains the separator '~'" in err
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"po_number": "X"}))
    code, _, err = _run("--mapping", str(MAPPING), str(invalid))
    assert code == 1 and "not a valid v1/order" in err
    inbound = ROOT / "mappings" / "_base" / "x12-850-order.yaml"
    code, _, err = _run("--mapping", str(inbound), str(ORDER))
    assert code == 1 and "not a reverse mapping" in err
