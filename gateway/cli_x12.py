"""``crossdock x12``: look inside X12 files the way the gateway reads them.

``inspect`` streams the file (a 100 MB interchange does not need 100 MB of memory) and prints
one JSON document: interchanges, their groups and sets with control numbers and segment counts,
and every warning and error with its byte offset and segment position. The exit status is 1 when
any error was found, so scripts can gate on it.

``ack`` prints the acknowledgements we would send for FILE: per interchange a TA1 when the
interchange failed, else a 997 (4010) or 999 (5010) per functional group, in the partner's
separators. Control numbers start at ``--start`` (the gateway's durable numbering is per
partner; this command only shows the shape).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from connectors.x12 import InterchangeSummary, Issue, X12Set, analyse_set, read_sets
from connectors.x12.ack import build_acks, sequence


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
