"""Literal X12 qualifiers in a mapping's ``qual()``, ``quals()`` and ``idpair()`` calls, checked.

``qual(DTM, 'DTM01', '02')`` is a valid expression that is null on every real message: the
delivery-requested qualifier is ``002``. The structure check (:mod:`._x12_paths`) proves the
path exists; this proves the code is one the element takes, against the connector's code lists
(``connectors/x12/_codes.py``). Those lists are the codes partners use, not every code of the
standard, so an unknown code is a warning that names the element, its data element number and
the closest codes known, never an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jmespath

from connectors.x12 import PRODUCT_ID_QUALIFIER, CodeList, qualifier_list
from gateway.mapping._mapping import Mapping
from gateway.mapping._plan import Defaulted, EachNode, Expr, Guard, ListNode, ObjectNode

_SELECTORS = frozenset({"qual", "quals"})


def _exprs(node: Any) -> Iterator[Expr]:
    if isinstance(node, ObjectNode):
        for _, child in node.fields:
            yield from _exprs(child)
    elif isinstance(node, ListNode):
        for child in node.items:
            yield from _exprs(child)
    elif isinstance(node, Guard):
        if node.when is not None:
            yield node.when
        yield from _exprs(node.inner)
    elif isinstance(node, Defaulted):
        yield from _exprs(node.inner)
    elif isinstance(node, EachNode):
        yield node.source
        yield from _exprs(node.item)
    elif isinstance(node, Expr):
        yield node


def _calls(ast: Any) -> Iterator[tuple[str, list[Any]]]:
    """Every function call in a parsed JMESPath tree, as (name, argument nodes)."""
    if isinstance(ast, dict):
        if ast.get("type") == "function_expression":
            yield str(ast["value"]), list(ast.get("children", []))
        for child in ast.get("children", []):
            yield from _calls(child)


def _literal(node: Any) -> str | None:
    if isinstance(node, dict) and node.get("type") == "literal" and isinstance(node["value"], str):
        return str(node["value"])
    return None


def _qualifiers(text: str) -> Iterator[tuple[str, str, CodeList]]:
    """(designator, code, list) for each literal qualifier the expression selects on."""
    for name, args in _calls(jmespath.compile(text).parsed):
        if len(args) != 3:
            continue
        field, wanted = _literal(args[1]), _literal(args[2])
        if field is None or wanted is None:
            continue
        designator = field.rsplit(".", 1)[-1]
        if name in _SELECTORS:
            codes = qualifier_list(designator)
        elif name == "idpair":  # (qualifier, id) pairs are product/service ids by definition
            codes = qualifier_list(designator) or PRODUCT_ID_QUALIFIER
        else:
            continue
        if codes is not None:
            yield designator, wanted, codes


def unknown_qualifiers(mapping: Mapping) -> list[tuple[str, int, str, str]]:
    """(file, line, expression, problem) for each literal qualifier not in its element's list.

    Only the mapping's own file: a base file it extends is checked on its own.
    """
    own = mapping.path.resolve()
    found: dict[tuple[str, int, str, str], None] = {}
    for expr in _exprs(mapping.plan):
        if Path(expr.file).resolve() != own:
            continue
        for designator, code, codes in _qualifiers(expr.text):
            if code in codes.codes:
                continue
            near = difflib.get_close_matches(code, list(codes.codes), n=3, cutoff=0.5)
            hint = ", ".join(f"{c} ({codes.codes[c]})" for c in near) or "none close"
            problem = (
                f"{designator} qualifier {code!r} is not a {codes.name} ({codes.element}) code "
                f"crossdock knows; closest: {hint}. If the partner's guide lists it, add it to "
                "connectors/x12/_codes.py"
            )
            found[(expr.file, expr.line, expr.text, problem)] = None
    return list(found)


__all__ = ["unknown_qualifiers"]
