"""``crossdock subscriptions``: outbound webhook subscriptions and their endpoints' health.

Like the dead-letter commands these open the journal directly (the same file the gateway uses),
so they work whether or not the server runs: an endpoint enabled here is attempted again by the
running gateway's worker on its next claim, and redelivered events on its next poll.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import msgspec

from gateway.config import ConfigError, load_config
from gateway.journal import Journal, open_journal
from gateway.settings import Settings, SettingsError, load_settings
from gateway.subscription_ops import SubscriptionOps

T = TypeVar("T")


def _settings(ctx: click.Context, data_dir: str | None, config_dir: str | None) -> Settings:
    given: dict[str, str | None] = {"data_dir": data_dir, "config_dir": config_dir}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    try:
        return load_settings((ctx.obj or {}).get("settings_file"), **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _run(settings: Settings, fn: Callable[[SubscriptionOps], Awaitable[T]]) -> T:
    try:
        config = load_config(settings.config_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.database_url and not settings.journal_path.exists():
        raise click.ClickException(
            f"no journal at {settings.journal_path}; pass --data-dir (or set CROSSDOCK_DATA_DIR)"
        )

    async def main() -> T:
        journal: Journal = open_journal(settings.database_url or str(settings.journal_path))
        await journal.open()
        try:
            return await fn(SubscriptionOps(config, journal))
        finally:
            await journal.close()

    return asyncio.run(main())


def _iso(ts: float | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


_COMMON = [
    click.option("--data-dir", type=click.Path(file_okay=False), help="Where the journal lives."),
    click.option("--config", "config_dir", type=click.Path(file_okay=False), help="Config folder."),
]


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_COMMON):
        fn = option(fn)
    return fn


@click.group("subscriptions")
def subscriptions() -> None:
    """Outbound webhook subscriptions: list them with their state, enable a disabled one."""


@subscriptions.command("list")
@_common
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_command(
    ctx: click.Context, /, *, data_dir: str | None, config_dir: str | None, as_json: bool
) -> None:
    """Every subscription with its endpoint's state (enabled, failing since, why disabled)."""
    items = _run(_settings(ctx, data_dir, config_dir), lambda ops: ops.list())
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "name",
        "partner",
        "events",
        "state",
        "failing since (UTC)",
        "last success (UTC)",
        "reason",
        title=f"{len(items)} subscription(s)",
    )
    for s in items:
        table.add_row(
            s["name"],
            s["partner"],
            " ".join(s["event_types"]),
            "enabled" if s["enabled"] else "DISABLED",
            _iso(s["first_failure_at"]),
            _iso(s["last_success_at"]),
            s["reason"][:80],
        )
    Console().print(table)


@subscriptions.command("enable")
@click.argument("name")
@_common
@click.option("--redeliver", is_flag=True, help="Also redeliver its endpoint_disabled letters.")
@click.option("--actor", default=None, help="Who is acting (default: your user name).")
@click.pass_context
def enable_command(
    ctx: click.Context,
    /,
    name: str,
    *,
    data_dir: str | None,
    config_dir: str | None,
    redeliver: bool,
    actor: str | None,
) -> None:
    """Enable NAME's endpoint again (audited); optionally redeliver what it missed."""
    who = f"{actor or getpass.getuser()} (cli)"
    result = _run(
        _settings(ctx, data_dir, config_dir),
        lambda ops: ops.enable(name, who, redeliver=redeliver),
    )
    if result is None:
        raise click.ClickException(f"no subscription named {name!r} in subscriptions.yaml")
    click.echo(json.dumps(msgspec.to_builtins(result), indent=2))
