"""Parsed JMESPath -> Python closures, for the node types mappings use most.

JMESPath's interpreter dispatches every node through a generic ``visit`` with dict look-ups;
a mapping spends most of its time there. The common shapes (paths, literals, ``@``, function
calls, ``||``, ``&&``, ``!``, comparisons, ``[a, b]`` lists and pipes) are turned into plain
closures once, at compile time, with the interpreter's exact semantics (the hypothesis tests
compare both). Any other node (filters, projections, slices...) keeps using the interpreter,
for that subtree only.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from numbers import Number
from typing import Any

from jmespath.visitor import TreeInterpreter

Fn = Callable[[Any], Any]
Visit = Callable[[dict[str, Any], Any], Any]
Resolve = Callable[[str], Callable[..., Any]]

_EQ: Callable[[Any, Any], bool] = TreeInterpreter.COMPARATOR_FUNC["eq"]
_ORDER = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}


def _is_false(value: Any) -> bool:
    return value == "" or value == [] or value == {} or value is None or value is False


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, Number)


def _comparable(value: Any) -> bool:
    return _is_number(value) or isinstance(value, str)


def closure(ast: dict[str, Any], resolve: Resolve, visit: Visit) -> Fn:
    """A function of the current value computing ``ast``, as the interpreter would."""
    kind = ast["type"]
    children: list[Any] = ast.get("children", [])
    parts = [closure(c, resolve, visit) for c in children if isinstance(c, dict)]
    if kind == "field":
        name = ast["value"]
        return lambda v: v.get(name) if isinstance(v, dict) else None
    if kind in ("subexpression", "pipe"):
        return _chain(parts)
    if kind == "literal":
        literal = ast["value"]
        return lambda v: literal
    if kind in ("current", "identity"):
        return lambda v: v
    if kind == "function_expression":
        return _call(resolve(str(ast["value"])), parts)
    if kind == "or_expression":
        left, right = parts
        return lambda v: right(v) if _is_false(matched := left(v)) else matched
    if kind == "and_expression":
        left, right = parts
        return lambda v: matched if _is_false(matched := left(v)) else right(v)
    if kind == "not_expression":
        (inner,) = parts
        return lambda v: False if _is_number(result := inner(v)) and result == 0 else not result
    if kind == "comparator":
        return _compare(str(ast["value"]), *parts)
    if kind == "multi_select_list":
        return lambda v: None if v is None else [part(v) for part in parts]
    return lambda v: visit(ast, v)


def _chain(parts: list[Fn]) -> Fn:
    def chained(value: Any) -> Any:
        for part in parts:
            value = part(value)
        return value

    return chained


def _call(function: Callable[..., Any], args: list[Fn]) -> Fn:
    if not args:
        return lambda v: function()
    if len(args) == 1:
        (first,) = args
        return lambda v: function(first(v))
    if len(args) == 2:
        first, second = args
        return lambda v: function(first(v), second(v))
    return lambda v: function(*[arg(v) for arg in args])


def _compare(op: str, left: Fn, right: Fn) -> Fn:
    if op == "eq":
        return lambda v: _EQ(left(v), right(v))
    if op == "ne":
        return lambda v: not _EQ(left(v), right(v))
    order = _ORDER[op]

    def ordered(value: Any) -> Any:
        a, b = left(value), right(value)
        if not (_comparable(a) and _comparable(b)):
            return None
        return order(a, b)

    return ordered
