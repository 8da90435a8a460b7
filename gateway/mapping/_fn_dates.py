"""Date and time functions: partners' spellings in, ISO 8601 out.

The canonical model wants ``YYYY-MM-DD`` dates and timestamps *with* an offset (a naive time is
ambiguous across partners' time zones), so:

- ``x12date`` reads ``CCYYMMDD`` or ``YYMMDD``; a two-digit year follows Python's ``%y`` pivot:
  00-68 -> 2000-2068, 69-99 -> 1969-1999;
- ``x12time`` reads ``HHMM``, ``HHMMSS`` and ``HHMMSSD[D]`` (decimal seconds) into ``HH:MM:SS[.d]``;
- ``x12datetime`` and ``iso_datetime`` take the zone from their ``tz`` argument when the value
  carries none, and that zone defaults to UTC. ``tz`` is an X12 time code (``ET``, ``CS``,
  ``UT``...), an offset (``+02:00``, ``-0500``, ``Z``) or an IANA name (``America/Chicago``);
- ``iso_date`` keeps the calendar date as written: ``2026-11-20T23:30:00-05:00`` is the 20th,
  because that is the day the sender meant, even though it is the 21st in UTC;
- a number given to ``iso_date``/``iso_datetime`` is Unix time in seconds.

Null in gives null out, and so does a blank string.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.mapping._errors import FunctionError

_UTC = dt.UTC
_OFFSET = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})")
_X12_FIXED_HOURS = {
    "UT": 0.0, "GM": 0.0,
    "ES": -5.0, "ED": -4.0, "CS": -6.0, "CD": -5.0, "MS": -7.0, "MD": -6.0,
    "PS": -8.0, "PD": -7.0, "AS": -9.0, "AD": -8.0, "HS": -10.0, "HD": -9.0,
    "TS": -4.0, "TD": -3.0, "NS": -3.5, "ND": -2.5,
}  # fmt: skip
_X12_REGIONAL = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "AT": "America/Anchorage",
    "HT": "Pacific/Honolulu",
    "TT": "America/Halifax",
    "NT": "America/St_Johns",
}


def _text(value: Any, function: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FunctionError(f"{function}() expects a string", value)
    text = value.strip()
    return text or None


def zone(tz: Any) -> dt.tzinfo:
    """Resolve a ``tz`` argument (see the module docstring); null means UTC."""
    if tz is None:
        return _UTC
    if not isinstance(tz, str):
        raise FunctionError("tz must be a string", tz)
    name = tz.strip()
    code = name.upper()
    if code in ("Z", "UTC"):
        return _UTC
    if code in _X12_FIXED_HOURS:
        return dt.timezone(dt.timedelta(hours=_X12_FIXED_HOURS[code]))
    match = _OFFSET.fullmatch(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= dt.timedelta(hours=24):
            raise FunctionError("offset out of range", tz)
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(_X12_REGIONAL.get(code, name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FunctionError("unknown time zone", tz) from exc


def _x12_date(value: Any, function: str) -> dt.date | None:
    text = _text(value, function)
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) not in (6, 8):
        raise FunctionError(f"{function}() expects CCYYMMDD or YYMMDD", value)
    if len(text) == 6:
        short = int(text[:2])
        year, rest = (2000 + short if short < 69 else 1900 + short), text[2:]
    else:
        year, rest = int(text[:4]), text[4:]
    try:
        return dt.date(year, int(rest[:2]), int(rest[2:]))
    except ValueError as exc:
        raise FunctionError(f"{function}(): {exc}", value) from exc


def _x12_time(value: Any, function: str) -> str | None:
    text = _text(value, function)
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) not in (4, 6, 7, 8):
        raise FunctionError(f"{function}() expects HHMM, HHMMSS or HHMMSSD[D]", value)
    hour, minute = int(text[:2]), int(text[2:4])
    second = int(text[4:6]) if len(text) >= 6 else 0
    if hour > 23 or minute > 59 or second > 59:
        raise FunctionError(f"{function}(): time out of range", value)
    fraction = text[6:]
    return f"{hour:02d}:{minute:02d}:{second:02d}" + (f".{fraction}" if fraction else "")


def x12date(value: Any) -> str | None:
    """``x12date(d)``: ``CCYYMMDD``/``YYMMDD`` -> ``YYYY-MM-DD``."""
    date = _x12_date(value, "x12date")
    return None if date is None else date.isoformat()


def x12time(value: Any) -> str | None:
    """``x12time(t)``: ``HHMM[SS[D[D]]]`` -> ``HH:MM:SS[.d]``."""
    return _x12_time(value, "x12time")


def x12datetime(date: Any, time: Any, tz: Any = None) -> str | None:
    """``x12datetime(d, t, tz?)``: X12 date + time (midnight when null) in ``tz`` -> ISO 8601."""
    day = _x12_date(date, "x12datetime")
    if day is None:
        return None
    clock = _x12_time(time, "x12datetime") or "00:00:00"
    moment = dt.datetime.fromisoformat(f"{day.isoformat()}T{clock}")
    return moment.replace(tzinfo=zone(tz)).isoformat()


def _epoch(value: float, function: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(value, _UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise FunctionError(f"{function}(): not a usable Unix time", value) from exc


def _parse_iso(value: Any, function: str) -> dt.datetime | dt.date | None:
    if isinstance(value, bool):
        raise FunctionError(f"{function}() expects an ISO 8601 string or Unix time", value)
    if isinstance(value, int | float):
        return _epoch(value, function)
    text = _text(value, function)
    if text is None:
        return None
    if len(text) > 64:
        raise FunctionError(f"{function}(): not an ISO 8601 date or time", value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise FunctionError(f"{function}(): not an ISO 8601 date or time", value) from exc


def iso_date(value: Any) -> str | None:
    """``iso_date(x)``: the date of an ISO 8601 date/timestamp (as written) or Unix time."""
    parsed = _parse_iso(value, "iso_date")
    if parsed is None:
        return None
    if isinstance(parsed, dt.datetime):
        parsed = parsed.date()
    return parsed.isoformat()


def iso_datetime(value: Any, tz: Any = None) -> str | None:
    """``iso_datetime(x, tz?)``: an ISO 8601 timestamp with offset; naive input is in ``tz``."""
    parsed = _parse_iso(value, "iso_datetime")
    if parsed is None:
        return None
    if not isinstance(parsed, dt.datetime):
        parsed = dt.datetime(parsed.year, parsed.month, parsed.day)  # noqa: DTZ001 - zone below
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.isoformat()
