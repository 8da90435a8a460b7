"""complete_processing and fail_processing: atomic outcomes, conditional on the lease."""

from __future__ import annotations

import pytest
from journal_support import (
    CANONICAL,
    LEASE,
    T0,
    Backend,
    attempt,
    claim_one,
    dead_letter,
    event,
    new_delivery,
    new_message,
    route,
    routed,
)

from gateway.journal import DeadLetterFilter, Journal, NewDelivery


async def test_complete_processing_writes_canonical_events_and_deliveries(
    journal: Journal,
) -> None:
    await journal.accept(new_message("m1"))
    await claim_one(journal, "m1", now=T0)

    assert await route(journal, "m1", ["erp", "wms"], now=T0 + 2)

    m = await journal.get_message("m1")
    assert m is not None
    assert (m.state, m.stage, m.canonical, m.updated_at) == ("done", "route", CANONICAL, T0 + 2)
    assert m.business_keys == {"po_number": "PO-1"}
    assert [(e.stage, e.outcome, e.at) for e in await journal.events("m1")] == [
        ("accept", "ok", T0),
        ("map", "ok", T0 + 2),
        ("route", "ok", T0 + 2),
    ]
    ds = await journal.deliveries("m1")
    assert [(d.id, d.destination, d.idempotency_key) for d in ds] == [
        ("m1:erp", "erp", "idem:m1:erp"),
        ("m1:wms", "wms", "idem:m1:wms"),
    ]
    for d in ds:
        assert (d.message_id, d.state, d.attempts) == ("m1", "pending", 0)
        assert (d.next_attempt_at, d.created_at, d.first_attempt_at) == (T0 + 2, T0 + 2, None)
    stats = await journal.stats()
    assert (stats.messages_pending, stats.deliveries_pending) == (0, 2)


async def test_complete_processing_updates_the_document_type(journal: Journal) -> None:
    await journal.accept(new_message("m1"))
    await claim_one(journal, "m1", now=T0)

    ok = await journal.complete_processing(
        "m1",
        "w1",
        document_type="x12.855",
        canonical=b"\x00binary\xff",
        business_keys={},
        events=[],
        deliveries=[],
        now=T0 + 1,
    )

    m = await journal.get_message("m1")
    assert ok
    assert m is not None
    assert (m.document_type, m.canonical, m.state) == ("x12.855", b"\x00binary\xff", "done")


async def test_complete_after_takeover_returns_false_and_writes_nothing(
    journal: Journal, backend: Backend
) -> None:
    await journal.accept(new_message("m1"))
    await journal.claim_messages("slow", 10, LEASE, T0)
    await journal.claim_messages("fast", 10, LEASE, T0 + LEASE + 1)

    assert not await route(journal, "m1", ["erp", "wms"], owner="slow", now=T0 + LEASE + 2)

    m = await journal.get_message("m1")
    assert m is not None
    assert (m.state, m.stage, m.canonical, m.attempts) == ("received", "accept", None, 2)
    assert [e.stage for e in await journal.events("m1")] == ["accept"]
    assert await journal.deliveries("m1") == []
    assert backend.rows("SELECT COUNT(*) FROM deliveries") == [(0,)]
    assert (await journal.stats()).deliveries_pending == 0
    # the new owner still holds its lease and completes normally
    assert await route(journal, "m1", ["erp"], owner="fast", now=T0 + LEASE + 3)


async def test_complete_without_a_claim_or_twice_returns_false(journal: Journal) -> None:
    await journal.accept(new_message("m1"))
    assert not await route(journal, "m1", ["erp"], now=T0)
    assert not await route(journal, "unknown", ["erp"], now=T0)

    await claim_one(journal, "m1", now=T0)
    assert await route(journal, "m1", ["erp"], now=T0 + 1)
    assert not await route(journal, "m1", ["erp", "wms"], now=T0 + 2)

    assert [d.destination for d in await journal.deliveries("m1")] == ["erp"]
    assert [e.stage for e in await journal.events("m1")].count("route") == 1


