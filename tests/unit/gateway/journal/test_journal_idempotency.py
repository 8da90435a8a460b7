"""Idempotency-Key records beside the journal: claim, replay, mismatch, leases, expiry, purge.

Times are explicit (``T0 + n``), so expiry and lease takeover are tested without sleeping.
"""

from __future__ import annotations

import sqlite3

import pytest
from journal_support import T0, Backend, new_message

from gateway.journal import Journal
from gateway.journal.idempotency import KeyRef, StoredResponse, open_idempotency_store

TTL = 3600.0
LEASE = 60.0
RESPONSE = StoredResponse(
    status=202,
    headers=[("content-type", "application/json"), ("location", "/v1/orders/m1")],
    body=b'{"id":"m1"}',
)


def ref(fingerprint: str = "f1", key: str = "k1", client: str = "c1") -> KeyRef:
    return KeyRef(client=client, method="POST", path="/v1/orders", key=key, fingerprint=fingerprint)


async def test_claim_complete_replay_mismatch(journal: Journal) -> None:
    store = open_idempotency_store(journal)
    first = await store.claim(ref(), now=T0, lease=LEASE, ttl=TTL)
    assert first.outcome == "new"
    running = await store.claim(ref(), now=T0 + 1, lease=LEASE, ttl=TTL)
    assert running.outcome == "running"
    assert (await store.claim(ref("f2"), now=T0 + 1, lease=LEASE, ttl=TTL)).outcome == "mismatch"
    assert await store.complete(ref(), RESPONSE, now=T0 + 2, ttl=TTL)
    replay = await store.claim(ref(), now=T0 + 3, lease=LEASE, ttl=TTL)
    assert replay.outcome == "replay"
    assert replay.response == RESPONSE
    assert replay.created_at == T0
    assert (await store.claim(ref("f2"), now=T0 + 3, lease=LEASE, ttl=TTL)).outcome == "mismatch"
    # the same key of another client, or on another path, is another key
    assert (await store.claim(ref(client="c2"), now=T0 + 3, lease=LEASE, ttl=TTL)).outcome == "new"
    other_path = KeyRef(client="c1", method="POST", path="/v1/returns", key="k1", fingerprint="f1")
    assert (await store.claim(other_path, now=T0 + 3, lease=LEASE, ttl=TTL)).outcome == "new"


async def test_a_crashed_request_frees_its_key_after_the_lease(journal: Journal) -> None:
    store = open_idempotency_store(journal)
    assert (await store.claim(ref(), now=T0, lease=LEASE, ttl=TTL)).outcome == "new"
    at_lease = await store.claim(ref(), now=T0 + LEASE - 0.001, lease=LEASE, ttl=TTL)
    assert at_lease.outcome == "running"
    # nobody completed it: after the lease a new request (any body) takes the key over
    taken = await store.claim(ref("f2"), now=T0 + LEASE, lease=LEASE, ttl=TTL)
    assert taken.outcome == "new"
    assert not await store.complete(ref("f1"), RESPONSE, now=T0 + LEASE + 1, ttl=TTL)
    assert await store.complete(ref("f2"), RESPONSE, now=T0 + LEASE + 1, ttl=TTL)


async def test_release_lets_the_key_run_again(journal: Journal) -> None:
    store = open_idempotency_store(journal)
    await store.claim(ref(), now=T0, lease=LEASE, ttl=TTL)
    assert not await store.release(ref("other"))
    assert await store.release(ref())
    assert (await store.claim(ref("f2"), now=T0 + 1, lease=LEASE, ttl=TTL)).outcome == "new"
    await store.complete(ref("f2"), RESPONSE, now=T0 + 1, ttl=TTL)
    assert not await store.release(ref("f2"))  # a stored response is not released
    assert (await store.claim(ref("f2"), now=T0 + 2, lease=LEASE, ttl=TTL)).outcome == "replay"


