"""Operations on outbound webhook subscriptions, shared by the HTTP API and the CLI.

Operations see every subscription with its endpoint's health (enabled, since when it fails, why
it was disabled) and can enable a disabled one. Enabling is audited with the actor's name; with
``redeliver`` it also redelivers the subscription's open ``endpoint_disabled`` dead letters,
the events held back while it was disabled, through the same audited redeliver action as any
other dead letter. Nothing here shows a secret or a URL's query string (a receiver's token often
lives there): a subscription's secrets appear as how many there are and until when they sign.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec

from gateway.config import Config
from gateway.config.subscriptions import Subscription
from gateway.delivery.webhooks import ENDPOINT_DISABLED
from gateway.journal import DeadLetterFilter, Journal
from gateway.journal.webhook_endpoints import EndpointState, EndpointStore, open_endpoint_store
from gateway.ops import Ops


class EnableResult(msgspec.Struct, frozen=True, kw_only=True):
    """What enabling did: ``changed`` is False when the endpoint was not disabled."""

    subscription: dict[str, Any]
    changed: bool
    redelivered: int = 0


def _shown_url(url: str) -> str:
    """The URL without query or fragment: enough to recognise the endpoint, no tokens."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(query=None, fragment=None))


def describe(sub: Subscription, state: EndpointState) -> dict[str, Any]:
    """One subscription as operations see it: config (secrets as metadata) and health."""
    return {
        "name": sub.name,
        "partner": sub.partner,
        "destination": sub.destination,
        "url": _shown_url(sub.url),
        "event_types": sub.event_types,
        "filter": sub.filter,
        "from_partners": sub.from_partners,
        "disable_after": sub.disable_after,
        "secrets": [
            {"not_after": None if s.not_after is None else s.not_after.isoformat()}
            for s in sub.secrets
        ],
        "enabled": state.enabled,
        "disabled_at": state.disabled_at,
        "reason": state.reason,
        "first_failure_at": state.first_failure_at,
        "last_failure_at": state.last_failure_at,
        "last_success_at": state.last_success_at,
        "failures": state.failures,
    }


class SubscriptionOps:
    """List subscriptions with their endpoint state; enable one (and redeliver what waited)."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        *,
        store: EndpointStore | None = None,
        ops: Ops | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.store = store or open_endpoint_store(journal)
        self.ops = ops or Ops(journal, clock)
        self.clock = clock

    async def list(self) -> list[dict[str, Any]]:
        """Every configured subscription, by name, with its endpoint's state."""
        subs = sorted(self.config.subscriptions.values(), key=lambda s: s.name)
        states = await self.store.states(s.name for s in subs)
        return [describe(s, states[s.name]) for s in subs]

    async def get(self, name: str) -> dict[str, Any] | None:
        """One subscription with its state; None when no such subscription is configured."""
        sub = self.config.subscriptions.get(name)
        if sub is None:
            return None
        return describe(sub, await self.store.get(name))

    async def enable(
        self, name: str, actor: str, *, redeliver: bool = False
    ) -> EnableResult | None:
        """Enable ``name``'s endpoint; with ``redeliver``, replay its ``endpoint_disabled`` letters.

        None when no such subscription is configured. Redelivery happens after enabling, so the
        worker attempts them instead of dead-lettering them again.
        """
        sub = self.config.subscriptions.get(name)
        if sub is None:
            return None
        changed = await self.store.enable(name, actor, self.clock())
        redelivered = 0
        if redeliver:
            flt = DeadLetterFilter(destination=sub.destination, code=ENDPOINT_DISABLED)
            redelivered = (await self.ops.bulk(flt, "redeliver", actor)).done
        state = await self.store.get(name)
        return EnableResult(
            subscription=describe(sub, state), changed=changed, redelivered=redelivered
        )
