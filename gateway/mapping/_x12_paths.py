"""``mappings check``, ``source: x12``: every path an expression reads, against the set structure.

An X12 tree has a known shape (``connectors.x12.STRUCTURES``): which segments sit at which
level, which repeat, which start a loop, and how many elements each segment has
(``ELEMENT_COUNTS``). So ``BEG.BEG33``, ``N1_loop[].N1.N110``, ``PO1_loop[].PID`` (PID is in the
PID loop, ``PID_loop``) or ``W06.W0602`` in an 850 mapping can never resolve, whatever the
partner sends: each is an error with the file, line, expression, the path and what the
structure has there. Paths are followed through ``each`` (the item is one element of what the
``each`` expression yields), ``root()`` and ``parent()``; a path whose starting point cannot be
known statically (the result of ``code()``, a ``||`` of two loops...) is not checked, so the
check never guesses.

The set comes from ``set:`` in the mapping file, else from the target's document type
(``target: v1/order`` -> 850, :data:`connectors.x12.DOCUMENT_TYPES`). Sets without a structure
definition (their trees are flat) fall back to the example-based warnings of :mod:`._lint`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath

from connectors.x12 import DOCUMENT_TYPES, ELEMENT_COUNTS, HIERARCHICAL, STRUCTURES
from gateway.mapping._mapping import Mapping
from gateway.mapping._plan import Defaulted, EachNode, Expr, Guard, ListNode, ObjectNode

_ANY = "[]"
_ELEMENT = re.compile(r"^([A-Z][A-Z0-9]{1,2})(\d{2})$")


@dataclass(eq=False)
class _Level:
    """One loop level of a set: key -> a segment id (single or list) or a nested level."""

    name: str
    keys: dict[str, tuple[bool, str | _Level]] = field(default_factory=dict)


def _level(name: str, nodes: list[Any], hierarchical: bool) -> _Level:
    level = _Level(name)
    for node in nodes:
        if isinstance(node, tuple):
            trigger, children = node
            inner = _level(f"{trigger}_loop", children, hierarchical)
            if hierarchical and trigger == "HL":
                inner.keys["HL_loop"] = (True, inner)  # children nested by HL02
            level.keys[f"{trigger}_loop"] = (True, inner)
        elif node.endswith("+"):
            level.keys[node[:-1]] = (True, node[:-1])
        else:
            level.keys[node] = (False, node)
    return level


_LEVELS: dict[str, _Level] = {}


def structure(set_id: str) -> _Level | None:
    """The set's root level as the tree builder lays it out, or None without a definition."""
    if set_id not in STRUCTURES:
        return None
    if set_id not in _LEVELS:
        nodes = ["ST", *STRUCTURES[set_id]]
        _LEVELS[set_id] = _level("the set", nodes, set_id in HIERARCHICAL)
    return _LEVELS[set_id]


def x12_set(mapping: Mapping) -> str | None:
    """The transaction set a ``source: x12`` mapping reads: ``set:``, else from its target."""
    if mapping.x12_set:
        return mapping.x12_set
    _, _, document_type = (mapping.target or "").partition("/")
    for set_id, canonical in DOCUMENT_TYPES.items():
        if canonical == document_type:
            return set_id
    if document_type.startswith("x12."):
        return document_type.removeprefix("x12.")
    return None


# A position in the tree: a level, a segment (its elements) or past an element (anything).
@dataclass(frozen=True)
class _Pos:
    kind: str  # "level" | "segment" | "value"
    node: _Level | str | None
    is_list: bool
    label: str


