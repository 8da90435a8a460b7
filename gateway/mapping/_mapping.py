"""A mapping file (and its bases, code lists and crosswalks) compiled into a :class:`Mapping`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml
from jmespath.visitor import Options, TreeInterpreter

import contracts
from gateway.mapping._compile import Compiler
from gateway.mapping._errors import FieldError, MappingFileError
from gateway.mapping._functions import SCOPE, MappingFunctions
from gateway.mapping._plan import ObjectNode
from gateway.mapping._tables import Stamp, Table, TableCache, stamp
from gateway.mapping._yaml import (
    RawObject,
    compose_file,
    fail,
    line_of,
    merge,
    pairs,
    raw_object,
    text_of,
)

_TOP_KEYS = (
    "description",
    "source",
    "target",
    "set",
    "extends",
    "codelists",
    "crosswalks",
    "fields",
    "examples",
)
_SOURCES = ("json", "x12", "soap")


def _is_contract(source: str) -> bool:
    """``v1/order``: a reverse mapping reads a canonical document (docs/x12-outbound.md)."""
    version, _, document_type = source.partition("/")
    return document_type in contracts.VERSIONS.get(version, {})


_SECTIONS = {"codelists": "codelist", "crosswalks": "crosswalk"}

Seen = list[tuple[Path, Stamp | None]]
"""Every file a compile read, with its stamp before reading: what the registry watches."""


class Example:
    """One example case of a mapping file: an input sample and the canonical JSON it must map to.

    Paths are relative to the mapping file that lists them; examples are not inherited through
    ``extends`` (a base's examples test the base, a partner file's test the partner file).
    ``received_at`` (POSIX seconds, from the case's optional ``received_at:`` timestamp) is the
    receipt time the case is mapped with, for mappings that call ``received_at()``.
    """

    __slots__ = ("expected", "input", "line", "name", "received_at")

    def __init__(
        self,
        name: str,
        input_path: Path,
        expected: Path,
        line: int,
        received_at: float | None = None,
    ) -> None:
        self.name = name
        self.input = input_path
        self.expected = expected
        self.line = line
        self.received_at = received_at

    def __repr__(self) -> str:
        return f"Example({self.name!r})"


class Mapping:
    """A compiled mapping file: ``apply(tree)`` turns a decoded document into a canonical dict.

    Immutable after compilation and safe to share between threads and tasks.
    """

    __slots__ = ("_root", "examples", "files", "path", "source", "target", "x12_set")

    def __init__(
        self,
        *,
        path: Path,
        source: str | None,
        target: str | None,
        files: tuple[tuple[Path, Stamp | None], ...],
        root: ObjectNode,
        examples: tuple[Example, ...] = (),
        x12_set: str | None = None,
    ) -> None:
        self.path = path
        self.source = source
        self.target = target
        #: ``set: "943"``: the X12 transaction set a ``source: x12`` mapping reads, for sets
        #: whose canonical type another set already claims (``mappings check`` lints against it)
        self.x12_set = x12_set
        self.files = files
        self.examples = examples
        self._root = root

    @property
    def plan(self) -> ObjectNode:
        """The compiled field tree (for lint); ``apply`` is how documents are mapped."""
        return self._root

    def apply(self, tree: Any, *, received_at: float | None = None) -> dict[str, Any]:
        """Map one document tree; raises ``MapError`` naming file, line, expression and value.

        ``received_at`` (POSIX seconds) is when the gateway received the message: what the
        mapping function ``received_at()`` answers (null without it).
        """
        scope = SCOPE
        saved = scope.root, scope.index, scope.parents, scope.received
        scope.root, scope.index, scope.parents = tree, None, []
        scope.received = None if received_at is None else _utc_stamp(received_at)
        try:
            out = self._root.build(tree)
        except FieldError as error:
            raise error.to_map_error() from error
        finally:
            scope.root, scope.index, scope.parents, scope.received = saved
        return out if out is not None else {}

    def is_current(self) -> bool:
        """True while no file it was compiled from changed on disk (a few ``stat`` calls)."""
        return all(stamp(path) == before for path, before in self.files)

    def __repr__(self) -> str:
        return f"Mapping({str(self.path)!r}, target={self.target!r})"


class _Spec:
    """One mapping file after ``extends`` was resolved."""

    def __init__(self) -> None:
        self.source: str | None = None
        self.target: str | None = None
        self.x12_set: str | None = None
        self.tables: dict[str, dict[str, tuple[Path, yaml.Node]]] = {k: {} for k in _SECTIONS}
        self.fields: RawObject | None = None
        self.examples: tuple[Example, ...] = ()


def _relative(base: Path, node: yaml.Node, what: str) -> Path:
    return Path(os.path.normpath(base.parent / text_of(node, what)))


def _base(path: Path, node: yaml.Node, seen: Seen, chain: tuple[Path, ...]) -> _Spec:
    base_path = _relative(path, node, "`extends`")
    if base_path.resolve() in chain:
        raise fail(node, f"`extends` loops back to {base_path}")
    return _read(base_path, seen, (*chain, base_path.resolve()), node)


def _read(
    path: Path, seen: Seen, chain: tuple[Path, ...], referenced_from: yaml.Node | None
) -> _Spec:
    seen.append((path, stamp(path)))
    root = compose_file(path, referenced_from=referenced_from)
    if root is None:
        raise MappingFileError(path, None, "the mapping file is empty")
    top = pairs(root, "a mapping file")
    for key, (key_node, _) in top.items():
        if key not in _TOP_KEYS:
            raise fail(key_node, f"unknown key `{key}`; expected one of {', '.join(_TOP_KEYS)}")
    spec = _Spec() if "extends" not in top else _base(path, top["extends"][1], seen, chain)
    if "source" in top:
        spec.source = text_of(top["source"][1], "`source`")
        if spec.source not in _SOURCES and not _is_contract(spec.source):
            raise fail(
                top["source"][1],
                f"`source` must be one of {', '.join(_SOURCES)}, or a contract (v1/order) for "
                "a reverse mapping to X12",
            )
    if "target" in top:
        spec.target = text_of(top["target"][1], "`target`")
    if "set" in top:
        spec.x12_set = text_of(top["set"][1], "`set`")
    for section in _SECTIONS:
        if section in top:
            for name, (_, value) in pairs(top[section][1], f"`{section}`").items():
                spec.tables[section][name] = (_relative(path, value, f"`{section}.{name}`"), value)
    if "fields" in top:
        own = raw_object(top["fields"][1])
        spec.fields = own if spec.fields is None else merge(spec.fields, own)
    elif spec.fields is None:
        raise fail(root, "a mapping needs `fields:` (or `extends:` a file that has them)")
    spec.examples = _examples(path, top["examples"][1]) if "examples" in top else ()
    return spec


def _utc_stamp(seconds: float) -> str:
    """POSIX seconds -> ISO 8601 in UTC, to the second (``2026-03-02T14:15:00+00:00``)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _received(node: yaml.Node) -> float:
    """An example's ``received_at:``: an ISO 8601 timestamp with an offset -> POSIX seconds.

    Quoted or not (YAML tags an unquoted one as a timestamp; the text is what counts).
    """
    moment = None
    if isinstance(node, yaml.ScalarNode):
        try:
            moment = dt.datetime.fromisoformat(str(node.value))
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise fail(node, "`received_at` must be an ISO 8601 timestamp with an offset")
    return moment.timestamp()


_EXAMPLE_KEYS = frozenset({"name", "input", "expected", "received_at"})


def _examples(path: Path, node: yaml.Node) -> tuple[Example, ...]:
    """``examples: [{input: a.json, expected: a.expected.json, name?: ..., received_at?: ...}]``."""
    if not isinstance(node, yaml.SequenceNode):
        raise fail(node, "`examples` must be a list of {input: FILE, expected: FILE}")
    out: list[Example] = []
    names: set[str] = set()
    for item in node.value:
        entries = pairs(item, "an example")
        unknown = set(entries) - _EXAMPLE_KEYS
        if unknown or not {"input", "expected"} <= set(entries):
            raise fail(
                item,
                "an example needs `input` and `expected` (and optionally `name`, `received_at`)",
            )
        input_path = _relative(path, entries["input"][1], "`input`")
        expected = _relative(path, entries["expected"][1], "`expected`")
        name = (
            text_of(entries["name"][1], "`name`")
            if "name" in entries
            else input_path.stem
            if input_path.suffix in (".json", ".edi", ".x12")
            else input_path.name
        )
        if name in names:
            raise fail(item, f"two examples are named `{name}`; give one a `name:`")
        names.add(name)
        received = _received(entries["received_at"][1]) if "received_at" in entries else None
        out.append(Example(name, input_path, expected, line_of(item), received))
    return tuple(out)


def compile_mapping(path: Path, cache: TableCache, seen: Seen) -> Mapping:
    """Compile ``path``; ``seen`` collects the files read, even when compiling fails."""
    spec = _read(path, seen, (path.resolve(),), None)
    assert spec.fields is not None
    loaded: dict[str, dict[str, Table]] = {section: {} for section in _SECTIONS}
    for section, kind in _SECTIONS.items():
        for name, (table_path, node) in spec.tables[section].items():
            seen.append((table_path, stamp(table_path)))
            table, before = cache.load(kind, table_path, node)
            seen[-1] = (table_path, before)
            loaded[section][name] = table
    functions = MappingFunctions(loaded["codelists"], loaded["crosswalks"])
    visit = TreeInterpreter(Options(custom_functions=functions)).visit
    names = {section: frozenset(tables) for section, tables in loaded.items()}
    compiler = Compiler(functions.resolve, visit, names, specialise=functions.specialise)
    root = compiler.object(spec.fields, "")
    return Mapping(
        path=path,
        source=spec.source,
        target=spec.target,
        files=tuple(seen),
        root=root,
        examples=spec.examples,
        x12_set=spec.x12_set,
    )


def load_mapping(path: Path) -> Mapping:
    """Compile one mapping file (with its bases and tables); raises ``MappingFileError``."""
    return compile_mapping(path, TableCache(), [])