async def test_deliveries_are_unique_per_message_and_destination(journal: Journal) -> None:
    await journal.accept(new_message("m1"))
    await claim_one(journal, "m1", now=T0)
    twice = [
        NewDelivery(id="d1", destination="erp", idempotency_key="k1"),
        NewDelivery(id="d2", destination="erp", idempotency_key="k2"),
    ]

    ok = await journal.complete_processing(
        "m1",
        "w1",
        document_type="x12.850",
        canonical=CANONICAL,
        business_keys={},
        events=[],
        deliveries=twice,
        now=T0 + 1,
    )

    [d] = await journal.deliveries("m1")
    assert ok
    assert (d.id, d.idempotency_key) in {("d1", "k1"), ("d2", "k2")}


async def test_a_failing_completion_is_rolled_back_whole(
    journal: Journal, backend: Backend
) -> None:
    await routed(journal, "m0", ["erp"], at=T0)
    await journal.accept(new_message("m1"))
    await claim_one(journal, "m1", now=T0)
    clash = [
        new_delivery("m1", "wms"),
        NewDelivery(id="m0:erp", destination="erp", idempotency_key="k"),
    ]

    with pytest.raises(backend.integrity_error):  # the second delivery reuses m0's delivery id
        await journal.complete_processing(
            "m1",
            "w1",
            document_type="x12.850",
            canonical=CANONICAL,
            business_keys={},
            events=[event("m1", "route", T0 + 1)],
            deliveries=clash,
            now=T0 + 1,
        )

    m = await journal.get_message("m1")
    assert m is not None
    assert (m.state, m.canonical) == ("received", None)
    assert [e.stage for e in await journal.events("m1")] == ["accept"]
    assert await journal.deliveries("m1") == []
    # still leased to w1, which can try again
    assert await journal.claim_messages("w2", 10, LEASE, T0 + 2) == []
    assert await route(journal, "m1", ["wms"], now=T0 + 3)


async def test_fail_processing_dead_letters_the_message(journal: Journal) -> None:
    await journal.accept(new_message("m1"))
    await claim_one(journal, "m1", now=T0)
    dl = dead_letter("dl1", "m1", stage="map", code="MAP001", created_at=T0 + 1)

    ok = await journal.fail_processing(
        "m1",
        "w1",
        events=[
            event("m1", "decode", T0 + 1),
            event("m1", "map", T0 + 1, outcome="error", code="MAP001", detail={"path": "/po"}),
        ],
        dead_letter=dl,
        retry_at=None,
        now=T0 + 1,
    )

    assert ok
    m = await journal.get_message("m1")
    assert m is not None
    assert (m.state, m.stage, m.canonical, m.updated_at) == ("failed", "map", None, T0 + 1)
    events = await journal.events("m1")
    assert [(e.stage, e.outcome, e.code) for e in events] == [
        ("accept", "ok", ""),
        ("decode", "ok", ""),
        ("map", "error", "MAP001"),
    ]
    assert events[-1].detail == {"path": "/po"}
    assert await journal.get_dead_letter("dl1") == dl
    stats = await journal.stats()
    assert (stats.messages_pending, stats.dead_letters_open) == (0, 1)
    assert await journal.claim_messages("w2", 10, LEASE, T0 + 1000 * LEASE) == []


async def test_fail_processing_with_retry_at_schedules_the_message(journal: Journal) -> None:
    await journal.accept(new_message("m1"))
    await claim_one(journal, "m1", now=T0)

    ok = await journal.fail_processing(
        "m1",
        "w1",
        events=[event("m1", "map", T0 + 1, outcome="retry", code="LOOKUP_DOWN")],
        dead_letter=None,
        retry_at=T0 + 60,
        now=T0 + 1,
    )

    assert ok
    m = await journal.get_message("m1")
    assert m is not None
    assert (m.state, m.stage) == ("received", "map")
    assert (await journal.stats()).messages_pending == 1
    assert await journal.claim_messages("w2", 10, LEASE, T0 + 59) == []  # lease released, not due
    [again] = await journal.claim_messages("w2", 10, LEASE, T0 + 60)
    assert (again.id, again.attempts) == ("m1", 2)
    assert await journal.dead_letters(DeadLetterFilter(state=None)) == []


