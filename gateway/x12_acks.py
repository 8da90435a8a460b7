"""Acknowledging a partner's X12 and reconciling the acknowledgements they send us.

**Sending.** When an X12 interchange is accepted, the partner's settings (``x12:`` on the
partner: :class:`gateway.config.x12.X12PartnerSettings`) decide what goes back: a 997 or 999 per
functional group and/or a TA1. The acknowledgement is built by :func:`connectors.x12.ack.build_acks`
with durable control numbers from :class:`gateway.journal.x12_control.X12Control` (keyed by the
first journaled message of the body, so asking twice for the same acceptance yields the same
ISA13/GS06), journaled as an outbound message (``document_type`` ``x12_ack``, content type
``application/edi-x12``, the X12 bytes as canonical payload) with one delivery to the partner's
``ack_destination``, and recorded in the outbound register, all in one transaction. The delivery
worker then sends it with the destination's retries and breaker like any other delivery.

**Receiving.** A journaled 997/999 set is read by :func:`connectors.x12.ack_read.read_ack_set`
and matched to what we sent by partner, AK101/AK102 and the AK2 set control numbers
(:meth:`X12Control.reconcile`); a malformed ack is refused with the reader's error (dead-lettered
at decode like any bad set), never half-applied. A journaled TA1 (read by
:func:`connectors.x12.ack_read.read_ta1`) is matched by partner and TA101 = our ISA13
(:meth:`X12Control.reconcile_ta1`): ``R`` rejects the interchange, ``A``/``E`` are recorded.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from connectors.x12 import Separators
from connectors.x12.ack import Acknowledgement, build_acks
from connectors.x12.ack_read import ReceivedAck, ReceivedTa1
from gateway.config import Config
from gateway.config.x12 import X12PartnerSettings
from gateway.ids import new_id
from gateway.journal import Journal
from gateway.journal.sqlite import SqliteJournal
from gateway.journal.x12_control import (
    AckedGroup,
    AckedInterchange,
    AckedSet,
    OutboundX12,
    ReconcileResult,
    SentGroup,
    SentSet,
    SqliteX12Control,
    X12Control,
)

ACK_DOCUMENT_TYPE = "x12_ack"
X12_CONTENT_TYPE = "application/edi-x12"
ACK_CHANNEL_PREFIX = "x12-ack:"

_controls: weakref.WeakKeyDictionary[Journal, X12Control] = weakref.WeakKeyDictionary()


def control_for(journal: Journal) -> X12Control:
    """The control-number store beside ``journal`` (one per journal, made on first use)."""
    found = _controls.get(journal)
    if found is None:
        if not isinstance(journal, SqliteJournal):
            raise TypeError(f"X12 control numbers need the SQLite journal, not {type(journal)}")
        found = _controls[journal] = SqliteX12Control(journal)
    return found


def x12_settings(config: Config, partner: str) -> X12PartnerSettings | None:
    """The partner's X12 settings, or None when the partner has none."""
    p = config.partners.get(partner)
    return None if p is None else p.x12


class SentAck(msgspec.Struct, frozen=True, kw_only=True):
    """One acknowledgement interchange queued for delivery (what the 202 and the log report)."""

    message_id: str
    isa13: str
    kind: str  # "997", "999" or "TA1"
    ta1: str | None
    destination: str


def _separators(settings: X12PartnerSettings) -> Separators | None:
    if settings.ack_separators != "ours":
        return None
    s = settings.separators
    return Separators(
        element=s.element, segment=s.segment, component=s.component, repetition=s.repetition
    )


def _build(
    raw: bytes, settings: X12PartnerSettings, counter: Callable[[], int], now: datetime
) -> list[Acknowledgement]:
    return build_acks(
        raw,
        kind=None if settings.ack == "none" else settings.ack,
        counter=counter,
        now=now,
        usage=settings.usage,
        ta1=settings.ta1,
        separators=_separators(settings),
        functional=settings.ack != "none",
    )


