"""A partner's 997/999 or TA1 in the processor: decode it, then reconcile it with what we sent.

A functional acknowledgement has no canonical contract and goes to no destination; what it
changes is the state of our outbound interchanges (gateway.journal.x12_control). It runs in the
processor like any message so that it is leased, retried and journaled the same way: decode (the
reader's checks, including the acknowledgement segments' element definitions), then a
``reconcile`` event saying which of our groups it matched and which it names that we never sent.
A malformed 997/999 fails at decode with the reader's error and position and is dead-lettered;
nothing of it is applied.

A TA1 (journaled by acceptance as its own message, ``set_id`` ``TA1``) goes the same way: decode
(:func:`connectors.x12.ack_read.read_ta1`), then ``reconcile`` against the partner's interchange
whose ISA13 is its TA101. A TA101 we never sent that partner is not an error (the TA1 stays
journaled, ``done``, with a ``skipped`` / ``unmatched_ack`` event naming it) but is logged as a
warning with the partner and the control number: a partner acknowledging interchanges we do not
know about is worth a look.
"""

from __future__ import annotations

import logging
import time

import msgspec

from connectors.errors import DecodeError, MapError, StageError
from connectors.x12 import TA1_SET_ID, decode, decode_set
from connectors.x12.ack_read import ACK_SET_IDS, read_ack_set, read_ta1
from gateway.config import Config
from gateway.journal import Event, Journal, Message
from gateway.journal.x12_control import ReconcileResult
from gateway.pipeline.stages import Processed, StageFailedError
from gateway.x12_acks import describe, reconcile, reconcile_ta1

log = logging.getLogger("crossdock.pipeline")

_encode = msgspec.json.Encoder().encode


def is_inbound_ack(config: Config, message: Message) -> bool:
    """True for a 997/999 set or a TA1 journaled by an X12 channel."""
    set_id = message.business_keys.get("set_id")
    if set_id not in ACK_SET_IDS and set_id != TA1_SET_ID:
        return False
    channel = config.channel_for(message.channel)
    return channel is not None and channel.format == "x12"


async def reconcile_message(journal: Journal, message: Message, now: float) -> Processed:
    """Decode one received 997/999 or TA1 and apply it; StageFailedError when unreadable."""
    if message.business_keys.get("set_id") == TA1_SET_ID:
        return await _reconcile_ta1(journal, message, now)
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
    events.append(_reconciled(message, result))
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


def _reconciled(message: Message, result: ReconcileResult) -> Event:
    """The ``reconcile`` event: ok with what matched, or skipped naming what we never sent."""
    return Event(
        message_id=message.id,
        stage="reconcile",
        outcome="ok" if result.matched else "skipped",
        code="" if result.matched else "unmatched_ack",
        at=time.time(),
        detail=describe(result),
    )


async def _reconcile_ta1(journal: Journal, message: Message, now: float) -> Processed:
    """Read one journaled TA1 and apply it to the interchange its TA101 names."""
    events: list[Event] = []
    try:
        ta1 = read_ta1(message.raw, message.business_keys)
    except StageError as exc:
        raise StageFailedError(exc, events) from exc
    events.append(
        Event(
            message_id=message.id,
            stage="decode",
            outcome="ok",
            at=now,
            detail={"format": "x12", "segment": "TA1"},
        )
    )
    try:
        result = await reconcile_ta1(
            journal, message.partner, ta1, ack_message_id=message.id, received_at=now
        )
    except Exception as exc:  # a bug or a journal failure: keep the message, retry it
        raise StageFailedError(
            MapError(f"reconcile: {type(exc).__name__}: {exc}", code="reconcile_failed"), events
        ) from exc
    for miss in result.unmatched:
        log.warning(
            "x12 TA1 matches no interchange we sent this partner",
            extra={
                "partner": message.partner,
                "control_number": ta1.control_number,
                "ta1_code": ta1.code,
                "reason": miss["reason"],
            },
        )
    events.append(_reconciled(message, result))
    keys = {"ack_for_isa13": ta1.control_number, "ack_code": ta1.code, "ta1_note": ta1.note}
    return Processed(
        document_type=message.document_type,
        canonical=_encode({"acknowledgement": ta1, **describe(result)}),
        business_keys=keys,
        events=events,
        deliveries=[],
    )


__all__ = ["is_inbound_ack", "reconcile_message"]
