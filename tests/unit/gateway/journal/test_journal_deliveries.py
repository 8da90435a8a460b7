"""claim_deliveries, record_attempt, next_due and stats."""

from __future__ import annotations

import asyncio

from journal_support import (
    CANONICAL,
    LEASE,
    T0,
    attempt,
    dead_letter,
    event,
    new_message,
    routed,
)

from gateway.journal import DeadLetterFilter, Journal
from gateway.journal.base import ClaimedDelivery


async def claim(
    journal: Journal,
    owner: str = "d1",
    *,
    now: float,
    limit: int = 100,
    destinations: list[str] | None = None,
) -> list[ClaimedDelivery]:
    return await journal.claim_deliveries(owner, limit, LEASE, now, destinations)


async def retry(
    journal: Journal, c: ClaimedDelivery, *, at: float, until: float, owner: str = "d1"
) -> bool:
    d = c.delivery
    return await journal.record_attempt(
        d.id,
        owner,
        attempt=attempt(d.id, d.attempts + 1, at),
        state="pending",
        next_attempt_at=until,
        event=event(d.message_id, "deliver", at, outcome="retry", delivery_id=d.id),
        dead_letter=None,
        now=at,
    )


async def test_only_due_deliveries_are_claimed_oldest_due_first(journal: Journal) -> None:
    for i, at in enumerate([T0 + 2, T0, T0 + 1, T0 + 5]):
        await routed(journal, f"m{i}", ["erp"], at=at)

    assert await claim(journal, now=T0 - 1) == []
    first = await claim(journal, now=T0 + 2, limit=2)
    rest = await claim(journal, now=T0 + 2)

    assert [c.delivery.message_id for c in first] == ["m1", "m2"]
    assert [c.delivery.message_id for c in rest] == ["m0"]  # m3 is due only at T0 + 5
    assert [c.delivery.message_id for c in await claim(journal, now=T0 + 5)] == ["m3"]


async def test_claims_filter_by_destination(journal: Journal) -> None:
    await routed(journal, "m1", ["crm", "erp", "wms"], at=T0)

    assert await claim(journal, now=T0, destinations=[]) == []
    assert [c.delivery.destination for c in await claim(journal, now=T0, destinations=["wms"])] == [
        "wms"
    ]
    both = await claim(journal, now=T0, destinations=["erp", "crm", "nowhere"])
    assert sorted(c.delivery.destination for c in both) == ["crm", "erp"]
    assert await claim(journal, now=T0) == []


async def test_a_claimed_delivery_carries_its_message(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)

    [c] = await claim(journal, now=T0)

    assert c.payload == CANONICAL
    assert (c.document_type, c.trace_id, c.partner) == ("x12.850", "trace-m1", "acme")
    assert (c.delivery.id, c.delivery.message_id, c.delivery.state) == ("m1:erp", "m1", "pending")
    assert c.delivery.idempotency_key == "idem:m1:erp"


async def test_delivery_leases_expire_like_message_leases(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, "slow", now=T0)

    assert await claim(journal, "fast", now=T0 + LEASE - 1) == []
    [again] = await claim(journal, "fast", now=T0 + LEASE + 1)
    assert again.delivery.id == c.delivery.id
    assert again.delivery.attempts == 0  # a claim is not an attempt; record_attempt counts


async def test_concurrent_delivery_claims_never_overlap(journal: Journal) -> None:
    for i in range(40):
        await routed(journal, f"m{i}", ["erp", "wms"], at=T0)

    batches = await asyncio.gather(*(claim(journal, f"d{i}", now=T0, limit=7) for i in range(20)))

    ids = [c.delivery.id for b in batches for c in b]
    assert len(ids) == len(set(ids)) == 80


async def test_record_attempt_journals_the_attempt_and_the_next_state(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, now=T0)

    assert await retry(journal, c, at=T0 + 1, until=T0 + 60)

    [d] = await journal.deliveries("m1")
    assert (d.state, d.attempts, d.next_attempt_at, d.updated_at) == ("pending", 1, T0 + 60, T0 + 1)
    assert (d.first_attempt_at, d.last_code, d.last_error) == (T0 + 1, "http_503", "unavailable")
    assert await journal.attempts(d.id) == [attempt(d.id, 1, T0 + 1)]
    assert [(e.stage, e.outcome, e.delivery_id) for e in await journal.events("m1")][-1] == (
        "deliver",
        "retry",
        d.id,
    )
    # the lease is released: due again at T0 + 60, for any owner
    assert await claim(journal, "d2", now=T0 + 59) == []
    [c2] = await claim(journal, "d2", now=T0 + 60)
    assert await retry(journal, c2, at=T0 + 61, until=T0 + 120, owner="d2")

    [d] = await journal.deliveries("m1")
    assert (d.attempts, d.first_attempt_at) == (2, T0 + 1)  # first_attempt_at is set once
    assert [a.number for a in await journal.attempts(d.id)] == [1, 2]


async def test_record_attempt_can_deliver(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, now=T0)
    ok = attempt(c.delivery.id, 1, T0 + 1, outcome="ok", code="")

    assert await journal.record_attempt(
        c.delivery.id,
        "d1",
        attempt=ok,
        state="delivered",
        next_attempt_at=T0 + 1,
        event=event("m1", "deliver", T0 + 1, delivery_id=c.delivery.id),
        dead_letter=None,
        now=T0 + 1,
    )

    [d] = await journal.deliveries("m1")
    assert (d.state, d.attempts, d.last_code) == ("delivered", 1, "")
    assert await journal.attempts(d.id) == [ok]
    assert await claim(journal, now=T0 + 10_000) == []
    assert (await journal.stats()).deliveries_pending == 0


