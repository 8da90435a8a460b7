"""``crossdock api-usage`` reads the flushed counts from the journal."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from click.testing import CliRunner

from gateway.cli_api_usage import api_usage
from gateway.journal.api_usage import UsageCounter, open_api_usage_store
from gateway.journal.sqlite import SqliteJournal
from gateway.settings import load_settings


async def _seed(data_dir: Path) -> None:
    journal = SqliteJournal(load_settings(environ={}, data_dir=str(data_dir)).journal_path)
    await journal.open()
    try:
        counter = UsageCounter(open_api_usage_store(journal))
        now = time.time()
        for _ in range(4):
            counter.record("acme", "v1", now)
        counter.record("shop", "v2", now)
        counter.record("old", "v1", now - 90 * 86400)  # outside the default 30 days
        await counter.flush()
    finally:
        await journal.close()


def test_lists_v1_callers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    asyncio.run(_seed(data_dir))  # the command runs its own event loop, so this test is sync
    runner = CliRunner()
    where = ["--data-dir", str(data_dir)]
    result = runner.invoke(api_usage, ["--version", "v1", "--json", *where], obj={})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["partner"], r["version"], r["requests"]) for r in rows] == [("acme", "v1", 4)]

    table = runner.invoke(api_usage, ["--days", "366", *where], obj={})
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split()[:4] == ["PARTNER", "VERSION", "REQUESTS", "DAYS"]
    assert {tuple(line.split()[:3]) for line in lines[1:]} == {
        ("acme", "v1", "4"),
        ("shop", "v2", "1"),
        ("old", "v1", "1"),
    }


def test_without_a_journal_it_says_where_it_looked(tmp_path: Path) -> None:
    result = CliRunner().invoke(api_usage, ["--data-dir", str(tmp_path / "none")], obj={})
    assert result.exit_code != 0
    assert "no journal at" in result.output
