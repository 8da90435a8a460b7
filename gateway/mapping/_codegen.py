"""A mapping's field tree -> one generated Python function: the fast path of ``apply``.

Walking the plan costs a Python call per node and per JMESPath node, plus a ``try`` per field:
about 9,000 calls for a 50-line 850, where a hand-written function makes a few hundred. So the
first time an object is built, this module writes its whole subtree as one function:

- an object is a dict filled by assignments, ``each`` a ``for`` loop, ``when``/``required`` an
  ``if``; inside a loop ``pos()``, ``idx()`` and ``parent()`` read loop variables, not the
  thread-local scope (which is then only kept up to date for code that still reads it);
- paths, ``[n]``, literals, ``@``, ``||``, ``&&``, ``!``, comparisons, ``[a, b]``, pipes,
  projections, flattening and filters are written inline with the interpreter's semantics
  (``test_mapping_codegen.py`` compares them with JMESPath under hypothesis); any other node
  (slices, ``*`` on objects, ``{a: b}``, ``&expr``) is evaluated by the closure ``_fast`` builds;
- a call whose literal arguments allow it calls the function table's specialised callable
  (``MappingFunctions.specialise``: ``code('uom', x)`` becomes a dict look-up), else the function.

Errors: the generated function has no ``try``. Whatever makes it raise (a function refusing a
value, a required field missing, ``each`` over a non-list), ``ObjectNode.build`` builds the object
again node by node, which raises the located ``FieldError`` (file, line, expression, value,
target path) exactly as before. Mapping functions are pure, so the second run sees the same values.

Safety: ``compile()`` only ever sees text this module wrote. Everything that comes from a mapping
file or a document (field names, literals, tables, functions, closures) is an argument of a
factory function and reaches the generated code as a closure variable; the source holds only
names made here (``v``, ``t12``, ``k3``), operators, keywords, integers checked to be ``int``, and
comments made with ``ascii()``, whose output cannot contain a line break.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gateway.mapping import _fast
from gateway.mapping._fast import Env
from gateway.mapping._functions import SCOPE, VARIES
from gateway.mapping._plan import (
    Build,
    Const,
    Defaulted,
    EachNode,
    Expr,
    Guard,
    ListNode,
    ObjectNode,
    PathExpr,
)

_SCOPE_READERS = frozenset({"idx", "pos", "parent"})
"""Functions that read the scope an ``each`` sets (``root()`` reads what ``apply`` set)."""

_KINDS = (str, list, dict)
_EMPTY: tuple[Any, ...] = ("", [], {})
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,30}")
_BORROWED = {"qual": (1, 2), "quals": (1, 2)}
"""Argument positions where a list literal is only compared with, never returned or changed:
it is passed as it is instead of copied on every call (JMESPath would share it everywhere)."""


class SlowPath(Exception):  # noqa: N818 - a signal to the caller, not an error
    """Raised by generated code where the plan raises a located ``FieldError``."""


class _Loop:
    """One generated ``each`` loop, for the expressions inside it."""

    def __init__(self, index: str, parent: str) -> None:
        self.index = index  # the loop variable holding idx()
        self.parent = parent  # the value the each ran on: parent()
        self.index_used = False
        self.scope_read = False  # something in the body reads SCOPE: keep it up to date


class _Writer:
    """Accumulates the function's lines and the constants it closes over."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 2
        self.constants: dict[str, Any] = {}
        self._by_value: dict[tuple[type, Any], str] = {}
        self._count = 0
        self.fresh: set[str] = set()
        self.loops: list[_Loop] = []
        self.root_used = False

    # -- text --------------------------------------------------------------------------------
    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def comment(self, text: str) -> None:
        self.line(f"# {text!a}")  # ascii(): one line whatever the text holds

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header + ":")
        self.depth += 1
        start = len(self.lines)
        yield
        if len(self.lines) == start:
            self.line("pass")
        self.depth -= 1

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        """Write into a separate list (a loop body whose header depends on it)."""
        saved, self.lines = self.lines, []
        body = self.lines
        try:
            yield body
        finally:
            self.lines = saved

    # -- names -------------------------------------------------------------------------------
    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def temp(self) -> str:
        """A new local that only the code asking for it uses (so it may be reassigned)."""
        name = self._name("t")
        self.fresh.add(name)
        return name

    def owned(self, atom: str, src: str) -> bool:
        """Whether ``atom``, computed from ``src``, is a local nothing else reads afterwards.

        Only fresh temporaries qualify, and not ``src`` itself: ``@`` passes its source through.
        """
        return atom != src and atom in self.fresh

    def own(self, atom: str, src: str) -> str:
        """``atom`` if the caller may reassign it, else a fresh copy (never reassign a source)."""
        if self.owned(atom, src):
            return atom
        name = self.temp()
        self.line(f"{name} = {atom}")
        return name

    def constant(self, value: Any, prefix: str = "c") -> str:
        """A closure variable holding ``value``; ``None``/``True``/``False`` are written as is.

        ``prefix`` makes the name readable (``idpair7``); anything but a short lower-case
        identifier (it may be a function's name) is replaced by ``c``.
        """
        if value is None or value is True or value is False:
            return repr(value)
        if not _IDENTIFIER.fullmatch(prefix):
            prefix = "c"
        # equal strings and ints share a name; anything else (-0.0 == 0.0!) is kept apart
        key = (type(value), value) if type(value) in (str, int) else (object, id(value))
        name = self._by_value.get(key)
        if name is None:
            name = self._by_value[key] = self._name(prefix)
            self.constants[name] = value
        return name

    # -- helpers written inline --------------------------------------------------------------
    def truthy(self, atom: str) -> str:
        """JMESPath truth as a condition: null, false, "", [] and {} are false; 0 is true."""
        kinds = self.constant(_KINDS, "kinds")
        return (
            f"{atom} is not None and {atom} is not False "
            f"and ({atom} or not isinstance({atom}, {kinds}))"
        )

    def falsy(self, atom: str) -> str:
        """JMESPath falsehood; only Python-false values (few) get past the first test."""
        empty = self.constant(_EMPTY, "empty")
        return f"not {atom} and ({atom} is None or {atom} is False or {atom} in {empty})"

    def scope_read(self) -> None:
        """Generated code about to run something that reads SCOPE.index/parents."""
        if self.loops:
            self.loops[-1].scope_read = True