async def test_expiry_and_purge(journal: Journal, backend: Backend) -> None:
    store = open_idempotency_store(journal)
    for n in range(3):
        await store.claim(ref(key=f"k{n}"), now=T0, lease=LEASE, ttl=TTL)
        await store.complete(ref(key=f"k{n}"), RESPONSE, now=T0 + n, ttl=TTL)
    assert (await store.claim(ref(key="k0"), now=T0 + TTL, lease=LEASE, ttl=TTL)).outcome == "new"
    assert await store.purge(T0 + TTL + 1.5) == 1  # k1 (expires at T0+1+TTL); k0 was renewed
    left = backend.rows("SELECT key, state FROM idempotency_keys ORDER BY key")
    assert left == [("k0", "running"), ("k2", "done")]
    assert await store.purge(T0 + 10 * TTL) == 2


async def test_stored_responses_survive_reopening(journal: Journal, backend: Backend) -> None:
    store = open_idempotency_store(journal)
    await store.claim(ref(), now=T0, lease=LEASE, ttl=TTL)
    await store.complete(ref(), RESPONSE, now=T0, ttl=TTL)
    await journal.close()
    reopened = backend.journal()
    await reopened.open()
    try:
        replay = await open_idempotency_store(reopened).claim(
            ref(), now=T0 + 5, lease=LEASE, ttl=TTL
        )
        assert replay.outcome == "replay"
        assert replay.response == RESPONSE
    finally:
        await reopened.close()


async def test_accept_completing_is_one_transaction(journal: Journal) -> None:
    """The message and the key's stored response commit together or not at all."""
    store = open_idempotency_store(journal)
    assert (await store.claim(ref(), now=T0, lease=LEASE, ttl=TTL)).outcome == "new"
    message = new_message("m1")
    assert await store.accept_completing(message, ref(), RESPONSE, now=T0 + 1, ttl=TTL)
    assert await journal.get_message("m1") is not None
    replay = await store.claim(ref(), now=T0 + 2, lease=LEASE, ttl=TTL)
    assert replay.outcome == "replay"
    assert replay.response == RESPONSE
    # a message that cannot be stored (its id exists) leaves the other key claimed, not done
    assert (await store.claim(ref(key="k2"), now=T0 + 3, lease=LEASE, ttl=TTL)).outcome == "new"
    with pytest.raises(sqlite3.IntegrityError):
        await store.accept_completing(message, ref(key="k2"), RESPONSE, now=T0 + 4, ttl=TTL)
    still = await store.claim(ref(key="k2"), now=T0 + 5, lease=LEASE, ttl=TTL)
    assert still.outcome == "running"


async def test_accept_claiming_writes_once_and_reports_a_taken_key(journal: Journal) -> None:
    """The deferred claim: one job accepts and stores, or writes nothing and says why not."""
    store = open_idempotency_store(journal)
    first = await store.accept_claiming(new_message("m1"), ref(), RESPONSE, now=T0, ttl=TTL)
    assert first.outcome == "new"
    assert await journal.get_message("m1") is not None
    # the same body again (another process raced us, say): the stored answer, no second message
    again = await store.accept_claiming(new_message("m2"), ref(), RESPONSE, now=T0 + 1, ttl=TTL)
    assert again.outcome == "replay"
    assert again.response == RESPONSE
    assert again.created_at == T0
    assert await journal.get_message("m2") is None
    other = await store.accept_claiming(new_message("m3"), ref("f2"), RESPONSE, now=T0 + 1, ttl=TTL)
    assert other.outcome == "mismatch"
    assert await journal.get_message("m3") is None
    # the stored answer is what a claim-first request with the key finds too
    assert (await store.claim(ref(), now=T0 + 2, lease=LEASE, ttl=TTL)).response == RESPONSE
    # a claim-first request still running holds the key against a deferred one
    assert (await store.claim(ref(key="k2"), now=T0, lease=LEASE, ttl=TTL)).outcome == "new"
    running = await store.accept_claiming(
        new_message("m4"), ref(key="k2"), RESPONSE, now=T0 + 1, ttl=TTL
    )
    assert running.outcome == "running"
    assert await journal.get_message("m4") is None
    # once the stored answer expires the key is free again
    later = await store.accept_claiming(
        new_message("m5"), ref(), RESPONSE, now=T0 + TTL + 1, ttl=TTL
    )
    assert later.outcome == "new"
    assert await journal.get_message("m5") is not None


