"""The ``crossdock`` command: serve, check, demo, and operations on messages and dead letters.

Operations commands open the journal directly (the same file or database the gateway uses), so
they work whether or not the server is running; the server's workers pick replayed work up on
their next poll.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from gateway.config import ConfigError, load_config
from gateway.journal import DeadLetterFilter, Journal, open_journal
from gateway.logs import configure_logging
from gateway.ops import Action, Ops
from gateway.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    try:
        return load_settings(ctx.obj.get("settings_file"), **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _with_journal(settings: Settings, fn: Callable[[Journal], Awaitable[T]]) -> T:
    async def main() -> T:
        journal = open_journal(settings.database_url or str(settings.journal_path))
        await journal.open()
        try:
            return await fn(journal)
        finally:
            await journal.close()

    if not settings.database_url and not settings.journal_path.exists():
        raise click.ClickException(
            f"no journal at {settings.journal_path}; pass --data-dir (or set CROSSDOCK_DATA_DIR)"
        )
    return asyncio.run(main())


def _time(value: str | None) -> float | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} needs a UTC offset, e.g. 2026-11-22T10:00:00Z")
    return parsed.timestamp()


def _iso(ts: float | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


@click.group()
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(dir_okay=False),
    help="A TOML settings file (also CROSSDOCK_SETTINGS_FILE).",
)
@click.version_option(package_name="crossdock")
@click.pass_context
def main(ctx: click.Context, settings_file: str | None) -> None:
    """crossdock: an integration gateway for distributors."""
    ctx.ensure_object(dict)
    ctx.obj["settings_file"] = settings_file


@main.command()
@click.option("--config", "config_dir", type=click.Path(file_okay=False), help="Config folder.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where the journal lives.")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.option("--no-workers", is_flag=True, help="Serve the API only; another process delivers.")
@click.pass_context
def serve(
    ctx: click.Context,
    *,
    config_dir: str | None,
    data_dir: str | None,
    host: str | None,
    port: int | None,
    no_workers: bool,
) -> None:
    """Run the HTTP API and the workers."""
    from gateway.runtime import Gateway
    from gateway.serve import run

    settings = _settings(
        ctx,
        config_dir=config_dir,
        data_dir=data_dir,
        host=host,
        port=port,
        workers_enabled=False if no_workers else None,
    )
    configure_logging(settings.log_level, settings.log_format)
    try:
        gateway = Gateway(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    run(gateway)


@main.command()
@click.option("--config", "config_dir", type=click.Path(file_okay=False), help="Config folder.")
@click.pass_context
def check(ctx: click.Context, config_dir: str | None) -> None:
    """Validate a config folder and every mapping it names; exit 1 listing every problem."""
    from gateway.mapping import MappingRegistry, selected_name

    settings = _settings(ctx, config_dir=config_dir)
    try:
        config = load_config(settings.config_dir)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    registry = MappingRegistry(Path(config.mappings_dir))
    failed = False
    channels = [("channels.yaml", "channel", c) for c in config.channels.values()]
    channels += [
        ("webhooks.yaml", "webhook source", w.as_channel()) for w in config.webhooks.values()
    ]
    for file, kind, channel in channels:
        # the mapping the map stage would pick: explicit, else <partner>/<document_type>.yaml
        name = selected_name(
            Path(config.mappings_dir), channel.partner, channel.document_type, channel.mapping
        )
        if name is None:
            continue
        try:
            registry.get(name)
        except Exception as exc:  # any compile error is reported, not raised
            failed = True
            click.echo(f"{file}: {kind} {channel.name!r}: mapping {name}: {exc}", err=True)
    if failed:
        sys.exit(1)
    click.echo(
        f"config ok: {len(config.partners)} partners, {len(config.channels)} channels, "
        f"{len(config.destinations)} destinations, {len(config.routes)} routes, "
        f"{len(config.webhooks)} webhook sources"
    )


@main.command()
@click.option("--once", is_flag=True, help="Run the scenario, replay, print, and exit.")
@click.option("--port", type=int, default=8080, show_default=True, help="Gateway port.")
@click.option(
    "--data-dir",
    default="data/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The demo's journal folder.",
)
def demo(once: bool, port: int, data_dir: str) -> None:
    """Run the gateway with the demo config and a local receiver, and send it messages."""
    from gateway.demo.scenario import REPO, run_demo

    if not (REPO / "config").is_dir():
        raise click.ClickException("the demo runs from a clone of the repository (no config/)")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    configure_logging("WARNING", "text")
    sys.exit(asyncio.run(run_demo(port=port, data_dir=data_dir, once=once)))


# -- messages ---------------------------------------------------------------------------------
@main.group()
def messages() -> None:
    """Look up journaled messages."""


@messages.command("show")
@click.argument("message_id")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.pass_context
def messages_show(ctx: click.Context, message_id: str, data_dir: str | None) -> None:
    """Print a message's state, stage history and deliveries as JSON."""
    settings = _settings(ctx, data_dir=data_dir)

    async def fn(journal: Journal) -> dict[str, Any] | None:
        message = await journal.get_message(message_id)
        if message is None:
            return None
        return {
            "id": message.id,
            "partner": message.partner,
            "state": message.state,
            "stage": message.stage,
            "business_keys": message.business_keys,
            "events": msgspec.to_builtins(await journal.events(message_id)),
            "deliveries": msgspec.to_builtins(await journal.deliveries(message_id)),
        }

    found = _with_journal(settings, fn)
    if found is None:
        raise click.ClickException(f"no message with id {message_id!r}")
    click.echo(json.dumps(found, indent=2))


