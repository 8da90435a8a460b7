"""``crossdock x12 encode``: what an X12 destination would send for one canonical document.

Maps ``CANONICAL`` (a JSON file, ``-`` for stdin) with a reverse mapping (``source:
v1/<document>``, ``target: x12/<set>``) and prints the interchange. The document is validated
against the mapping's source contract first, as the gateway validated it before routing.
Control numbers and the date are options here (the gateway takes them from the partner's
durable counters and the delivery); the rest is exactly what the delivery worker writes.
``--tree`` prints the mapped document tree as JSON instead, to debug a mapping.

Exit status 1 with the reason on stderr: the input is not the contract, the mapping fails (file,
line, expression) or the encoder refuses a value (segment, element, value).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import click
import msgspec

import contracts
from connectors.errors import StageError
from connectors.x12 import Separators
from connectors.x12.encode import Envelope, encode
from gateway.mapping import MappingFileError, canonical_input, load_mapping, target_set


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("encode")
@click.argument("canonical", type=click.File("rb"))
@click.option(
    "--mapping",
    "mapping_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Reverse mapping file (source: v1/<document>, target: x12/<set>).",
)
@click.option("--sender-id", default="CROSSDOCK", show_default=True, help="ISA06 / GS02.")
@click.option("--sender-qualifier", default="ZZ", show_default=True, help="ISA05.")
@click.option("--receiver-id", default="PARTNER", show_default=True, help="ISA08 / GS03.")
@click.option("--receiver-qualifier", default="ZZ", show_default=True, help="ISA07.")
@click.option("--version", "version", default="00401", show_default=True, help="ISA12.")
@click.option("--usage", default="T", show_default=True, help="ISA15: T test, P production.")
@click.option("--isa13", default=1, show_default=True, help="Interchange control number.")
@click.option("--gs06", default=1, show_default=True, help="Group control number.")
@click.option("--st02", default=1, show_default=True, help="Transaction set control number.")
@click.option("--at", "at_text", help="ISA/GS date and time, ISO 8601 (default: now, UTC).")
@click.option(
    "--separators",
    default="*~>^",
    show_default=True,
    help="Element, segment terminator, component and repetition separators, in that order.",
)
@click.option("--newline/--no-newline", default=True, show_default=True)
@click.option("--tree", "as_tree", is_flag=True, help="Print the mapped tree as JSON instead.")
def encode_command(  # noqa: PLR0917 - click passes one argument per option
    canonical: BinaryIO,
    mapping_path: Path,
    sender_id: str,
    sender_qualifier: str,
    receiver_id: str,
    receiver_qualifier: str,
    version: str,
    usage: str,
    isa13: int,
    gs06: int,
    st02: int,
    at_text: str | None,
    separators: str,
    newline: bool,
    as_tree: bool,
) -> None:
    """Print the X12 an X12 destination would send for the canonical document CANONICAL."""
    if len(separators) != 4:
        _fail("--separators needs 4 characters (element, terminator, component, repetition)")
    try:
        mapping = load_mapping(mapping_path)
    except MappingFileError as exc:
        _fail(exc.message)
    set_id = target_set(mapping)
    if set_id is None or "/" not in (mapping.source or ""):
        _fail(
            f"{mapping_path}: not a reverse mapping (source {mapping.source!r}, target "
            f"{mapping.target!r}); expected source: v1/<document>, target: x12/<set>"
        )
    try:
        document = msgspec.json.decode(canonical.read())
        tree = mapping.apply(canonical_input(mapping, document))
    except (msgspec.ValidationError, contracts.UnknownDocumentTypeError) as exc:
        _fail(f"{canonical.name}: not a valid {mapping.source}: {exc}")
    except msgspec.DecodeError as exc:  # after ValidationError, its subclass
        _fail(f"{canonical.name}: not JSON: {exc}")
    except StageError as exc:
        _fail(exc.message)
    if as_tree:
        click.echo(json.dumps(tree, indent=2, ensure_ascii=False, default=str))
        return
    try:
        at = datetime.fromisoformat(at_text) if at_text else datetime.now(UTC)
    except ValueError:
        _fail(f"--at {at_text!r}: not an ISO 8601 timestamp")
    element, segment, component, repetition = (separators[i] for i in range(4))
    try:
        raw = encode(
            set_id or "",
            tree,
            envelope=Envelope(
                sender_id=sender_id,
                sender_qualifier=sender_qualifier,
                receiver_id=receiver_id,
                receiver_qualifier=receiver_qualifier,
                at=at,
                version=version,
                usage=usage,
            ),
            interchange_control=isa13,
            group_control=gs06,
            set_control=st02,
            separators=Separators(element, segment, component, repetition),
            newline=newline,
        )
    except StageError as exc:
        _fail(exc.message)
    click.echo(raw.decode(), nl=False)


__all__ = ["encode_command"]
