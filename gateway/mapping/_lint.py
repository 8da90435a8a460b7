"""``crossdock mappings check``: everything wrong with the mapping files, before a document is.

Three checks, each reported with the file and line to open:

- **compile** (error): YAML, shapes, JMESPath syntax, unknown functions, argument counts and
  undeclared tables; the compiler stops at the first one in a file.
- **target** (error): the mapping's output field tree walked against the target contract
  (``target: v1/order`` -> ``contracts.VERSIONS["v1"]["order"]``), through nested Structs,
  lists and tuples, optional and union types and ``dict`` fields: a field the contract does not
  have, an object or a list where the contract has neither, a constant outside an enumeration.
- **source**: a structure-aware hook per ``source:`` (:data:`SOURCE_CHECKS`). ``x12`` (error):
  every path is checked against the transaction set's structure, segment ids, loops and
  element positions (:mod:`._x12_paths`): ``BEG.BEG33`` cannot exist, whatever the partner
  sends. ``json``/``soap`` (warning): a path used in an expression that resolves in *none* of
  the file's example inputs is likely a typo (``order.custmer.name``); only a warning, since
  examples do not show every optional field. Only expressions written in the file itself are
  checked: lines inherited through ``extends`` are checked with the base file.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath
import msgspec.inspect as mi

import contracts
from connectors.errors import StageError
from gateway.mapping._errors import MappingFileError
from gateway.mapping._examples import read_sample
from gateway.mapping._functions import SCOPE
from gateway.mapping._mapping import Mapping, load_mapping
from gateway.mapping._plan import Const, Defaulted, EachNode, Expr, Guard, ListNode, ObjectNode
from gateway.mapping._registry import mapping_files
from gateway.mapping._x12_paths import check_structure, parse_chains, structure, x12_set
from gateway.mapping._x12_qualifiers import unknown_qualifiers


@dataclass(frozen=True)
class Finding:
    """One problem in a mapping file."""

    file: str
    line: int | None
    severity: str  # "error" | "warning"
    check: str  # "compile" | "target" | "source"
    problem: str
    expression: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.severity}: {self.problem}"
        return f"{text}; expression: {self.expression}" if self.expression else text


def lint_dir(mappings_dir: Path) -> list[Finding]:
    """Lint every mapping file under ``mappings_dir``."""
    return [finding for path in mapping_files(mappings_dir) for finding in lint_file(path)]


def lint_file(path: Path) -> list[Finding]:
    """Lint one mapping file: compile it, then check its target fields and its source paths."""
    try:
        mapping = load_mapping(path)
    except MappingFileError as exc:
        return [Finding(exc.file, exc.line, "error", "compile", exc.problem, exc.expression)]
    if (mapping.target or "").startswith("x12/"):  # a reverse mapping: docs/x12-outbound.md
        from gateway.mapping._reverse import check_x12_target

        return [*check_x12_target(mapping), *check_json_paths(mapping)]
    findings = check_target(mapping)
    check = SOURCE_CHECKS.get(mapping.source or "json")
    if check is not None:
        findings.extend(check(mapping))
    return findings


# -- target fields against the contract ---------------------------------------------------------
def _shapes(kind: mi.Type) -> list[mi.Type]:
    if isinstance(kind, mi.Metadata):
        return _shapes(kind.type)
    if isinstance(kind, mi.UnionType):
        return [shape for member in kind.types for shape in _shapes(member)]
    return [kind]


def _name(kind: mi.Type) -> str:
    if isinstance(kind, mi.StructType):
        return kind.cls.__name__
    if isinstance(kind, mi.EnumType):
        return kind.cls.__name__
    return type(kind).__name__.removesuffix("Type").lower()


def _items(shapes: list[mi.Type]) -> list[mi.Type] | None:
    out: list[mi.Type] = []
    for shape in shapes:
        if isinstance(shape, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
            out.append(shape.item_type)
        elif isinstance(shape, mi.TupleType):
            out.extend(shape.item_types)
    return out or None


class _TargetWalk:
    def __init__(self, contract: str) -> None:
        self.contract = contract
        self.findings: list[Finding] = []

    def report(self, where: tuple[str, int] | None, problem: str) -> None:
        file, line = where if where is not None else ("?", None)
        self.findings.append(Finding(file, line, "error", "target", problem))

    def walk(
        self, node: Any, kinds: list[mi.Type], label: str, where: tuple[str, int] | None
    ) -> None:
        shapes = [shape for kind in kinds for shape in _shapes(kind)]
        if not shapes or any(isinstance(shape, mi.AnyType) for shape in shapes):
            return
        if isinstance(node, Guard):
            self.walk(node.inner, kinds, label, (node.file, node.line))
        elif isinstance(node, Defaulted):
            self.walk(node.inner, kinds, label, where)
        elif isinstance(node, ObjectNode):
            self.object(node, shapes, label, where)
        elif isinstance(node, ListNode | EachNode):
            items = _items(shapes)
            if items is None:
                expected = " or ".join(sorted({_name(s) for s in shapes}))
                self.report(
                    where, f"`{label}` is a list in the mapping; {self.contract} expects {expected}"
                )
                return
            children = node.items if isinstance(node, ListNode) else (node.item,)
            if isinstance(node, EachNode):
                where = (node.source.file, node.source.line)
            for child in children:
                self.walk(child, items, f"{label}[]", where)
        elif isinstance(node, Const):
            self.constant(node.value, shapes, label, where)

    def object(
        self, node: ObjectNode, shapes: list[mi.Type], label: str, where: tuple[str, int] | None
    ) -> None:
        structs = [s for s in shapes if isinstance(s, mi.StructType)]
        dicts = [s for s in shapes if isinstance(s, mi.DictType)]
        if not structs and not dicts:
            expected = " or ".join(sorted({_name(s) for s in shapes}))
            what = f"`{label}`" if label else "the document"
            self.report(
                where, f"{what} is an object in the mapping; {self.contract} expects {expected}"
            )
            return
        locations = node.where or tuple(where or ("?", 0) for _ in node.fields)
        for (key, child), at in zip(node.fields, locations, strict=True):
            path = f"{label}.{key}" if label else key
            found: list[mi.Type] = [d.value_type for d in dicts]
            for struct in structs:
                found.extend(f.type for f in struct.fields if f.encode_name == key)
            if not found:
                names = sorted({f.encode_name for s in structs for f in s.fields})
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else f"; fields: {', '.join(names)}"
                owner = " / ".join(s.cls.__name__ for s in structs)
                self.report(at, f"target field `{path}` is not in the contract ({owner}){hint}")
                continue
            self.walk(child, found, path, at)

    def constant(
        self, value: Any, shapes: list[mi.Type], label: str, where: tuple[str, int] | None
    ) -> None:
        allowed: set[Any] = set()
        for shape in shapes:
            if isinstance(shape, mi.EnumType):
                allowed.update(member.value for member in shape.cls)
            elif isinstance(shape, mi.LiteralType):
                allowed.update(shape.values)
            else:
                return  # only closed code lists are checked here; convert checks the rest
        if value not in allowed:
            choices = ", ".join(sorted(str(v) for v in allowed))
            self.report(where, f"constant {value!r} for `{label}` is not one of: {choices}")


def check_target(mapping: Mapping) -> list[Finding]:
    """The mapping's output fields against its ``target`` contract (errors)."""
    if mapping.target is None:
        return [Finding(str(mapping.path), None, "error", "target", "the mapping has no `target:`")]
    version, _, document_type = mapping.target.partition("/")
    try:
        struct = contracts.VERSIONS[version][document_type]
    except KeyError:
        known = ", ".join(f"{v}/{d}" for v, types in contracts.VERSIONS.items() for d in types)
        problem = f"unknown target {mapping.target!r}; known: {known}"
        return [Finding(str(mapping.path), None, "error", "target", problem)]
    walk = _TargetWalk(mapping.target)
    walk.walk(mapping.plan, [mi.type_info(struct)], "", (str(mapping.path), 1))
    return walk.findings


