"""Code lists (YAML) and crosswalks (CSV): the data an integrator edits most often.

A **code list** translates a partner's codes into canonical ones, and is usually shared by many
partners (``mappings/_codelists/uom.yaml``)::

    description: Units of measure -> canonical UnitOfMeasure codes
    ignore_case: true          # optional; "pcs", "PCS" and "Pcs" all match
    codes:
      pcs: EA                  # raw: canonical, read as written ("01" stays "01")
      CA: CS

A **crosswalk** maps one partner's identifiers onto ours and is usually that partner's own
(``mappings/<partner>/crosswalks/sku.csv``): UTF-8 CSV whose header has the columns ``from`` and
``to`` (others, e.g. ``note``, are ignored); matching is exact; a duplicate ``from`` is an error.

Both are read once and shared: :class:`TableCache` keeps each parsed file while its stamp
(mtime, size, inode) is unchanged, so twenty partner mappings that use one code list parse it once.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import yaml

from gateway.mapping._errors import MappingFileError
from gateway.mapping._yaml import compose_file, fail, pairs

Stamp = tuple[int, int, int]
"""What says a file changed, cheaply: (mtime in ns, size, inode)."""


def stamp(path: Path) -> Stamp | None:
    """The file's stamp, or ``None`` when it is missing (which is a change too)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class Table:
    """One code list or crosswalk: raw key -> canonical value."""

    __slots__ = ("entries", "ignore_case", "path")

    def __init__(self, path: Path, entries: dict[str, str], *, ignore_case: bool = False) -> None:
        self.path = path
        self.entries = entries
        self.ignore_case = ignore_case

    def get(self, key: str) -> str | None:
        """The canonical value for ``key``, or ``None``."""
        return self.entries.get(key.casefold() if self.ignore_case else key)


def _read_codelist(path: Path, referenced_from: yaml.Node) -> Table:
    root = compose_file(path, referenced_from=referenced_from)
    if root is None:
        raise MappingFileError(path, None, "the code list is empty; it needs `codes:`")
    top = pairs(root, "a code list")
    unknown = set(top) - {"description", "ignore_case", "codes"}
    if unknown:
        raise fail(top[min(unknown)][0], f"unknown key `{min(unknown)}` in a code list")
    ignore_case = False
    if "ignore_case" in top:
        flag = top["ignore_case"][1]
        if not isinstance(flag, yaml.ScalarNode) or flag.value not in ("true", "false"):
            raise fail(flag, "`ignore_case` must be true or false")
        ignore_case = flag.value == "true"
    if "codes" not in top:
        raise fail(root, "a code list needs `codes:` (raw code: canonical code)")
    entries: dict[str, str] = {}
    for raw, (key_node, value_node) in pairs(top["codes"][1], "`codes`").items():
        if not isinstance(value_node, yaml.ScalarNode):
            raise fail(value_node, f"the canonical code for `{raw}` must be a single value")
        key = raw.casefold() if ignore_case else raw
        if key in entries:
            raise fail(key_node, f"`{raw}` is listed twice (case is ignored in this code list)")
        entries[key] = str(value_node.value)
    return Table(path, entries, ignore_case=ignore_case)


def _read_crosswalk(path: Path, referenced_from: yaml.Node) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise fail(referenced_from, f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingFileError(path, None, f"cannot read the crosswalk: {exc}") from exc
    reader = csv.reader(text.splitlines())
    header = [column.strip().lower() for column in next(reader, [])]
    if "from" not in header or "to" not in header:
        raise MappingFileError(path, 1, "a crosswalk's header must have the columns `from,to`")
    source, target = header.index("from"), header.index("to")
    entries: dict[str, str] = {}
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(source, target):
                raise MappingFileError(path, reader.line_num, "a row is missing `from` or `to`")
            key = row[source]
            if key in entries:
                raise MappingFileError(path, reader.line_num, f"`{key}` is listed twice")
            entries[key] = row[target]
    except csv.Error as exc:
        raise MappingFileError(path, reader.line_num, f"CSV error: {exc}") from exc
    return Table(path, entries)


class TableCache:
    """Parsed tables by (kind, path), reused while the file's stamp is unchanged."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, Path], tuple[Stamp, Table]] = {}
        self._lock = threading.Lock()

    def load(self, kind: str, path: Path, referenced_from: yaml.Node) -> tuple[Table, Stamp | None]:
        """The table at ``path`` and the stamp it was read at; ``kind`` is codelist|crosswalk."""
        before = stamp(path)  # taken before reading: a write during the read shows as a change
        with self._lock:
            cached = self._tables.get((kind, path))
            if cached is not None and before is not None and cached[0] == before:
                return cached[1], before
        read = _read_codelist if kind == "codelist" else _read_crosswalk
        table = read(path, referenced_from)
        if before is not None:
            with self._lock:
                self._tables[(kind, path)] = (before, table)
        return table, before
