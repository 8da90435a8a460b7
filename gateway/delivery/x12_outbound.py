"""X12 destinations in the delivery worker: map, number, encode, then let the HTTP deliverer send.

A destination with ``x12:`` (gateway/config/x12_outbound.py) wraps its ordinary deliverer in an
:class:`X12Deliverer`. Per attempt it maps the canonical payload with the destination's reverse
mapping, takes the interchange's control numbers from the partner's durable counters and writes
one interchange; the wrapped deliverer sends those bytes as ``application/edi-x12``.

Retries send the same interchange: the control numbers are allocated with the delivery id as the
key (the same key always gets the same numbers) and the ISA/GS date and time are the delivery's
creation time, so attempt 3 is byte-for-byte attempt 1 and the partner's duplicate check
recognises it. The interchange is recorded in the outbound register on first allocation, so an
incoming 997/999 for it is reconciled like any other.

A payload the mapping or the encoder refuses is a ``fatal`` outcome (dead letter, with the
mapping's file/line or the segment and element in the message): retrying cannot fix it.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from connectors.base import Deliverer, Outcome
from connectors.base import Delivery as Wire
from connectors.errors import StageError
from connectors.x12 import Separators
from connectors.x12.encode import FUNCTIONAL_IDS, GS_VERSIONS, EncodeError, Envelope, encode
from gateway.config import Config, Destination
from gateway.config.x12 import X12PartnerSettings
from gateway.config.x12_outbound import X12Outbound
from gateway.journal import Journal
from gateway.journal.sqlite import SqliteJournal
from gateway.journal.x12_control import SentGroup, SentSet, SqliteX12Control, X12Control
from gateway.mapping import Mapping, load_mapping, map_to_tree, target_set

log = logging.getLogger("crossdock.delivery.x12")

X12_CONTENT_TYPE = "application/edi-x12"


class X12Deliverer:
    """Turns each canonical delivery into one X12 interchange, then delivers it with ``inner``."""

    def __init__(
        self,
        inner: Deliverer,
        *,
        destination: str,
        spec: X12Outbound,
        settings: X12PartnerSettings,
        mapping: Mapping,
        control: X12Control,
    ) -> None:
        self.inner = inner
        self.destination = destination
        self.spec = spec
        self.settings = settings
        self.mapping = mapping
        self.control = control
        self.set_id = target_set(mapping) or ""
        seps = settings.separators
        self.separators = Separators(
            element=seps.element,
            segment=seps.segment,
            component=seps.component,
            repetition=seps.repetition,
        )

    def __repr__(self) -> str:
        return f"X12Deliverer({self.destination!r}, {self.set_id}, inner={self.inner!r})"

    async def deliver(self, delivery: Wire) -> Outcome:
        """Map and encode (fatal on bad data), number idempotently, then send with ``inner``."""
        try:
            tree = map_to_tree(self.mapping, msgspec.json.decode(delivery.payload))
        except msgspec.DecodeError as exc:
            return self._refused("x12_payload_not_json", f"the payload is not JSON: {exc}")
        except StageError as exc:
            return self._refused(exc.code, exc.message)
        partner = self.spec.partner
        key = f"delivery:{delivery.delivery_id}"
        isa13 = await self.control.allocate(partner, "isa", key)
        gs06 = await self.control.allocate(partner, "gs", key)
        st02 = await self.control.allocate(partner, "st", key)
        at = datetime.fromtimestamp(delivery.created_at or 0, UTC)
        envelope = Envelope(
            sender_id=self.settings.sender_id,
            sender_qualifier=self.settings.sender_qualifier,
            receiver_id=self.settings.receiver_id,
            receiver_qualifier=self.settings.receiver_qualifier,
            at=at,
            version=self.spec.version,
            usage=self.settings.usage or "P",
            ack_requested="0",
        )
        try:
            raw = encode(
                self.set_id,
                tree,
                envelope=envelope,
                interchange_control=isa13,
                group_control=gs06,
                set_control=st02,
                separators=self.separators,
                newline=self.spec.newline,
            )
        except EncodeError as exc:
            return self._refused(exc.code, exc.message)
        await self.control.record_outbound(
            partner,
            f"{isa13:09d}",
            kind=self.set_id,
            groups=[
                SentGroup(
                    functional_id=FUNCTIONAL_IDS.get(self.set_id, ""),
                    control_number=str(gs06),
                    version=GS_VERSIONS.get(self.spec.version, ""),
                    sets=[SentSet(set_id=self.set_id, control_number=f"{st02:04d}")],
                )
            ],
            sender=self.settings.sender_id,
            receiver=self.settings.receiver_id,
            message_id=delivery.message_id,
            delivery_id=delivery.delivery_id,
            sent_at=delivery.created_at or None,
            expects_ack=self.settings.expect_ack,
            ack_overdue_after=self.settings.ack_overdue_after,
        )
        wire = msgspec.structs.replace(delivery, payload=raw, content_type=X12_CONTENT_TYPE)
        outcome = await self.inner.deliver(wire)
        if outcome.kind == "ok":  # the partner's ack is due from now, not from routing time
            await self.control.mark_sent(partner, f"{isa13:09d}", time.time())
        return outcome

    def _refused(self, code: str, message: str) -> Outcome:
        text = f"x12 outbound to {self.destination} ({self.mapping.path}): {message}"
        log.warning("x12 outbound refused", extra={"destination": self.destination, "code": code})
        return Outcome(kind="fatal", code=code, error=text)

    async def aclose(self) -> None:
        """Close the wrapped deliverer."""
        await self.inner.aclose()


def wrap_x12(
    deliverers: dict[str, Deliverer], config: Config, journal: Journal
) -> dict[str, Deliverer]:
    """Every destination with ``x12:`` gets its deliverer wrapped; the others are unchanged."""
    out = dict(deliverers)
    control: X12Control | None = None
    for name, dest in config.destinations.items():
        if dest.x12 is None or name not in out:
            continue
        if control is None:
            if not isinstance(journal, SqliteJournal):
                raise TypeError(f"X12 destination {name!r} needs the SQLite journal's counters")
            control = SqliteX12Control(journal)
        out[name] = build_x12_deliverer(out[name], dest, config, control)
    return out


def build_x12_deliverer(
    inner: Deliverer, dest: Destination, config: Config, control: X12Control
) -> X12Deliverer:
    """The wrapper for one destination; the loader has checked partner and mapping already."""
    spec = dest.x12
    assert spec is not None
    partner = config.partners[spec.partner]
    assert partner.x12 is not None
    return X12Deliverer(
        inner,
        destination=dest.name,
        spec=spec,
        settings=partner.x12,
        mapping=load_mapping(Path(config.mappings_dir) / spec.mapping),
        control=control,
    )


__all__ = ["X12_CONTENT_TYPE", "X12Deliverer", "build_x12_deliverer", "wrap_x12"]
