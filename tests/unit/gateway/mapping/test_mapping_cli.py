"""``crossdock mappings check|test`` and ``crossdock map`` through click's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gateway.cli_mappings import map_command, mappings

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"


@click.group()
def main() -> None:
    """The commands as the lead registers them on ``crossdock``."""


main.add_command(mappings)
main.add_command(map_command)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, target)
    return target


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_check_passes_on_the_shipped_mappings(folder: Path) -> None:
    code, out = _run("mappings", "check", "--mappings", str(folder))
    assert code == 0, out
    assert "0 error(s), 0 warning(s)" in out


def test_check_fails_on_an_unknown_target_field(folder: Path) -> None:
    path = folder / "demo-shop" / "order.yaml"
    path.write_text(path.read_text("utf-8").replace("  currency:", "  currencyy:"), "utf-8")
    code, out = _run("mappings", "check", "--mappings", str(folder))
    assert code == 1
    assert f"{path}:" in out
    assert "target field `currencyy` is not in the contract (Order)" in out


def test_warnings_alone_do_not_fail(folder: Path) -> None:
    path = folder / "demo-shop" / "order.yaml"
    path.write_text(
        path.read_text("utf-8").replace('"order.shipping.city"', '"order.shipping.town"'), "utf-8"
    )
    code, out = _run("mappings", "check", "--mappings", str(folder))
    assert code == 0, out
    assert "warning: source path `order.shipping.town`" in out


def test_test_runs_every_case_and_names(folder: Path) -> None:
    code, out = _run("mappings", "test", "--mappings", str(folder))
    assert code == 0, out
    # every example case of every shipped mapping ran and passed, whatever their number
    ok_lines = [line for line in out.splitlines() if line.endswith(": ok")]
    assert len(ok_lines) >= 5
    assert f"{len(ok_lines)} passed, 0 failed" in out
    code, out = _run("mappings", "test", "--mappings", str(folder), "demo-shop/order")
    assert (code, out.splitlines()[-1]) == (0, "2 passed, 0 failed")
    code, out = _run("mappings", "test", "--mappings", str(folder), "nobody")
    assert code == 2
    assert "no mapping file matches nobody" in out


def test_test_prints_a_diff_and_fails(folder: Path) -> None:
    expected = folder / "demo-shop" / "examples" / "order-1.expected.json"
    expected.write_text(expected.read_text("utf-8").replace('"SO-1001"', '"SO-1000"'), "utf-8")
    code, out = _run("mappings", "test", "--mappings", str(folder), "demo-shop")
    assert code == 1
    assert "example `order-1`: FAILED at compare" in out
    assert '-  "po_number": "SO-1000"\n+  "po_number": "SO-1001"\n' in out
    assert "1 passed, 1 failed" in out


def test_map_prints_canonical_json(folder: Path) -> None:
    sample = folder / "demo-shop" / "examples" / "order-1.json"
    result = CliRunner().invoke(
        main,
        [
            "map",
            "--partner",
            "demo-shop",
            "--type",
            "order",
            "--mappings",
            str(folder),
            str(sample),
        ],
    )
    assert result.exit_code == 0, result.output
    expected = json.loads(sample.with_name("order-1.expected.json").read_text("utf-8"))
    assert json.loads(result.stdout) == expected
    assert "# mapping: demo-shop/order.yaml -> v1/order" in result.stderr


def test_map_failure_names_stage_file_line_path_and_value(folder: Path, tmp_path: Path) -> None:
    doc = json.loads((folder / "demo-shop" / "examples" / "order-1.json").read_text("utf-8"))
    doc["order"]["items"][0]["unit"] = "furlong"
    sample = tmp_path / "bad.json"
    sample.write_text(json.dumps(doc), "utf-8")
    code, out = _run(
        "map", "--partner", "demo-shop", "--type", "order", "--mappings", str(folder), str(sample)
    )
    assert code == 1
    assert "failed at stage map:" in out
    assert "  code: map_required_missing" in out
    assert f"  file: {folder / 'demo-shop' / 'order.yaml'}" in out
    assert "  path: lines[0].quantity.uom" in out
    assert "  expression: code('uom', unit || 'EA')" in out
