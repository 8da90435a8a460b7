"""Fields (YAML nodes) -> plan nodes, checking every expression while it is compiled.

Each expression is parsed once by JMESPath; then its syntax tree is walked to refuse unknown
function names, wrong argument counts and table names the file does not declare. Those mistakes
would otherwise surface only when a document first takes that branch, in production.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping
from typing import Any

import jmespath
import yaml
from jmespath.exceptions import IncompleteExpressionError, JMESPathError, LexerError, ParseError

from gateway.mapping._fast import Env, Resolve, Specialise, Visit, closure
from gateway.mapping._functions import ARITY, TABLE_FUNCTIONS
from gateway.mapping._plan import (
    Const,
    Defaulted,
    EachNode,
    Expr,
    Guard,
    ListNode,
    Node,
    ObjectNode,
    PathExpr,
)
from gateway.mapping._yaml import (
    BOOL_TAG,
    RawObject,
    constant,
    fail,
    file_of,
    is_directive,
    is_null,
    is_text,
    line_of,
    pairs,
    raw_object,
)

_TABLE_KIND = {"lookup": "crosswalks", "code": "codelists"}


def _syntax_problem(exc: JMESPathError) -> str:
    if isinstance(exc, IncompleteExpressionError):
        return "JMESPath syntax error: the expression is incomplete"
    if isinstance(exc, LexerError):
        return f"JMESPath syntax error at column {exc.lexer_position}: {exc.message}"
    if isinstance(exc, ParseError):
        return f"JMESPath syntax error at column {exc.lex_position}: {exc.msg}"
    return f"JMESPath error: {exc}"


def _plain_path(ast: dict[str, Any]) -> tuple[str, ...] | None:
    if ast["type"] == "field":
        return (str(ast["value"]),)
    if ast["type"] == "subexpression" and all(c["type"] == "field" for c in ast["children"]):
        return tuple(str(c["value"]) for c in ast["children"])
    return None


class Compiler:
    """Compiles one mapping's fields against its function table and declared tables."""

    def __init__(
        self,
        resolve: Resolve,
        visit: Visit,
        tables: Mapping[str, frozenset[str]],
        specialise: Specialise | None = None,
    ) -> None:
        self._resolve = resolve
        self._visit = visit
        self._env = Env(resolve, visit, specialise)
        self._tables = tables

    def object(self, raw: RawObject, path: str) -> ObjectNode:
        """A target object; ``~`` fields are skipped (``extends`` uses them to remove)."""
        fields: list[tuple[str, Node]] = []
        where: list[tuple[str, int]] = []
        for key, spec in raw.fields.items():
            node = self.field(spec, f"{path}.{key}" if path else key)
            if node is not None:
                fields.append((key, node))
                anchor = raw.keys.get(key) or (spec.node if isinstance(spec, RawObject) else spec)
                where.append((file_of(anchor), line_of(anchor)))
        return ObjectNode(tuple(fields), tuple(where))

    def field(self, spec: yaml.Node | RawObject, path: str) -> Node | None:
        """One field in any of its shapes (see the package docstring)."""
        if isinstance(spec, RawObject):
            return self.object(spec, path)
        if is_null(spec):
            return None
        if isinstance(spec, yaml.ScalarNode):
            if not is_text(spec):
                raise fail(
                    spec,
                    f"expected an expression string, got `{spec.value}`; "
                    f"for a constant write {{const: {spec.value}}} or quote it: \"'{spec.value}'\"",
                    field=path,
                )
            return self.expression(spec, path)
        if isinstance(spec, yaml.SequenceNode):
            items = [self.field(item, f"{path}[{i}]") for i, item in enumerate(spec.value)]
            return ListNode(tuple(item for item in items if item is not None))
        if is_directive(spec):
            return self.directive(spec, path)
        return self.object(raw_object(spec, f"`{path}`"), path)

    def directive(self, node: yaml.Node, path: str) -> Node:
        """``{value|const|fields|each: ..., when?, required?, default?}``."""
        keys = {key: value for key, (_, value) in pairs(node, f"`{path}`").items()}
        if "each" in keys:
            inner, anchor, label = self._each(node, keys, path)
        else:
            inner, anchor, label = self._single(node, keys, path)
        when = self.expression(keys["when"], path, "`when`") if "when" in keys else None
        required = self._flag(keys["required"], path) if "required" in keys else False
        if when is None and not required:
            return inner
        return Guard(
            inner,
            when=when,
            required=required,
            file=file_of(anchor),
            line=line_of(anchor),
            label=label,
        )

    def _each(
        self, node: yaml.Node, keys: dict[str, yaml.Node], path: str
    ) -> tuple[Node, yaml.Node, str]:
        if ("fields" in keys) == ("value" in keys) or "const" in keys:
            raise fail(node, "`each` needs exactly one of `fields` or `value`", field=path)
        if "default" in keys:
            raise fail(node, "`default` does not apply to `each`", field=path)
        source = self.expression(keys["each"], path, "`each`")
        item_path = f"{path}[]"
        item: Node
        if "fields" in keys:
            item = self.object(raw_object(keys["fields"], f"`{item_path}`"), item_path)
        else:
            item = self.expression(keys["value"], item_path, "`value`")
        return EachNode(source, item), keys["each"], source.text

    def _single(
        self, node: yaml.Node, keys: dict[str, yaml.Node], path: str
    ) -> tuple[Node, yaml.Node, str]:
        producers = [k for k in ("value", "const", "fields") if k in keys]
        if len(producers) != 1:
            problem = "a field needs exactly one of `value`, `const` or `fields`"
            raise fail(node, problem, field=path)
        if "default" in keys and producers[0] != "value":
            raise fail(node, "`default` only applies to `value`", field=path)
        if "value" in keys:
            expr = self.expression(keys["value"], path, "`value`")
            if "default" in keys:
                return Defaulted(expr, constant(keys["default"])), keys["value"], expr.text
            return expr, keys["value"], expr.text
        if "const" in keys:
            value = constant(keys["const"])
            return Const(value), keys["const"], f"const {value!r}"
        return (
            self.object(raw_object(keys["fields"], f"`{path}`"), path),
            keys["fields"],
            "(object)",
        )

    @staticmethod
    def _flag(node: yaml.Node, path: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL_TAG:
            raise fail(node, "`required` must be true or false", field=path)
        return str(node.value).lower() in ("true", "yes", "on")

    def expression(self, node: yaml.Node, path: str, role: str = "an expression") -> Expr:
        """Parse and check one expression string; ``role`` says which key, for the message."""
        if not is_text(node) or not str(node.value).strip():
            raise fail(node, f"{role} must be a JMESPath expression string", field=path)
        text = str(node.value)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", PendingDeprecationWarning)
                parsed = jmespath.compile(text)
        except JMESPathError as exc:
            raise fail(node, _syntax_problem(exc), field=path, expression=text) from None
        except PendingDeprecationWarning:
            problem = "a `...` literal must be JSON; write a string as 'text' (single quotes)"
            raise fail(node, problem, field=path, expression=text) from None
        ast: dict[str, Any] = parsed.parsed
        self._check(ast, node, path, text)
        keys = _plain_path(ast)
        if keys is not None:
            return PathExpr(keys, text, file_of(node), line_of(node))
        fn = closure(ast, self._resolve, self._visit)
        return Expr(fn, text, file_of(node), line_of(node), ast=ast, env=self._env)

    def _check(self, ast: dict[str, Any], node: yaml.Node, path: str, text: str) -> None:
        stack = [ast]
        while stack:
            current = stack.pop()
            if current.get("type") == "function_expression":
                self._check_call(current, node, path, text)
            stack.extend(c for c in current.get("children", ()) if isinstance(c, dict))

    def _check_call(self, call: dict[str, Any], node: yaml.Node, path: str, text: str) -> None:
        name, args = str(call["value"]), call["children"]
        arity = ARITY.get(name)
        if arity is None:
            close = difflib.get_close_matches(name, ARITY, n=1)
            hint = f"; did you mean {close[0]}()?" if close else ""
            raise fail(node, f"unknown function {name}(){hint}", field=path, expression=text)
        fewest, most = arity
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = (
                str(fewest)
                if most == fewest
                else f"{fewest} or more"
                if most is None
                else f"{fewest} to {most}"
            )
            problem = f"{name}() takes {wanted} arguments, got {len(args)}"
            raise fail(node, problem, field=path, expression=text)
        if name in TABLE_FUNCTIONS:
            section = _TABLE_KIND[name]
            first = args[0]
            if first["type"] != "literal" or not isinstance(first["value"], str):
                problem = f"{name}()'s first argument must name a table in quotes, e.g. 'uom'"
                raise fail(node, problem, field=path, expression=text)
            if first["value"] not in self._tables[section]:
                declared = ", ".join(sorted(self._tables[section])) or "none"
                problem = (
                    f"{name}() uses `{first['value']}`, not declared in `{section}:` ({declared})"
                )
                raise fail(node, problem, field=path, expression=text)