async def send_acks(
    journal: Journal,
    config: Config,
    *,
    partner: str,
    channel: str,
    raw: bytes,
    first_message_id: str,
    trace_id: str,
    now: float,
) -> list[SentAck]:
    """Build, number, journal and register the acknowledgements of one accepted X12 body.

    Nothing happens (``[]``) for a partner without ``x12`` settings or with ``ack: none`` and
    ``ta1: never``, or when nothing in the body needs an acknowledgement (FA groups only).
    """
    settings = x12_settings(config, partner)
    if settings is None or not settings.sends_acks or settings.ack_destination is None:
        return []
    at = datetime.fromtimestamp(now, UTC)
    # first pass with throw-away numbers: how many ISA13s and GS06s are needed
    draft = _build(raw, settings, iter(range(1, 1 << 30)).__next__, at)
    if not draft:
        return []
    control = control_for(journal)
    key = f"ack:{first_message_id}"
    isas = await control.allocate_many(partner, "isa", [f"{key}:{i}" for i in range(len(draft))])
    gs_keys = [f"{key}:{i}:{j}" for i, a in enumerate(draft) for j in range(len(a.groups))]
    gss = await control.allocate_many(partner, "gs", gs_keys) if gs_keys else []
    numbers: list[int] = []
    taken = 0
    for i, a in enumerate(draft):
        numbers.append(isas[i])
        numbers.extend(gss[taken : taken + len(a.groups)])
        taken += len(a.groups)
    acks = _build(raw, settings, iter(numbers).__next__, at)
    sent = []
    for i, ack in enumerate(acks):
        message_id = new_id()
        kind = ack.kind if ack.groups else "TA1"
        outbound = OutboundX12(
            message_id=message_id,
            partner=partner,
            channel=ACK_CHANNEL_PREFIX + channel,
            document_type=ACK_DOCUMENT_TYPE,
            content_type=X12_CONTENT_TYPE,
            payload=ack.text.encode("utf-8"),
            trace_id=trace_id,
            destination=settings.ack_destination,
            delivery_id=f"{message_id}.{settings.ack_destination}",
            idempotency_key=f"{message_id}.{settings.ack_destination}",
            business_keys={
                "isa13": ack.interchange_control_number,
                "ack_kind": kind,
                "in_reply_to": first_message_id,
            },
            detail={"in_reply_to": first_message_id, "ack_index": i},
        )
        await control.emit(
            outbound,
            isa13=ack.interchange_control_number,
            kind=kind,
            groups=_sent_groups(ack),
            sender=_party(ack.text, 0),
            receiver=_party(ack.text, 1),
            now=now,
            expects_ack=False,  # acknowledgements are never acknowledged
        )
        sent.append(
            SentAck(
                message_id=message_id,
                isa13=ack.interchange_control_number,
                kind=kind,
                ta1=ack.ta1,
                destination=settings.ack_destination,
            )
        )
    return sent


def _sent_groups(ack: Acknowledgement) -> list[SentGroup]:
    """The FA groups of ``ack`` (one 997/999 set each), in order, with the GS06 we gave them."""
    return [
        SentGroup(
            functional_id="FA",
            control_number=gs06,
            version="005010X231" if ack.kind == "999" else g.version,
            sets=[SentSet(set_id=ack.kind, control_number="0001")],
        )
        for g, gs06 in zip(ack.groups, _gs06s(ack.text), strict=True)
    ]


def _elements(text: str) -> tuple[str, str]:
    """(element separator, segment terminator) of an interchange we wrote."""
    element = text[3]
    # ISA is 16 elements; the terminator follows ISA16 (one character)
    isa16_at = [i for i, c in enumerate(text) if c == element][15] + 1
    return element, text[isa16_at + 1 : isa16_at + 2]


def _segments(text: str) -> list[list[str]]:
    element, terminator = _elements(text)
    return [seg.strip("\r\n").split(element) for seg in text.split(terminator) if seg.strip()]


def _gs06s(text: str) -> list[str]:
    return [seg[6] for seg in _segments(text) if seg[0] == "GS"]


def _party(text: str, which: int) -> str:
    """``qualifier:id`` of the ISA sender (0) or receiver (1) of an interchange we wrote."""
    isa = _segments(text)[0]
    q, i = (5, 6) if which == 0 else (7, 8)
    return f"{isa[q].strip()}:{isa[i].strip()}"


def acked_groups(acks: list[ReceivedAck]) -> list[AckedGroup]:
    """The register's view of received 997/999 sets."""
    return [
        AckedGroup(
            functional_id=a.functional_id,
            control_number=a.group_control_number,
            code=a.code,
            error_codes=a.error_codes,
            sets=[
                AckedSet(
                    set_id=s.set_id,
                    control_number=s.control_number,
                    code=s.code,
                    error_codes=s.error_codes,
                    errors=s.errors,
                )
                for s in a.sets
            ],
        )
        for a in acks
    ]


async def reconcile(
    journal: Journal,
    partner: str,
    acks: list[ReceivedAck],
    *,
    ack_message_id: str,
    received_at: float,
) -> ReconcileResult:
    """Apply received 997/999 verdicts to the outbound register."""
    return await control_for(journal).reconcile(
        partner, acked_groups(acks), ack_message_id=ack_message_id, received_at=received_at
    )


async def reconcile_ta1(
    journal: Journal,
    partner: str,
    ta1: ReceivedTa1,
    *,
    ack_message_id: str,
    received_at: float,
) -> ReconcileResult:
    """Apply a received TA1 to the outbound register (its parties checked against ours)."""
    acked = AckedInterchange(
        control_number=ta1.control_number,
        code=ta1.code,
        note=ta1.note,
        date=ta1.date,
        time=ta1.time,
        sender=ta1.sender,
        receiver=ta1.receiver,
    )
    return await control_for(journal).reconcile_ta1(
        partner, acked, ack_message_id=ack_message_id, received_at=received_at
    )


def describe(result: ReconcileResult) -> dict[str, Any]:
    """An event's detail for one reconciliation."""
    return {"matched": result.matched, "unmatched": result.unmatched}


__all__ = [
    "ACK_CHANNEL_PREFIX",
    "ACK_DOCUMENT_TYPE",
    "X12_CONTENT_TYPE",
    "SentAck",
    "acked_groups",
    "control_for",
    "describe",
    "reconcile",
    "reconcile_ta1",
    "send_acks",
    "x12_settings",
]
