"""Write or check the checked-in JSON Schema of every document type.

    python -m contracts.schema            # (re)write contracts/<version>/schema/<type>.json
    python -m contracts.schema --check    # exit 1 and list the files that are out of date

The files are what partners and connectors read, so they are generated from the Structs (one
source of truth) and checked in (so a review shows every contract change as a diff). Output is
stable: sorted keys, two-space indent, trailing newline.

Writing refuses to overwrite a schema with a non-additive change (see ``contracts.compat``)
unless ``--allow-breaking`` is given: such a change belongs in a new contract version.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from contracts import VERSIONS
from contracts.compat import breaking_changes

__all__ = ["JSON_SCHEMA_DIALECT", "main", "render", "schema_dir", "schema_files", "stale_files"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ROOT = Path(__file__).resolve().parent


def render(struct_type: type[msgspec.Struct]) -> str:
    """Return the schema file text for one document type."""
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, **msgspec.json.schema(struct_type)}
    return json.dumps(_clean(schema), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _clean(node: Any) -> Any:
    """Dedent docstring-derived descriptions.

    msgspec copies ``__doc__`` as is, and Python 3.13 started dedenting docstrings at compile
    time; cleaning here keeps the files identical whichever Python generates them.
    """
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _clean(value)
            for key, value in node.items()
        }
    if isinstance(node, list | tuple):
        return [_clean(value) for value in node]
    return node


def schema_dir(version: str) -> Path:
    """Where a version's schema files live (inside the package, so they ship with it)."""
    return _ROOT / version / "schema"


def schema_files() -> dict[Path, str]:
    """Every schema file that should exist, with its expected text."""
    return {
        schema_dir(version) / f"{name}.json": render(struct_type)
        for version, types in VERSIONS.items()
        for name, struct_type in types.items()
    }


def stale_files() -> list[Path]:
    """Files that are missing, differ from the generated text, or belong to no document type."""
    expected = schema_files()
    stale = [
        path
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    return stale + _orphans(expected)


def _breaks(expected: dict[Path, str]) -> dict[Path, list[str]]:
    """Non-additive changes per file, including document types that disappeared."""
    found: dict[Path, list[str]] = {}
    for path, text in expected.items():
        if path.is_file():
            old = json.loads(path.read_text(encoding="utf-8"))
            changes = breaking_changes(old, json.loads(text))
            if changes:
                found[path] = [str(change) for change in changes]
    for path in _orphans(expected):
        found[path] = ["document type removed"]
    return found


def _orphans(expected: dict[Path, str]) -> list[Path]:
    return [
        path
        for version in VERSIONS
        for path in sorted(schema_dir(version).glob("*.json"))
        if path not in expected
    ]


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m contracts.schema", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="write even if a schema changes non-additively (only for an unreleased version)",
    )
    args = parser.parse_args(argv)

    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {_display(path)}", file=sys.stderr)
        if stale:
            print("run `python -m contracts.schema` and commit the result", file=sys.stderr)
        return 1 if stale else 0

    expected = schema_files()
    breaks = {} if args.allow_breaking else _breaks(expected)
    if breaks:
        for path, changes in breaks.items():
            for change in changes:
                print(f"{_display(path)}: {change}", file=sys.stderr)
        print("non-additive change: add a new contract version instead", file=sys.stderr)
        return 1
    for path, text in expected.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {_display(path)}")
    for path in _orphans(expected):
        path.unlink()
        print(f"removed {_display(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