# -- dead letters -----------------------------------------------------------------------------
def _filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--partner"),
            click.option("--destination"),
            click.option(
                "--stage", type=click.Choice(["decode", "map", "validate", "route", "deliver"])
            ),
            click.option("--code", help="Error code, e.g. http_503 or contract_violation."),
            click.option("--since", help="RFC 3339 time, e.g. 2026-11-22T00:00:00Z."),
            click.option("--until", help="RFC 3339 time (exclusive)."),
            click.option("--data-dir", type=click.Path(file_okay=False)),
        ]
    ):
        fn = option(fn)
    return fn


def _make_filter(
    *,
    partner: str | None,
    destination: str | None,
    stage: str | None,
    code: str | None,
    since: str | None,
    until: str | None,
    state: Any = "open",
    limit: int = 100,
) -> DeadLetterFilter:
    return DeadLetterFilter(
        partner=partner,
        destination=destination,
        stage=stage,
        code=code,
        since=_time(since),
        until=_time(until),
        state=state,
        limit=limit,
    )


@main.group("dead-letters")
def dead_letters() -> None:
    """List, inspect, redeliver, reprocess and discard dead letters."""


@dead_letters.command("list")
@_filter_options
@click.option(
    "--state",
    type=click.Choice(["open", "replayed", "discarded", "any"]),
    default="open",
    show_default=True,
)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def dl_list(
    ctx: click.Context,
    /,
    *,
    data_dir: str | None,
    state: str,
    limit: int,
    as_json: bool,
    **filters: Any,
) -> None:
    """List dead letters, oldest first."""
    settings = _settings(ctx, data_dir=data_dir)
    flt = _make_filter(**filters, state=None if state == "any" else state, limit=limit)
    items = _with_journal(settings, lambda j: j.dead_letters(flt))
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(items), indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "id",
        "when (UTC)",
        "partner",
        "stage",
        "destination",
        "code",
        "error",
        title=f"{len(items)} dead letter(s)",
    )
    for dl in items:
        table.add_row(
            dl.id,
            _iso(dl.created_at),
            dl.partner,
            dl.stage,
            dl.destination or "",
            dl.code,
            dl.error[:80],
        )
    Console().print(table)


