"""The journal interface and its records; every backend implements :class:`Journal`.

The journal is the gateway's memory and its queue at once (a transactional outbox):

- a message row is the processing work item (``state='received'`` and a lease);
- a delivery row is the delivery work item (``state='pending'``, ``next_attempt_at`` and a lease);
- work is *claimed* with a lease that expires, so a crashed worker's work becomes claimable
  again, and every completion is conditional on still holding the lease, so a slow worker whose
  lease was taken over cannot complete the same work a second time.

All times are POSIX seconds (float, UTC).
"""

from __future__ import annotations

import abc
from typing import Any, Literal

import msgspec

MessageState = Literal["received", "done", "failed", "discarded"]
DeliveryState = Literal["pending", "delivered", "dead", "discarded"]
DeadLetterState = Literal["open", "replayed", "discarded"]


class NewMessage(msgspec.Struct, frozen=True, kw_only=True):
    """What acceptance writes: the exact raw bytes and what we know before decoding."""

    id: str
    partner: str
    channel: str
    document_type: str
    content_type: str
    raw: bytes
    received_at: float
    trace_id: str
    business_keys: dict[str, str] = {}


class Original(msgspec.Struct, frozen=True, kw_only=True):
    """A body exactly as received, when it was split into several messages.

    An X12 interchange becomes one message per transaction set, each holding its set's bytes
    with its envelope; what lay between the sets (a bad segment, padding, a second group's
    trailers) is in none of them. The original keeps the whole body, so nothing that was
    accepted is lost; each message of it carries ``original_id`` in its business keys.
    """

    id: str
    partner: str
    channel: str
    content_type: str
    raw: bytes
    received_at: float


ORIGINAL_KEY = "original_id"
"""The business key that links a message to the :class:`Original` it was split from."""


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """A journaled message with its processing state."""

    id: str
    partner: str
    channel: str
    document_type: str
    content_type: str
    raw: bytes
    received_at: float
    trace_id: str
    business_keys: dict[str, str]
    state: MessageState
    stage: str
    canonical: bytes | None
    attempts: int
    updated_at: float


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One stage outcome. ``detail`` holds the error's code, path and the partner's words."""

    message_id: str
    stage: str
    outcome: Literal["ok", "error", "retry", "skipped", "action"]
    at: float
    delivery_id: str | None = None
    code: str = ""
    detail: dict[str, Any] = {}
    actor: str = "system"


class NewDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery the route stage decided on, written with the routing outcome atomically."""

    id: str
    destination: str
    idempotency_key: str


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One (message, destination) pair and where its delivery stands."""

    id: str
    message_id: str
    destination: str
    idempotency_key: str
    state: DeliveryState
    attempts: int
    next_attempt_at: float
    created_at: float
    first_attempt_at: float | None
    last_code: str
    last_error: str
    updated_at: float


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """One delivery attempt as the connector reported it."""

    delivery_id: str
    number: int
    started_at: float
    latency_ms: float
    outcome: Literal["ok", "retriable", "fatal", "breaker_open"]
    status_code: int | None = None
    code: str = ""
    error: str = ""
    body_excerpt: str = ""


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A message that stopped at a stage and needs a human: fix the cause, then replay."""

    id: str
    message_id: str
    stage: str
    code: str
    error: str
    partner: str
    document_type: str
    created_at: float
    state: DeadLetterState
    delivery_id: str | None = None
    destination: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    reason: str | None = None


class MessageFilter(msgspec.Struct, frozen=True, kw_only=True):
    """A page of messages; every field narrows, ``None`` means any.

    Pages are keyset-paged on ``(received_at, id)``, oldest first: ``after`` is the last row of
    the previous page, so a row inserted while a client pages never shifts or repeats a page.
    ``key`` is one business key ``(name, value)``, e.g. ``("po_number", "PO-1")``.
    """

    partner: str | None = None
    channel: str | None = None
    state: MessageState | None = None
    since: float | None = None
    until: float | None = None
    key: tuple[str, str] | None = None
    after: tuple[float, str] | None = None
    limit: int = 100


class DeadLetterFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Operations' filter; every field narrows, ``None`` means any."""

    partner: str | None = None
    destination: str | None = None
    stage: str | None = None
    code: str | None = None
    since: float | None = None
    until: float | None = None
    state: DeadLetterState | None = "open"
    limit: int = 100
    after_id: str | None = None


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Who did what to which dead letter, and when; ``seq`` orders entries and pages them."""

    seq: int
    at: float
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class Stats(msgspec.Struct, frozen=True, kw_only=True):
    """Gauges for /metrics and /readyz."""

    messages_pending: int
    deliveries_pending: int
    dead_letters_open: int


class ClaimedDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A leased delivery with what the deliverer needs from its message."""

    delivery: Delivery
    payload: bytes
    document_type: str
    trace_id: str
    partner: str


