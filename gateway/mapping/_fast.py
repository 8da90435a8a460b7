"""Parsed JMESPath -> Python closures, for the node types mappings use most.

JMESPath's interpreter dispatches every node through a generic ``visit`` with dict look-ups;
a mapping spends most of its time there. The common shapes (paths, literals, ``@``, function
calls, ``||``, ``&&``, ``!``, comparisons, ``[a, b]`` lists and pipes) are turned into plain
closures once, at compile time, with the interpreter's exact semantics (the hypothesis tests
compare both). Any other node (filters, projections, slices...) keeps using the interpreter,
for that subtree only.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable
from numbers import Number
from typing import Any, NamedTuple

Fn = Callable[[Any], Any]
Visit = Callable[[dict[str, Any], Any], Any]
Resolve = Callable[[str], Callable[..., Any]]
Specialise = Callable[[str, tuple[Any, ...]], Callable[..., Any] | None]
"""``(name, literals) -> callable or None``: see ``MappingFunctions.specialise``."""


class Env(NamedTuple):
    """What one mapping's expressions call: its function table and JMESPath's interpreter.

    Kept on every compiled expression so the code generator (``_codegen``) can translate the
    expression again, whole, into the function it writes for the mapping.
    """

    resolve: Resolve
    visit: Visit
    specialise: Specialise | None = None


_ORDER = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}


def _is_false(value: Any) -> bool:
    return value in ("", [], {}) or value is None or value is False


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is int or kind is float:
        return True
    if kind is bool or kind is str or value is None:
        return False
    return isinstance(value, Number)  # the ABC check is slow: only for unusual types


def _equals(x: Any, y: Any) -> bool:
    """JMESPath equality: a boolean never equals a number (Python says ``True == 1``)."""
    x_bool = x is True or x is False
    if x_bool is not (y is True or y is False) and _is_number(y if x_bool else x):
        return False
    return bool(x == y)


def _comparable(value: Any) -> bool:
    return _is_number(value) or isinstance(value, str)


def not_value(value: Any) -> bool:
    """``!x``: JMESPath truth negated; ``0`` is true in JMESPath, so ``!0`` is false."""
    return False if _is_number(value) and value == 0 else not value


def equals(x: Any, y: Any) -> bool:
    """``x == y`` as JMESPath compares (the public name of ``_equals`` for generated code)."""
    return _equals(x, y)


def ordering(op: str) -> Callable[[Any, Any], Any]:
    """``<``, ``<=``, ``>``, ``>=``: numbers or strings compare, anything else gives null."""
    order = _ORDER[op]

    def ordered(a: Any, b: Any) -> Any:
        if not (_comparable(a) and _comparable(b)):
            return None
        return order(a, b)

    return ordered


def closure(ast: dict[str, Any], resolve: Resolve, visit: Visit) -> Fn:
    """A function of the current value computing ``ast``, as the interpreter would."""
    build = _BUILDERS.get(ast["type"])
    if build is None:
        return lambda v: visit(ast, v)
    children = ast.get("children", [])
    parts = [closure(child, resolve, visit) for child in children if isinstance(child, dict)]
    return build(ast, parts, resolve)


def _field(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    name = ast["value"]
    return lambda v: v.get(name) if isinstance(v, dict) else None


def _path(keys: tuple[str, ...]) -> Fn:
    """``a.b.c``: one closure walking the keys, not one closure call per key."""
    if len(keys) == 2:
        first, second = keys

        def path2(value: Any) -> Any:
            if isinstance(value, dict):
                value = value.get(first)
                if isinstance(value, dict):
                    return value.get(second)
            return None

        return path2

    def path(value: Any) -> Any:
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return path


def _chain(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    children = ast.get("children", [])
    if ast["type"] == "subexpression":
        fields = [c.get("type") == "field" for c in children]
        if all(fields):
            return _path(tuple(str(c["value"]) for c in children))
        if len(children) > 2 and not fields[0] and all(fields[1:]):  # root().CUR.CUR02
            head, tail = parts[0], _path(tuple(str(c["value"]) for c in children[1:]))
            return lambda v: tail(head(v))
    if len(parts) == 2:
        first, second = parts
        return lambda v: second(first(v))

    def chained(value: Any) -> Any:
        for part in parts:
            value = part(value)
        return value

    return chained


_VARIES = object()


def _constant(ast: dict[str, Any]) -> Any:
    """A literal's immutable value (passed to functions as is), else ``_VARIES``."""
    if ast.get("type") == "literal" and not isinstance(ast["value"], list | dict):
        return ast["value"]
    return _VARIES


