"""Functions for reverse mappings (canonical -> X12): dates, times and numbers as X12 writes them.

The inbound functions read X12 (``x12date``, ``implied_dec``); these write it, so a mapping from
a canonical document to an 855/856/810/180 never formats by string slicing. Same rules as the
decimal functions: null in, null out; bad input is a ``FunctionError`` naming the value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from gateway.mapping._errors import FunctionError
from gateway.mapping._fn_dates import _parse_iso
from gateway.mapping._fn_decimal import CONTEXT, places_arg, to_decimal, to_text


def to_x12date(value: Any) -> str | None:
    """``to_x12date(x)``: an ISO 8601 date or timestamp (as written) -> ``CCYYMMDD``."""
    parsed = _parse_iso(value, "to_x12date")
    return None if parsed is None else parsed.strftime("%Y%m%d")


def to_x12time(value: Any) -> str | None:
    """``to_x12time(x)``: the clock time of an ISO 8601 timestamp (as written) -> ``HHMM``.

    A bare ``HH:MM[:SS]`` is read too; a date alone has no time and is an error.
    """
    if isinstance(value, str) and len(value) <= 15 and ":" in value and "T" not in value:
        try:
            return dt.time.fromisoformat(value.strip()).strftime("%H%M")
        except ValueError as exc:
            raise FunctionError("to_x12time(): not an ISO 8601 time", value) from exc
    parsed = _parse_iso(value, "to_x12time")
    if parsed is None:
        return None
    if not isinstance(parsed, dt.datetime):
        raise FunctionError("to_x12time(): a date has no time of day", value)
    return parsed.strftime("%H%M")


def to_implied(value: Any, places: Any) -> str | None:
    """``to_implied(x, places)``: X12 implied decimals (N2): ``'12.5', 2`` -> ``'1250'``.

    Rounded half-even to ``places`` first, so ``'0.125', 2`` -> ``'12'``.
    """
    number = to_decimal(value, "to_implied")
    if number is None:
        return None
    count = places_arg(places, "to_implied")
    scaled = number.scaleb(count, context=CONTEXT).quantize(Decimal(1), context=CONTEXT)
    return to_text(scaled)


def to_x12num(value: Any) -> str | None:
    """``to_x12num(x)``: a decimal as X12's R type writes it: ``'10.00'`` -> ``'10'``.

    No exponent, no trailing zeros after the point, no ``+`` sign: the shortest exact form.
    """
    number = to_decimal(value, "to_x12num")
    if number is None:
        return None
    text = to_text(number)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


__all__ = ["to_implied", "to_x12date", "to_x12num", "to_x12time"]
