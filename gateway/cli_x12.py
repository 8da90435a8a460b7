"""``crossdock x12``: look inside X12 files the way the gateway reads them.

``inspect`` streams the file (a 100 MB interchange does not need 100 MB of memory) and prints
one JSON document: interchanges, their groups and sets with control numbers and segment counts,
and every warning and error with its byte offset and segment position. The exit status is 1 when
any error was found, so scripts can gate on it.

``ack`` prints the acknowledgements we would send for FILE: per interchange a TA1 when the
interchange failed, else a 997 (4010) or 999 (5010) per functional group, in the partner's
separators. Control numbers start at ``--start`` (the gateway's durable numbering is per
partner; this command only shows the shape).

``outbound list`` prints the register of interchanges we sent partners (acknowledgements
included) and where their 997/999 stands: pending, overdue, accepted, accepted_with_errors,
rejected, not_expected. It reads the journal in ``--data-dir``, like ``crossdock messages``.

``folders`` lists the channels' watched drop folders (docs/x12-drop-folder.md) with how many
files wait there, are still being written, are claimed, and were accepted or rejected today.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import click
import msgspec

from connectors.x12 import InterchangeSummary, Issue, X12Set, analyse_set, read_sets
from connectors.x12.ack import build_acks, sequence
from gateway.journal import open_journal
from gateway.journal.x12_control import OutboundInterchange
from gateway.settings import SettingsError, load_settings


def _issues(issues: list[Issue]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(i) for i in issues]


def _set_json(xset: X12Set) -> dict[str, Any]:
    return {
        "set_id": xset.set_id,
        "control_number": xset.control_number,
        "segment_count": xset.segment_count,
        "byte_range": list(xset.raw_range),
        "accepted": not any(i.severity == "error" for i in xset.issues),
        "issues": _issues(xset.issues),
    }


def inspect_stream(source: Any) -> dict[str, Any]:
    """Describe every interchange in ``source`` (bytes or a binary file) as builtins."""
    interchanges: list[dict[str, Any]] = []
    pending: list[X12Set] = []
    for item in read_sets(source, build_tree=analyse_set):
        if isinstance(item, X12Set):
            item.segments = []  # inspect needs counts and issues only; keep memory flat
            item.tree = {}
            pending.append(item)
            continue
        interchanges.append(_interchange_json(item, pending))
        pending = []
    if pending:  # cannot happen (a summary always follows), kept for safety
        interchanges.append({"sets_without_interchange": [_set_json(s) for s in pending]})
    errors = sum(
        1 for ich in interchanges for issue in _all_issues(ich) if issue.get("severity") == "error"
    )
    return {"interchanges": interchanges, "error_count": errors}


def _interchange_json(summary: InterchangeSummary, sets: list[X12Set]) -> dict[str, Any]:
    h = summary.header
    groups = []
    for g in summary.groups:
        members = [s for s in sets if s.group is not None and s.group.offset == g.header.offset]
        groups.append(
            {
                "functional_id": g.header.functional_id,
                "control_number": g.header.control_number,
                "version": g.header.version,
                "sender_id": g.header.sender_id,
                "receiver_id": g.header.receiver_id,
                "set_count": g.set_count,
                "sets": [_set_json(s) for s in members],
                "issues": _issues(g.issues),
            }
        )
    loose = [_set_json(s) for s in sets if s.group is None]
    out: dict[str, Any] = {
        "control_number": h.control_number,
        "version": h.version,
        "sender": f"{h.sender_qualifier}:{h.sender_id}",
        "receiver": f"{h.receiver_qualifier}:{h.receiver_id}",
        "separators": msgspec.to_builtins(h.separators),
        "offset": h.offset,
        "segment_count": summary.segment_count,
        "groups": groups,
        "issues": _issues(summary.issues),
    }
    if loose:
        out["sets_outside_groups"] = loose
    return out


def _all_issues(ich: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(ich.get("issues", []))
    for g in ich.get("groups", []):
        found += g["issues"]
        for s in g["sets"]:
            found += s["issues"]
    for s in ich.get("sets_outside_groups", []):
        found += s["issues"]
    return found


@click.group("x12")
def x12() -> None:
    """X12 EDI tools: inspect files as the gateway would read them, and their acknowledgements."""


@x12.command("inspect")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def inspect_command(file: Path) -> None:
    """Print JSON describing FILE's interchanges, groups, sets and every issue."""
    with file.open("rb") as fh:
        report = inspect_stream(fh)
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(1 if report["error_count"] else 0)