def _literal(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    literal = ast["value"]
    if isinstance(literal, list | dict):  # a fresh copy: callers may mutate their output
        return lambda v: copy.deepcopy(literal)
    return lambda v: literal


def _current(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    return lambda v: v


def _call(ast: dict[str, Any], args: list[Fn], resolve: Resolve) -> Fn:
    function = resolve(str(ast["value"]))
    if not args:
        return lambda v: function()
    if len(args) == 1:
        (first,) = args
        return lambda v: function(first(v))
    if len(args) in (2, 3):
        return _call_with_constants(ast, args, function)
    return lambda v: function(*[arg(v) for arg in args])


def _call_with_constants(ast: dict[str, Any], args: list[Fn], function: Callable[..., Any]) -> Fn:
    """Two or three arguments; literal table names and qualifiers are passed as constants."""
    constant = [_constant(child) for child in ast["children"]]
    if len(args) == 2:
        first, second = args
        if constant[0] is not _VARIES:  # code('uom', x), lookup('sku', x)
            table = constant[0]
            return lambda v: function(table, second(v))
        return lambda v: function(first(v), second(v))
    first, second, third = args
    if constant[1] is not _VARIES and constant[2] is not _VARIES:  # qual(x, 'A01', 'DP')
        b, c = constant[1], constant[2]
        return lambda v: function(first(v), b, c)
    return lambda v: function(first(v), second(v), third(v))


_EMPTY: tuple[Any, ...] = ("", [], {})


def _or(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    left, right = parts
    # _is_false inlined: `||` chains are the most common shape in X12 mappings
    return lambda v: (
        right(v)
        if (matched := left(v)) is None or matched is False or matched in _EMPTY
        else matched
    )


def _is_equality(ast: dict[str, Any]) -> bool:
    return ast.get("type") == "comparator" and ast.get("value") in ("eq", "ne")


def _and(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    left, right = parts
    if _is_equality(ast["children"][0]):  # `a == 'X' && b`: the left side is always a bool
        return lambda v: right(v) if left(v) else False
    return lambda v: matched if _is_false(matched := left(v)) else right(v)


def _not(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    (inner,) = parts
    return lambda v: not_value(inner(v))


def _list(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    return lambda v: None if v is None else [part(v) for part in parts]


def _compare(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    op, (left, right) = str(ast["value"]), parts
    literal = ast["children"][1]
    if op in ("eq", "ne") and literal.get("type") == "literal" and type(literal["value"]) is str:
        # a string literal equals only an equal string: JMESPath's bool/number rule cannot apply
        text = literal["value"]
        if op == "eq":
            return lambda v: left(v) == text
        return lambda v: left(v) != text
    if op == "eq":
        return lambda v: _equals(left(v), right(v))
    if op == "ne":
        return lambda v: not _equals(left(v), right(v))
    order = ordering(op)
    return lambda v: order(left(v), right(v))


_BUILDERS: dict[str, Callable[[dict[str, Any], list[Fn], Resolve], Fn]] = {
    "field": _field,
    "subexpression": _chain,
    "pipe": _chain,
    "literal": _literal,
    "current": _current,
    "identity": _current,
    "function_expression": _call,
    "or_expression": _or,
    "and_expression": _and,
    "not_expression": _not,
    "multi_select_list": _list,
    "comparator": _compare,
}
