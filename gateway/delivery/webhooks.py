"""Outbound webhooks in the delivery worker: signed senders, and endpoints disabled or refused.

The worker builds each subscription's signed sender here, refuses attempts to a disabled
endpoint, and disables an endpoint that is gone or keeps failing.

A subscription is delivered like a destination named ``subscription:<name>``: same claims,
retries, breaker and dead letters. What only webhooks have lives here, so the worker gains two
calls (:meth:`EndpointGuard.refusal` before an attempt, :meth:`EndpointGuard.observe` after it):

- a disabled endpoint's deliveries are dead-lettered with code ``endpoint_disabled`` instead of
  attempted, so once operations enable it again they can be redelivered like any dead letter;
- a ``410 Gone`` disables the endpoint at once, and so does a failure streak of
  ``disable_after`` seconds; disabling is audited (same transaction), logged at WARNING and
  counted in ``crossdock_webhook_endpoints_disabled_total``, so operations are told.
"""

from __future__ import annotations

import logging
import time
import weakref
from datetime import datetime

import httpx
from prometheus_client import Counter

from connectors.base import Outcome
from connectors.webhook.sender import ENDPOINT_GONE, SigningKey, WebhookSender
from gateway.config import Config, Destination
from gateway.config.loader import resolve_secret
from gateway.config.subscriptions import EVENT_TYPES, Subscription
from gateway.journal import Journal
from gateway.journal.webhook_endpoints import EndpointStore, open_endpoint_store
from gateway.metrics import Metrics

log = logging.getLogger("crossdock.webhooks")

ENDPOINT_DISABLED = "endpoint_disabled"
# a healthy endpoint's last_success_at is written at most this often (seconds), not per event
_SUCCESS_WRITE_INTERVAL = 60.0

Target = Destination | Subscription

_disabled_counters: weakref.WeakKeyDictionary[Metrics, Counter] = weakref.WeakKeyDictionary()


def disabled_counter(metrics: Metrics) -> Counter:
    """``crossdock_webhook_endpoints_disabled_total{subscription}`` on this gateway's registry."""
    counter = _disabled_counters.get(metrics)
    if counter is None:
        counter = Counter(
            "crossdock_webhook_endpoints_disabled",
            "Outbound webhook endpoints disabled (gone, or failing for disable_after).",
            ["subscription"],
            registry=metrics.registry,
        )
        _disabled_counters[metrics] = counter
    return counter


def delivery_targets(config: Config) -> dict[str, Target]:
    """Everything the worker delivers to: destinations, and subscriptions by destination name."""
    targets: dict[str, Target] = dict(config.destinations)
    for sub in config.subscriptions.values():
        targets[sub.destination] = sub
    return targets


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def build_sender(sub: Subscription, client: httpx.AsyncClient) -> WebhookSender:
    """The signed sender for a subscription; secrets are resolved here, once, never logged."""
    keys = [SigningKey(resolve_secret(ref), _epoch(ref.not_after)) for ref in sub.secrets]
    return WebhookSender(sub.url, keys, EVENT_TYPES, timeout=sub.timeout, client=client)


class EndpointGuard:
    """The worker's view of endpoint health; a no-op for ordinary destinations.

    The store is opened only when the config has subscriptions, so gateways without them (and
    tests with other journals) never touch its table.
    """

    def __init__(
        self,
        config: Config,
        journal: Journal,
        metrics: Metrics,
        store: EndpointStore | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.store = store
        if self.store is None and config.subscriptions:
            self.store = open_endpoint_store(journal)
        self._success_written: dict[str, float] = {}

    async def refusal(self, destination: str, now: float) -> str | None:
        """Why this delivery must not be attempted (its endpoint is disabled), else None."""
        sub = self.config.subscription_for(destination)
        if sub is None or self.store is None:
            return None
        state = await self.store.get(sub.name)
        if state.enabled:
            return None
        since = "" if state.disabled_at is None else f" since {_iso(state.disabled_at)}"
        return (
            f"subscription {sub.name} (partner {sub.partner}) is disabled{since}: {state.reason}; "
            "enable it (POST /v1/ops/subscriptions/{name}/enable), then redeliver"
        ).replace("{name}", sub.name)

    async def observe(self, destination: str, outcome: Outcome, now: float) -> None:
        """Record an attempt's outcome against its endpoint; disable it when the rules say so."""
        sub = self.config.subscription_for(destination)
        if sub is None or self.store is None:
            return
        if outcome.kind == "ok":
            # a streak ends with any success; a clean endpoint's success is only refreshed
            # now and then, so a busy subscription costs no journal write per event
            interval = min(_SUCCESS_WRITE_INTERVAL, sub.disable_after / 4)
            if now - self._success_written.get(sub.name, -interval) >= interval:
                await self.store.record_success(sub.name, now)
                self._success_written[sub.name] = now
            return
        self._success_written.pop(sub.name, None)
        result = await self.store.record_failure(
            sub.name,
            now,
            disable_after=sub.disable_after,
            code=outcome.code,
            gone=outcome.code == ENDPOINT_GONE,
        )
        if result.disabled_now:
            disabled_counter(self.metrics).labels(sub.name).inc()
            log.warning(
                "webhook endpoint disabled",
                extra={
                    "subscription": sub.name,
                    "partner": sub.partner,
                    "reason": result.state.reason,
                    "code": outcome.code,
                    "failures": result.state.failures,
                },
            )


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