async def test_fail_after_takeover_returns_false_and_writes_nothing(journal: Journal) -> None:
    await journal.accept(new_message("m1"))
    await journal.claim_messages("slow", 10, LEASE, T0)
    await journal.claim_messages("fast", 10, LEASE, T0 + LEASE + 1)

    ok = await journal.fail_processing(
        "m1",
        "slow",
        events=[event("m1", "map", T0 + LEASE + 2, outcome="error", code="MAP001")],
        dead_letter=dead_letter("dl1", "m1"),
        retry_at=None,
        now=T0 + LEASE + 2,
    )

    assert not ok
    m = await journal.get_message("m1")
    assert m is not None
    assert m.state == "received"
    assert [e.stage for e in await journal.events("m1")] == ["accept"]
    assert await journal.get_dead_letter("dl1") is None
    assert (await journal.stats()).dead_letters_open == 0


async def test_reprocess_then_complete_retries_dead_deliveries_only(journal: Journal) -> None:
    await routed(journal, "m1", ["erp", "wms"], at=T0)
    claimed = {
        c.delivery.destination: c.delivery
        for c in await journal.claim_deliveries("d", 10, LEASE, T0)
    }
    erp, wms = claimed["erp"], claimed["wms"]
    assert await journal.record_attempt(
        erp.id,
        "d",
        attempt=attempt(erp.id, 1, T0 + 1, outcome="ok", code=""),
        state="delivered",
        next_attempt_at=T0 + 1,
        event=event("m1", "deliver", T0 + 1, delivery_id=erp.id),
        dead_letter=None,
        now=T0 + 1,
    )
    dl = dead_letter("dl1", "m1", stage="deliver", delivery_id=wms.id, destination="wms")
    assert await journal.record_attempt(
        wms.id,
        "d",
        attempt=attempt(wms.id, 1, T0 + 1, outcome="fatal", code="http_422"),
        state="dead",
        next_attempt_at=T0 + 1,
        event=event("m1", "deliver", T0 + 1, outcome="error", delivery_id=wms.id),
        dead_letter=dl,
        now=T0 + 1,
    )

    assert await journal.reprocess("dl1", "alice", T0 + 100)
    await claim_one(journal, "m1", now=T0 + 100)
    fresh = [
        NewDelivery(id=f"new-{d}", destination=d, idempotency_key=f"new-key-{d}")
        for d in ("erp", "wms", "crm")
    ]
    assert await journal.complete_processing(
        "m1",
        "w1",
        document_type="x12.850",
        canonical=b'{"po_number":"PO-1","fixed":true}',
        business_keys={},
        events=[],
        deliveries=fresh,
        now=T0 + 101,
    )

    after = {d.destination: d for d in await journal.deliveries("m1")}
    assert (after["erp"].id, after["erp"].state, after["erp"].attempts) == (erp.id, "delivered", 1)
    w = after["wms"]
    assert (w.id, w.idempotency_key, w.state) == (wms.id, wms.idempotency_key, "pending")
    assert (w.attempts, w.first_attempt_at, w.next_attempt_at) == (0, None, T0 + 101)
    assert (after["crm"].id, after["crm"].state) == ("new-crm", "pending")
    again = await journal.claim_deliveries("d", 10, LEASE, T0 + 101)
    assert sorted(c.delivery.id for c in again) == sorted([wms.id, "new-crm"])
    assert {c.payload for c in again} == {b'{"po_number":"PO-1","fixed":true}'}
