"""Durable X12 control numbers: idempotent per key, serial under concurrency, 9-digit wrap."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.journal.sqlite import SqliteJournal
from gateway.journal.x12_control import MAX_CONTROL_NUMBER, SqliteX12Control


@pytest.fixture
async def control(tmp_path: Path) -> AsyncIterator[SqliteX12Control]:
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    try:
        yield SqliteX12Control(journal)
    finally:
        await journal.close()


async def test_numbers_count_up_per_partner_and_kind(control: SqliteX12Control) -> None:
    assert [await control.allocate("acme", "isa", f"d{i}") for i in range(3)] == [1, 2, 3]
    assert await control.allocate("acme", "gs", "d0") == 1
    assert await control.allocate("shop", "isa", "d0") == 1
    assert await control.last_allocated("acme", "isa") == 3
    assert await control.last_allocated("acme", "st") is None


async def test_the_same_key_gets_the_same_number(control: SqliteX12Control) -> None:
    first = await control.allocate("acme", "isa", "delivery-1")
    await control.allocate("acme", "isa", "delivery-2")
    assert await control.allocate("acme", "isa", "delivery-1") == first
    assert await control.allocate_many("acme", "isa", ["delivery-2", "delivery-3"]) == [2, 3]


async def test_numbers_survive_a_restart(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    store = SqliteX12Control(journal)
    assert await store.allocate_many("acme", "isa", ["a", "b"]) == [1, 2]
    await journal.close()

    reopened = SqliteJournal(tmp_path / "j.db")
    await reopened.open()
    try:
        store = SqliteX12Control(reopened)
        assert await store.allocate("acme", "isa", "a") == 1  # a retry after restart
        assert await store.allocate("acme", "isa", "c") == 3  # new traffic continues
    finally:
        await reopened.close()


async def test_concurrent_allocations_never_share_a_number(control: SqliteX12Control) -> None:
    keys = [f"k{i}" for i in range(400)]
    # every key asked twice, all at once: one number per key, no number for two keys
    numbers = await asyncio.gather(*(control.allocate("acme", "isa", k) for k in keys + keys))
    by_key: dict[str, set[int]] = {}
    for key, number in zip(keys + keys, numbers, strict=True):
        by_key.setdefault(key, set()).add(number)
    assert all(len(v) == 1 for v in by_key.values())
    assigned = sorted(next(iter(v)) for v in by_key.values())
    assert assigned == list(range(1, 401))


async def test_numbering_wraps_after_nine_digits(control: SqliteX12Control) -> None:
    await control.set_next("acme", "isa", MAX_CONTROL_NUMBER - 1)
    got = await control.allocate_many("acme", "isa", ["a", "b", "c"])
    assert got == [MAX_CONTROL_NUMBER - 1, MAX_CONTROL_NUMBER, 1]
    assert f"{got[-1]:09d}" == "000000001"


async def test_set_next_refuses_numbers_outside_the_range(control: SqliteX12Control) -> None:
    with pytest.raises(ValueError, match=r"expected 1\.\.999999999"):
        await control.set_next("acme", "isa", 0)
    with pytest.raises(ValueError, match="kind 'iea'"):
        await control.allocate("acme", "iea", "x")  # type: ignore[arg-type]


async def test_allocations_are_committed_on_disk(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    try:
        await SqliteX12Control(journal).allocate("acme", "gs", "key-1")
        with sqlite3.connect(tmp_path / "j.db") as conn:
            rows = conn.execute("SELECT partner, kind, key, number FROM x12_control_allocations")
            assert rows.fetchall() == [("acme", "gs", "key-1", 1)]
    finally:
        await journal.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(min_value=1, max_value=MAX_CONTROL_NUMBER),
    keys=st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=12),
)
def test_property_numbers_are_consecutive_mod_wrap(
    tmp_path_factory: pytest.TempPathFactory, start: int, keys: list[str]
) -> None:
    async def run() -> list[int]:
        journal = SqliteJournal(tmp_path_factory.mktemp("ctl") / "j.db")
        await journal.open()
        try:
            store = SqliteX12Control(journal)
            await store.set_next("acme", "st", start)
            return [await store.allocate("acme", "st", k) for k in keys]
        finally:
            await journal.close()

    got = asyncio.run(run())
    distinct = list(dict.fromkeys(keys))
    expected = {k: (start - 1 + i) % MAX_CONTROL_NUMBER + 1 for i, k in enumerate(distinct)}
    assert got == [expected[k] for k in keys]
