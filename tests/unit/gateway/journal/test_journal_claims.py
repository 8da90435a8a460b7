"""claim_messages: leases that expire, never two owners at once, attempts counted per claim."""

from __future__ import annotations

import asyncio
import itertools

from journal_support import LEASE, T0, new_message, route

from gateway.journal import Journal


async def accept_many(journal: Journal, n: int, *, at: float = T0) -> list[str]:
    ids = [f"m{i:04d}" for i in range(n)]
    await asyncio.gather(*(journal.accept(new_message(i, received_at=at)) for i in ids))
    return ids


async def test_claim_leases_up_to_limit_and_hides_what_it_leased(journal: Journal) -> None:
    ids = await accept_many(journal, 5)

    first = await journal.claim_messages("a", 3, LEASE, T0)
    second = await journal.claim_messages("b", 10, LEASE, T0 + 1)
    third = await journal.claim_messages("c", 10, LEASE, T0 + 2)

    assert len(first) == 3
    assert len(second) == 2
    assert third == []
    assert sorted(m.id for m in first + second) == ids


async def test_a_held_lease_blocks_its_own_owner_too(journal: Journal) -> None:
    await accept_many(journal, 1)
    assert len(await journal.claim_messages("a", 10, LEASE, T0)) == 1

    assert await journal.claim_messages("a", 10, LEASE, T0 + LEASE - 1) == []


async def test_claims_take_the_oldest_available_first(journal: Journal) -> None:
    for i, at in enumerate([T0 + 3, T0 + 1, T0 + 2]):
        await journal.accept(new_message(f"m{i}", received_at=at))

    order = [(await journal.claim_messages("a", 1, LEASE, T0 + 10))[0].id for _ in range(3)]

    assert order == ["m1", "m2", "m0"]


async def test_concurrent_claims_never_hand_out_the_same_message(journal: Journal) -> None:
    ids = await accept_many(journal, 300)
    owners = [f"w{i}" for i in range(8)]
    calls = [
        journal.claim_messages(owner, 7, LEASE, T0 + 1)
        for owner, _ in zip(itertools.cycle(owners), range(60), strict=False)
    ]

    batches = await asyncio.gather(*calls)

    claimed = [m.id for batch in batches for m in batch]
    assert len(claimed) == len(set(claimed)), "a message was leased to two owners"
    assert sorted(claimed) == ids  # 60 x 7 >= 300: everything was handed out exactly once
    assert all(m.attempts == 1 for batch in batches for m in batch)


async def test_concurrent_claims_across_owners_and_expiry(journal: Journal) -> None:
    """At one instant, whatever the interleaving, each message has at most one holder."""
    ids = await accept_many(journal, 50)
    await journal.claim_messages("early", 20, LEASE, T0)  # 20 leases expire at T0 + 30

    batches = await asyncio.gather(
        *(journal.claim_messages(f"w{i}", 9, LEASE, T0 + LEASE + 1) for i in range(10))
    )

    claimed = [m.id for batch in batches for m in batch]
    assert len(claimed) == len(set(claimed)) == len(ids)


async def test_an_expired_lease_lets_another_owner_claim(journal: Journal) -> None:
    await accept_many(journal, 1)
    [first] = await journal.claim_messages("a", 10, LEASE, T0)

    assert await journal.claim_messages("b", 10, LEASE, T0 + LEASE - 1) == []
    [second] = await journal.claim_messages("b", 10, LEASE, T0 + LEASE + 1)

    assert first.id == second.id
    assert (first.attempts, second.attempts) == (1, 2)
    # the lease now belongs to b: a can no longer complete, b can
    assert not await route(journal, first.id, ["erp"], owner="a", now=T0 + LEASE + 2)
    assert await route(journal, first.id, ["erp"], owner="b", now=T0 + LEASE + 3)


async def test_attempts_increment_with_every_claim(journal: Journal) -> None:
    await accept_many(journal, 1)

    seen = []
    for n in range(4):
        now = T0 + n * (LEASE + 1)
        [m] = await journal.claim_messages(f"w{n % 2}", 10, LEASE, now)
        seen.append(m.attempts)

    assert seen == [1, 2, 3, 4]
    stored = await journal.get_message("m0000")
    assert stored is not None
    assert stored.attempts == 4


async def test_a_longer_lease_holds_longer(journal: Journal) -> None:
    await accept_many(journal, 1)
    await journal.claim_messages("a", 10, 300.0, T0)

    assert await journal.claim_messages("b", 10, LEASE, T0 + 299) == []
    assert len(await journal.claim_messages("b", 10, LEASE, T0 + 301)) == 1


async def test_done_messages_are_never_claimed_again(journal: Journal) -> None:
    await accept_many(journal, 1)
    await journal.claim_messages("a", 10, LEASE, T0)
    assert await route(journal, "m0000", ["erp"], owner="a", now=T0 + 1)

    assert await journal.claim_messages("b", 10, LEASE, T0 + 10 * LEASE) == []
    assert (await journal.stats()).messages_pending == 0
