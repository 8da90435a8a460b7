"""Many rows in ONE INSERT: the writer thread's GIL round trips are what a group's statements cost.

Each statement the writer runs releases the GIL and has to win it back from the busy event
loop (docs/benchmarks.md, "The common cause"); ``executemany`` steps once per row,
so once per row. One multi-row ``INSERT ... VALUES (...), (...)`` into a view whose trigger
does the writing is one step for the whole group, and with no transaction open it is its own
transaction: every row written, or none.

Statements come in sizes that are powers of two, padded with rows of NULLs the views' triggers
skip, so a connection's statement cache holds a handful of shapes per view rather than one per
group size.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

MAX_PADDED = 512
"""Rows per statement at most (a writer group at most): 512 rows of 20 values is 10,240
parameters, far under SQLite's 32,766."""


@functools.lru_cache(maxsize=32)
def _padded_statement(head: str, width: int, size: int) -> str:
    row = "(" + ", ".join(["?"] * width) + ")"
    return f"{head} VALUES {', '.join([row] * size)}"


def insert_padded(
    conn: sqlite3.Connection, head: str, width: int, rows: Sequence[tuple[Any, ...]]
) -> None:
    """All of ``rows`` (``width`` values each, 1 to :data:`MAX_PADDED`) in ONE statement.

    ``head`` is ``INSERT INTO <view>``; the statement has the next power of two of rows, the
    last ones all NULL (padding the view's trigger must skip).
    """
    if not 0 < len(rows) <= MAX_PADDED:
        msg = f"insert_padded takes 1 to {MAX_PADDED} rows, not {len(rows)}"
        raise ValueError(msg)
    size = 1 << (len(rows) - 1).bit_length()
    values = [value for r in rows for value in r]
    values.extend([None] * ((size - len(rows)) * width))
    conn.execute(_padded_statement(head, width, size), values)
