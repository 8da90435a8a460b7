"""redeliver, reprocess and discard: close a dead letter once, act on it, audit it."""

from __future__ import annotations

import json

from journal_support import LEASE, T0, Backend, claim_one, dead_delivery, dead_letter, failed

from gateway.journal import Event, Journal

LATER = T0 + 3600


def audit_rows(backend: Backend) -> list[tuple[float, str, str, str, dict[str, object]]]:
    rows = backend.rows("SELECT at, actor, action, target, detail FROM audit ORDER BY seq")
    return [
        (at, actor, action, target, json.loads(detail))
        for at, actor, action, target, detail in rows
    ]


def replay_events(events: list[Event]) -> list[tuple[str, str, str, str, float]]:
    return [(e.stage, e.outcome, e.code, e.actor, e.at) for e in events if e.stage == "replay"]


async def test_redeliver_resets_the_delivery_and_closes_the_dead_letter(
    journal: Journal, backend: Backend
) -> None:
    d, _ = await dead_delivery(journal, "m1", "dl1", at=T0)

    assert await journal.redeliver("dl1", "alice", LATER)

    [after] = await journal.deliveries("m1")
    assert (after.id, after.idempotency_key) == (d.id, d.idempotency_key)
    assert (after.state, after.attempts, after.first_attempt_at) == ("pending", 0, None)
    assert after.next_attempt_at == LATER
    assert len(await journal.attempts(d.id)) == 1  # the history stays
    dl = await journal.get_dead_letter("dl1")
    assert dl is not None
    assert (dl.state, dl.resolved_by, dl.resolved_at, dl.reason) == (
        "replayed",
        "alice",
        LATER,
        None,
    )
    assert audit_rows(backend) == [(LATER, "alice", "redeliver", "dl1", {"delivery": d.id})]
    events = await journal.events("m1")
    assert replay_events(events) == [("replay", "action", "redeliver", "alice", LATER)]
    assert events[-1].delivery_id == d.id
    assert (await journal.stats()).dead_letters_open == 0
    assert await journal.claim_deliveries("d2", 10, LEASE, LATER - 1) == []
    [c] = await journal.claim_deliveries("d2", 10, LEASE, LATER)
    assert c.delivery.id == d.id


async def test_redeliver_twice_is_refused(journal: Journal, backend: Backend) -> None:
    await dead_delivery(journal, "m1", "dl1", at=T0)
    assert await journal.redeliver("dl1", "alice", LATER)
    [c] = await journal.claim_deliveries("d2", 10, LEASE, LATER)  # in flight again

    assert not await journal.redeliver("dl1", "bob", LATER + 1)

    assert len(audit_rows(backend)) == 1
    dl = await journal.get_dead_letter("dl1")
    assert dl is not None
    assert dl.resolved_by == "alice"
    assert await journal.claim_deliveries("d3", 10, LEASE, LATER + 1) == []  # lease untouched
    assert c.delivery.id == "m1:erp"


async def test_redeliver_refuses_processing_and_unknown_dead_letters(
    journal: Journal, backend: Backend
) -> None:
    await failed(journal, "m1", dead_letter("dl1", "m1", stage="map"), at=T0)

    assert not await journal.redeliver("dl1", "alice", LATER)
    assert not await journal.redeliver("nope", "alice", LATER)

    dl = await journal.get_dead_letter("dl1")
    assert dl is not None
    assert (dl.state, dl.resolved_by) == ("open", None)
    m = await journal.get_message("m1")
    assert m is not None
    assert m.state == "failed"
    assert audit_rows(backend) == []
    assert replay_events(await journal.events("m1")) == []


async def test_reprocess_puts_the_message_back_to_received(
    journal: Journal, backend: Backend
) -> None:
    await failed(journal, "m1", dead_letter("dl1", "m1", stage="map"), at=T0)

    assert await journal.reprocess("dl1", "alice", LATER)

    m = await journal.get_message("m1")
    assert m is not None
    assert (m.state, m.stage, m.attempts, m.updated_at) == ("received", "accept", 0, LATER)
    dl = await journal.get_dead_letter("dl1")
    assert dl is not None
    assert (dl.state, dl.resolved_by, dl.resolved_at) == ("replayed", "alice", LATER)
    assert audit_rows(backend) == [(LATER, "alice", "reprocess", "dl1", {"message": "m1"})]
    assert replay_events(await journal.events("m1")) == [
        ("replay", "action", "reprocess", "alice", LATER)
    ]
    stats = await journal.stats()
    assert (stats.messages_pending, stats.dead_letters_open) == (1, 0)
    claimed = await claim_one(journal, "m1", "w2", now=LATER)
    assert claimed.attempts == 1  # a fresh attempt budget


