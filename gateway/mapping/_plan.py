"""The compiled plan: a tree of small nodes, each with ``build(value) -> result | None``.

``None`` means *absent*: the enclosing object leaves the key out, the enclosing list drops the
item. Empty objects and lists count as absent too, so an optional block whose source is missing
(no shipping address) does not appear as ``{}``.

The tree is the reference semantics, what lint walks, and the error path. Documents normally go
through one Python function that ``_codegen`` writes for the whole tree below an object the
first time it is built; when that function raises (a function refused a value, a required field
is missing), the object is built again here, node by node, which raises the located error
(file, line, expression, value, target path). Field paths are only assembled on failure.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal, Protocol

from jmespath.exceptions import JMESPathTypeError

from gateway.mapping._errors import FieldError, FunctionError
from gateway.mapping._fast import Env
from gateway.mapping._functions import SCOPE


class Node(Protocol):
    """Anything that turns the current input value into an output value (or ``None``)."""

    def build(self, value: Any) -> Any:
        """Map ``value``; ``None`` when the target is absent."""
        ...


class Expr:
    """A compiled expression, with where it was written for error messages.

    ``ast`` (JMESPath's parsed tree) and ``env`` (the mapping's functions) let ``_codegen``
    translate the expression into the mapping's generated function; without them it calls ``fn``.
    """

    __slots__ = ("ast", "env", "file", "fn", "line", "text")

    def __init__(
        self,
        fn: Callable[[Any], Any],
        text: str,
        file: str,
        line: int,
        *,
        ast: dict[str, Any] | None = None,
        env: Env | None = None,
    ) -> None:
        self.fn = fn
        self.text = text
        self.file = file
        self.line = line
        self.ast = ast
        self.env = env

    def build(self, value: Any) -> Any:
        """Evaluate; any exception becomes a located ``FieldError``."""
        try:
            return self.fn(value)
        except Exception as exc:  # a mapping must fail as MapError, whatever went wrong
            raise self.error(exc, value) from exc

    def error(self, exc: Exception, value: Any) -> FieldError:
        """Describe ``exc`` with the value that caused it (else the value being mapped)."""
        if isinstance(exc, FunctionError):
            reason, found = str(exc), exc.found
        elif isinstance(exc, JMESPathTypeError):
            reason, found = str(exc), exc.current_value
        else:
            reason, found = f"{type(exc).__name__}: {exc}", value
        return FieldError(
            "map_expression_failed",
            f"expression failed: {reason}",
            file=self.file,
            line=self.line,
            expression=self.text,
            found=found,
        )


class PathExpr(Expr):
    """A plain dotted path, walked inline: the most common expression by far."""

    __slots__ = ("keys",)

    def __init__(self, keys: tuple[str, ...], text: str, file: str, line: int) -> None:
        super().__init__(self.build, text, file, line)
        self.keys = keys

    def build(self, value: Any) -> Any:
        """Walk the keys; anything that is not an object on the way yields null (as JMESPath)."""
        for key in self.keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value


class Defaulted:
    """``{value: ..., default: ...}``: a constant when the expression yields null."""

    __slots__ = ("default", "inner")

    def __init__(self, inner: Node, default: Any) -> None:
        self.inner = inner
        self.default = Const(default)

    def build(self, value: Any) -> Any:
        """The expression's value, else the default."""
        result = self.inner.build(value)
        return self.default.build(value) if result is None else result


