"""Builders shared by the journal tests: records, and short paths to a given journal state.

Times are explicit: everything happens at ``T0 + n`` seconds, never at the wall clock.
"""

from __future__ import annotations

from typing import Any, Protocol

from gateway.journal import (
    Attempt,
    DeadLetter,
    Delivery,
    Event,
    Journal,
    Message,
    NewDelivery,
    NewMessage,
)

T0 = 1_700_000_000.0
LEASE = 30.0
RAW = b"ISA*00*          *00*          *ZZ*ACME~ST*850*0001~BEG*00*SA*PO-1~SE*3*0001~"
CANONICAL = b'{"po_number":"PO-1"}'


class Backend(Protocol):
    """What the tests need from a backend besides the :class:`Journal` itself."""

    name: str
    #: the driver's exception for a violated unique or primary key constraint
    integrity_error: type[Exception]

    def journal(self, store: str = "main") -> Journal:
        """A new, unopened journal; the same ``store`` reopens the same data, a new one is empty."""
        ...

    def rows(self, sql: str, *params: Any, store: str = "main") -> list[tuple[Any, ...]]:
        """Run ``sql`` (``?`` placeholders) on a fresh connection that sees only committed data."""
        ...


def new_message(
    message_id: str,
    *,
    raw: bytes = RAW,
    partner: str = "acme",
    received_at: float = T0,
    business_keys: dict[str, str] | None = None,
) -> NewMessage:
    return NewMessage(
        id=message_id,
        partner=partner,
        channel="as2",
        document_type="x12.850",
        content_type="application/edi-x12",
        raw=raw,
        received_at=received_at,
        trace_id=f"trace-{message_id}",
        business_keys=business_keys or {},
    )


def new_delivery(message_id: str, destination: str) -> NewDelivery:
    return NewDelivery(
        id=f"{message_id}:{destination}",
        destination=destination,
        idempotency_key=f"idem:{message_id}:{destination}",
    )


def event(message_id: str, stage: str, at: float, **kw: Any) -> Event:
    return Event(message_id=message_id, stage=stage, outcome=kw.pop("outcome", "ok"), at=at, **kw)


def dead_letter(
    dl_id: str,
    message_id: str,
    *,
    stage: str = "map",
    code: str = "MAP001",
    partner: str = "acme",
    created_at: float = T0,
    delivery_id: str | None = None,
    destination: str | None = None,
) -> DeadLetter:
    return DeadLetter(
        id=dl_id,
        message_id=message_id,
        stage=stage,
        code=code,
        error=f"{code} happened",
        partner=partner,
        document_type="x12.850",
        created_at=created_at,
        state="open",
        delivery_id=delivery_id,
        destination=destination,
    )


def attempt(
    delivery_id: str,
    number: int,
    started_at: float,
    outcome: Any = "retriable",
    code: str = "http_503",
) -> Attempt:
    return Attempt(
        delivery_id=delivery_id,
        number=number,
        started_at=started_at,
        latency_ms=12.5,
        outcome=outcome,
        status_code={"ok": 200, "retriable": 503, "fatal": 400}.get(outcome),
        code=code,
        error="unavailable" if code else "",
        body_excerpt="<html>busy</html>" if code else "",
    )


async def claim_one(journal: Journal, message_id: str, owner: str = "w1", *, now: float) -> Message:
    """Claim and check that exactly ``message_id`` was claimable."""
    claimed = await journal.claim_messages(owner, 10, LEASE, now)
    assert [m.id for m in claimed] == [message_id]
    return claimed[0]


async def route(
    journal: Journal,
    message_id: str,
    destinations: list[str],
    *,
    owner: str = "w1",
    now: float,
) -> bool:
    """complete_processing with one delivery per destination."""
    return await journal.complete_processing(
        message_id,
        owner,
        document_type="x12.850",
        canonical=CANONICAL,
        business_keys={"po_number": "PO-1"},
        events=[event(message_id, "map", now), event(message_id, "route", now)],
        deliveries=[new_delivery(message_id, d) for d in destinations],
        now=now,
    )


async def routed(journal: Journal, message_id: str, destinations: list[str], *, at: float) -> None:
    """Accept at ``at``, claim and route: the deliveries are pending and due at ``at``."""
    await journal.accept(new_message(message_id, received_at=at))
    await claim_one(journal, message_id, now=at)
    assert await route(journal, message_id, destinations, now=at)


async def failed(journal: Journal, message_id: str, dl: DeadLetter, *, at: float) -> None:
    """Accept at ``at``, claim, and dead-letter ``dl`` at the processing stage."""
    await journal.accept(new_message(message_id, received_at=at, partner=dl.partner))
    await claim_one(journal, message_id, now=at)
    ok = await journal.fail_processing(
        message_id,
        "w1",
        events=[event(message_id, dl.stage, at, outcome="error", code=dl.code)],
        dead_letter=dl,
        retry_at=None,
        now=at,
    )
    assert ok


async def dead_delivery(
    journal: Journal, message_id: str, dl_id: str, *, destination: str = "erp", at: float
) -> tuple[Delivery, DeadLetter]:
    """Route to ``destination`` and dead-letter that delivery after one fatal attempt."""
    await routed(journal, message_id, [destination], at=at)
    [claimed] = await journal.claim_deliveries("d1", 10, LEASE, at, destinations=[destination])
    d = claimed.delivery
    dl = dead_letter(
        dl_id,
        message_id,
        stage="deliver",
        code="http_400",
        created_at=at,
        delivery_id=d.id,
        destination=destination,
    )
    ok = await journal.record_attempt(
        d.id,
        "d1",
        attempt=attempt(d.id, 1, at, outcome="fatal", code="http_400"),
        state="dead",
        next_attempt_at=at,
        event=event(message_id, "deliver", at, outcome="error", delivery_id=d.id),
        dead_letter=dl,
        now=at,
    )
    assert ok
    return d, dl
