"""Accepting one X12 interchange body, whichever door it came through.

``POST /v1/inbound/{channel}`` (gateway.api.inbound) and the watched drop folders
(gateway.x12_drop_folder) both call :func:`accept_interchange`, so a body is split, checked for
a resent interchange, journaled and acknowledged the same way whether a partner posted it or
dropped it as a file. Nothing here knows HTTP: a refusal is returned as data (:class:`Refusal`)
and each door renders it (problem+json, or an ``.error.json`` beside the rejected file).

**Splitting.** One journal message per transaction set, and one per TA1 (a partner's
interchange acknowledgement, alone in its interchange or ahead of groups), all in one
transaction (:meth:`Journal.accept_many`). A set the reader rejects is journaled too and
dead-lettered at decode; a body with neither a set nor a TA1 is refused (400 ``x12_no_sets``)
and nothing is written.

**Duplicate interchanges.** When the channel's ``duplicate_window`` is set, an interchange whose
sender, receiver (both with qualifiers) and ISA13 match one the same partner sent within the
window is a duplicate, and the whole body is refused (409 ``duplicate_interchange``) with every
duplicate listed; nothing is written. Every set of an accepted interchange carries the business
key ``x12_interchange`` = ``sender|receiver|isa13#n``, where ``n`` counts the acceptances of that
interchange; the check follows that chain to the latest acceptance, since
:meth:`Journal.find_by_key` answers only the earliest. Check and write are serialised per partner
within this process (one lock per partner and gateway, shared by both doors), so two copies that
arrive together cannot both pass.

**Acknowledgements.** Once journaled, the partner's 997/999/TA1 are queued (gateway.x12_acks). A
failure there is logged and does not undo the acceptance: the partner would otherwise resend a
body we hold.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from connectors.errors import DecodeError
from connectors.x12 import SetMessage, split_sets
from gateway.ids import new_id
from gateway.journal import ORIGINAL_KEY, NewMessage, Original
from gateway.x12_acks import send_acks

if TYPE_CHECKING:
    from gateway.config.model import Channel
    from gateway.runtime import Gateway

log = logging.getLogger("crossdock.inbound")

INTERCHANGE_KEY = "x12_interchange"
X12_CONTENT_TYPE = "application/edi-x12"


class Refusal(msgspec.Struct, frozen=True):
    """Why a body was refused, with nothing written: status, code, and the problem's fields.

    ``fields`` holds what a problem+json carries beside type/title/status/detail: ``stage``,
    ``partner``, ``channel``, ``position``, ``expected`` and, for a duplicate, the originals.
    """

    status: int
    code: str
    title: str
    detail: str
    fields: dict[str, Any]


class Intake(msgspec.Struct, frozen=True):
    """The outcome of one body: its sets and journaled messages (input order), or a refusal.

    ``acks`` are the queued acknowledgements as the 202 lists them (``message_id``, ``kind``,
    ``isa13``, ``destination``, ``status_url`` and ``ta1`` when one was sent).
    """

    trace_id: str
    received_at: float
    sets: list[SetMessage] = []
    messages: list[NewMessage] = []
    acks: list[dict[str, Any]] = []
    refusal: Refusal | None = None


_locks: weakref.WeakKeyDictionary[Gateway, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def partner_lock(gateway: Gateway, partner: str) -> asyncio.Lock:
    """One lock per partner and gateway so two copies of an interchange cannot both pass."""
    locks = _locks.get(gateway)
    if locks is None:
        locks = _locks[gateway] = {}
    return locks.setdefault(partner, asyncio.Lock())


async def accept_interchange(
    gateway: Gateway,
    channel: Channel,
    raw: bytes,
    trace_id: str,
    *,
    content_type: str = X12_CONTENT_TYPE,
    keys: Mapping[str, str] | None = None,
) -> Intake:
    """Split ``raw`` into sets, refuse a resent interchange, journal all sets or none, ack.

    ``keys`` are business keys added to every set's message (the drop folder records the file
    and its claim there); the HTTP door adds none.
    """
    partner, name = channel.partner, channel.name
    try:
        sets = split_sets(raw)
    except DecodeError as exc:
        return Intake(
            trace_id,
            time.time(),
            refusal=Refusal(
                400,
                exc.code,
                "Not an X12 interchange",
                exc.message,
                {
                    "stage": "decode",
                    "partner": partner,
                    "channel": name,
                    "position": exc.path or "byte 0",
                    "expected": (
                        "an ISA segment opening an interchange with at least one ST..SE set "
                        "or a TA1"
                    ),
                },
            ),
        )
    extra = dict(keys or {})
    async with partner_lock(gateway, partner):
        received_at = time.time()
        generations, refusal = await _check_duplicates(
            gateway,
            sets,
            partner=partner,
            channel=name,
            window=channel.duplicate_window,
            now=received_at,
        )
        if refusal is not None:
            return Intake(trace_id, received_at, sets, refusal=refusal)
        # the whole body too: bytes between the sets belong to no set's message
        original = Original(
            id=new_id(),
            partner=partner,
            channel=name,
            content_type=content_type,
            raw=raw,
            received_at=received_at,
        )
        extra[ORIGINAL_KEY] = original.id
        messages = [
            NewMessage(
                id=new_id(),
                partner=partner,
                channel=name,
                document_type=xset.document_type,
                content_type=content_type,
                raw=xset.raw,
                received_at=received_at,
                trace_id=trace_id,
                business_keys={**_with_interchange_key(xset.business_keys, generations), **extra},
            )
            for xset in sets
        ]
        await gateway.journal.accept_many(messages, original)
    gateway.metrics.accepted.labels(name).inc(len(messages))
    gateway.process_wake.set()
    acks = await acknowledge(gateway, raw, partner, name, messages[0].id, trace_id, received_at)
    return Intake(trace_id, received_at, sets, messages, acks)


async def acknowledge(  # noqa: PLR0917 - two call sites, the acceptance's context
    gw: Gateway,
    raw: bytes,
    partner: str,
    channel: str,
    first_message_id: str,
    trace_id: str,
    now: float,
) -> list[dict[str, Any]]:
    """Queue the partner's 997/999/TA1 (gateway.x12_acks); the body is journaled already.

    A failure here must not turn an accepted body into an error the partner would resend: it is
    logged, and the missing acknowledgement shows as overdue on their side.
    """
    try:
        sent = await send_acks(
            gw.journal,
            gw.config,
            partner=partner,
            channel=channel,
            raw=raw,
            first_message_id=first_message_id,
            trace_id=trace_id,
            now=now,
        )
    except Exception:
        log.exception("x12 acknowledgement not queued", extra={"partner": partner})
        return []
    if sent:
        gw.delivery_wake.set()
    return [
        {
            "message_id": a.message_id,
            "status_url": f"/v1/messages/{a.message_id}",
            "kind": a.kind,
            "isa13": a.isa13,
            "destination": a.destination,
            **({"ta1": a.ta1} if a.ta1 else {}),
        }
        for a in sent
    ]


def _interchange_of(keys: dict[str, str]) -> str | None:
    """``sender|receiver|isa13`` of a set's keys, or None when the ISA gave no ISA13."""
    isa13 = keys.get("isa13", "").strip()
    if not isa13:
        return None
    return f"{keys.get('sender', '')}|{keys.get('receiver', '')}|{isa13}"