@x12.command("ack")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "kind",
    type=click.Choice(["997", "999"]),
    default=None,
    help="Force 997 or 999 (default: 999 for 5010 groups, 997 otherwise).",
)
@click.option("--start", default=1, show_default=True, help="First ISA13/GS06 control number.")
def ack_command(file: Path, kind: str | None, start: int) -> None:
    """Print the 997/999/TA1 acknowledgements we would send for FILE."""
    acks = build_acks(
        file.read_bytes(),
        kind="997" if kind == "997" else "999" if kind == "999" else None,
        counter=sequence(start),
    )
    if not acks:
        click.echo("no acknowledgement due (no functional groups other than FA)", err=True)
    for ack in acks:
        click.echo(ack.text, nl=not ack.text.endswith("\n"))


@x12.group("outbound")
def outbound() -> None:
    """Interchanges we sent partners and their acknowledgements."""


_STATES = ["pending", "overdue", "accepted", "accepted_with_errors", "rejected", "not_expected"]


@outbound.command("list")
@click.option("--partner")
@click.option("--state", type=click.Choice(_STATES))
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.pass_context
def outbound_list(  # noqa: PLR0917 - click passes one argument per option
    ctx: click.Context,
    partner: str | None,
    state: str | None,
    limit: int,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """List outbound interchanges, newest first, with their acknowledgement state."""
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    try:
        settings = load_settings((ctx.obj or {}).get("settings_file"), **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.database_url and not settings.journal_path.exists():
        raise click.ClickException(
            f"no journal at {settings.journal_path}; pass --data-dir (or set CROSSDOCK_DATA_DIR)"
        )

    async def main() -> list[OutboundInterchange]:
        from gateway.x12_acks import control_for  # keeps `x12 inspect` light

        journal = open_journal(settings.database_url or str(settings.journal_path))
        await journal.open()
        try:
            return await control_for(journal).interchanges(
                partner=partner,
                state=state,  # type: ignore[arg-type]
                now=time.time(),
                limit=max(1, limit),
            )
        finally:
            await journal.close()

    items = asyncio.run(main())
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(items), indent=2))
        return
    click.echo(f"{'PARTNER':<16} {'ISA13':<10} {'KIND':<5} {'STATE':<21} {'SENT (UTC)':<20} GROUPS")
    for i in items:
        sent = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(i.sent_at))
        groups = " ".join(f"{g.functional_id}:{g.control_number}={g.state}" for g in i.groups)
        click.echo(f"{i.partner:<16} {i.isa13:<10} {i.kind:<5} {i.state:<21} {sent:<20} {groups}")


@x12.command("folders")
@click.option("--config", "config_dir", type=click.Path(file_okay=False), help="Config folder.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def folders_command(ctx: click.Context, config_dir: str | None, as_json: bool) -> None:
    """List the watched X12 drop folders with their pending and processing file counts."""
    from gateway.config import ConfigError, load_config  # keeps `x12 inspect` light
    from gateway.x12_drop_folder import folder_counts

    overrides: dict[str, Any] = {"config_dir": config_dir} if config_dir else {}
    try:
        settings = load_settings((ctx.obj or {}).get("settings_file"), **overrides)
        config = load_config(settings.config_dir)
    except (SettingsError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    rows = [
        {"channel": ch.name, "partner": ch.partner, "folder": ch.drop_folder}
        | folder_counts(Path(ch.drop_folder))
        for ch in config.channels.values()
        if ch.format == "x12" and ch.drop_folder is not None
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(
        f"{'CHANNEL':<16} {'PARTNER':<16} {'PENDING':>7} {'WRITING':>7} {'CLAIMED':>7} FOLDER"
    )
    for r in rows:
        click.echo(
            f"{r['channel']:<16} {r['partner']:<16} {r['pending']:>7} {r['being_written']:>7} "
            f"{r['processing']:>7} {r['folder']}"
        )
