"""accept_many: several messages (one per X12 set) in one transaction, all or nothing."""

from __future__ import annotations

import pytest
from journal_support import T0, Backend, new_message

from gateway.journal import Journal


async def test_accept_many_stores_every_message_and_its_accept_event(
    journal: Journal, backend: Backend
) -> None:
    messages = [
        new_message(f"m{i}", raw=f"ST*850*000{i}~".encode(), business_keys={"st02": f"000{i}"})
        for i in range(3)
    ]
    await journal.accept_many(messages)

    for i, new in enumerate(messages):
        stored = await journal.get_message(new.id)
        assert stored is not None
        assert (stored.raw, stored.business_keys, stored.state) == (
            new.raw,
            {"st02": f"000{i}"},
            "received",
        )
        [event] = await journal.events(new.id)
        assert (event.stage, event.outcome) == ("accept", "ok")
    assert (await journal.stats()).messages_pending == 3
    assert backend.rows("SELECT count(*) FROM messages") == [(3,)]


async def test_accept_many_writes_nothing_when_one_message_fails(
    journal: Journal, backend: Backend
) -> None:
    await journal.accept(new_message("taken"))
    batch = [new_message("fresh-1"), new_message("taken"), new_message("fresh-2")]

    with pytest.raises(backend.integrity_error):
        await journal.accept_many(batch)

    assert await journal.get_message("fresh-1") is None
    assert await journal.get_message("fresh-2") is None
    assert backend.rows("SELECT count(*) FROM messages") == [(1,)]
    assert backend.rows("SELECT count(*) FROM events WHERE message_id LIKE 'fresh%'") == [(0,)]


async def test_accept_many_of_nothing_is_a_no_op(journal: Journal, backend: Backend) -> None:
    await journal.accept_many([])
    assert backend.rows("SELECT count(*) FROM messages") == [(0,)]


async def test_accept_many_keeps_each_message_received_at(journal: Journal) -> None:
    await journal.accept_many(
        [new_message("a", received_at=T0), new_message("b", received_at=T0 + 1)]
    )
    a, b = await journal.get_message("a"), await journal.get_message("b")
    assert a is not None and b is not None
    assert (a.received_at, b.received_at) == (T0, T0 + 1)