class Journal(abc.ABC):
    """The store interface. Every method is a single transaction."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Create or migrate the schema and start background machinery."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush and release everything; pending writes complete first."""

    # -- acceptance ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def accept(self, message: NewMessage) -> None:
        """Durably store a message, its ``accept`` event and its processing work item."""

    @abc.abstractmethod
    async def accept_many(
        self, messages: list[NewMessage], original: Original | None = None
    ) -> None:
        """Store several messages as :meth:`accept` does, all in one transaction or none.

        For inputs that split into several messages (an X12 interchange: one per transaction
        set): a failure part-way leaves nothing behind, so the caller can answer 4xx/5xx and the
        partner can resend without duplicates. ``original``, the whole body they came from, is
        stored in the same transaction.
        """

    @abc.abstractmethod
    async def get_original(self, original_id: str) -> Original | None:
        """The body a group of messages was split from, exactly as received."""

    # -- processing ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def claim_messages(
        self, owner: str, limit: int, lease_seconds: float, now: float
    ) -> list[Message]:
        """Lease up to ``limit`` received messages whose lease is free or expired."""

    @abc.abstractmethod
    async def complete_processing(
        self,
        message_id: str,
        owner: str,
        *,
        document_type: str,
        canonical: bytes,
        business_keys: dict[str, str],
        events: list[Event],
        deliveries: list[NewDelivery],
        now: float,
    ) -> bool:
        """Store the canonical payload, stage events and deliveries; False if the lease was lost."""

    @abc.abstractmethod
    async def fail_processing(
        self,
        message_id: str,
        owner: str,
        *,
        events: list[Event],
        dead_letter: DeadLetter | None,
        retry_at: float | None,
        now: float,
    ) -> bool:
        """Dead-letter the message (or schedule a retry at ``retry_at``); False if lease lost."""

    # -- delivery -----------------------------------------------------------------------------
    @abc.abstractmethod
    async def claim_deliveries(
        self,
        owner: str,
        limit: int,
        lease_seconds: float,
        now: float,
        destinations: list[str] | None = None,
    ) -> list[ClaimedDelivery]:
        """Lease due pending deliveries, oldest due first, optionally for some destinations."""

    @abc.abstractmethod
    async def record_attempt(
        self,
        delivery_id: str,
        owner: str,
        *,
        attempt: Attempt | None,
        state: DeliveryState,
        next_attempt_at: float,
        event: Event,
        dead_letter: DeadLetter | None,
        now: float,
    ) -> bool:
        """Journal an attempt and the delivery's next state; False if the lease was lost."""

    @abc.abstractmethod
    async def next_due(self) -> float | None:
        """When the earliest pending delivery becomes due (lets workers sleep until then)."""

    # -- reading ------------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_message(self, message_id: str) -> Message | None:
        """One message, or None."""

    @abc.abstractmethod
    async def events(self, message_id: str) -> list[Event]:
        """A message's stage history, oldest first."""

    @abc.abstractmethod
    async def deliveries(self, message_id: str) -> list[Delivery]:
        """A message's deliveries."""

    @abc.abstractmethod
    async def attempts(self, delivery_id: str) -> list[Attempt]:
        """A delivery's attempts, oldest first."""

    @abc.abstractmethod
    async def dead_letters(self, flt: DeadLetterFilter) -> list[DeadLetter]:
        """Dead letters matching the filter, oldest first, paged by ``after_id``."""

    @abc.abstractmethod
    async def get_dead_letter(self, dead_letter_id: str) -> DeadLetter | None:
        """One dead letter, or None."""

    @abc.abstractmethod
    async def stats(self) -> Stats:
        """Queue depths and open dead letters."""

    # -- operations ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def redeliver(self, dead_letter_id: str, actor: str, now: float) -> bool:
        """Reset a dead delivery to pending with a fresh attempt budget; audit it."""

    @abc.abstractmethod
    async def reprocess(self, dead_letter_id: str, actor: str, now: float) -> bool:
        """Put the message back to ``received`` so it is decoded and mapped again; audit it."""

    @abc.abstractmethod
    async def discard(self, dead_letter_id: str, actor: str, reason: str, now: float) -> bool:
        """Close a dead letter without replay, with the reason; audit it."""

    @abc.abstractmethod
    async def audit(self, limit: int = 100, after_seq: int = 0) -> list[AuditEntry]:
        """Operations actions, oldest first, after ``after_seq``."""

    @abc.abstractmethod
    async def list_messages(self, flt: MessageFilter) -> list[Message]:
        """Messages matching the filter, ordered by ``(received_at, id)``, at most ``limit``."""

    @abc.abstractmethod
    async def find_by_key(self, partner: str, key: str, value: str) -> str | None:
        """The id of the partner's earliest message whose business key ``key`` is ``value``."""

    @abc.abstractmethod
    async def release(self, owner: str) -> int:
        """Give back ``owner``'s unfinished leases (clean shutdown); returns how many."""
