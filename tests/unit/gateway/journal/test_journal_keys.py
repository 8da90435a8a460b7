"""find_by_key: durable lookups by business key (a webhook's event id survives restarts)."""

from __future__ import annotations

import pytest
from journal_support import T0, Backend, new_message

from gateway.journal import Journal


async def test_find_by_key_is_per_partner_and_durable(journal: Journal, backend: Backend) -> None:
    event = {"webhook_event_id": "evt-1"}
    first = new_message("m1", partner="shop", received_at=T0, business_keys=event)
    other_partner = new_message("m2", partner="acme", received_at=T0 + 1, business_keys=event)
    await journal.accept(first)
    await journal.accept(other_partner)
    assert await journal.find_by_key("shop", "webhook_event_id", "evt-1") == "m1"
    assert await journal.find_by_key("acme", "webhook_event_id", "evt-1") == "m2"
    assert await journal.find_by_key("shop", "webhook_event_id", "evt-2") is None
    assert await journal.find_by_key("shop", "po_number", "evt-1") is None
    await journal.close()
    reopened = backend.journal()
    await reopened.open()
    try:
        assert await reopened.find_by_key("shop", "webhook_event_id", "evt-1") == "m1"
    finally:
        await reopened.close()


@pytest.mark.parametrize("key", ["", "a'b", "x) OR 1=1 --", "$.x", "Upper"])
async def test_find_by_key_refuses_odd_key_names(journal: Journal, key: str) -> None:
    with pytest.raises(ValueError, match="not a business key name"):
        await journal.find_by_key("shop", key, "v")
