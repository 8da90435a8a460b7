"""One parametrised ``journal`` fixture: every journal test runs against every backend.

A backend entry knows how to open a journal on a store and how to look at that store through a
second, independent connection (to prove a write is committed, and to read tables such as
``audit`` that the interface does not expose). Adding PostgreSQL is one entry in ``BACKENDS``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.journal import Journal
from gateway.journal.sqlite import SqliteJournal

pytest.register_assert_rewrite("journal_support")  # helpful failures from its asserts too
from journal_support import Backend  # noqa: E402 - imported once registered for rewriting


class SqliteBackend:
    name = "sqlite"
    integrity_error = sqlite3.IntegrityError

    def __init__(self, root: Path) -> None:
        self.root = root

    def journal(self, store: str = "main") -> Journal:
        return SqliteJournal(self.root / f"{store}.db")

    def rows(self, sql: str, *params: Any, store: str = "main") -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.root / f"{store}.db")) as conn:
            return conn.execute(sql, params).fetchall()


#: name -> factory(tmp_path). A PostgreSQL entry would create a schema (or database) per store
#: name, translate ``?`` to ``%s`` in ``rows`` and map ``integrity_error`` to the driver's
#: UniqueViolation; mark it so it runs where CI starts the server.
BACKENDS: dict[str, Callable[[Path], Backend]] = {
    "sqlite": SqliteBackend,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
async def journal(backend: Backend) -> AsyncIterator[Journal]:
    j = backend.journal()
    await j.open()
    try:
        yield j
    finally:
        await j.close()
