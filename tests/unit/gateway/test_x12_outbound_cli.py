"""``crossdock x12 outbound list`` reads the register from the journal in --data-dir."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from gateway.cli_x12 import x12
from gateway.journal.sqlite import SqliteJournal
from gateway.journal.x12_control import SentGroup, SentSet, SqliteX12Control


async def _record(path: Path) -> None:
    journal = SqliteJournal(path)
    await journal.open()
    try:
        control = SqliteX12Control(journal)
        group = SentGroup(
            functional_id="SH",
            control_number="7",
            sets=[SentSet(set_id="856", control_number="0001")],
        )
        await control.record_outbound(
            "acme", "000000007", kind="856", groups=[group], sent_at=1.0, ack_overdue_after=60
        )
        await control.record_outbound(
            "shop", "000000001", kind="997", groups=[], sent_at=2.0, expects_ack=False
        )
    finally:
        await journal.close()


def test_outbound_list(tmp_path: Path) -> None:
    asyncio.run(_record(tmp_path / "journal.sqlite3"))
    runner = CliRunner()
    result = runner.invoke(x12, ["outbound", "list", "--data-dir", str(tmp_path)], obj={})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["PARTNER", "ISA13", "KIND", "STATE"]
    assert lines[1].split()[:4] == ["shop", "000000001", "997", "not_expected"]
    assert lines[2].split()[:4] == ["acme", "000000007", "856", "overdue"]
    assert lines[2].endswith("SH:7=pending")

    result = runner.invoke(
        x12,
        ["outbound", "list", "--state", "overdue", "--json", "--data-dir", str(tmp_path)],
        obj={},
    )
    assert result.exit_code == 0, result.output
    assert [i["isa13"] for i in json.loads(result.output)] == ["000000007"]


def test_outbound_list_without_a_journal(tmp_path: Path) -> None:
    result = CliRunner().invoke(x12, ["outbound", "list", "--data-dir", str(tmp_path)], obj={})
    assert result.exit_code != 0
    assert "no journal at" in result.output
