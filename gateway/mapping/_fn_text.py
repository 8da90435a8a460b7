"""Text and selection functions: the small helpers every implementation guide needs.

``qual`` exists because X12 (and many SOAP schemas) say *what* a segment is with a qualifier
element: ``REF*DP*123`` is a department number, ``REF*IA*77`` a vendor number. A JMESPath filter
can do it (``REF[?REF01=='DP'] | [0]``), but that is easy to get wrong: a double-quoted ``"DP"``
is a field name and silently matches nothing. ``qual(REF, 'REF01', 'DP')`` reads like the guide.

Null in gives null out throughout, and blank text becomes null where noted, so an empty element
leaves its canonical field absent rather than present and empty.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from connectors.text import is_digits
from gateway.mapping._errors import FunctionError

_KEYS_CACHE: dict[str, tuple[str, ...]] = {}


def _string(value: Any, function: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise FunctionError(f"{function}() expects a string", value)


def upper(value: Any) -> str | None:
    """``upper(s)``: upper case."""
    text = _string(value, "upper")
    return None if text is None else text.upper()


def lower(value: Any) -> str | None:
    """``lower(s)``: lower case."""
    text = _string(value, "lower")
    return None if text is None else text.lower()


def trim(value: Any) -> str | None:
    """``trim(s)``: strip surrounding whitespace; all-blank becomes null (the field is omitted)."""
    text = _string(value, "trim")
    if text is None:
        return None
    return text.strip() or None


def _whole(value: Any, function: str, what: str) -> int:
    """An integer argument, as a JMESPath number literal (`` `2` ``, `` `-3` ``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise FunctionError(f"{function}(): {what} must be a whole number, such as `2`", value)


def _count(value: Any, function: str, what: str) -> int:
    number = _whole(value, function, what)
    if number < 0:
        raise FunctionError(f"{function}(): {what} must not be negative", value)
    return number


def substr(value: Any, start: Any, length: Any = None) -> str | None:
    """``substr(s, start, length?)``: ``length`` characters of ``s`` from ``start`` (0-based).

    A negative ``start`` counts from the end, as in Python (`` `-4` `` is the last four);
    without ``length`` (or with a null one) the rest of the string. Positions past either end
    are clipped, never an error; an empty result is null (the field is omitted). ``s`` must be
    a string (a number is refused: its text is not what the partner sent, e.g. leading zeros).
    """
    begin = _whole(start, "substr", "start")
    size = None if length is None else _count(length, "substr", "length")
    text = _string(value, "substr")
    if not text:
        return None
    if begin < 0:
        begin = max(len(text) + begin, 0)
    return (text[begin:] if size is None else text[begin : begin + size]) or None


def left(value: Any, count: Any) -> str | None:
    """``left(s, n)``: the first ``n`` characters (all of a shorter ``s``); empty is null."""
    size = _count(count, "left", "n")
    text = _string(value, "left")
    if not text or not size:
        return None
    return text[:size]


def right(value: Any, count: Any) -> str | None:
    """``right(s, n)``: the last ``n`` characters (all of a shorter ``s``); empty is null."""
    size = _count(count, "right", "n")
    text = _string(value, "right")
    if not text or not size:
        return None
    return text[-size:]


def sscc(value: Any) -> str | None:
    """``sscc(x)``: the 18-digit SSCC in an X12 ``MAN*GM`` value, else null.

    Accepted (surrounding blanks ignored): 18 digits, returned as they are; 20 digits that
    start with the GS1 application identifier ``00`` (the barcode's element string), or
    ``(00)`` followed by 18 digits (its human-readable form): the 18 digits after the AI.
    Anything else (another length, a different AI such as ``01``, letters, blank) is null, so
    the pack's SSCC is omitted rather than filled with something that is not one. The GS1
    check digit is *not* verified (the contract's ``Sscc`` only asks for 18 digits either): a
    mistyped SSCC of the right shape passes. A non-string (a number has lost its leading
    zeros) is an error.
    """
    text = _string(value, "sscc")
    if text is None:
        return None
    text = text.strip()
    if text.startswith("(00)"):
        digits = text[4:]
    elif len(text) == 20 and text.startswith("00"):
        digits = text[2:]
    else:
        digits = text
    if len(digits) == 18 and is_digits(digits):
        return digits
    return None


def _piece(value: Any, function: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise FunctionError(f"{function}() joins strings and numbers", value)


def concat(*values: Any) -> str | None:
    """``concat(a, b, ...)``: glue the parts that are present; null when none is."""
    parts = [piece for value in values if (piece := _piece(value, "concat")) is not None]
    return "".join(parts) if parts else None


def concat_ws(separator: Any, *values: Any) -> str | None:
    """``concat_ws(sep, a, b, ...)``: join present parts with ``sep``; list arguments are spread."""
    sep = _string(separator, "concat_ws") or ""
    parts: list[str] = []
    for value in values:
        for item in value if isinstance(value, list) else (value,):
            piece = _piece(item, "concat_ws")
            if piece is not None:
                parts.append(piece)
    return sep.join(parts) if parts else None


def compact(values: Any) -> list[Any] | None:
    """``compact(list)``: drop null and blank entries; null when nothing is left."""
    if values is None:
        return None
    if not isinstance(values, list):
        raise FunctionError("compact() expects a list", values)
    kept = [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
    return kept or None


def _keys(field: Any, function: str) -> tuple[str, ...]:
    if not isinstance(field, str) or not field:
        raise FunctionError(
            f"{function}() expects a field name such as 'REF01' or 'N1.N101'", field
        )
    keys = _KEYS_CACHE.get(field)
    if keys is None:
        keys = tuple(field.split("."))
        if len(_KEYS_CACHE) < 4096:
            _KEYS_CACHE[field] = keys
    return keys


def _matches(candidate: Any, keys: tuple[str, ...], wanted: Any) -> bool:
    for key in keys:
        if not isinstance(candidate, dict):
            return False
        candidate = candidate.get(key)
    if isinstance(wanted, list):
        return candidate in wanted
    return bool(candidate == wanted)


def _select(items: Any, field: Any, wanted: Any, function: str) -> list[Any] | None:
    keys = _keys(field, function)
    if wanted is None:
        raise FunctionError(f"{function}() needs a qualifier value", wanted)
    if items is None:
        return None
    if isinstance(items, dict):
        items = [items]
    elif not isinstance(items, list):
        raise FunctionError(f"{function}() expects a list of segments or objects", items)
    return [item for item in items if _matches(item, keys, wanted)]


def selector(field: Any, wanted: Any, *, first: bool) -> Callable[[Any], Any] | None:
    """``qual``/``quals`` for literal ``field`` and ``wanted``: the key split and checks done once.

    The returned function takes ``items`` and gives exactly what ``qual``/``quals`` give (it calls
    them for anything it would refuse, so the error is theirs); ``None`` when the literals are
    themselves refused (those calls keep failing the ordinary way).
    """
    if not isinstance(field, str) or not field or wanted is None:
        return None
    keys = tuple(field.split("."))
    generic = qual if first else quals
    several = isinstance(wanted, list)

    def select(items: Any) -> Any:
        if items is None:
            return None
        if isinstance(items, dict):
            items = [items]
        elif not isinstance(items, list):
            return generic(items, field, wanted)
        found = []
        for item in items:
            candidate = item
            for key in keys:
                if not isinstance(candidate, dict):
                    break
                candidate = candidate.get(key)
            else:
                if candidate in wanted if several else candidate == wanted:
                    if first:
                        return item
                    found.append(item)
        return found or None

    if len(keys) != 1 or several:
        return select
    (key,) = keys

    def select_one(items: Any) -> Any:  # the common case: qual(REF, 'REF01', 'DP')
        if items is None:
            return None
        if isinstance(items, list):
            if first:
                for item in items:
                    if isinstance(item, dict) and item.get(key) == wanted:
                        return item
                return None
            return [i for i in items if isinstance(i, dict) and i.get(key) == wanted] or None
        return select(items)

    return select_one


def qual(items: Any, field: Any, wanted: Any) -> Any:
    """``qual(list, field, value)``: the first element whose ``field`` equals ``value``.

    ``field`` may be a dotted path into a loop (``'N1.N101'``); ``value`` may be a list of
    accepted qualifiers (``['ST', 'DA']``); a single object counts as a one-element list.
    """
    selected = _select(items, field, wanted, "qual")
    return selected[0] if selected else None


def quals(items: Any, field: Any, wanted: Any) -> list[Any] | None:
    """``quals(list, field, value)``: every element ``qual`` would consider; null when none."""
    return _select(items, field, wanted, "quals") or None


def idpair(segment: Any, first: Any, wanted: Any) -> Any:
    """``idpair(PO1, 'PO106', 'VN')``: the id paired with qualifier ``wanted`` in an X12 segment.

    X12 repeats (qualifier, id) element pairs from one element on (PO106/PO107, PO108/PO109...;
    LIN02/LIN03...): this returns the id element after the first qualifier element (``first``,
    ``first`` + 2, ... up to element 99) whose value is ``wanted``; null when none is, or when the
    segment is null.
    """
    if segment is None:
        return None
    pairs = _pairs(first) if type(first) is str else None
    if pairs is None:
        raise FunctionError("idpair() needs the first qualifier element, e.g. 'PO106'", first)
    if not isinstance(segment, dict):
        raise FunctionError("idpair() expects a segment (an object of elements)", segment)
    if not isinstance(wanted, str):
        raise FunctionError("idpair() needs a qualifier string, e.g. 'VN'", wanted)
    for key, value in segment.items():  # a segment has a few elements; the pairs go to 99
        if value == wanted:
            element = pairs.get(key)
            if element is not None:
                return segment.get(element)
    return None


def pair_reader(first: Any, wanted: Any) -> Callable[[Any], Any] | None:
    """``idpair`` for literal ``first`` and ``wanted``: the pair table is looked up once.

    Same result as ``idpair`` (which it calls for a non-segment, so the error is the same);
    ``None`` when the literals themselves are refused.
    """
    pairs = _pairs(first) if type(first) is str else None
    if pairs is None or not isinstance(wanted, str):
        return None

    def read(segment: Any) -> Any:
        if segment is None:
            return None
        if not isinstance(segment, dict):
            return idpair(segment, first, wanted)
        if wanted not in segment.values():  # most qualifiers asked for are not there
            return None
        for key, value in segment.items():
            if value == wanted:
                element = pairs.get(key)
                if element is not None:
                    return segment.get(element)
        return None

    return read


@functools.lru_cache(maxsize=256)
def _pairs(first: str) -> dict[str, str] | None:
    """``'PO106'`` -> ``{'PO106': 'PO107', 'PO108': 'PO109', ... 'PO198': 'PO199'}``."""
    prefix, number = first[:-2], first[-2:]
    if len(first) < 3 or not number.isdigit() or not prefix.isalnum() or not number.isascii():
        return None
    start = int(number)
    return {f"{prefix}{n:02d}": f"{prefix}{n + 1:02d}" for n in range(start, 99, 2)}
