"""The four processing stages, each a small function with one job and one error type.

Stages are synchronous and CPU-bound (microseconds each); the processor runs them inside a
worker task and journals every outcome. Each raises a :class:`connectors.errors.StageError`
subclass that says the stage, the code and the path, so a dead letter explains itself.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

import contracts
from connectors.base import Decoded
from connectors.errors import DecodeError, MapError, RouteError, StageError, ValidateError
from connectors.rest.decode import decode_json
from connectors.soap import SOAP_ACTION_KEY, decode_envelope
from connectors.x12 import decode_set
from gateway.config import Channel, Config
from gateway.config.model import API_CHANNEL_PREFIX, wire_contract
from gateway.journal import Event, Message, NewDelivery
from gateway.mapping import NO_MAPPING, MappingRegistry
from gateway.pipeline.subscriptions import subscribed

_encode = msgspec.json.Encoder(decimal_format="string").encode

# Top-level canonical fields that identify a business document; copied to the journal so
# operations can search by them.
BUSINESS_KEY_FIELDS = (
    "po_number",
    "order_number",
    "asn_number",
    "shipment_id",
    "bol_number",
    "invoice_number",
    "rma_number",
    "credit_memo_number",
    "tracking_number",
)


class Processed(msgspec.Struct, frozen=True, kw_only=True):
    """What a successful run of the stages produced, ready for one journal transaction."""

    document_type: str
    canonical: bytes
    business_keys: dict[str, str]
    events: list[Event]
    deliveries: list[NewDelivery]


class StageFailedError(Exception):
    """A stage failed; carries the events journaled so far and the error itself."""

    def __init__(self, error: StageError, events: list[Event]) -> None:
        super().__init__(str(error))
        self.error = error
        self.events = events


def idempotency_key(message_id: str, destination: str) -> str:
    """Stable per (message, destination) across retries, redeliveries and reprocessing."""
    return f"{message_id}.{destination}"


def decode(channel: Channel, message: Message) -> Decoded:
    """Bytes -> document tree, by the channel's format.

    An X12 message is one transaction set (see :func:`connectors.x12.split_sets`); a set the
    reader found errors in raises :class:`DecodeError` with the first error's code and position,
    so it is dead-lettered here while the other sets of its interchange go on.
    """
    if channel.format == "json":
        return decode_json(message.raw, channel.document_type)
    if channel.format == "x12":
        return decode_set(message.raw, message.business_keys)
    if channel.format == "soap" and channel.soap is not None:
        # SOAP 1.1's action travels in a header, which the door journals as a business key
        # (SOAP 1.2's is in the Content-Type, journaled anyway)
        action = message.business_keys.get(SOAP_ACTION_KEY)
        return decode_envelope(message.raw, channel.soap, message.content_type, action)
    raise DecodeError(f"channel format {channel.format!r} has no decoder", code="no_decoder")


def map_document(
    channel: Channel,
    mappings: MappingRegistry,
    tree: Any,
    document_type: str,
    *,
    received_at: float | None = None,
) -> tuple[str, Any]:
    """Document tree -> (mapping name, canonical shape).

    The mapping is the channel's explicit ``mapping:`` if it names one, else
    ``<partner>/<document_type>.yaml`` under the mappings folder; with neither, the tree is
    passed through as canonical JSON. ``received_at`` (the message's, as journaled, so a
    reprocessed message maps the same) is what the mapping's ``received_at()`` answers.
    """
    selected = mappings.select(channel.partner, document_type, channel.mapping)
    if selected is None:
        return NO_MAPPING, tree
    name, mapping = selected
    return name, mapping.apply(tree, received_at=received_at)


def produced_type(
    channel: Channel, mappings: MappingRegistry, mapping_name: str, document_type: str
) -> str:
    """The document type a mapping makes (its ``target:``), else the decoded one.

    X12 943 and 944 have no canonical type of their own (they arrive as ``x12.943``,
    ``x12.944``); their mappings say what they produce (``target: v1/warehouse_shipment``), and
    that is what is validated and routed. A target on another contract version is ignored.
    """
    if mapping_name == NO_MAPPING:
        return document_type
    version, _, produced = (mappings.get(mapping_name).target or "").partition("/")
    return produced if produced and version == channel.contract else document_type


def validate(channel: Channel, document_type: str, mapped: Any) -> msgspec.Struct:
    """Canonical shape -> contract Struct; errors name the field path and the expectation.

    A channel on another contract version (``contract: v2``) is validated as that version and
    returned as the canonical version, so the journal and every destination see one document.
    """
    try:
        document = contracts.convert(channel.contract, document_type, mapped)
        return contracts.translate(
            document_type, document, channel.contract, contracts.CANONICAL_VERSION
        )
    except contracts.UnknownDocumentTypeError as exc:
        raise ValidateError(str(exc), code="unknown_contract") from exc
    except msgspec.ValidationError as exc:
        text = str(exc)
        path = text.rsplit(" - at ", 1)[1].strip("`") if " - at " in text else "$"
        raise ValidateError(
            f"{channel.contract}/{document_type}: {text.split(' - at ', 1)[0]}",
            code="contract_violation",
            path=path,
        ) from exc


def route(config: Config, message: Message, document_type: str) -> list[NewDelivery]:
    """Every destination of every route matching (partner, document type), once each."""
    seen: dict[str, NewDelivery] = {}
    for rule in config.routes:
        if rule.partners and message.partner not in rule.partners:
            continue
        if rule.document_types and document_type not in rule.document_types:
            continue
        for dest in rule.destinations:
            if dest not in seen:
                seen[dest] = NewDelivery(
                    id=f"{message.id}.{dest}",
                    destination=dest,
                    idempotency_key=idempotency_key(message.id, dest),
                )
    return list(seen.values())


def business_keys(canonical: msgspec.Struct) -> dict[str, str]:
    """The business identifiers of a canonical document, for search and dedup."""
    out: dict[str, str] = {}
    references = getattr(canonical, "references", None)
    for source in (references, canonical):  # top-level fields win over references
        if source is None:
            continue
        for name in BUSINESS_KEY_FIELDS:
            value = getattr(source, name, None)
            if isinstance(value, str) and value:
                out[name] = value
    return out


def run_stages(
    config: Config, mappings: MappingRegistry, message: Message, now: float | None = None
) -> Processed:
    """Run decode, map, validate and route; raise :class:`StageFailedError` at the first failure."""
    events: list[Event] = []
    channel = config.channel_for(message.channel)
    wire = wire_contract(message.content_type)
    if channel is not None and wire is not None and message.channel.startswith(API_CHANNEL_PREFIX):
        channel = msgspec.structs.replace(channel, contract=wire)  # a /v2 body, kept as sent

    def ok(stage: str, **detail: Any) -> None:
        at = time.time() if now is None else now
        events.append(Event(message_id=message.id, stage=stage, outcome="ok", at=at, detail=detail))

    try:
        if channel is None:
            raise DecodeError(
                f"channel {message.channel!r} is no longer configured", code="unknown_channel"
            )
        decoded = decode(channel, message)
        ok("decode", format=channel.format)
        document_type = decoded.document_type or channel.document_type
        mapping_name, mapped = map_document(
            channel, mappings, decoded.tree, document_type, received_at=message.received_at
        )
        ok("map", mapping=mapping_name)
        document_type = produced_type(channel, mappings, mapping_name, document_type)
        canonical = validate(channel, document_type, mapped)
        ok("validate", contract=f"{channel.contract}/{document_type}")
        deliveries = route(config, message, document_type)
        deliveries += subscribed(config, message, document_type, canonical)  # webhooks out
        ok("route", destinations=[d.destination for d in deliveries])
    except StageError as exc:
        raise StageFailedError(exc, events) from exc
    except Exception as exc:
        # a bug in a stage must not lose the message: dead-letter it as a fatal map error
        raise StageFailedError(
            MapError(f"unexpected {type(exc).__name__}: {exc}", code="internal_error"), events
        ) from exc
    if not deliveries:
        events[-1] = Event(
            message_id=message.id,
            stage="route",
            outcome="skipped",
            code="no_route",
            at=events[-1].at,
            detail={"partner": message.partner, "document_type": document_type},
        )
    return Processed(
        document_type=document_type,
        canonical=_encode(canonical),
        business_keys=business_keys(canonical),
        events=events,
        deliveries=deliveries,
    )


__all__ = ["Processed", "RouteError", "StageFailedError", "idempotency_key", "run_stages"]
