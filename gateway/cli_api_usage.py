"""``crossdock api-usage``: which partners call which API version, how often, and when last.

Reads the usage counts the gateway flushes to the journal (``gateway.journal.api_usage``), so it
lags a running gateway by at most one flush interval (5 s). ``--version v1`` answers "who still
calls v1" before a sunset date; the exit status is 0 either way.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import click
import msgspec

from gateway.journal import open_journal
from gateway.journal.api_usage import UsageSummary, open_api_usage_store, utc_day
from gateway.settings import SettingsError, load_settings


@click.command("api-usage")
@click.option("--version", "version", help="Only this API version, e.g. v1.")
@click.option("--days", type=click.IntRange(1, 366), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.pass_context
def api_usage(
    ctx: click.Context, version: str | None, days: int, as_json: bool, data_dir: str | None
) -> None:
    """Requests per partner and API version over the last DAYS UTC days, most recent first."""
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    try:
        settings = load_settings((ctx.obj or {}).get("settings_file"), **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.database_url and not settings.journal_path.exists():
        raise click.ClickException(
            f"no journal at {settings.journal_path}; pass --data-dir (or set CROSSDOCK_DATA_DIR)"
        )
    since_day = utc_day(time.time() - (days - 1) * 86400)

    async def main() -> list[UsageSummary]:
        journal = open_journal(settings.database_url or str(settings.journal_path))
        await journal.open()
        try:
            return await open_api_usage_store(journal).summary(version=version, since_day=since_day)
        finally:
            await journal.close()

    rows = asyncio.run(main())
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(rows), indent=2))
        return
    click.echo(f"{'PARTNER':<24} {'VERSION':<8} {'REQUESTS':>10} {'DAYS':>5}  LAST SEEN (UTC)")
    for r in rows:
        last = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.last_seen))
        click.echo(f"{r.partner:<24} {r.version:<8} {r.requests:>10} {r.days_active:>5}  {last}")
