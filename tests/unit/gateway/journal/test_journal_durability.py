"""Group commit under concurrency, one failing job among many, and restart durability."""

from __future__ import annotations

import asyncio

import pytest
from journal_support import (
    LEASE,
    T0,
    Backend,
    dead_delivery,
    dead_letter,
    failed,
    new_message,
    routed,
)

from gateway.journal import DeadLetterFilter, Journal


async def test_many_concurrent_accepts_all_land(journal: Journal, backend: Backend) -> None:
    ids = [f"m{i:04d}" for i in range(500)]

    results = await asyncio.gather(
        *(journal.accept(new_message(m, raw=m.encode() * 3)) for m in ids)
    )

    assert results == [None] * 500
    assert backend.rows("SELECT COUNT(*) FROM messages") == [(500,)]
    assert backend.rows("SELECT COUNT(*) FROM events WHERE stage = 'accept'") == [(500,)]
    assert (await journal.stats()).messages_pending == 500
    claimed = await journal.claim_messages("w1", 1000, LEASE, T0)
    assert sorted((m.id, m.raw) for m in claimed) == [(m, m.encode() * 3) for m in ids]


async def test_a_failing_job_fails_only_its_own_caller(journal: Journal, backend: Backend) -> None:
    await journal.accept(new_message("dup", raw=b"original"))
    before = [journal.accept(new_message(f"a{i:03d}")) for i in range(100)]
    after = [journal.accept(new_message(f"b{i:03d}")) for i in range(100)]
    duplicate = journal.accept(new_message("dup", raw=b"impostor"))

    results = await asyncio.gather(*before, duplicate, *after, return_exceptions=True)

    assert isinstance(results[100], backend.integrity_error)
    assert results[:100] + results[101:] == [None] * 200
    assert backend.rows("SELECT COUNT(*) FROM messages") == [(201,)]
    assert backend.rows("SELECT raw FROM messages WHERE id = 'dup'") == [(b"original",)]
    assert backend.rows("SELECT COUNT(*) FROM events WHERE message_id = 'dup'") == [(1,)]


async def test_concurrent_mixed_work_keeps_every_outcome(journal: Journal) -> None:
    """Claims, completions and failures interleaved in the same groups stay consistent."""
    await asyncio.gather(*(journal.accept(new_message(f"m{i:03d}")) for i in range(60)))
    claimed = await journal.claim_messages("w1", 60, LEASE, T0)
    assert len(claimed) == 60

    async def finish(i: int) -> bool:
        m = f"m{i:03d}"
        if i % 2:
            return await journal.fail_processing(
                m, "w1", events=[], dead_letter=dead_letter(f"dl{i:03d}", m), retry_at=None, now=T0
            )
        return await journal.complete_processing(
            m,
            "w1",
            document_type="x12.850",
            canonical=m.encode(),
            business_keys={},
            events=[],
            deliveries=[],
            now=T0,
        )

    assert all(await asyncio.gather(*(finish(i) for i in range(60))))

    messages = [await journal.get_message(f"m{i:03d}") for i in range(60)]
    assert [m.state if m else None for m in messages] == ["done", "failed"] * 30
    assert len(await journal.dead_letters(DeadLetterFilter(limit=100))) == 30


async def test_everything_survives_close_and_reopen(backend: Backend) -> None:
    first = backend.journal()
    await first.open()
    await first.accept(new_message("raw", raw=b"\xff\x00" * 1000, received_at=T0 + 100))
    await routed(first, "m1", ["erp", "wms"], at=T0)
    d, _ = await dead_delivery(first, "m2", "dl2", destination="crm", at=T0 + 1)
    await failed(first, "m3", dead_letter("dl3", "m3"), at=T0 + 2)
    assert await first.discard("dl3", "bob", "noise", T0 + 3)
    await first.accept(new_message("leased", received_at=T0 + 4))
    [leased] = await first.claim_messages("w9", 10, LEASE, T0 + 4)
    snapshot = {
        m: (await first.get_message(m), await first.events(m), await first.deliveries(m))
        for m in ("raw", "m1", "m2", "m3", "leased")
    }
    dead = await first.dead_letters(DeadLetterFilter(state=None))
    stats = await first.stats()
    await first.close()

    second = backend.journal()
    await second.open()
    try:
        for m, (message, events, deliveries) in snapshot.items():
            assert await second.get_message(m) == message
            assert await second.events(m) == events
            assert await second.deliveries(m) == deliveries
        assert len(await second.attempts(d.id)) == 1
        assert await second.dead_letters(DeadLetterFilter(state=None)) == dead
        assert await second.stats() == stats
        assert len(backend.rows("SELECT * FROM audit")) == 1
        # the lease survived the restart too
        assert leased.id == "leased"
        assert await second.claim_messages("w1", 10, LEASE, T0 + 5) == []
        assert [m.id for m in await second.claim_messages("w1", 10, LEASE, T0 + 5 + LEASE)] == [
            "leased"
        ]
    finally:
        await second.close()


async def test_close_completes_what_was_queued(backend: Backend) -> None:
    j = backend.journal()
    await j.open()
    pending = [asyncio.ensure_future(j.accept(new_message(f"m{i:03d}"))) for i in range(200)]
    await asyncio.sleep(0)  # let them queue

    await j.close()

    assert [p.result() for p in pending] == [None] * 200
    assert backend.rows("SELECT COUNT(*) FROM messages") == [(200,)]


async def test_work_started_while_closing_fails_instead_of_hanging(backend: Backend) -> None:
    j = backend.journal()
    await j.open()
    closing = asyncio.ensure_future(j.close())
    await asyncio.sleep(0)  # close() has begun

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(j.accept(new_message("late")), timeout=5)
    await closing