async def test_accept_claiming_is_one_transaction(journal: Journal) -> None:
    """A message that cannot be stored leaves no stored answer behind."""
    store = open_idempotency_store(journal)
    assert (
        await store.accept_claiming(new_message("m1"), ref(), RESPONSE, now=T0, ttl=TTL)
    ).outcome == "new"
    with pytest.raises(sqlite3.IntegrityError):
        await store.accept_claiming(new_message("m1"), ref(key="k2"), RESPONSE, now=T0, ttl=TTL)
    fresh = await store.claim(ref(key="k2"), now=T0 + 1, lease=LEASE, ttl=TTL)
    assert fresh.outcome == "new"


async def test_deferred_claims_batched_in_one_group(journal: Journal) -> None:
    """Claims queued together run as one batch and still see each other, in queue order."""
    import asyncio

    from tests.support import writer_held

    store = open_idempotency_store(journal)
    writer = journal.writer  # type: ignore[attr-defined]
    attempts = [
        ("m1", ref()),  # new
        ("m2", ref()),  # the same key and body: m1's answer
        ("m3", ref("f2")),  # the same key, another body
        ("m4", ref(key="k2")),  # another key: new
    ]
    async with writer_held(writer):
        tasks = [
            asyncio.create_task(store.accept_claiming(new_message(m), r, RESPONSE, now=T0, ttl=TTL))
            for m, r in attempts
        ]
        while writer.waiting < len(attempts):
            await asyncio.sleep(0.001)
    outcomes = [c.outcome for c in await asyncio.gather(*tasks)]
    assert outcomes == ["new", "replay", "mismatch", "new"]
    stored = [await journal.get_message(m) is not None for m, _ in attempts]
    assert stored == [True, False, False, True]


async def _batched(journal: Journal, attempts: list[tuple[str, KeyRef, float]]) -> list[str]:
    """Queue every attempt while the writer is held, so they run as one group; the outcomes."""
    import asyncio

    from tests.support import writer_held

    store = open_idempotency_store(journal)
    writer = journal.writer  # type: ignore[attr-defined]
    async with writer_held(writer):
        tasks = [
            asyncio.create_task(store.accept_claiming(new_message(m), r, RESPONSE, now=t, ttl=TTL))
            for m, r, t in attempts
        ]
        while writer.waiting < len(attempts):
            await asyncio.sleep(0.001)
    return [c.outcome for c in await asyncio.gather(*tasks)]


async def test_a_group_settles_keys_that_had_rows_one_by_one(journal: Journal) -> None:
    """Keys stored before the group: expired ones are taken over, live ones replayed or refused,
    and a running claim whose lease ran out is free again."""
    store = open_idempotency_store(journal)
    await store.accept_claiming(new_message("old"), ref(key="live"), RESPONSE, now=T0, ttl=TTL)
    await store.accept_claiming(new_message("gone"), ref(key="expired"), RESPONSE, now=T0, ttl=1)
    await store.claim(ref(key="dead"), now=T0, lease=LEASE, ttl=TTL)
    at = T0 + LEASE + 1
    outcomes = await _batched(
        journal,
        [
            ("m1", ref(key="live"), at),  # answered before: replayed
            ("m2", ref("f2", key="live"), at),  # another body under it
            ("m3", ref(key="expired"), at),  # expired: this job's now
            ("m4", ref(key="expired"), at),  # ... and a later job replays m3's answer
            ("m5", ref(key="dead"), at),  # a running claim past its lease: free
            ("m6", ref(key="new"), at),
        ],
    )
    assert outcomes == ["replay", "mismatch", "new", "replay", "new", "new"]
    stored = [
        await journal.get_message(m) is not None for m in ("m1", "m2", "m3", "m4", "m5", "m6")
    ]
    assert stored == [False, False, True, False, True, True]
    again = await store.accept_claiming(
        new_message("m7"), ref(key="dead"), RESPONSE, now=at + 1, ttl=TTL
    )
    assert again.outcome == "replay"  # m5's answer replaced the abandoned claim


