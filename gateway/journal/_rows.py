"""Many rows in few INSERT statements: the writer thread's GIL round trips are what rows cost.

``executemany`` steps the statement once per row, and each step releases the GIL and has to win
it back from the busy event loop (docs/benchmarks.md, "The common cause"). One multi-row
``INSERT ... VALUES (...), (...)`` is one step for the lot. Statements are made for chunk sizes
that are powers of two (at most :data:`MAX_ROWS` rows), so a connection's statement cache holds a
handful of shapes per table, not one per group size; a group of n rows takes popcount(n)
statements.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

MAX_ROWS = 128
"""Rows per statement; 128 rows of the widest insert stay far under SQLite's 32,766 parameters."""
MAX_PADDED = 512
"""Rows per padded statement (a writer group at most): 512 rows of 20 values is 10,240."""


@functools.lru_cache(maxsize=64)
def _statement(head: str, row: str, size: int, tail: str) -> str:
    return f"{head} VALUES {', '.join([row] * size)}{tail}"


def insert_rows(
    conn: sqlite3.Connection,
    head: str,
    row: str,
    rows: Sequence[tuple[Any, ...]],
    *,
    tail: str = "",
) -> int:
    """``head`` (``INSERT INTO t (a, b)``) for every row of ``rows``, in order; rows written.

    ``row`` is one row's placeholder tuple as SQL (``(?, ?, 'fixed')``); each row of ``rows``
    gives its placeholders' values. ``tail`` follows the values (an ``ON CONFLICT`` clause):
    the count returned leaves out the rows it skipped.
    """
    at, left, written = 0, len(rows), 0
    while left:
        size = min(MAX_ROWS, 1 << (left.bit_length() - 1))
        chunk = rows[at : at + size]
        cursor = conn.execute(
            _statement(head, row, size, tail), [value for r in chunk for value in r]
        )
        written += cursor.rowcount
        at += size
        left -= size
    return written


@functools.lru_cache(maxsize=32)
def _padded_statement(head: str, width: int, size: int) -> str:
    row = "(" + ", ".join(["?"] * width) + ")"
    return f"{head} VALUES {', '.join([row] * size)}"


def insert_padded(
    conn: sqlite3.Connection, head: str, width: int, rows: Sequence[tuple[Any, ...]]
) -> None:
    """All of ``rows`` (``width`` values each, at most :data:`MAX_PADDED`) in ONE statement.

    For views whose trigger skips a row of NULLs: the statement has the next power of two of
    rows, the last ones padding, so a connection caches a few statements, not one per count.
    One statement is one transaction when none is open: all rows are written or none is.
    """
    if not 0 < len(rows) <= MAX_PADDED:
        msg = f"insert_padded takes 1 to {MAX_PADDED} rows, not {len(rows)}"
        raise ValueError(msg)
    size = 1 << (len(rows) - 1).bit_length()
    values = [value for r in rows for value in r]
    values.extend([None] * ((size - len(rows)) * width))
    conn.execute(_padded_statement(head, width, size), values)
