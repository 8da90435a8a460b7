"""The processing of a partner's 997/999: decode it, then reconcile it against what we sent.

A functional acknowledgement has no canonical contract and goes to no destination; what it
changes is the state of our outbound interchanges (gateway.journal.x12_control). It runs in the
processor like any message so that it is leased, retried and journaled the same way: decode (the
reader's checks, including the acknowledgement segments' element definitions), then a
``reconcile`` event saying which of our groups it matched and which it names that we never sent.
A malformed 997/999 fails at decode with the reader's error and position and is dead-lettered;
nothing of it is applied.
"""

from __future__ import annotations

import time

import msgspec

from connectors.errors import DecodeError, MapError, StageError
from connectors.x12 import decode, decode_set
from connectors.x12.ack_read import ACK_SET_IDS, read_ack_set
from gateway.config import Config
from gateway.journal import Event, Journal, Message
from gateway.pipeline.stages import Processed, StageFailedError
from gateway.x12_acks import describe, reconcile

_encode = msgspec.json.Encoder().encode


def is_inbound_ack(config: Config, message: Message) -> bool:
    """True for a 997/999 set journaled by an X12 channel."""
    if message.business_keys.get("set_id") not in ACK_SET_IDS:
        return False
    channel = config.channel_for(message.channel)
    return channel is not None and channel.format == "x12"


async def reconcile_message(journal: Journal, message: Message, now: float) -> Processed:
    """Decode one received 997/999 and apply it; StageFailedError when it cannot be read."""
    events: list[Event] = []
    try:
        decode_set(message.raw, message.business_keys)  # the reader's verdict, with positions
        sets = decode(message.raw)
        if len(sets) != 1:
            raise DecodeError(
                f"decode: expected one 997/999 set in the message, found {len(sets)}",
                code="x12_set_count",
            )
        ack = read_ack_set(sets[0])
    except StageError as exc:
        raise StageFailedError(exc, events) from exc
    events.append(
        Event(message_id=message.id, stage="decode", outcome="ok", at=now, detail={"format": "x12"})
    )
    try:
        result = await reconcile(
            journal, message.partner, [ack], ack_message_id=message.id, received_at=now
        )
    except Exception as exc:  # a bug or a journal failure: keep the message, retry it
        raise StageFailedError(
            MapError(f"reconcile: {type(exc).__name__}: {exc}", code="reconcile_failed"), events
        ) from exc
    events.append(
        Event(
            message_id=message.id,
            stage="reconcile",
            outcome="ok" if result.matched else "skipped",
            code="" if result.matched else "unmatched_ack",
            at=time.time(),
            detail=describe(result),
        )
    )
    keys = {
        "ack_for_functional_id": ack.functional_id,
        "ack_for_gs06": ack.group_control_number,
        "ack_code": ack.code,
    }
    return Processed(
        document_type=message.document_type,
        canonical=_encode({"acknowledgement": ack, **describe(result)}),
        business_keys=keys,
        events=events,
        deliveries=[],
    )


__all__ = ["is_inbound_ack", "reconcile_message"]
