"""``crossdock subscriptions``: list with state, enable (audited) against the journal on disk."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gateway.cli_subscriptions import subscriptions
from gateway.journal.sqlite import SqliteJournal
from gateway.journal.webhook_endpoints import open_endpoint_store
from tests.support import write_config

SECRET = "whsec_" + base64.b64encode(b"cli-test-secret-0123456789").decode()


async def _disable(db: Path) -> None:
    journal = SqliteJournal(db)
    await journal.open()
    try:
        await open_endpoint_store(journal).record_failure(
            "acme-orders", 1.0, disable_after=60, code="endpoint_gone", gone=True
        )
    finally:
        await journal.close()


async def _audit(db: Path) -> list[tuple[str, str]]:
    journal = SqliteJournal(db)
    await journal.open()
    try:
        return [(e.actor, e.action) for e in await journal.audit()]
    finally:
        await journal.close()


def test_list_and_enable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_WHSEC", SECRET)
    cfg = write_config(tmp_path, {})
    (cfg / "subscriptions.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "name": "acme-orders",
                    "partner": "acme",
                    "url": "http://127.0.0.1:9/hook",
                    "event_types": ["order.accepted"],
                    "secrets": [{"env": "ACME_WHSEC"}],
                }
            ]
        )
    )
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(_disable(data / "journal.sqlite3"))
    where = ["--config", str(cfg), "--data-dir", str(data)]
    runner = CliRunner()

    listed = runner.invoke(subscriptions, ["list", "--json", *where], obj={})
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.output)
    assert (item["name"], item["enabled"]) == ("acme-orders", False)
    assert SECRET not in listed.output
    table = runner.invoke(subscriptions, ["list", *where], obj={})
    assert table.exit_code == 0, table.output
    assert "1 subscription(s)" in table.output and "410 Gone" in table.output

    enabled = runner.invoke(subscriptions, ["enable", "acme-orders", "--actor", "bob", *where])
    assert enabled.exit_code == 0, enabled.output
    assert json.loads(enabled.output)["changed"] is True
    assert ("bob (cli)", "enable_subscription") in asyncio.run(_audit(data / "journal.sqlite3"))

    missing = runner.invoke(subscriptions, ["enable", "nope", *where])
    assert missing.exit_code == 1
    assert "no subscription named 'nope'" in missing.output