class Const:
    """``{const: ...}``; containers are copied so callers may mutate their output."""

    __slots__ = ("copy", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.copy = isinstance(value, dict | list)

    def build(self, value: Any) -> Any:
        """The constant."""
        return copy.deepcopy(self.value) if self.copy else self.value


Build = Callable[[Any], Any]


class ObjectNode:
    """A target object: one entry per field, absent fields left out.

    ``build`` runs the function ``_codegen`` generated for this object's whole subtree (made on
    first use, so only objects that documents reach pay for it); ``interpret`` is the same
    mapping node by node, used when the generated function raises, to locate the failure.
    """

    __slots__ = ("_fast", "_plan", "fields", "where")

    def __init__(
        self,
        fields: tuple[tuple[str, Node], ...],
        where: tuple[tuple[str, int], ...] | None = None,
    ) -> None:
        self.fields = fields
        self.where = where  # (file, line) of each field's key, for lint; not used by build
        self._plan = tuple(
            (key, node.fn, node) if isinstance(node, Expr) else (key, node.build, None)
            for key, node in fields
        )
        self._fast: Build | Literal[False] | None = None  # None: not generated yet

    def build(self, value: Any) -> dict[str, Any] | None:
        """Build every field from the same input value (the generated function, if any)."""
        fast = self._fast
        if fast is None:
            from gateway.mapping._codegen import generate  # _codegen imports this module

            fast = self._fast = generate(self) or False
        if fast is False:  # the generator declined this tree (see ``_codegen.generate``)
            return self.interpret(value)
        scope = SCOPE
        index, depth = scope.index, len(scope.parents)
        try:
            result: dict[str, Any] | None = fast(value)
        except Exception:  # the interpreted plan below raises the located FieldError
            scope.index = index  # an `each` the generated code left mid-way
            del scope.parents[depth:]
            return self.interpret(value)
        return result

    def interpret(self, value: Any) -> dict[str, Any] | None:
        """Build every field node by node, turning a failure into a located ``FieldError``."""
        out: dict[str, Any] = {}
        for key, build, expr in self._plan:
            try:
                result = build(value)
            except FieldError as error:
                error.path.append(key)
                raise
            except Exception as exc:
                if expr is None:  # pragma: no cover - only expressions raise anything else
                    raise
                failure = expr.error(exc, value)
                failure.path.append(key)
                raise failure from exc
            if result is not None:
                out[key] = result
        return out or None


class ListNode:
    """A YAML sequence in the mapping: a fixed list of items (e.g. parties), absent ones dropped."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Node, ...]) -> None:
        self.items = items

    def build(self, value: Any) -> list[Any] | None:
        """Build each item from the same input value."""
        out: list[Any] = []
        for index, node in enumerate(self.items):
            try:
                result = node.build(value)
            except FieldError as error:
                error.path.append(index)
                raise
            if result is not None:
                out.append(result)
        return out or None


class EachNode:
    """``each``: one output item per input item; the item is ``@`` for the inner expressions.

    A single object where a list was expected counts as a one-item list (a repeatable segment
    that occurred once). Error paths use the *input* item's index, which is what to look up.
    """

    __slots__ = ("item", "source")

    def __init__(self, source: Expr, item: Node) -> None:
        self.source = source
        self.item = item

    def build(self, value: Any) -> list[Any] | None:
        """Map every item, with ``idx()``/``pos()``/``parent()`` set for it."""
        items = self.source.build(value)
        if items is None:
            return None
        if isinstance(items, dict):
            items = [items]
        elif not isinstance(items, list):
            raise FieldError(
                "map_expression_failed",
                "`each` needs a list (or one object)",
                file=self.source.file,
                line=self.source.line,
                expression=self.source.text,
                found=items,
            )
        scope = SCOPE
        outer_index = scope.index
        scope.parents.append(value)
        out: list[Any] = []
        try:
            for index, item in enumerate(items):
                scope.index = index
                try:
                    result = self.item.build(item)
                except FieldError as error:
                    error.path.append(index)
                    raise
                if result is not None:
                    out.append(result)
        finally:
            scope.index = outer_index
            scope.parents.pop()
        return out or None


class Guard:
    """``when`` and ``required`` around any node; only compiled in where they are used."""

    __slots__ = ("file", "inner", "label", "line", "required", "when")

    def __init__(
        self, inner: Node, *, when: Expr | None, required: bool, file: str, line: int, label: str
    ) -> None:
        self.inner = inner
        self.when = when
        self.required = required
        self.file = file
        self.line = line
        self.label = label

    def build(self, value: Any) -> Any:
        """Skip when the condition is false; fail when a required result is absent."""
        if self.when is not None and not truthy(self.when.build(value)):
            return None
        result = self.inner.build(value)
        if result is None and self.required:
            raise FieldError(
                "map_required_missing",
                "required field is missing (the mapping produced null)",
                file=self.file,
                line=self.line,
                expression=self.label,
                found=None,
            )
        return result


def truthy(value: Any) -> bool:
    """JMESPath truth: null, false, "" and empty lists/objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return bool(value)
    return True