# -- source paths against example inputs --------------------------------------------------------
Chain = tuple[str, tuple[str, ...]]  # (base: "@" | "root" | "parent", segments; "[]" = any item)
_ANY = "[]"


def _refs(ast: dict[str, Any], ctx: Chain | None, out: list[Chain]) -> Chain | None:  # noqa: PLR0911 - one return per JMESPath node type
    """Collect the source paths ``ast`` reads into ``out``; return the chain its result is at."""
    kind = ast.get("type")
    children: list[dict[str, Any]] = [c for c in ast.get("children", ()) if isinstance(c, dict)]
    if kind == "field":
        if ctx is None:
            return None
        chain = (ctx[0], (*ctx[1], str(ast["value"])))
        out.append(chain)
        return chain
    if kind in ("current", "identity"):
        return ctx
    if kind in ("subexpression", "pipe"):
        for child in children:
            ctx = _refs(child, ctx, out)
        return ctx
    if kind == "index_expression":
        left = _refs(children[0], ctx, out)
        return None if left is None else (left[0], (*left[1], _ANY))
    if kind == "flatten":
        return _refs(children[0], ctx, out)
    if kind in ("projection", "filter_projection"):
        left = _refs(children[0], ctx, out)
        element = None if left is None else (left[0], (*left[1], _ANY))
        for condition in children[2:]:
            _refs(condition, element, out)
        return _refs(children[1], element, out)
    if kind == "function_expression":
        return _call_refs(ast, children, ctx, out)
    for child in children:  # or/and/not, comparisons, multi-selects: each part reads from ctx
        _refs(child, ctx, out)
    return None