def _with_interchange_key(keys: dict[str, str], generations: dict[str, int]) -> dict[str, str]:
    interchange = _interchange_of(keys)
    if interchange is None or interchange not in generations:
        return keys
    return {**keys, INTERCHANGE_KEY: f"{interchange}#{generations[interchange]}"}


async def _latest_acceptance(gw: Gateway, partner: str, interchange: str) -> tuple[int, str | None]:
    """How many times ``interchange`` was accepted and the latest acceptance's message id."""
    generation, latest = 0, None
    while True:
        found = await gw.journal.find_by_key(
            partner, INTERCHANGE_KEY, f"{interchange}#{generation + 1}"
        )
        if found is None:
            return generation, latest
        generation, latest = generation + 1, found


async def _check_duplicates(
    gw: Gateway,
    sets: list[SetMessage],
    *,
    partner: str,
    channel: str,
    window: float | None,
    now: float,
) -> tuple[dict[str, int], Refusal | None]:
    """The generation each interchange is journaled under, or the 409 if any is a duplicate."""
    generations: dict[str, int] = {}
    if not window:
        return generations, None
    duplicates: list[dict[str, Any]] = []
    for xset in sets:
        interchange = _interchange_of(xset.business_keys)
        if interchange is None or interchange in generations:
            continue
        generations[interchange] = 1
        isa13 = xset.business_keys["isa13"]
        earliest = await gw.journal.find_by_key(partner, "isa13", isa13)
        if earliest is None:
            continue  # the common case: an ISA13 this partner never sent, one lookup
        count, latest = await _latest_acceptance(gw, partner, interchange)
        generations[interchange] = count + 1
        original = await gw.journal.get_message(latest or earliest)
        if original is None or _interchange_of(original.business_keys) != interchange:
            continue  # no chain, and the earliest with this ISA13 is another sender's
        if now - original.received_at > window:
            continue
        duplicates.append(
            {
                "isa13": isa13,
                "sender": xset.business_keys.get("sender", ""),
                "receiver": xset.business_keys.get("receiver", ""),
                "original_message_id": original.id,
                "original_received_at": original.received_at,
                "original_status_url": f"/v1/messages/{original.id}",
            }
        )
    if not duplicates:
        return generations, None
    first = duplicates[0]
    return generations, Refusal(
        409,
        "duplicate_interchange",
        "Duplicate interchange",
        f"interchange {first['isa13']} from {first['sender']} to {first['receiver']} was "
        f"already received as message {first['original_message_id']} "
        f"{now - first['original_received_at']:.0f} s ago (channel {channel!r} refuses "
        f"repeats within {window:g} s); nothing in this body was journaled",
        {
            "stage": "accept",
            "partner": partner,
            "channel": channel,
            "position": "ISA13",
            "isa13": first["isa13"],
            "original_message_id": first["original_message_id"],
            "original_received_at": first["original_received_at"],
            "duplicates": duplicates,
            "expected": "a new ISA13 (interchange control number) for a new interchange",
        },
    )
