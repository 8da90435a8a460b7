"""What a connector offers: decode (bytes -> document tree) and deliver (payload -> wire).

Policy lives in the gateway (retries, backoff, circuit breakers, dead letters); a connector does
I/O once and reports what happened as an :class:`Outcome`, the way an httpx transport handles one
request and leaves retries to the client.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import msgspec

OutcomeKind = Literal["ok", "retriable", "fatal"]


class Decoded(msgspec.Struct, frozen=True):
    """A document tree plus what the decoder learnt about it (document type, business keys)."""

    tree: Any
    document_type: str | None = None
    business_keys: dict[str, str] = {}


class Delivery(msgspec.Struct, frozen=True):
    """One attempt's input: the canonical payload for one destination, with its stable key."""

    delivery_id: str
    message_id: str
    destination: str
    idempotency_key: str
    attempt: int
    document_type: str
    payload: bytes
    content_type: str = "application/json"
    trace_id: str = ""
    created_at: float = 0.0  # when routing decided on it (POSIX s): the event's time, for webhooks


class Outcome(msgspec.Struct, frozen=True):
    """What one delivery attempt did; ``retry_after`` is the wait (s) the destination asked for."""

    kind: OutcomeKind
    status_code: int | None = None
    latency_ms: float = 0.0
    code: str = ""
    error: str = ""
    body_excerpt: str = ""
    retry_after: float | None = None


class Deliverer(Protocol):
    """One method, like an httpx transport: do the I/O once, classify, never retry."""

    async def deliver(self, delivery: Delivery) -> Outcome:
        """Send one delivery attempt and classify the result."""
        ...

    async def aclose(self) -> None:
        """Release connections and other resources."""
        ...