@dead_letters.command("show")
@click.argument("dead_letter_id")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.pass_context
def dl_show(ctx: click.Context, dead_letter_id: str, data_dir: str | None) -> None:
    """Print one dead letter: raw and canonical payloads, history, every attempt."""
    settings = _settings(ctx, data_dir=data_dir)
    found = _with_journal(settings, lambda j: Ops(j).inspect(dead_letter_id))
    if found is None:
        raise click.ClickException(f"no dead letter with id {dead_letter_id!r}")
    click.echo(json.dumps(found, indent=2))


def _act_command(action: Action, help_text: str) -> None:
    @dead_letters.command(action, help=help_text)
    @click.argument("ids", nargs=-1)
    @_filter_options
    @click.option(
        "--all",
        "all_matching",
        is_flag=True,
        help="Act on every open dead letter matching the filters.",
    )
    @click.option("--reason", default="", help="Why (required for discard).")
    @click.option("--actor", default=None, help="Who is acting (default: your user name).")
    @click.pass_context
    def command(
        ctx: click.Context,
        /,
        *,
        ids: tuple[str, ...],
        data_dir: str | None,
        all_matching: bool,
        reason: str,
        actor: str | None,
        **filters: Any,
    ) -> None:
        settings = _settings(ctx, data_dir=data_dir)
        who = f"{actor or getpass.getuser()} (cli)"
        if action == "discard" and not reason:
            raise click.UsageError("discard needs --reason")
        if bool(ids) == all_matching:
            raise click.UsageError("give dead letter ids, or --all with filters (not both)")

        async def fn(journal: Journal) -> tuple[int, int]:
            ops = Ops(journal)
            if ids:
                done = 0
                for dl_id in ids:
                    r = await ops.act(dl_id, action, who, reason)
                    done += r.ok
                    if not r.ok:
                        click.echo(f"{dl_id}: skipped: {r.reason}", err=True)
                return done, len(ids)
            from rich.progress import Progress

            flt = _make_filter(**filters)
            ids_all = [dl.id async for dl in ops.iterate(flt)]
            with Progress(transient=False) as progress:
                task = progress.add_task(f"{action}", total=len(ids_all))
                done = 0
                for dl_id in ids_all:
                    r = await ops.act(dl_id, action, who, reason)
                    done += r.ok
                    progress.advance(task)
            return done, len(ids_all)

        done, total = _with_journal(settings, fn)
        click.echo(f"{action}: {done} of {total} done")
        if done < total:
            sys.exit(1)

    del command


@main.command("audit")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--after", type=int, default=0, help="Show entries after this sequence number.")
@click.pass_context
def audit_cmd(ctx: click.Context, /, *, data_dir: str | None, limit: int, after: int) -> None:
    """Show who redelivered, reprocessed or discarded what, oldest first."""
    settings = _settings(ctx, data_dir=data_dir)
    entries = _with_journal(settings, lambda j: j.audit(limit, after))
    for e in entries:
        detail = " ".join(f"{k}={v}" for k, v in e.detail.items())
        click.echo(f"{e.seq:>6}  {_iso(e.at)}  {e.actor:<30}  {e.action:<10}  {e.target}  {detail}")


_act_command("redeliver", "Send the same canonical payload to the destination again.")
_act_command("reprocess", "Decode and map the raw payload again with today's mappings.")
_act_command("discard", "Close dead letters without replay (needs --reason).")


def _register_command_groups() -> None:
    """Commands that live in their own modules, registered explicitly (no import side effects)."""
    from gateway.cli_mappings import map_command, mappings
    from gateway.cli_partners import partners
    from gateway.cli_subscriptions import subscriptions
    from gateway.cli_x12 import x12
    from gateway.cli_x12_encode import encode_command

    main.add_command(mappings)
    main.add_command(map_command)
    main.add_command(x12)
    x12.add_command(encode_command)
    main.add_command(partners)
    main.add_command(subscriptions)


_register_command_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
