"""accept: the exact bytes, the accept event and the work item, committed when it returns."""

from __future__ import annotations

import pytest
from journal_support import LEASE, T0, Backend, claim_one, new_message

from gateway.journal import Journal

ONE_MB = bytes(range(256)) * 4096


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"ISA*00*\xff\xfe\x00\x80latin1:\xe9\r\n~\x1d\x1e", id="not-utf8"),
        pytest.param(ONE_MB, id="1MB"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_accept_stores_the_exact_raw_bytes(journal: Journal, raw: bytes) -> None:
    await journal.accept(new_message("m1", raw=raw))

    stored = await journal.get_message("m1")
    assert stored is not None
    assert stored.raw == raw
    assert type(stored.raw) is bytes
    claimed = await claim_one(journal, "m1", now=T0)
    assert claimed.raw == raw


async def test_accept_writes_the_message_with_its_metadata(journal: Journal) -> None:
    new = new_message("m1", partner="globex", business_keys={"po_number": "PO-9"})
    await journal.accept(new)

    m = await journal.get_message("m1")
    assert m is not None
    assert (m.id, m.partner, m.channel, m.document_type, m.content_type) == (
        "m1",
        "globex",
        new.channel,
        new.document_type,
        new.content_type,
    )
    assert (m.received_at, m.trace_id, m.business_keys) == (T0, "trace-m1", {"po_number": "PO-9"})
    assert (m.state, m.stage, m.canonical, m.attempts, m.updated_at) == (
        "received",
        "accept",
        None,
        0,
        T0,
    )
    assert await journal.deliveries("m1") == []


async def test_accept_writes_the_accept_event(journal: Journal) -> None:
    await journal.accept(new_message("m1", raw=b"12345"))

    [e] = await journal.events("m1")
    assert (e.message_id, e.stage, e.outcome, e.at, e.delivery_id) == (
        "m1",
        "accept",
        "ok",
        T0,
        None,
    )
    assert e.detail == {"bytes": 5}
    assert e.actor == "system"


async def test_an_accepted_message_is_claimable_and_counted(journal: Journal) -> None:
    await journal.accept(new_message("m1"))

    assert (await journal.stats()).messages_pending == 1
    m = await claim_one(journal, "m1", now=T0)
    assert (m.state, m.attempts) == ("received", 1)


async def test_accept_is_committed_when_it_returns(journal: Journal, backend: Backend) -> None:
    query = "SELECT raw, state FROM messages WHERE id = ?"
    assert backend.rows(query, "m1") == []

    await journal.accept(new_message("m1", raw=b"\x00\xff"))

    # an independent connection sees only committed data
    assert backend.rows(query, "m1") == [(b"\x00\xff", "received")]
    assert backend.rows("SELECT stage FROM events WHERE message_id = ?", "m1") == [("accept",)]


async def test_a_duplicate_id_is_refused_and_the_original_kept(
    journal: Journal, backend: Backend
) -> None:
    await journal.accept(new_message("m1", raw=b"first"))

    with pytest.raises(backend.integrity_error):
        await journal.accept(new_message("m1", raw=b"second", received_at=T0 + 5))

    m = await journal.get_message("m1")
    assert m is not None
    assert (m.raw, m.received_at) == (b"first", T0)
    assert len(await journal.events("m1")) == 1  # the refused accept left no event behind
    assert (await journal.stats()).messages_pending == 1


async def test_unknown_ids_read_as_nothing(journal: Journal) -> None:
    assert await journal.get_message("nope") is None
    assert await journal.events("nope") == []
    assert await journal.deliveries("nope") == []
    assert await journal.attempts("nope") == []
    assert await journal.get_dead_letter("nope") is None


async def test_a_fresh_journal_is_empty(journal: Journal) -> None:
    stats = await journal.stats()
    assert (stats.messages_pending, stats.deliveries_pending, stats.dead_letters_open) == (0, 0, 0)
    assert await journal.next_due() is None
    assert await journal.claim_messages("w1", 10, LEASE, T0) == []
    assert await journal.claim_deliveries("w1", 10, LEASE, T0) == []