async def test_record_attempt_dead_letters_atomically(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, now=T0)
    dl = dead_letter("dl1", "m1", stage="deliver", delivery_id=c.delivery.id, destination="erp")

    assert await journal.record_attempt(
        c.delivery.id,
        "d1",
        attempt=attempt(c.delivery.id, 1, T0 + 1, outcome="fatal", code="http_400"),
        state="dead",
        next_attempt_at=T0 + 1,
        event=event("m1", "deliver", T0 + 1, outcome="error", delivery_id=c.delivery.id),
        dead_letter=dl,
        now=T0 + 1,
    )

    [d] = await journal.deliveries("m1")
    assert (d.state, d.attempts, d.last_code) == ("dead", 1, "http_400")
    assert await journal.get_dead_letter("dl1") == dl
    assert await journal.claim_deliveries("d2", 10, LEASE, T0 + 10_000) == []
    stats = await journal.stats()
    assert (stats.deliveries_pending, stats.dead_letters_open) == (0, 1)


async def test_record_attempt_without_an_attempt_only_moves_the_state(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, now=T0)

    assert await journal.record_attempt(
        c.delivery.id,
        "d1",
        attempt=None,  # e.g. the circuit breaker was open: nothing was sent
        state="pending",
        next_attempt_at=T0 + 5,
        event=event("m1", "deliver", T0, outcome="retry", code="breaker_open"),
        dead_letter=None,
        now=T0,
    )

    [d] = await journal.deliveries("m1")
    assert (d.attempts, d.first_attempt_at, d.next_attempt_at) == (0, None, T0 + 5)
    assert await journal.attempts(d.id) == []


async def test_record_attempt_after_takeover_writes_nothing(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, "slow", now=T0)
    [c2] = await claim(journal, "fast", now=T0 + LEASE + 1)
    events_before = await journal.events("m1")

    lost = await journal.record_attempt(
        c.delivery.id,
        "slow",
        attempt=attempt(c.delivery.id, 1, T0 + LEASE + 2, outcome="fatal"),
        state="dead",
        next_attempt_at=T0 + LEASE + 2,
        event=event("m1", "deliver", T0 + LEASE + 2, outcome="error"),
        dead_letter=dead_letter("dl1", "m1", stage="deliver", delivery_id=c.delivery.id),
        now=T0 + LEASE + 2,
    )

    assert lost is False
    [d] = await journal.deliveries("m1")
    assert (d.state, d.attempts, d.first_attempt_at) == ("pending", 0, None)
    assert await journal.attempts(d.id) == []
    assert await journal.events("m1") == events_before
    assert await journal.dead_letters(DeadLetterFilter(state=None)) == []
    assert await retry(journal, c2, at=T0 + LEASE + 3, until=T0 + 100, owner="fast")


async def test_next_due_is_the_earliest_claimable_time(journal: Journal) -> None:
    assert await journal.next_due() is None
    await routed(journal, "m1", ["erp"], at=T0 + 10)
    await routed(journal, "m2", ["erp"], at=T0 + 20)
    assert await journal.next_due() == T0 + 10

    [c] = await claim(journal, now=T0 + 10)  # leases m1 until T0 + 40
    assert await journal.next_due() == T0 + 20

    assert await retry(journal, c, at=T0 + 11, until=T0 + 500)
    [c2] = await claim(journal, now=T0 + 20)
    assert await journal.next_due() == T0 + 20 + LEASE  # m2 comes back if its lease expires

    assert await retry(journal, c2, at=T0 + 21, until=T0 + 300)
    assert await journal.next_due() == T0 + 300


async def test_next_due_ignores_finished_deliveries(journal: Journal) -> None:
    await routed(journal, "m1", ["erp"], at=T0)
    [c] = await claim(journal, now=T0)
    await journal.record_attempt(
        c.delivery.id,
        "d1",
        attempt=None,
        state="delivered",
        next_attempt_at=T0,
        event=event("m1", "deliver", T0),
        dead_letter=None,
        now=T0,
    )

    assert await journal.next_due() is None


async def test_stats_count_queues_and_open_dead_letters(journal: Journal) -> None:
    for i in range(3):
        await journal.accept(new_message(f"p{i}", received_at=T0 + i))
    await routed(journal, "r1", ["erp", "wms"], at=T0 - 10)
    [c, *_] = await claim(journal, now=T0 - 10)
    await journal.record_attempt(
        c.delivery.id,
        "d1",
        attempt=None,
        state="dead",
        next_attempt_at=T0,
        event=event("r1", "deliver", T0, outcome="error"),
        dead_letter=dead_letter("dl1", "r1", stage="deliver", delivery_id=c.delivery.id),
        now=T0,
    )

    stats = await journal.stats()
    assert (stats.messages_pending, stats.deliveries_pending, stats.dead_letters_open) == (3, 1, 1)
    await journal.discard("dl1", "alice", "duplicate", T0 + 1)
    assert (await journal.stats()).dead_letters_open == 0
