"""The functions mapping expressions may call, declared in one explicit table.

Each entry is a :class:`FunctionSpec` (name, parameters, what it is for) beside its Python
implementation. One table drives the compile-time check (unknown name, wrong number of
arguments: reported with the file and line, not when a rare branch first runs), the docs, and
the dispatch in :class:`MappingFunctions`, which is the ``custom_functions`` object JMESPath
calls. JMESPath's own functions (``length``, ``join``, ``to_string``...) remain available.

Our functions skip JMESPath's per-call type check (they check their input and raise a
``FunctionError`` naming the bad value) and its ``_func_``-prefix metaclass registry, which would
register functions as an import side effect.

Inside ``each``, expressions see the current item as ``@``; four functions reach outside it:
``idx()`` (0-based position), ``pos()`` (1-based, for line numbers), ``parent()`` (the value the
``each`` ran on) and ``root()`` (the whole input document). ``received_at()`` is when the
gateway received the message (for a source whose documents carry no date of their own). They
read a thread-local scope that ``Mapping.apply`` sets, so one compiled mapping serves many
threads or one event loop safely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import jmespath.functions
import msgspec

from gateway.mapping import _fn_dates, _fn_decimal, _fn_text, _fn_x12out
from gateway.mapping._errors import FunctionError
from gateway.mapping._tables import Table


class FunctionSpec(msgspec.Struct, frozen=True):
    """A mapping function as integrators see it. ``x?`` is optional, ``x...`` is one or more."""

    name: str
    params: tuple[str, ...]
    summary: str

    @property
    def arity(self) -> tuple[int, int | None]:
        """(fewest, most) arguments; ``None`` for no limit."""
        required = sum(1 for p in self.params if not p.endswith("?"))
        variadic = any(p.endswith("...") for p in self.params)
        return required, None if variadic else len(self.params)


class Varies:
    """The type of :data:`VARIES`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "VARIES"


VARIES = Varies()
"""In ``specialise``'s literals: an argument known only when a document is mapped."""


class _Scope(threading.local):
    """Where ``apply`` is in the document, per thread."""

    def __init__(self) -> None:
        self.root: Any = None
        self.index: int | None = None
        self.parents: list[Any] = []
        self.received: str | None = None  # ISO 8601 UTC, or None when apply() was given none


SCOPE = _Scope()


def _idx() -> int | None:
    return SCOPE.index


def _pos() -> int | None:
    index = SCOPE.index
    return None if index is None else index + 1


def _root() -> Any:
    return SCOPE.root


def _parent() -> Any:
    parents = SCOPE.parents
    return parents[-1] if parents else None


def _received_at() -> str | None:
    return SCOPE.received


def _s(name: str, params: str, summary: str) -> FunctionSpec:
    return FunctionSpec(name, tuple(p.strip() for p in params.split(",") if p.strip()), summary)


_PURE: tuple[tuple[FunctionSpec, Callable[..., Any]], ...] = (
    (_s("dec", "x", "decimal from a number or string, as a string"), _fn_decimal.dec),
    (_s("dadd", "a, b", "a + b as a decimal string"), _fn_decimal.dadd),
    (_s("dsub", "a, b", "a - b as a decimal string"), _fn_decimal.dsub),
    (_s("dmul", "a, b", "a * b as a decimal string"), _fn_decimal.dmul),
    (_s("ddiv", "a, b, places", "a / b rounded half-even to places"), _fn_decimal.ddiv),
    (_s("dround", "x, places", "round half-even to places"), _fn_decimal.dround),
    (_s("dsum", "list", "sum of a list, nulls skipped"), _fn_decimal.dsum),
    (_s("implied_dec", "x, places", "X12 implied decimal: '1250',2 -> '12.50'"),
     _fn_decimal.implied_dec),
    (_s("x12date", "d", "CCYYMMDD or YYMMDD -> YYYY-MM-DD"), _fn_dates.x12date),
    (_s("x12time", "t", "HHMM[SS[D[D]]] -> HH:MM:SS"), _fn_dates.x12time),
    (_s("x12datetime", "d, t, tz?", "X12 date and time in tz (default UTC) -> ISO 8601"),
     _fn_dates.x12datetime),
    (_s("iso_date", "x", "calendar date of an ISO 8601 value or Unix time"), _fn_dates.iso_date),
    (_s("iso_datetime", "x, tz?", "ISO 8601 timestamp with offset; naive input in tz"),
     _fn_dates.iso_datetime),
    (_s("upper", "s", "upper case"), _fn_text.upper),
    (_s("lower", "s", "lower case"), _fn_text.lower),
    (_s("trim", "s", "strip whitespace; blank -> null"), _fn_text.trim),
    (_s("concat", "value...", "join present parts"), _fn_text.concat),
    (_s("concat_ws", "sep, value...", "join present parts with sep"), _fn_text.concat_ws),
    (_s("compact", "list", "drop null and blank entries"), _fn_text.compact),
    (_s("substr", "s, start, length?", "length chars from 0-based start (negative: from the end)"),
     _fn_text.substr),
    (_s("left", "s, n", "the first n characters"), _fn_text.left),
    (_s("right", "s, n", "the last n characters"), _fn_text.right),
    (_s("sscc", "x", "SSCC-18 from MAN*GM: 18 digits, or AI 00 + 18 digits; else null"),
     _fn_text.sscc),
    (_s("qual", "list, field, value", "first element whose field equals value"), _fn_text.qual),
    (_s("quals", "list, field, value", "all elements whose field equals value"), _fn_text.quals),
    (_s("idpair", "segment, first, qualifier", "X12 (qualifier, id) pairs: the id for a qualifier"),
     _fn_text.idpair),
    (_s("idx", "", "0-based index of the current each item"), _idx),
    (_s("pos", "", "1-based position of the current each item"), _pos),
    (_s("root", "", "the whole input document"), _root),
    (_s("parent", "", "the value the current each ran on"), _parent),
    (_s("received_at", "", "when the gateway received the message (ISO 8601, UTC); else null"),
     _received_at),
    (_s("to_x12date", "x", "ISO 8601 date/timestamp -> CCYYMMDD"), _fn_x12out.to_x12date),
    (_s("to_x12time", "x", "ISO 8601 timestamp or time -> HHMM"), _fn_x12out.to_x12time),
    (_s("to_implied", "x, places", "X12 implied decimal: '12.5',2 -> '1250'"),
     _fn_x12out.to_implied),
    (_s("to_x12num", "x", "decimal as X12 R: '10.00' -> '10'"), _fn_x12out.to_x12num),
)  # fmt: skip

