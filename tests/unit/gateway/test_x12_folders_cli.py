"""``crossdock x12 folders``: the watched drop folders and what waits in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from gateway.cli_x12 import x12


def test_lists_each_folder_with_its_counts(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "partners.yaml").write_text("- name: acme\n")
    channels = [
        {"name": "edi", "partner": "acme", "format": "x12", "drop_folder": "../drop"},
        {"name": "http-only", "partner": "acme", "format": "x12"},
    ]
    (cfg / "channels.yaml").write_text(yaml.safe_dump(channels))
    drop = tmp_path / "drop"
    (drop / ".processing").mkdir(parents=True)
    today = drop / "accepted" / datetime.now(UTC).strftime("%Y-%m-%d")
    today.mkdir(parents=True)
    (drop / "a.edi").write_bytes(b"x")
    (drop / "b.edi").write_bytes(b"x")
    (drop / "c.edi.part").write_bytes(b"x")
    (drop / ".processing" / "01ABC.d.edi").write_bytes(b"x")
    (today / "e.edi").write_bytes(b"x")
    (today / "e.edi.receipt.json").write_text("{}")

    result = CliRunner().invoke(x12, ["folders", "--config", str(cfg), "--json"], obj={})
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row == {
        "channel": "edi",
        "partner": "acme",
        "folder": str(drop.resolve()),
        "pending": 2,
        "being_written": 1,
        "processing": 1,
        "accepted_today": 1,
        "rejected_today": 0,
    }
    table = CliRunner().invoke(x12, ["folders", "--config", str(cfg)], obj={})
    assert table.exit_code == 0, table.output
    assert "edi" in table.output
    assert str(drop.resolve()) in table.output
