"""release: a clean shutdown hands unfinished work back at once."""

from __future__ import annotations

from journal_support import LEASE, T0, claim_one, new_message, routed

from gateway.journal import Journal


async def test_release_frees_only_the_owners_unfinished_leases(journal: Journal) -> None:
    await routed(journal, "m3", ["erp", "wms"], at=T0)  # done, with two pending deliveries
    await journal.accept(new_message("m1", received_at=T0 + 1))
    await claim_one(journal, "m1", "w1", now=T0 + 1)
    await journal.accept(new_message("m2", received_at=T0 + 2))
    await claim_one(journal, "m2", "w2", now=T0 + 2)
    claimed = await journal.claim_deliveries("w1", 10, LEASE, T0 + 3)
    assert len(claimed) == 2

    assert await journal.release("w1") == 3  # one message, two deliveries

    now = T0 + 4  # well inside every lease
    assert [m.id for m in await journal.claim_messages("w3", 10, LEASE, now)] == ["m1"]
    again = await journal.claim_deliveries("w3", 10, LEASE, now)
    assert sorted(c.delivery.destination for c in again) == ["erp", "wms"]
    assert await journal.release("nobody") == 0