def _call_refs(
    ast: dict[str, Any], args: list[dict[str, Any]], ctx: Chain | None, out: list[Chain]
) -> Chain | None:
    name = str(ast["value"])
    if name == "root":
        return ("root", ())
    if name == "parent":
        return ("parent", ())
    chains = [_refs(arg, ctx, out) if arg["type"] != "expref" else None for arg in args]
    first = chains[0] if chains else None
    element = None if first is None else (first[0], (*first[1], _ANY))
    for arg in args:
        if arg["type"] == "expref":
            _refs(arg["children"][0], element, out)
    if name in ("qual", "quals") and element is not None and args[1]["type"] == "literal":
        field = str(args[1]["value"])
        out.append((element[0], (*element[1], *field.split("."))))
        return element if name == "qual" else first
    if name == "idpair" and first is not None and args[1]["type"] == "literal":
        out.append((first[0], (*first[1], str(args[1]["value"]))))  # the first qualifier element
    return None


def _resolves(value: Any, segments: tuple[str, ...]) -> bool:
    if not segments:
        return True
    head, rest = segments[0], segments[1:]
    if head == _ANY:
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        return any(_resolves(item, rest) for item in items)
    if isinstance(value, dict) and head in value:
        return _resolves(value[head], rest)
    return False


_KEYWORD_LIKE = {("null",), ("true",), ("false",)}
"""Bare ``null`` is a field name in JMESPath that is never there: the ``x != null`` idiom."""


