"""Outbound webhook subscriptions (``subscriptions.yaml``) and the event types partners pick from.

A subscription is a partner's standing order: "POST every event of these types, matching this
filter, to this URL, signed with these secrets". The gateway turns each validated canonical
document into at most one event, named by :data:`EVENT_TYPES`, so a subscriber's vocabulary is
small and stable even when new inbound formats appear: an X12 850, a SOAP ``SubmitOrder`` and a
shop's JSON order are all ``order.accepted``.

Each subscription is delivered like a destination named ``subscription:<name>`` (same retries,
breaker and dead letters), so operations already know how to read its history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated

import jmespath
import msgspec
from jmespath.exceptions import JMESPathError

from connectors.webhook.base import SecretFormatError
from connectors.webhook.standard import secret_key
from gateway.config.model import BreakerSpec, Name, PositiveSeconds, RetrySpec, SecretRef

SUBSCRIPTION_PREFIX = "subscription:"

# One event per canonical document type: what happened, from a subscriber's point of view. A
# document type the gateway validated was *accepted* from its sender; an order exception is a
# problem the sender *detected*, and a carrier event is a tracking update the carrier *reported*.
EVENT_TYPES: dict[str, str] = {
    "order": "order.accepted",
    "order_ack": "order_ack.accepted",
    "shipment": "shipment.accepted",
    "invoice": "invoice.accepted",
    "return_authorization": "return_authorization.accepted",
    "credit_memo": "credit_memo.accepted",
    "inventory_adjustment": "inventory_adjustment.accepted",
    "inventory_snapshot": "inventory_snapshot.accepted",
    "warehouse_order": "warehouse_order.accepted",
    "warehouse_shipment": "warehouse_shipment.accepted",
    "carrier_event": "carrier_event.reported",
    "order_exception": "order_exception.detected",
}

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class SigningSecret(SecretRef, frozen=True, forbid_unknown_fields=True):
    """A ``whsec_`` signing secret by reference; ``not_after`` ends its use (secret rotation).

    While a secret is before its ``not_after`` every delivery carries its signature *and* the
    others', so a receiver that still knows only the old secret keeps verifying during the
    overlap; after ``not_after`` it no longer signs anything.
    """

    not_after: AwareDatetime | None = None


class Subscription(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A partner's webhook endpoint: which events, which documents, where, signed how.

    ``filter`` is a JMESPath expression over the canonical document (the event's ``data``); the
    event is sent only when it is truthy, e.g. ``currency == 'USD'``.
    ``from_partners`` narrows by the partner that sent the document (empty: any).
    ``disable_after`` (seconds): an endpoint that has failed every attempt for this long is
    disabled; its deliveries are then dead-lettered as ``endpoint_disabled`` until operations
    re-enable it. A 410 Gone disables it at once.
    """

    name: Name
    partner: Name
    url: str
    event_types: Annotated[list[str], msgspec.Meta(min_length=1)]
    secrets: Annotated[list[SigningSecret], msgspec.Meta(min_length=1)]
    filter: str | None = None
    from_partners: list[Name] = []
    timeout: PositiveSeconds = 10.0
    retry: RetrySpec = RetrySpec()
    breaker: BreakerSpec = BreakerSpec()
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 4
    disable_after: PositiveSeconds = 432_000.0  # five days, as common webhook senders do

    @property
    def destination(self) -> str:
        """The destination name its deliveries are journaled under."""
        return SUBSCRIPTION_PREFIX + self.name


def event_type(document_type: str) -> str | None:
    """The event a validated document of ``document_type`` raises, or ``None`` if none."""
    return EVENT_TYPES.get(document_type)


def check_subscriptions(
    subscriptions: Iterable[Subscription],
    partner_names: set[str] | None,
    resolve: Callable[[SecretRef], str],
) -> list[tuple[str, str]]:
    """Cross-checks the schema cannot express, as ``(path, message)`` per problem.

    Every secret is resolved and its format checked now, so a missing variable or a secret that
    is not ``whsec_`` + base64 stops the start instead of failing each delivery. ``resolve`` is
    the loader's secret reader (passed in: the loader imports this module). Messages never
    contain a secret's value.
    """
    known = sorted(set(EVENT_TYPES.values()))
    out: list[tuple[str, str]] = []
    for i, sub in enumerate(subscriptions):
        partners = [("partner", sub.partner)]
        partners += [(f"from_partners[{j}]", p) for j, p in enumerate(sub.from_partners)]
        for field, name in partners:
            if partner_names is not None and name not in partner_names:
                expected = sorted(partner_names)
                out.append(
                    (f"$[{i}].{field}", f"unknown partner {name!r}; expected one of {expected}")
                )
        if not sub.url.startswith(("http://", "https://")):
            out.append((f"$[{i}].url", "expected an http:// or https:// URL"))
        for j, name in enumerate(sub.event_types):
            if name not in known:
                message = f"unknown event type {name!r}; expected one of {known}"
                out.append((f"$[{i}].event_types[{j}]", message))
        if sub.filter is not None:
            try:
                jmespath.compile(sub.filter)
            except JMESPathError as exc:
                out.append((f"$[{i}].filter", f"not a JMESPath expression: {exc}"))
        if all(s.not_after is not None for s in sub.secrets):
            message = (
                "every secret has a not_after; expected at least one without, "
                "or deliveries stop being signed when the last one ends"
            )
            out.append((f"$[{i}].secrets", message))
        for j, ref in enumerate(sub.secrets):
            try:
                secret_key(resolve(ref))
            except (LookupError, SecretFormatError) as exc:
                out.append((f"$[{i}].secrets[{j}]", str(exc)))
    return out
