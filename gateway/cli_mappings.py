"""``crossdock mappings check|test`` and ``crossdock map``: work on mapping files before deploying.

Registered on the main group in ``gateway/cli.py`` (``main.add_command(mappings)``,
``main.add_command(map_command)``). Nothing here needs the config folder or the journal: an
integrator points ``--mappings`` at a folder (default ``./mappings``, or
``CROSSDOCK_MAPPINGS_DIR``) and gets file:line answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import BinaryIO

import click

from gateway.mapping import (
    DryRunError,
    MappingFileError,
    MappingRegistry,
    dry_run,
    lint_dir,
    load_mapping,
    mapping_files,
    run_examples,
)

_mappings_option = click.option(
    "--mappings",
    "mappings_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default="mappings",
    show_default=True,
    envvar="CROSSDOCK_MAPPINGS_DIR",
    help="The mappings folder (also CROSSDOCK_MAPPINGS_DIR).",
)


@click.group("mappings")
def mappings() -> None:
    """Lint mapping files and run their example cases."""


@mappings.command("check")
@_mappings_option
def check(mappings_dir: Path) -> None:
    """Lint every mapping file; exit 1 when any has an error (warnings do not fail)."""
    files = mapping_files(mappings_dir)
    findings = lint_dir(mappings_dir)
    for finding in findings:
        click.echo(str(finding))
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    click.echo(f"{len(files)} mapping file(s): {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(1)


def _name(mappings_dir: Path, path: Path) -> str:
    return path.relative_to(mappings_dir).with_suffix("").as_posix()


def _selected(mappings_dir: Path, names: tuple[str, ...]) -> list[Path]:
    files = mapping_files(mappings_dir)
    if not names:
        return files
    wanted = [name.removesuffix(".yaml").removesuffix(".yml").strip("/") for name in names]
    chosen = [
        path
        for path in files
        if any(
            _name(mappings_dir, path) == name or _name(mappings_dir, path).startswith(name + "/")
            for name in wanted
        )
    ]
    if not chosen:
        raise click.UsageError(f"no mapping file matches {', '.join(names)} under {mappings_dir}")
    return chosen


@mappings.command("test")
@_mappings_option
@click.argument("names", nargs=-1)
def test(mappings_dir: Path, names: tuple[str, ...]) -> None:
    """Run the example cases of every mapping file (or of NAME..., e.g. demo-shop/order).

    Each case is mapped, validated against the contract and compared with its expected JSON;
    a difference is printed as a unified diff. Exit 1 when any case fails.
    """
    passed = failed = 0
    for path in _selected(mappings_dir, names):
        try:
            mapping = load_mapping(path)
        except MappingFileError as exc:
            failed += 1
            click.echo(f"{exc}")
            continue
        for result in run_examples(mapping):
            click.echo(result.describe())
            passed += result.ok
            failed += not result.ok
    click.echo(f"{passed} passed, {failed} failed")
    if not passed and not failed:
        click.echo("no example cases: list some under `examples:` in the mapping files")
    if failed or not passed:
        sys.exit(1)


@click.command("map")
@click.option("--partner", required=True, help="The partner, e.g. demo-shop.")
@click.option("--type", "document_type", required=True, help="The document type, e.g. order.")
@_mappings_option
@click.option("--mapping", default=None, help="Use this mapping file instead of <partner>/<type>.")
@click.argument("file", type=click.File("rb"))
def map_command(
    partner: str, document_type: str, mappings_dir: Path, mapping: str | None, file: BinaryIO
) -> None:
    """Dry run: decode FILE (JSON or one X12 set; - for stdin), map, validate, print JSON.

    Nothing is journaled or delivered. On failure the stage, the mapping file and line, the
    expression, the field path and the value found are printed, and the exit status is 1.
    """
    raw = file.read()
    registry = MappingRegistry(mappings_dir)
    try:
        result = dry_run(registry, partner, document_type, raw, mapping=mapping)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except DryRunError as exc:
        detail = exc.as_dict()
        click.echo(f"failed at stage {exc.stage}: {detail.pop('message')}", err=True)
        for key in ("code", "mapping", "file", "line", "expression", "path", "found"):
            if key in detail:
                click.echo(f"  {key}: {detail[key]}", err=True)
        sys.exit(1)
    click.echo(f"# mapping: {result.mapping} -> {result.contract}", err=True)
    click.echo(json.dumps(json.loads(result.canonical), indent=2, ensure_ascii=False))