class _BadPathError(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _describe(pos: _Pos) -> str:
    if isinstance(pos.node, _Level):
        keys = ", ".join(sorted(pos.node.keys))
        return f"{pos.label} has: {keys}"
    if isinstance(pos.node, str):
        count = ELEMENT_COUNTS.get(pos.node)
        span = f"{pos.node}01..{pos.node}{count:02d}" if count else f"{pos.node}01..."
        return f"{pos.label} is a {pos.node} segment with elements {span}"
    return pos.label


def _step(pos: _Pos, key: str, set_id: str) -> _Pos:
    if pos.kind == "value":
        return pos
    if key == _ANY:
        if pos.is_list:
            return _Pos(pos.kind, pos.node, False, f"{pos.label}[]")
        return pos  # an index on one object: null at run time, but never a wrong name
    if pos.is_list:
        raise _BadPathError(
            f"`{pos.label}` is a list (a repeatable segment or a loop), so `.{key}` on it is "
            f"always null: pick one with `{pos.label}[0].{key}`, `{pos.label}[].{key}` or "
            "qual()"
        )
    if isinstance(pos.node, _Level):
        entry = pos.node.keys.get(key)
        if entry is None:
            if key == "_other":
                return _Pos("value", None, False, key)
            where = "at the top of the set" if pos.label == "the set" else f"in `{pos.label}`"
            top = structure(set_id)
            hint = (
                f"; `{key}` is at the top of the set: read it with root().{key}"
                if pos.label != "the set" and top is not None and key in top.keys
                else ""
            )
            raise _BadPathError(
                f"the {set_id} structure has no segment or loop `{key}` {where}; "
                f"{_describe(pos)}{hint}"
            )
        is_list, node = entry
        label = key if pos.label == "the set" else f"{pos.label}.{key}"
        return _Pos("level" if isinstance(node, _Level) else "segment", node, is_list, label)
    sid = str(pos.node)
    match = _ELEMENT.match(key)
    count = ELEMENT_COUNTS.get(sid)
    if match is None or match.group(1) != sid or int(match.group(2)) == 0:
        raise _BadPathError(f"`{key}` is not an element of {sid}: {_describe(pos)}")
    if count is not None and int(match.group(2)) > count:
        raise _BadPathError(f"{sid} has no element {key}: {_describe(pos)}")
    return _Pos("value", None, False, f"{pos.label}.{key}")


def _resolve(start: _Pos, segments: tuple[str, ...], set_id: str) -> _Pos:
    pos = start
    for key in segments:
        pos = _step(pos, key, set_id)
    return pos


Chain = tuple[str, tuple[str, ...]]
ChainsOf = Callable[[str], tuple[list[Chain], Chain | None]]


@dataclass(frozen=True)
class PathProblem:
    """One path that cannot exist: where it is written and what the structure has instead."""

    file: str
    line: int
    expression: str
    path: str
    problem: str


class _Walk:
    def __init__(self, set_id: str, root: _Pos, chains_of: ChainsOf) -> None:
        self.set_id = set_id
        self.root = root
        self.chains_of = chains_of
        self.problems: dict[tuple[str, int, str, str], PathProblem] = {}

    def start(self, base: str, ctx: _Pos | None, parents: list[_Pos | None]) -> _Pos | None:
        if base == "root":
            return self.root
        if base == "parent":
            return parents[-1] if parents else None
        return ctx

    def expression(self, expr: Expr, ctx: _Pos | None, parents: list[_Pos | None]) -> _Pos | None:
        chains, result = self.chains_of(expr.text)
        for base, segments in chains:
            start = self.start(base, ctx, parents)
            if start is None or not segments or (base == "@" and segments in _KEYWORD_LIKE):
                continue
            try:
                _resolve(start, segments, self.set_id)
            except _BadPathError as bad:
                where = "" if base == "@" else f"{base}()."
                path = where + ".".join(segments).replace(".[]", "[]")
                key = (expr.file, expr.line, expr.text, path)
                if not any(k[:3] == key[:3] and path.startswith(k[3]) for k in self.problems):
                    self.problems[key] = PathProblem(
                        expr.file, expr.line, expr.text, path, bad.problem
                    )
        if result is None:
            return None
        start = self.start(result[0], ctx, parents)
        if start is None:
            return None
        try:
            return _resolve(start, result[1], self.set_id)
        except _BadPathError:
            return None

    def walk(self, node: Any, ctx: _Pos | None, parents: list[_Pos | None]) -> None:
        if isinstance(node, ObjectNode):
            for _, child in node.fields:
                self.walk(child, ctx, parents)
        elif isinstance(node, ListNode):
            for child in node.items:
                self.walk(child, ctx, parents)
        elif isinstance(node, Guard):
            if node.when is not None:
                self.expression(node.when, ctx, parents)
            self.walk(node.inner, ctx, parents)
        elif isinstance(node, Defaulted):
            self.walk(node.inner, ctx, parents)
        elif isinstance(node, EachNode):
            found = self.expression(node.source, ctx, parents)
            item = None
            if found is not None:
                item = _Pos(found.kind, found.node, False, found.label + ("[]" * found.is_list))
            self.walk(node.item, item, [*parents, ctx])
        elif isinstance(node, Expr):
            self.expression(node, ctx, parents)


_KEYWORD_LIKE = {("null",), ("true",), ("false",)}


def check_structure(mapping: Mapping, set_id: str, chains_of: ChainsOf) -> list[PathProblem]:
    """Every path in the mapping's own expressions that the set's structure cannot have."""
    level = structure(set_id)
    if level is None:
        return []
    walk = _Walk(set_id, _Pos("level", level, False, "the set"), chains_of)
    walk.walk(mapping.plan, walk.root, [])
    own = mapping.path.resolve()
    return [p for p in walk.problems.values() if Path(p.file).resolve() == own]


def parse_chains(refs: Callable[..., Any]) -> ChainsOf:
    """``text -> (paths read, where the result is)`` with ``_lint``'s JMESPath walker, cached."""
    cache: dict[str, tuple[list[Chain], Chain | None]] = {}

    def chains_of(text: str) -> tuple[list[Chain], Chain | None]:
        if text not in cache:
            found: list[Chain] = []
            result = refs(jmespath.compile(text).parsed, ("@", ()), found)
            cache[text] = (found, result)
        return cache[text]

    return chains_of


__all__ = ["PathProblem", "check_structure", "parse_chains", "structure", "x12_set"]