class _Generator(_Writer):
    """Plan nodes and JMESPath trees -> statements; each method returns the result's atom."""

    # -- plan nodes: return (atom, container); a container is absent when falsy --------------
    def node(self, node: Any, src: str) -> tuple[str, bool]:
        if isinstance(node, Guard):
            return self.guard(node, src)
        if isinstance(node, ObjectNode | EachNode | ListNode):
            return self.container(node, src), True
        if isinstance(node, Defaulted | Const | Expr):
            return self.value(node, src), False
        # a node type this generator does not know: its own build (it may read the scope)
        self.scope_read()
        out = self.temp()
        self.line(f"{out} = {self.constant(node.build, 'node')}({src})")
        return out, False

    def container(self, node: ObjectNode | EachNode | ListNode, src: str) -> str:
        if isinstance(node, ObjectNode):
            return self.object(node, src)
        return self.each(node, src) if isinstance(node, EachNode) else self.items(node, src)

    def value(self, node: Defaulted | Const | Expr, src: str) -> str:
        if isinstance(node, Defaulted):
            return self.defaulted(node, src)
        if isinstance(node, Const):
            return self.const(node.value)
        return self.expression(node, src)

    def store(self, target: str, key: str, value: str, container: bool) -> None:
        if value == "None":
            return
        assign = f"{target}[{self.constant(key, 'k')}] = {value}"
        self.line(f"if {value}: {assign}" if container else f"if {value} is not None: {assign}")

    def object(self, node: ObjectNode, src: str) -> str:
        out = self.temp()
        self.line(f"{out} = {{}}")
        for key, child in node.fields:
            self.comment(key)
            value, container = self.node(child, src)
            self.store(out, key, value, container)
        return out

    def items(self, node: ListNode, src: str) -> str:
        out = self.temp()
        self.line(f"{out} = []")
        for child in node.items:
            value, container = self.node(child, src)
            if value == "None":
                continue
            test = value if container else f"{value} is not None"
            self.line(f"if {test}: {out}.append({value})")
        return out

    def const(self, value: Any) -> str:
        if not isinstance(value, dict | list):
            return self.constant(value)
        out = self.temp()
        self.line(f"{out} = {self.constant(copy.deepcopy, 'deepcopy')}({self.constant(value)})")
        return out

    def defaulted(self, node: Defaulted, src: str) -> str:
        value, _ = self.node(node.inner, src)
        out = self.own(value, src)
        with self.block(f"if {out} is None"):
            self.line(f"{out} = {self.const(node.default.value)}")
        return out

    def guard(self, node: Guard, src: str) -> tuple[str, bool]:
        slow = self.constant(SlowPath, "SlowPath")
        if node.when is None:
            value, container = self.node(node.inner, src)
            if node.required:
                absent = f"not {value}" if container else f"{value} is None"
                self.line(f"if {absent}: raise {slow}")
            return value, container
        condition = self.expression(node.when, src)
        out = self.temp()
        with self.block(f"if {self.truthy(condition)}"):
            value, container = self.node(node.inner, src)
            self.line(f"{out} = {value}")
            if node.required:
                absent = f"not {out}" if container else f"{out} is None"
                self.line(f"if {absent}: raise {slow}")
        with self.block("else"):
            self.line(f"{out} = None")
        return out, container

    def each(self, node: EachNode, src: str) -> str:
        items = self.own(self.expression(node.source, src), src)
        out = self.temp()
        self.line(f"{out} = None")
        with self.block(f"if {items} is not None"):
            with self.block(f"if isinstance({items}, dict)"):
                self.line(f"{items} = [{items}]")
            with self.block(f"elif not isinstance({items}, list)"):
                self.line(f"raise {self.constant(SlowPath, 'SlowPath')}")
            self.line(f"{out} = []")
            loop = _Loop(self._name("i"), src)
            item = self._name("item")
            self.loops.append(loop)
            self.depth += 1
            with self.capture() as body:  # the body first: it decides the loop's header
                value, container = self.node(node.item, item)
                if value != "None":
                    test = value if container else f"{value} is not None"
                    self.line(f"if {test}: {out}.append({value})")
            self.depth -= 1
            self.loops.pop()
            scope = self.constant(SCOPE, "scope")
            saved = self._name("saved")
            if loop.scope_read:
                self.line(f"{saved} = {scope}.index")
                self.line(f"{scope}.parents.append({src})")
            if loop.index_used or loop.scope_read:
                self.line(f"for {loop.index}, {item} in enumerate({items}):")
            else:
                self.line(f"for {item} in {items}:")
            if loop.scope_read:
                self.line(f"    {scope}.index = {loop.index}")
            self.lines.extend(body or ["    " * (self.depth + 1) + "pass"])
            if loop.scope_read:
                self.line(f"{scope}.index = {saved}")
                self.line(f"{scope}.parents.pop()")
        return out

    def expression(self, expr: Expr, src: str) -> str:
        if isinstance(expr, PathExpr):
            return self.path(expr.keys, src)
        if expr.ast is None or expr.env is None:
            self.scope_read()
            out = self.temp()
            self.line(f"{out} = {self.constant(expr.fn, 'expr')}({src})")
            return out
        return self.jmespath(expr.ast, src, expr.env)

    # -- JMESPath: return the atom holding the value ------------------------------------------
    def path(self, keys: tuple[str, ...], src: str) -> str:
        out = src
        for key in keys:
            out = self.field(key, out, reuse=out != src)
        return out

    def field(self, key: str, src: str, *, reuse: bool = False) -> str:
        """``src.key``; ``reuse``: ``src`` is this chain's own local, overwrite it."""
        out = src if reuse else self.temp()
        name = self.constant(key, "k")
        self.line(f"{out} = {src}.get({name}) if isinstance({src}, dict) else None")
        return out

    def jmespath(self, ast: dict[str, Any], src: str, env: Env, *, reuse: bool = False) -> str:
        """Statements computing ``ast`` from ``src``; ``reuse``: see :meth:`field`."""
        kind = ast["type"]
        if kind == "field":
            return self.field(str(ast["value"]), src, reuse=reuse)
        if kind == "index":
            return self.index(ast, src, reuse=reuse)
        write = _WRITERS.get(kind)
        if write is None:
            return self.interpreted(ast, src, env)
        return write(self, ast, src, env)

    def interpreted(self, ast: dict[str, Any], src: str, env: Env) -> str:
        """A node written as a call of the closure ``_fast`` builds (or the interpreter)."""
        if _reads_scope(ast):
            self.scope_read()
        fn = _fast.closure(ast, env.resolve, env.visit)
        out = self.temp()
        self.line(f"{out} = {self.constant(fn, 'fn')}({src})")
        return out

    def _chain(self, ast: dict[str, Any], src: str, env: Env) -> str:
        out = src
        for child in ast["children"]:
            out = self.jmespath(child, out, env, reuse=self.owned(out, src))
        return out

    def index(self, ast: dict[str, Any], src: str, *, reuse: bool) -> str:
        """``src[n]``: lists only, and null past either end (no IndexError)."""
        index = ast["value"]
        if type(index) is not int:  # pragma: no cover - the parser only makes ints
            raise TypeError(index)
        out = src if reuse else self.temp()
        size = f"len({src}) > {index}" if index >= 0 else f"len({src}) >= {-index}"
        self.line(f"{out} = {src}[{index}] if isinstance({src}, list) and {size} else None")
        return out

    def _literal(self, ast: dict[str, Any], src: str, env: Env) -> str:
        return self.const(ast["value"])

    def _current(self, ast: dict[str, Any], src: str, env: Env) -> str:
        return src

    def _or_expression(self, ast: dict[str, Any], src: str, env: Env) -> str:
        left, right = ast["children"]
        out = self.own(self.jmespath(left, src, env), src)
        with self.block(f"if {self.falsy(out)}"):
            self.line(f"{out} = {self.jmespath(right, src, env)}")
        return out

    def _and_expression(self, ast: dict[str, Any], src: str, env: Env) -> str:
        left, right = ast["children"]
        out = self.own(self.jmespath(left, src, env), src)
        with self.block(f"if not ({self.falsy(out)})"):
            self.line(f"{out} = {self.jmespath(right, src, env)}")
        return out

    def _not_expression(self, ast: dict[str, Any], src: str, env: Env) -> str:
        value = self.jmespath(ast["children"][0], src, env)
        out = self.temp()
        self.line(f"{out} = {self.constant(_fast.not_value, 'not_value')}({value})")
        return out

    def _comparator(self, ast: dict[str, Any], src: str, env: Env) -> str:
        op = str(ast["value"])
        left_ast, right_ast = ast["children"]
        left = self.jmespath(left_ast, src, env)
        right = self.jmespath(right_ast, src, env)
        out = self.temp()
        if op in ("eq", "ne"):
            # a string never equals a number or boolean: plain == is JMESPath's == then
            if _is_text_literal(left_ast) or _is_text_literal(right_ast):
                self.line(f"{out} = {left} {'==' if op == 'eq' else '!='} {right}")
            else:
                equals = self.constant(_fast.equals, "equals")
                negate = "" if op == "eq" else "not "
                self.line(f"{out} = {negate}{equals}({left}, {right})")
            return out
        order = self.constant(_fast.ordering(op), op)
        self.line(f"{out} = {order}({left}, {right})")
        return out

    def _multi_select_list(self, ast: dict[str, Any], src: str, env: Env) -> str:
        out = self.temp()
        with self.block(f"if {src} is None"):
            self.line(f"{out} = None")
        with self.block("else"):
            parts = [self.jmespath(child, src, env) for child in ast["children"]]
            self.line(f"{out} = [{', '.join(parts)}]")
        return out

    def _projection(self, ast: dict[str, Any], src: str, env: Env) -> str:
        left, right = ast["children"]
        base = self.jmespath(left, src, env)
        out = self.temp()
        self.line(f"{out} = None")
        with self.block(f"if isinstance({base}, list)"):
            self.line(f"{out} = []")
            element = self._name("e")
            with self.block(f"for {element} in {base}"):
                value = self.jmespath(right, element, env)
                self.line(f"if {value} is not None: {out}.append({value})")
        return out

    def _flatten(self, ast: dict[str, Any], src: str, env: Env) -> str:
        base = self.jmespath(ast["children"][0], src, env)
        out = self.temp()
        self.line(f"{out} = None")
        with self.block(f"if isinstance({base}, list)"):
            self.line(f"{out} = []")
            element = self._name("e")
            with self.block(f"for {element} in {base}"):
                self.line(f"if isinstance({element}, list): {out}.extend({element})")
                self.line(f"else: {out}.append({element})")
        return out

    def _filter_projection(self, ast: dict[str, Any], src: str, env: Env) -> str:
        left, right, condition = ast["children"]
        base = self.jmespath(left, src, env)
        out = self.temp()
        self.line(f"{out} = None")
        with self.block(f"if isinstance({base}, list)"):
            self.line(f"{out} = []")
            element = self._name("e")
            with self.block(f"for {element} in {base}"):
                test = self.jmespath(condition, element, env)
                with self.block(f"if {self.truthy(test)}"):
                    value = self.jmespath(right, element, env)
                    self.line(f"if {value} is not None: {out}.append({value})")
        return out

    def _function_expression(self, ast: dict[str, Any], src: str, env: Env) -> str:
        name, children = str(ast["value"]), ast["children"]
        loop = self.loops[-1] if self.loops else None
        if not children and name == "root":
            self.root_used = True
            return "root"
        if not children and loop is not None and name in _SCOPE_READERS:
            if name == "parent":
                return loop.parent
            loop.index_used = True
            if name == "idx":
                return loop.index
            out = self.temp()
            self.line(f"{out} = {loop.index} + 1")
            return out
        if name in _SCOPE_READERS:
            self.scope_read()
        literals = tuple(_literal_value(child) for child in children)
        special = env.specialise(name, literals) if env.specialise is not None else None
        if special is not None:
            args = [
                self.jmespath(child, src, env)
                for child, literal in zip(children, literals, strict=True)
                if literal is VARIES
            ]
            function = self.constant(special, name)
        else:
            borrowed = _BORROWED.get(name, ())
            args = [
                self.constant(child["value"])
                if i in borrowed and child["type"] == "literal"
                else self.jmespath(child, src, env)
                for i, child in enumerate(children)
            ]
            function = self.constant(env.resolve(name), name)
        out = self.temp()
        self.line(f"{out} = {function}({', '.join(args)})")
        return out


