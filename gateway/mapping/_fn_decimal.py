"""Decimal functions for mapping expressions: JMESPath has no arithmetic, and floats lose cents.

Every function takes numbers or numeric strings and returns a *string* such as ``"12.50"``:
a string keeps the scale the partner sent (``12.50`` stays two places) and survives JSON without
turning into a float; the contract stage decodes it into ``Decimal``.

Rules, the same in every function:

- null in, null out (a missing price stays missing, so the field is omitted); an empty or
  all-blank string counts as null, because X12 and SOAP decoders hand over empty elements;
- numbers are written with ASCII digits, an optional sign, point and exponent; ``NaN``,
  ``Infinity``, ``1_000`` and values beyond 10**±40 are refused (no partner document needs them,
  and a huge exponent would let one document allocate a giant string);
- arithmetic keeps up to 34 significant digits (IEEE decimal128) and rounds beyond that,
  and ``dround``/``ddiv`` round to their ``places``, always with ``ROUND_HALF_EVEN`` (banker's
  rounding: halves go to the even neighbour, so sums of rounded amounts do not drift upwards).
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from connectors.text import is_digits
from gateway.mapping._errors import FunctionError

CONTEXT = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""The one arithmetic context: 34 digits, ROUND_HALF_EVEN, errors raised rather than NaN."""

_MAX_MAGNITUDE = 40
_MAX_PLACES = 20
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,40}")


def to_decimal(value: Any, function: str) -> Decimal | None:
    """Read a number or numeric string; ``None`` for null or blank. Shared by every function."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FunctionError(
            f"{function}() expects a number or a numeric string, got a boolean", value
        )
    if isinstance(value, int):
        if abs(value) >= 10**_MAX_MAGNITUDE:
            raise FunctionError(f"{function}(): number out of range", value)
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if len(text) > 64 or not _NUMBER.fullmatch(text):
            raise FunctionError(f"{function}(): not a decimal number", value)
        number = Decimal(text)
    else:
        raise FunctionError(f"{function}() expects a number or a numeric string", value)
    if not number.is_finite() or (number and abs(number.adjusted()) > _MAX_MAGNITUDE):
        raise FunctionError(f"{function}(): number out of range", value)
    return number


def to_text(number: Decimal) -> str:
    """Plain notation (``0.0000001``, never ``1E-7``), and no ``-0``."""
    if number.is_zero():
        number = number.copy_abs()
    return format(number, "f")


def places_arg(value: Any, function: str) -> int:
    """A count of decimal places, as a JMESPath number (`` `2` ``) or a raw string (``'2'``)."""
    if isinstance(value, str) and is_digits(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise FunctionError(f"{function}(): places must be a whole number", value)
    if not 0 <= value <= _MAX_PLACES:
        raise FunctionError(f"{function}(): places must be between 0 and {_MAX_PLACES}", value)
    return int(value)


def _quantize(number: Decimal, places: int, function: str) -> Decimal:
    try:
        return number.quantize(Decimal(1).scaleb(-places), context=CONTEXT)
    except ArithmeticError as exc:
        raise FunctionError(f"{function}(): cannot round to {places} places", number) from exc


def _canonical(text: str) -> bool:
    """Whether ``dec`` would return ``text`` unchanged: ``7``, ``0.50``, ``12.5000``.

    ASCII digits with at most one inner point and no leading zero (``007`` becomes ``7``); at
    most 20 characters, far inside the magnitude limit. Most partner quantities and prices are
    written so, and skipping ``Decimal`` for them halves the cost of ``dec``.
    """
    if len(text) > 20 or not text.isascii():
        return False
    whole, point, fraction = text.partition(".")
    return (
        whole.isdigit()
        and (whole[0] != "0" or len(whole) == 1)
        and (not point or fraction.isdigit())
    )


def dec(value: Any) -> str | None:
    """``dec(x)``: the decimal as a string, scale kept as written (``"12.50"`` stays)."""
    if type(value) is str and _canonical(value):
        return value
    number = to_decimal(value, "dec")
    return None if number is None else to_text(number)


def _binary(name: str, a: Any, b: Any) -> tuple[Decimal, Decimal] | None:
    left, right = to_decimal(a, name), to_decimal(b, name)
    if left is None or right is None:
        return None
    return left, right


def dadd(a: Any, b: Any) -> str | None:
    """``dadd(a, b)``: a + b."""
    pair = _binary("dadd", a, b)
    return None if pair is None else to_text(CONTEXT.add(*pair))


def dsub(a: Any, b: Any) -> str | None:
    """``dsub(a, b)``: a - b."""
    pair = _binary("dsub", a, b)
    return None if pair is None else to_text(CONTEXT.subtract(*pair))


def dmul(a: Any, b: Any) -> str | None:
    """``dmul(a, b)``: a * b, exact up to 34 digits (e.g. quantity times unit price)."""
    pair = _binary("dmul", a, b)
    return None if pair is None else to_text(CONTEXT.multiply(*pair))


def ddiv(a: Any, b: Any, places: Any) -> str | None:
    """``ddiv(a, b, places)``: a / b rounded half-even to ``places``; division needs a scale."""
    digits = places_arg(places, "ddiv")
    pair = _binary("ddiv", a, b)
    if pair is None:
        return None
    if pair[1].is_zero():
        raise FunctionError("ddiv(): division by zero", b)
    return to_text(_quantize(CONTEXT.divide(*pair), digits, "ddiv"))


def dround(value: Any, places: Any) -> str | None:
    """``dround(x, places)``: round half-even to ``places`` decimals."""
    digits = places_arg(places, "dround")
    number = to_decimal(value, "dround")
    return None if number is None else to_text(_quantize(number, digits, "dround"))


def dsum(values: Any) -> str | None:
    """``dsum(list)``: the sum of a list; null entries are skipped, an empty list sums to 0."""
    if values is None:
        return None
    if not isinstance(values, list):
        raise FunctionError("dsum() expects a list", values)
    total = Decimal(0)
    for value in values:
        number = to_decimal(value, "dsum")
        if number is not None:
            total = CONTEXT.add(total, number)
    return to_text(total)


def implied_dec(value: Any, places: Any) -> str | None:
    """``implied_dec(x, places)``: X12 ``N2``-style numbers: ``"1250"``, 2 -> ``"12.50"``."""
    digits = places_arg(places, "implied_dec")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FunctionError("implied_dec() expects digits with an implied decimal point", value)
    text = str(value).strip()
    if not text:
        return None
    if not _INTEGER.fullmatch(text):
        raise FunctionError("implied_dec() expects digits with an implied decimal point", value)
    return to_text(Decimal(text).scaleb(-digits, CONTEXT))