async def test_a_stored_answer_identical_to_a_new_one_is_still_someone_elses(
    journal: Journal,
) -> None:
    """Same key, body, time and answer as a stored one (only a test can make that): the group
    tells its own writes by the messages it stored, not by comparing answers."""
    store = open_idempotency_store(journal)
    await store.accept_claiming(new_message("m0"), ref(), RESPONSE, now=T0, ttl=TTL)
    outcomes = await _batched(journal, [("m1", ref(), T0), ("m2", ref(key="k2"), T0)])
    assert outcomes == ["replay", "new"]
    assert await journal.get_message("m1") is None
    assert await journal.get_message("m2") is not None


def _key_rows(journal: Journal) -> int:
    conn = sqlite3.connect(journal.path)  # type: ignore[attr-defined]
    try:
        return int(conn.execute("SELECT COUNT(*) FROM idempotency_keys").fetchone()[0])
    finally:
        conn.close()


async def test_groups_sweep_expired_keys_at_most_once_a_second(journal: Journal) -> None:
    """Batched claims delete expired keys, but not in every group; the table stays bounded."""
    from gateway.journal.idempotency import SWEEP_EVERY

    store = open_idempotency_store(journal)
    for i in range(5):
        await store.accept_claiming(new_message(f"a{i}"), ref(key=f"a{i}"), RESPONSE, now=T0, ttl=1)
    assert _key_rows(journal) == 5  # the first claim swept (nothing yet); the rest were too soon
    later = T0 + 2  # every a-key has expired and the last sweep is more than a second old
    await store.accept_claiming(new_message("b0"), ref(key="b0"), RESPONSE, now=later, ttl=TTL)
    assert _key_rows(journal) == 1
    await store.accept_claiming(new_message("c"), ref(key="c"), RESPONSE, now=later, ttl=0.2)
    soon = later + SWEEP_EVERY / 2  # c has expired, but the last sweep is too recent
    await store.accept_claiming(new_message("d"), ref(key="d"), RESPONSE, now=soon, ttl=TTL)
    assert _key_rows(journal) == 3
    await store.accept_claiming(
        new_message("e"), ref(key="e"), RESPONSE, now=later + SWEEP_EVERY, ttl=TTL
    )
    assert _key_rows(journal) == 3  # c swept, e written


async def test_a_failing_claim_in_a_group_fails_alone(journal: Journal) -> None:
    """The group's one statement fails as a whole (a message id already stored); run again one
    job at a time, only that job fails and its key stays free."""
    import asyncio

    from tests.support import writer_held

    store = open_idempotency_store(journal)
    await journal.accept(new_message("taken"))
    writer = journal.writer  # type: ignore[attr-defined]
    async with writer_held(writer):
        bad = asyncio.create_task(
            store.accept_claiming(new_message("taken"), ref(key="k1"), RESPONSE, now=T0, ttl=TTL)
        )
        good = asyncio.create_task(
            store.accept_claiming(new_message("m2"), ref(key="k2"), RESPONSE, now=T0, ttl=TTL)
        )
        while writer.waiting < 2:
            await asyncio.sleep(0.001)
    with pytest.raises(sqlite3.IntegrityError):
        await bad
    assert (await good).outcome == "new"
    assert await journal.get_message("m2") is not None
    assert (await store.claim(ref(key="k1"), now=T0 + 1, lease=LEASE, ttl=TTL)).outcome == "new"