_WRITERS: dict[str, Callable[[_Generator, dict[str, Any], str, Env], str]] = {
    "subexpression": _Generator._chain,
    "pipe": _Generator._chain,
    "index_expression": _Generator._chain,
    "literal": _Generator._literal,
    "current": _Generator._current,
    "identity": _Generator._current,
    "or_expression": _Generator._or_expression,
    "and_expression": _Generator._and_expression,
    "not_expression": _Generator._not_expression,
    "comparator": _Generator._comparator,
    "multi_select_list": _Generator._multi_select_list,
    "projection": _Generator._projection,
    "flatten": _Generator._flatten,
    "filter_projection": _Generator._filter_projection,
    "function_expression": _Generator._function_expression,
}
"""JMESPath node types written inline (``field`` and ``index`` are handled before these)."""


def _is_text_literal(ast: dict[str, Any]) -> bool:
    return ast.get("type") == "literal" and type(ast.get("value")) is str


def _literal_value(ast: dict[str, Any]) -> Any:
    """A call argument's value when it is a literal (lists included), else ``VARIES``."""
    return ast["value"] if ast.get("type") == "literal" else VARIES


def _reads_scope(ast: dict[str, Any]) -> bool:
    stack = [ast]
    while stack:
        node = stack.pop()
        if node.get("type") == "function_expression" and node.get("value") in _SCOPE_READERS:
            return True
        stack.extend(child for child in node.get("children", ()) if isinstance(child, dict))
    return False