TABLE_FUNCTIONS: dict[str, FunctionSpec] = {
    "lookup": _s("lookup", "table, key, default?", "crosswalk: key -> value, else default"),
    "code": _s("code", "list, key, default?", "code list: raw -> canonical, else default"),
}
"""Functions whose first argument names a table; it must be a literal, checked at compile."""

SPECS: tuple[FunctionSpec, ...] = tuple(spec for spec, _ in _PURE) + tuple(TABLE_FUNCTIONS.values())


def _builtin_arity() -> dict[str, tuple[int, int | None]]:
    out: dict[str, tuple[int, int | None]] = {}
    for name, entry in jmespath.functions.Functions.FUNCTION_TABLE.items():
        signature = entry["signature"]
        variadic = bool(signature) and bool(signature[-1].get("variadic"))
        out[str(name)] = (len(signature), None if variadic else len(signature))
    return out


ARITY: dict[str, tuple[int, int | None]] = _builtin_arity() | {s.name: s.arity for s in SPECS}
"""Every callable name (JMESPath built-ins and ours) -> (fewest, most) arguments."""


def _table_key(key: Any, function: str) -> str | None:
    if key is None or isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    raise FunctionError(f"{function}() looks up strings", key)


class MappingFunctions(jmespath.functions.Functions):  # type: ignore[misc]  # jmespath: no stubs
    """The ``custom_functions`` of one compiled mapping: our table first, then JMESPath's."""

    def __init__(self, codelists: Mapping[str, Table], crosswalks: Mapping[str, Table]) -> None:
        self._codelists = dict(codelists)
        self._crosswalks = dict(crosswalks)
        self._impls: dict[str, Callable[..., Any]] = {spec.name: fn for spec, fn in _PURE}
        self._impls["lookup"] = self._lookup
        self._impls["code"] = self._code

    def call_function(self, function_name: str, resolved_args: list[Any]) -> Any:
        """JMESPath's hook; arity was checked when the expression was compiled."""
        impl = self._impls.get(function_name)
        if impl is None:
            return super().call_function(function_name, resolved_args)
        return impl(*resolved_args)

    def resolve(self, function_name: str) -> Callable[..., Any]:
        """The callable behind a name, for closures compiled from an expression (``_fast``)."""
        impl = self._impls.get(function_name)
        if impl is not None:
            return impl
        builtin = super().call_function
        return lambda *args: builtin(function_name, list(args))

    def specialise(self, name: str, literals: tuple[Any, ...]) -> Callable[..., Any] | None:
        """A faster callable for one call site, given the arguments written as literals.

        ``literals`` has one entry per argument: its value, or ``VARIES``. The callable takes
        the varying arguments only, in order, and returns (or raises) exactly what the function
        would; ``None`` when there is nothing to gain. Used by ``_codegen``: literal table names,
        qualifiers and pair positions are checked and looked up once, not per document.
        """
        if name in TABLE_FUNCTIONS:
            return self._table_reader(name, literals)
        if len(literals) != 3 or literals[0] is not VARIES or VARIES in literals[1:]:
            return None
        if name in ("qual", "quals"):
            return _fn_text.selector(literals[1], literals[2], first=name == "qual")
        if name == "idpair":
            return _fn_text.pair_reader(literals[1], literals[2])
        return None

    def _table_reader(self, name: str, literals: tuple[Any, ...]) -> Callable[..., Any] | None:
        """``code('uom', x)``/``lookup('sku', x, 'default')``: a dict look-up for a text key."""
        table_name, key = literals[0], literals[1]
        default = literals[2] if len(literals) == 3 else None
        tables = self._codelists if name == "code" else self._crosswalks
        table = tables.get(table_name) if isinstance(table_name, str) else None
        if table is None or key is not VARIES or default is VARIES:
            return None
        if isinstance(default, list | dict):  # returned as is: the generic call copies it
            return None
        generic = self._impls[name]
        get = table.entries.get
        fold = table.ignore_case

        def read(key: Any) -> Any:
            if type(key) is str:
                found = get(key.casefold() if fold else key)
                return default if found is None else found
            return generic(table_name, key, default)  # null, numbers, and the errors

        return read

    def _lookup(self, table: str, key: Any, default: Any = None) -> Any:
        text = _table_key(key, "lookup")
        found = None if text is None else self._crosswalks[table].get(text)
        return default if found is None else found

    def _code(self, table: str, key: Any, default: Any = None) -> Any:
        text = _table_key(key, "code")
        found = None if text is None else self._codelists[table].get(text)
        return default if found is None else found