class _SourceWalk:
    def __init__(self) -> None:
        # (file, line, expression, base, segments) -> resolved in some example
        self.seen: dict[tuple[str, int, str, str, tuple[str, ...]], bool] = {}
        self.parsed: dict[str, list[Chain]] = {}

    def chains(self, text: str) -> list[Chain]:
        if text not in self.parsed:
            found: list[Chain] = []
            _refs(jmespath.compile(text).parsed, ("@", ()), found)
            self.parsed[text] = found
        return self.parsed[text]

    def expression(self, expr: Expr, values: list[Any], root: Any, parents: list[Any]) -> None:
        for base, segments in self.chains(expr.text):
            starts = values if base == "@" else [root] if base == "root" else parents
            if not starts or not segments or (base == "@" and segments in _KEYWORD_LIKE):
                continue
            key = (expr.file, expr.line, expr.text, base, segments)
            hit = any(_resolves(start, segments) for start in starts)
            self.seen[key] = self.seen.get(key, False) or hit

    def walk(self, node: Any, values: list[Any], root: Any, parents: list[Any]) -> None:
        if isinstance(node, ObjectNode):
            for _, child in node.fields:
                self.walk(child, values, root, parents)
        elif isinstance(node, ListNode):
            for child in node.items:
                self.walk(child, values, root, parents)
        elif isinstance(node, Guard):
            if node.when is not None:
                self.expression(node.when, values, root, parents)
            self.walk(node.inner, values, root, parents)
        elif isinstance(node, Defaulted):
            self.walk(node.inner, values, root, parents)
        elif isinstance(node, EachNode):
            self.expression(node.source, values, root, parents)
            items: list[Any] = []
            for value in values:
                try:
                    found = node.source.build(value)
                except Exception:  # noqa: S112 - `mappings test` reports failures
                    continue
                items.extend(found if isinstance(found, list) else [found] if found else [])
            self.walk(node.item, items, root, values)
        elif isinstance(node, Expr):
            self.expression(node, values, root, parents)


def check_json_paths(mapping: Mapping) -> list[Finding]:
    """Warn about paths that resolve in none of the mapping's (JSON-shaped) example inputs."""
    samples: list[Any] = []
    for example in mapping.examples:
        try:
            samples.append(read_sample(example.input))
        except StageError:
            continue  # `mappings test` reports unreadable samples; here they just give no evidence
    if not samples:
        return []
    walk = _SourceWalk()
    saved = SCOPE.root, SCOPE.index, SCOPE.parents
    try:
        for sample in samples:
            SCOPE.root, SCOPE.index, SCOPE.parents = sample, None, []
            walk.walk(mapping.plan, [sample], sample, [])
    finally:
        SCOPE.root, SCOPE.index, SCOPE.parents = saved
    own = mapping.path.resolve()
    unresolved = [
        key for key, hit in walk.seen.items() if not hit and Path(key[0]).resolve() == own
    ]
    findings = []
    for file, line, text, base, segments in unresolved:
        prefixes = {segments[:n] for n in range(1, len(segments))}
        if any(walk.seen.get((file, line, text, base, p)) is False for p in prefixes):
            continue  # report `PER`, not also `PER[].PER02`
        path = ".".join(segments).replace(".[]", "[]")
        where = "" if base == "@" else f"{base}()."
        problem = (
            f"source path `{where}{path}` resolves in none of the {len(samples)} example "
            "input(s): a typo, or add an example that has it"
        )
        findings.append(Finding(file, line, "warning", "source", problem, text))
    return findings


def check_x12_paths(mapping: Mapping) -> list[Finding]:
    """Errors for paths the X12 set's structure cannot have (see :mod:`._x12_paths`).

    A set the connector has no structure for (a flat tree) gets the example-based warnings.
    Literal qualifiers the element's code list does not have are warnings either way
    (:mod:`._x12_qualifiers`).
    """
    qualifiers = [
        Finding(file, line, "warning", "source", problem, text)
        for file, line, text, problem in unknown_qualifiers(mapping)
    ]
    set_id = x12_set(mapping)
    if set_id is None or structure(set_id) is None:
        return [*check_json_paths(mapping), *qualifiers]
    structural = [
        Finding(
            problem.file,
            problem.line,
            "error",
            "source",
            f"source path `{problem.path}` cannot exist in an X12 {set_id}: {problem.problem}",
            problem.expression,
        )
        for problem in check_structure(mapping, set_id, parse_chains(_refs))
    ]
    return [*structural, *qualifiers]


SOURCE_CHECKS: dict[str, Callable[[Mapping], list[Finding]]] = {
    "json": check_json_paths,
    "x12": check_x12_paths,
    "soap": check_json_paths,
}
"""Structure-aware source checks by ``source:``; each returns warnings for one mapping."""


def errors(findings: Iterable[Finding]) -> int:
    """How many findings are errors (``mappings check`` exits 1 when any)."""
    return sum(1 for finding in findings if finding.severity == "error")


__all__ = ["Finding", "errors", "lint_dir", "lint_file"]
