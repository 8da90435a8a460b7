"""The delivery worker: claim due deliveries, ask the breaker, deliver once, apply the policy.

Policy (retries, backoff, breakers, dead letters) is here and shared by every connector; a
connector only performs one attempt. Each destination gets at most ``concurrency`` attempts in
flight, and a destination whose breaker is open is not even claimed from the journal, so its
backlog waits without burning attempts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Literal

import httpx

from connectors.base import Deliverer, Outcome
from connectors.base import Delivery as Wire
from connectors.rest import RestDeliverer
from gateway.config import Config, Destination
from gateway.config.loader import resolve_secret
from gateway.config.subscriptions import Subscription
from gateway.delivery.breaker import Breakers
from gateway.delivery.contract_version import NOT_REPRESENTABLE, NotRepresentableError, payload_for
from gateway.delivery.oauth2 import oauth2_source
from gateway.delivery.policy import Dead, Done, RetryAt, RetryPolicy
from gateway.delivery.soap import build_soap_deliverer
from gateway.delivery.webhooks import (
    ENDPOINT_DISABLED,
    EndpointGuard,
    Target,
    build_sender,
    delivery_targets,
)
from gateway.delivery.x12_outbound import wrap_x12
from gateway.ids import new_dead_letter_id
from gateway.journal import Attempt, DeadLetter, Event, Journal
from gateway.journal.base import ClaimedDelivery, DeliveryState
from gateway.journal.webhook_endpoints import EndpointStore
from gateway.logs import message_id_var, trace_id_var
from gateway.metrics import Metrics

log = logging.getLogger("crossdock.delivery")

# Deliveries claimed per destination, as a multiple of its concurrency: claimed ones wait on the
# destination's semaphore and start the moment a request finishes.
PREFETCH = 4


def _rest(dest: Destination, client: httpx.AsyncClient) -> Deliverer:
    headers = dict(dest.headers)
    for name, ref in dest.secret_headers.items():
        headers[name] = resolve_secret(ref)
    # ``oauth2:``: a cached, shared bearer token per destination (docs/outbound-oauth2.md)
    auth = None if dest.oauth2 is None else oauth2_source(dest.name, dest.oauth2, resolve_secret)
    return RestDeliverer(dest.url, dest.method, dest.timeout, headers, client=client, auth=auth)


# one builder per destination ``type``; subscriptions (outbound webhooks) are not destinations
_BUILDERS: dict[str, Callable[[Destination, httpx.AsyncClient], Deliverer]] = {
    "rest": _rest,
    "soap": build_soap_deliverer,
}


def build_deliverer(dest: Target, client: httpx.AsyncClient) -> Deliverer:
    """The connector for a destination; secrets are resolved here, once, and never logged."""
    if isinstance(dest, Subscription):
        return build_sender(dest, client)
    return _BUILDERS[dest.type](dest, client)


class DeliveryWorker:
    """Delivers pending work for every configured destination."""

    def __init__(
        self,
        *,
        journal: Journal,
        config: Config,
        metrics: Metrics,
        owner: str,
        lease_seconds: float,
        poll_interval: float,
        wake: asyncio.Event | None = None,
        deliverers: dict[str, Deliverer] | None = None,
        endpoints: EndpointStore | None = None,
    ) -> None:
        self.journal = journal
        self.config = config
        # destinations and webhook subscriptions (``subscription:<name>``) alike
        self.targets = targets = delivery_targets(config)
        self.endpoints = EndpointGuard(config, journal, metrics, endpoints)
        self.metrics = metrics
        self.owner = owner
        self.poll_interval = poll_interval
        self.wake = wake or asyncio.Event()
        # one pool per destination, sized to its concurrency: httpcore checks every idle
        # connection of a pool on each request, so a large shared pool costs every delivery
        self._clients = {
            name: httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=dest.concurrency, max_keepalive_connections=dest.concurrency
                ),
                follow_redirects=False,
            )
            for name, dest in targets.items()
        }
        self.deliverers = deliverers or {
            name: build_deliverer(dest, self._clients[name]) for name, dest in targets.items()
        }
        # destinations with ``x12:`` map and encode before their deliverer sends the bytes
        self.deliverers = wrap_x12(self.deliverers, config, journal)
        self.policies = {n: RetryPolicy(d.retry) for n, d in targets.items()}
        self.breakers = Breakers({n: d.breaker for n, d in targets.items()})
        # a lease must outlive the slowest attempt, or a second worker would start a duplicate
        # (a claimed delivery may wait behind PREFETCH - 1 rounds of attempts before its own)
        self.leases = {
            n: max(lease_seconds, (PREFETCH + 1) * d.timeout + 5) for n, d in targets.items()
        }
        # Up to PREFETCH times the destination's concurrency is claimed; the semaphore lets
        # `concurrency` of them talk to the destination at a time. The claimed-but-waiting ones
        # start the moment a request finishes, without a journal round trip in between, which
        # keeps the destination's connections busy instead of idle (httpcore pays per idle
        # connection on every request).
        self.in_flight = dict.fromkeys(targets, 0)
        self._sending = {n: asyncio.Semaphore(d.concurrency) for n, d in targets.items()}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()

    async def aclose(self) -> None:
        """Wait for attempts in flight, then close connections."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for deliverer in self.deliverers.values():
            await deliverer.aclose()
        for client in self._clients.values():
            await client.aclose()

    async def run(self) -> None:
        """Loop until cancelled."""
        try:
            while True:
                self.wake.clear()
                self._slot_freed.clear()
                claimed = await self.run_once()
                if claimed == 0:
                    await self._sleep()
        finally:
            for task in self._tasks:
                task.cancel()

    async def _sleep(self) -> None:
        # Sleep until the next delivery falls due, a slot frees up or new work is routed. Work
        # that is already due but was not claimed waits for a free slot or a breaker probe, so
        # it must not turn the sleep into a spin: poll for it instead.
        timeout = self.poll_interval
        due = await self.journal.next_due()
        if due is not None and due > time.time():
            timeout = min(timeout, due - time.time())
        waits = [
            asyncio.ensure_future(self.wake.wait()),
            asyncio.ensure_future(self._slot_freed.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def run_once(self) -> int:
        """Claim what every destination has room for and start the attempts."""
        now = time.time()
        mono = time.monotonic()
        claimed = 0
        for name, dest in self.targets.items():
            room = PREFETCH * dest.concurrency - self.in_flight[name]
            # claim in batches (each claim is a journal transaction), not one per freed slot
            if room < dest.concurrency or self.breakers[name].state(mono) == "open":
                continue
            batch = await self.journal.claim_deliveries(
                self.owner, room, self.leases[name], now, destinations=[name]
            )
            for item in batch:
                self._start(item)
            claimed += len(batch)
        return claimed

    def _start(self, item: ClaimedDelivery) -> None:
        name = item.delivery.destination
        self.in_flight[name] = self.in_flight.get(name, 0) + 1
        released = False

        def release() -> None:
            # a claimed delivery stops counting once its request is done: journaling the
            # outcome overlaps the next claims, as group commit batches them anyway
            nonlocal released
            if not released:
                released = True
                self.in_flight[name] -= 1
                self._slot_freed.set()

        task = asyncio.create_task(self._attempt(item, release))
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            release()
            if not t.cancelled() and t.exception() is not None:
                log.error("delivery task failed", exc_info=t.exception())

        task.add_done_callback(done)

    async def _attempt(
        self, item: ClaimedDelivery, release: Callable[[], None] = lambda: None
    ) -> None:
        d = item.delivery
        message_id_var.set(d.message_id)
        trace_id_var.set(item.trace_id)
        name = d.destination
        deliverer = self.deliverers.get(name)
        now = time.time()
        if deliverer is None:
            await self._dead(
                item,
                now=now,
                attempt=None,
                code="unknown_destination",
                text=f"destination {name!r} is no longer configured",
            )
            return
        refusal = await self.endpoints.refusal(name, now)
        if refusal is not None:  # a disabled webhook endpoint: kept for redelivery, not tried
            await self._dead(item, now=now, attempt=None, code=ENDPOINT_DISABLED, text=refusal)
            return
        try:  # a ``contract: v2`` destination gets the canonical v1 document as v2
            payload = payload_for(
                self.config.destinations.get(name), item.document_type, item.payload
            )
        except NotRepresentableError as exc:
            await self._dead(
                item,
                now=now,
                attempt=None,
                code=NOT_REPRESENTABLE,
                text=str(exc),
                detail={"path": exc.path},
            )
            return
        async with self._sending[name]:
            now = time.time()
            wait = await self.breakers.allow(name, time.monotonic())
            if wait is not None:
                await self._breaker_wait(item, now, wait)
                return
            number = d.attempts + 1
            outcome = await deliverer.deliver(
                Wire(
                    delivery_id=d.id,
                    message_id=d.message_id,
                    destination=name,
                    idempotency_key=d.idempotency_key,
                    attempt=number,
                    document_type=item.document_type,
                    payload=payload,
                    # X12 we emit (x12_ack...) goes out as X12 bytes, everything else as JSON
                    content_type=(
                        "application/edi-x12"
                        if item.document_type.startswith("x12")
                        else "application/json"
                    ),
                    trace_id=item.trace_id,
                    created_at=d.created_at,
                )
            )
        release()
        await self._record(item, number, now, outcome)

    async def _breaker_wait(self, item: ClaimedDelivery, now: float, wait: float) -> None:
        """Put the delivery back until the breaker lets a probe through; no attempt is spent."""
        d = item.delivery
        self.metrics.breaker_open.labels(d.destination).set(1)
        await self._journal(
            item,
            state="pending",
            next_attempt_at=now + wait,
            outcome="retry",
            code="breaker_open",
            now=now,
            detail={"destination": d.destination, "wait_s": round(wait, 3)},
        )

    async def _record(
        self, item: ClaimedDelivery, number: int, started: float, outcome: Outcome
    ) -> None:
        d = item.delivery
        name = d.destination
        await self.endpoints.observe(name, outcome, time.time())
        mono = time.monotonic()
        if outcome.kind == "ok":
            await self.breakers.record_success(name, mono)
        elif outcome.kind == "retriable":
            await self.breakers.record_failure(name, mono)
        self.metrics.breaker_open.labels(name).set(
            1 if self.breakers[name].state(mono) == "open" else 0
        )
        self.metrics.delivery_latency.labels(name, outcome.kind).observe(outcome.latency_ms / 1000)
        now = time.time()
        decision = self.policies[name].decide(number, d.first_attempt_at or started, now, outcome)
        attempt = Attempt(
            delivery_id=d.id,
            number=number,
            started_at=started,
            latency_ms=outcome.latency_ms,
            outcome=outcome.kind,
            status_code=outcome.status_code,
            code=outcome.code,
            error=outcome.error,
            body_excerpt=outcome.body_excerpt,
        )
        detail: dict[str, object] = {
            "destination": name,
            "attempt": number,
            "status_code": outcome.status_code,
            "latency_ms": round(outcome.latency_ms, 2),
        }
        if isinstance(decision, Done):
            self.metrics.messages.labels("deliver", "ok").inc()
            await self._journal(
                item,
                state="delivered",
                next_attempt_at=now,
                outcome="ok",
                now=now,
                detail=detail,
                attempt=attempt,
            )
        elif isinstance(decision, RetryAt):
            self.metrics.messages.labels("deliver", "retry").inc()
            await self._journal(
                item,
                state="pending",
                next_attempt_at=decision.at,
                outcome="retry",
                code=outcome.code,
                now=now,
                detail={
                    **detail,
                    "error": outcome.error,
                    "retry_in_s": round(decision.delay, 3),
                },
                attempt=attempt,
            )
        else:
            assert isinstance(decision, Dead)
            # the code is the last outcome's (http_503, timeout...) so operations can filter by
            # cause; which limit ended the retries is in the text and the event detail
            text = outcome.error or f"HTTP {outcome.status_code}"
            if decision.reason != "fatal":
                text = f"gave up after {number} attempt(s) ({decision.reason}); last: {text}"
            detail["gave_up"] = decision.reason
            reason = outcome.code or "delivery_failed"
            await self._dead(item, now=now, attempt=attempt, code=reason, text=text, detail=detail)
            log.warning(
                "dead-lettered delivery",
                extra={"destination": name, "code": reason, "attempts": number},
            )

    async def _dead(
        self,
        item: ClaimedDelivery,
        *,
        now: float,
        attempt: Attempt | None,
        code: str,
        text: str,
        detail: dict[str, object] | None = None,
    ) -> None:
        d = item.delivery
        self.metrics.messages.labels("deliver", "error").inc()
        await self._journal(
            item,
            state="dead",
            next_attempt_at=now,
            outcome="error",
            code=code,
            now=now,
            detail={**(detail or {}), "destination": d.destination, "error": text},
            attempt=attempt,
            dead_letter=DeadLetter(
                id=new_dead_letter_id(),
                message_id=d.message_id,
                delivery_id=d.id,
                destination=d.destination,
                stage="deliver",
                code=code,
                error=text,
                partner=item.partner,
                document_type=item.document_type,
                created_at=now,
                state="open",
            ),
        )

    async def _journal(
        self,
        item: ClaimedDelivery,
        *,
        state: DeliveryState,
        next_attempt_at: float,
        outcome: Literal["ok", "retry", "error"],
        now: float,
        detail: dict[str, object],
        code: str = "",
        attempt: Attempt | None = None,
        dead_letter: DeadLetter | None = None,
    ) -> None:
        """Record one step of a delivery (attempt, state, deliver event, dead letter) at once."""
        d = item.delivery
        await self.journal.record_attempt(
            d.id,
            self.owner,
            attempt=attempt,
            state=state,
            next_attempt_at=next_attempt_at,
            event=Event(
                message_id=d.message_id,
                delivery_id=d.id,
                stage="deliver",
                outcome=outcome,
                code=code,
                at=now,
                detail=detail,
            ),
            dead_letter=dead_letter,
            now=now,
        )