async def test_reprocess_is_refused_once_closed(journal: Journal, backend: Backend) -> None:
    await failed(journal, "m1", dead_letter("dl1", "m1"), at=T0)
    assert await journal.reprocess("dl1", "alice", LATER)
    await claim_one(journal, "m1", now=LATER)

    assert not await journal.reprocess("dl1", "bob", LATER + 1)
    assert not await journal.reprocess("nope", "bob", LATER + 1)

    assert [row[2] for row in audit_rows(backend)] == ["reprocess"]
    # the second reprocess did not reset the lease the worker now holds
    assert await journal.claim_messages("w2", 10, LEASE, LATER + 1) == []


async def test_discard_a_processing_dead_letter(journal: Journal, backend: Backend) -> None:
    await failed(journal, "m1", dead_letter("dl1", "m1"), at=T0)

    assert await journal.discard("dl1", "bob", "partner resent it", LATER)

    m = await journal.get_message("m1")
    assert m is not None
    assert m.state == "discarded"
    dl = await journal.get_dead_letter("dl1")
    assert dl is not None
    assert (dl.state, dl.resolved_by, dl.resolved_at, dl.reason) == (
        "discarded",
        "bob",
        LATER,
        "partner resent it",
    )
    assert audit_rows(backend) == [
        (LATER, "bob", "discard", "dl1", {"reason": "partner resent it"})
    ]
    [replay] = [e for e in await journal.events("m1") if e.stage == "replay"]
    assert (replay.code, replay.actor, replay.detail["reason"]) == (
        "discard",
        "bob",
        "partner resent it",
    )
    assert await journal.claim_messages("w1", 10, LEASE, LATER) == []
    assert (await journal.stats()).dead_letters_open == 0


async def test_discard_a_delivery_dead_letter(journal: Journal, backend: Backend) -> None:
    d, _ = await dead_delivery(journal, "m1", "dl1", at=T0)

    assert await journal.discard("dl1", "bob", "obsolete order", LATER)

    [after] = await journal.deliveries("m1")
    assert (after.id, after.state) == (d.id, "discarded")
    m = await journal.get_message("m1")
    assert m is not None
    assert m.state == "done"  # the message itself was processed fine
    assert await journal.claim_deliveries("d2", 10, LEASE, LATER + 10_000) == []
    assert await journal.next_due() is None
    assert audit_rows(backend)[0][2:] == ("discard", "dl1", {"reason": "obsolete order"})


async def test_a_closed_dead_letter_accepts_no_other_action(
    journal: Journal, backend: Backend
) -> None:
    await dead_delivery(journal, "m1", "dl1", at=T0)
    assert await journal.discard("dl1", "bob", "obsolete", LATER)

    assert not await journal.discard("dl1", "bob", "again", LATER + 1)
    assert not await journal.redeliver("dl1", "alice", LATER + 1)
    assert not await journal.reprocess("dl1", "alice", LATER + 1)

    dl = await journal.get_dead_letter("dl1")
    assert dl is not None
    assert (dl.state, dl.reason) == ("discarded", "obsolete")
    assert len(audit_rows(backend)) == 1
    [after] = await journal.deliveries("m1")
    assert after.state == "discarded"


async def test_audit_keeps_every_action_in_order(journal: Journal, backend: Backend) -> None:
    await dead_delivery(journal, "m1", "dl1", at=T0)
    await failed(journal, "m2", dead_letter("dl2", "m2"), at=T0 + 1)
    await failed(journal, "m3", dead_letter("dl3", "m3"), at=T0 + 2)

    assert await journal.redeliver("dl1", "alice", LATER)
    assert await journal.reprocess("dl2", "bob", LATER + 1)
    assert await journal.discard("dl3", "carol", "spam", LATER + 2)

    assert [(r[0], r[1], r[2], r[3]) for r in audit_rows(backend)] == [
        (LATER, "alice", "redeliver", "dl1"),
        (LATER + 1, "bob", "reprocess", "dl2"),
        (LATER + 2, "carol", "discard", "dl3"),
    ]
    entries = await journal.audit()
    assert [(e.at, e.actor, e.action, e.target) for e in entries] == [
        (r[0], r[1], r[2], r[3]) for r in audit_rows(backend)
    ]
    assert entries[2].detail == {"reason": "spam"}
    paged = await journal.audit(limit=1, after_seq=entries[0].seq)
    assert [e.target for e in paged] == ["dl2"]
