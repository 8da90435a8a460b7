"""List query parameters: opaque keyset cursors, bounded ``limit``, RFC 3339 time filters.

A cursor is the ``(received_at, id)`` of the last row of a page, base64url-encoded JSON. It is
opaque to clients (the format may change) but carries no secret: it only says where a page
ended, and the list query still applies the caller's partner, so a forged cursor can skip rows
but never reveal another partner's. Keyset paging (``WHERE (received_at, id) > cursor``) keeps
pages stable while rows are inserted: nothing shifts, nothing repeats, and a row that arrives
after the cursor's position shows up on a later page.

Every refusal is a 400 ``invalid_query`` problem naming the parameter and what was expected.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote

import msgspec

from connectors.text import is_digits
from gateway.api.problems import ProblemError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "bad_query",
    "decode_cursor",
    "encode_cursor",
    "next_link",
    "parse_limit",
    "parse_time",
]

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200
_encode = msgspec.json.Encoder().encode
_cursor_decode = msgspec.json.Decoder(tuple[float, str]).decode


def bad_query(parameter: str, detail: str, expected: str) -> ProblemError:
    """The 400 problem for one query parameter."""
    return ProblemError(
        400,
        "invalid_query",
        "Invalid query parameter",
        f"query parameter {parameter!r}: {detail}",
        parameter=parameter,
        expected=expected,
    )


def encode_cursor(after: tuple[float, str]) -> str:
    """An opaque cursor for the row ``(received_at, id)``; clients must not parse it."""
    return base64.urlsafe_b64encode(_encode(after)).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The row a cursor points after, or a 400 problem."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return _cursor_decode(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, UnicodeEncodeError, ValueError, msgspec.DecodeError) as exc:
        raise bad_query(
            "cursor", "not a cursor this API issued", "the next_cursor of a previous page"
        ) from exc


def parse_time(parameter: str, value: str | None) -> float | None:
    """An RFC 3339 date-time with an offset as POSIX seconds (None when absent)."""
    if value is None:
        return None
    try:
        moment = msgspec.convert(value, dt.datetime)
    except msgspec.ValidationError as exc:
        raise bad_query(parameter, f"{value!r} is not a date-time", "RFC 3339") from exc
    if moment.tzinfo is None:
        raise bad_query(parameter, f"{value!r} has no UTC offset", "RFC 3339 with Z or offset")
    return moment.timestamp()


def parse_limit(value: str | None) -> int:
    """The page size: :data:`DEFAULT_LIMIT` when absent, 1..:data:`MAX_LIMIT` otherwise."""
    if value is None:
        return DEFAULT_LIMIT
    if not is_digits(value) or not 1 <= int(value) <= MAX_LIMIT:
        raise bad_query("limit", f"{value!r} is out of range", f"an integer 1..{MAX_LIMIT}")
    return int(value)


def next_link(path: str, query: Mapping[str, str], cursor: str) -> str:
    """An RFC 8288 ``Link`` value to the next page: the same query with the new cursor."""
    params = {k: v for k, v in query.items() if k != "cursor"}
    params["cursor"] = cursor
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
    return f'<{path}?{encoded}>; rel="next"'
