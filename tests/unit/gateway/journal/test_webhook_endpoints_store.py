"""The webhook endpoint store: failure streaks, disabling (audited, once), enabling, durability."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.journal.sqlite import SqliteJournal
from gateway.journal.webhook_endpoints import EndpointStore, open_endpoint_store


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[SqliteJournal, EndpointStore]]:
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    try:
        yield journal, open_endpoint_store(journal)
    finally:
        await journal.close()


async def test_an_unknown_endpoint_reads_enabled_and_clean(
    opened: tuple[SqliteJournal, EndpointStore],
) -> None:
    _, store = opened
    state = await store.get("never-seen")
    assert state.enabled
    assert state.first_failure_at is None and state.failures == 0


async def test_a_streak_disables_after_disable_after_and_audits_once(
    opened: tuple[SqliteJournal, EndpointStore],
) -> None:
    journal, store = opened
    first = await store.record_failure("s", 100.0, disable_after=60, code="http_503", gone=False)
    assert not first.disabled_now and first.state.first_failure_at == 100.0
    later = await store.record_failure("s", 159.0, disable_after=60, code="http_503", gone=False)
    assert not later.disabled_now and later.state.enabled and later.state.failures == 2
    last = await store.record_failure("s", 160.0, disable_after=60, code="timeout", gone=False)
    assert last.disabled_now
    assert not last.state.enabled and last.state.disabled_at == 160.0
    assert "timeout" in last.state.reason and "60s" in last.state.reason
    again = await store.record_failure("s", 170.0, disable_after=60, code="timeout", gone=False)
    assert not again.disabled_now  # already disabled: no second audit entry
    [entry] = await journal.audit()
    assert (entry.actor, entry.action, entry.target) == (
        "system",
        "disable_subscription",
        "subscription:s",
    )
    assert entry.detail["first_failure_at"] == 100.0
    assert entry.detail["code"] == "timeout"


async def test_a_success_ends_the_streak(opened: tuple[SqliteJournal, EndpointStore]) -> None:
    _, store = opened
    await store.record_failure("s", 100.0, disable_after=60, code="http_500", gone=False)
    await store.record_success("s", 150.0)
    result = await store.record_failure("s", 200.0, disable_after=60, code="http_500", gone=False)
    assert not result.disabled_now
    assert result.state.first_failure_at == 200.0
    assert result.state.last_success_at == 150.0


async def test_gone_disables_at_once(opened: tuple[SqliteJournal, EndpointStore]) -> None:
    _, store = opened
    result = await store.record_failure(
        "s", 100.0, disable_after=86400, code="endpoint_gone", gone=True
    )
    assert result.disabled_now
    assert result.state.reason.startswith("endpoint_gone")


async def test_enable_clears_the_streak_and_is_audited_with_the_actor(
    opened: tuple[SqliteJournal, EndpointStore],
) -> None:
    journal, store = opened
    assert not await store.enable("s", "ops-1", 10.0)  # not disabled: nothing to do
    await store.record_failure("s", 100.0, disable_after=1, code="endpoint_gone", gone=True)
    assert await store.enable("s", "ops-1", 200.0)
    state = await store.get("s")
    assert state.enabled and state.first_failure_at is None and state.reason == ""
    entries = await journal.audit()
    assert [(e.actor, e.action) for e in entries] == [
        ("system", "disable_subscription"),
        ("ops-1", "enable_subscription"),
    ]
    assert entries[1].detail["reason"].startswith("endpoint_gone")
    # a fresh streak after enabling gets the whole disable_after again
    result = await store.record_failure("s", 300.0, disable_after=60, code="http_500", gone=False)
    assert not result.disabled_now


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    await open_endpoint_store(journal).record_failure(
        "s", 1.0, disable_after=1, code="endpoint_gone", gone=True
    )
    await journal.close()
    reopened = SqliteJournal(tmp_path / "j.db")
    await reopened.open()
    try:
        states = await open_endpoint_store(reopened).states(["s", "t"])
        assert not states["s"].enabled
        assert states["t"].enabled
    finally:
        await reopened.close()
