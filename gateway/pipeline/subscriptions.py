"""Which outbound webhook subscriptions a validated document raises an event for.

The route stage calls :func:`subscribed` beside the routing rules: a subscription matches when
the document's event type is one it asked for, the sending partner is one it listens to, and its
JMESPath ``filter`` (if any) is truthy over the canonical document. Each match becomes one
delivery to ``subscription:<name>``, journaled with the message in the same transaction, so an
event is never lost between "validated" and "queued for the subscriber".
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import jmespath
import msgspec
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from gateway.config import Config
from gateway.config.subscriptions import Subscription, event_type
from gateway.journal import Message, NewDelivery

log = logging.getLogger("crossdock.subscriptions")


@functools.lru_cache(maxsize=1024)
def _compiled(expression: str) -> ParsedResult:
    """Compile each filter once (the loader already proved it parses)."""
    return jmespath.compile(expression)


def _passes(sub: Subscription, data: Any) -> bool:
    """The filter's verdict; a filter that cannot be evaluated on this document does not match.

    A type error in one subscriber's filter must not fail the message for everyone else, so it
    is logged (naming the subscription) and the event is not sent to that subscriber.
    """
    if sub.filter is None:
        return True
    try:
        return bool(_compiled(sub.filter).search(data))
    except JMESPathError as exc:
        log.warning(
            "subscription filter failed on a document; not sent",
            extra={"subscription": sub.name, "error": str(exc)},
        )
        return False


def subscribed(
    config: Config, message: Message, document_type: str, canonical: msgspec.Struct
) -> list[NewDelivery]:
    """One delivery per subscription that wants this document's event."""
    event = event_type(document_type)
    if event is None or not config.subscriptions:
        return []
    data: Any = None  # the canonical document as JSON types, built only if a filter needs it
    out = []
    for sub in config.subscriptions.values():
        if event not in sub.event_types:
            continue
        if sub.from_partners and message.partner not in sub.from_partners:
            continue
        if sub.filter is not None and data is None:
            # through JSON, not to_builtins: JMESPath projects lists only (tuples read as
            # null), and the filter must see what the subscriber gets as ``data``
            data = msgspec.json.decode(msgspec.json.encode(canonical))
        if not _passes(sub, data):
            continue
        dest = sub.destination
        # the same id scheme as routes' deliveries (stages.idempotency_key): stable per
        # (message, subscription), so it is the webhook-id of every retry and redelivery
        out.append(
            NewDelivery(
                id=f"{message.id}.{dest}", destination=dest, idempotency_key=f"{message.id}.{dest}"
            )
        )
    return out
