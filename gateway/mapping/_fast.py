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
from typing import Any

Fn = Callable[[Any], Any]
Visit = Callable[[dict[str, Any], Any], Any]
Resolve = Callable[[str], Callable[..., Any]]

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


def _chain(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    def chained(value: Any) -> Any:
        for part in parts:
            value = part(value)
        return value

    return chained


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
    if len(args) == 2:
        first, second = args
        return lambda v: function(first(v), second(v))
    return lambda v: function(*[arg(v) for arg in args])


def _or(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    left, right = parts
    return lambda v: right(v) if _is_false(matched := left(v)) else matched


def _and(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    left, right = parts
    return lambda v: matched if _is_false(matched := left(v)) else right(v)


def _not(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    (inner,) = parts
    return lambda v: False if _is_number(result := inner(v)) and result == 0 else not result


def _list(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    return lambda v: None if v is None else [part(v) for part in parts]


def _compare(ast: dict[str, Any], parts: list[Fn], resolve: Resolve) -> Fn:
    op, (left, right) = str(ast["value"]), parts
    if op == "eq":
        return lambda v: _equals(left(v), right(v))
    if op == "ne":
        return lambda v: not _equals(left(v), right(v))
    order = _ORDER[op]

    def ordered(value: Any) -> Any:
        a, b = left(value), right(value)
        if not (_comparable(a) and _comparable(b)):
            return None
        return order(a, b)

    return ordered


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