_GLOBALS = {
    "isinstance": isinstance,
    "dict": dict,
    "list": list,
    "len": len,
    "enumerate": enumerate,
}
"""The only names generated code finds besides its closure variables (no other builtins)."""


def source(node: ObjectNode) -> tuple[str, dict[str, Any]]:
    """The factory's source for ``node`` and the constants to call it with (for tests, too)."""
    writer = _Generator()
    result = writer.object(node, "v")
    body = writer.lines
    if writer.root_used:
        body.insert(0, f"        root = {writer.constant(SCOPE, 'scope')}.root")
    names = ", ".join(writer.constants)
    text = "\n".join(
        [
            f"def factory({names}):",
            "    def build(v):",
            *body,
            f"        return {result} or None",
            "    return build",
            "",
        ]
    )
    return text, writer.constants


def generate(node: ObjectNode) -> Build | None:
    """The generated ``build`` for ``node``'s subtree, or ``None`` (then the plan interprets).

    ``None`` is for trees Python will not compile (more than 20 nested loops, or nesting deeper
    than its parser allows); those map correctly, only without this speed-up.
    """
    try:
        text, constants = source(node)
        code = compile(text, "<generated mapping>", "exec")
    except Exception:  # any failure here only costs speed, never a result
        return None
    namespace: dict[str, Any] = dict(_GLOBALS)
    namespace["__builtins__"] = {}
    exec(code, namespace)  # noqa: S102 - our own generated code; see the module docstring
    factory: Callable[..., Build] = namespace["factory"]
    return factory(**constants)
