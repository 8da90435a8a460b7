"""The processing worker: claim received messages, run the stages, journal the outcome.

A claim is a lease. If this process dies mid-message, the lease expires and another worker (or
this one, restarted) claims the message again; completion is conditional on still holding the
lease, so a message is never completed twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from gateway.config import Config
from gateway.ids import new_dead_letter_id
from gateway.journal import DeadLetter, Event, Journal, Message
from gateway.logs import message_id_var, trace_id_var
from gateway.mapping import MappingRegistry
from gateway.metrics import Metrics
from gateway.pipeline.stages import StageFailedError, run_stages
from gateway.pipeline.x12_reconcile import is_inbound_ack, reconcile_message

log = logging.getLogger("crossdock.pipeline")

MAX_PROCESS_ATTEMPTS = 10


class Processor:
    """Runs decode -> map -> validate -> route for claimed messages, ``concurrency`` at a time."""

    def __init__(
        self,
        *,
        journal: Journal,
        config: Config,
        mappings: MappingRegistry,
        metrics: Metrics,
        owner: str,
        lease_seconds: float,
        poll_interval: float,
        batch: int = 64,
        wake: asyncio.Event | None = None,
        on_routed: asyncio.Event | None = None,
    ) -> None:
        self.journal = journal
        self.config = config
        self.mappings = mappings
        self.metrics = metrics
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.batch = batch
        self.wake = wake or asyncio.Event()
        self.on_routed = on_routed

    async def run(self) -> None:
        """Loop until cancelled: claim a batch, process it, sleep until woken or polled."""
        while True:
            self.wake.clear()
            done = await self.run_once()
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.poll_interval)

    async def run_once(self) -> int:
        """Claim and process one batch; returns how many messages were claimed."""
        now = time.time()
        claimed = await self.journal.claim_messages(self.owner, self.batch, self.lease_seconds, now)
        if claimed:
            await asyncio.gather(*(self.process(m) for m in claimed))
        return len(claimed)

    async def process(self, message: Message) -> None:
        """Process one claimed message and journal what happened."""
        message_id_var.set(message.id)
        trace_id_var.set(message.trace_id)
        now = time.time()
        try:
            if is_inbound_ack(self.config, message):  # a partner's 997/999: reconcile it
                result = await reconcile_message(self.journal, message, now)
            else:
                result = run_stages(self.config, self.mappings, message, now)
        except StageFailedError as failure:
            await self._fail(message, failure, now)
            return
        for e in result.events:
            self.metrics.messages.labels(e.stage, e.outcome).inc()
        completed = await self.journal.complete_processing(
            message.id,
            self.owner,
            document_type=result.document_type,
            canonical=result.canonical,
            # keys known at acceptance (a webhook's event id) survive the canonical ones
            business_keys={**message.business_keys, **result.business_keys},
            events=result.events,
            deliveries=result.deliveries,
            now=time.time(),
        )
        if not completed:
            log.warning("lease lost before completion; another worker owns the message")
            return
        log.info(
            "routed",
            extra={"partner": message.partner, "destinations": len(result.deliveries)},
        )
        if result.deliveries and self.on_routed is not None:
            self.on_routed.set()

    async def _fail(self, message: Message, failure: StageFailedError, now: float) -> None:
        err = failure.error
        for e in failure.events:
            self.metrics.messages.labels(e.stage, e.outcome).inc()
        self.metrics.messages.labels(err.stage, "error").inc()
        detail = {**err.as_dict(), "partner": message.partner, "channel": message.channel}
        event = Event(
            message_id=message.id,
            stage=err.stage,
            outcome="error",
            code=err.code,
            at=now,
            detail=detail,
        )
        retry_at = None
        dead = None
        if err.kind == "retriable" and message.attempts < MAX_PROCESS_ATTEMPTS:
            retry_at = now + min(300.0, 2.0**message.attempts)
            event = Event(
                message_id=message.id,
                stage=err.stage,
                outcome="retry",
                code=err.code,
                at=now,
                detail=detail,
            )
        else:
            dead = DeadLetter(
                id=new_dead_letter_id(),
                message_id=message.id,
                stage=err.stage,
                code=err.code,
                error=err.message if err.path is None else f"{err.message} (at {err.path})",
                partner=message.partner,
                document_type=message.document_type,
                created_at=now,
                state="open",
            )
        ok = await self.journal.fail_processing(
            message.id,
            self.owner,
            events=[*failure.events, event],
            dead_letter=dead,
            retry_at=retry_at,
            now=now,
        )
        if ok:
            log.warning(
                "stage failed",
                extra={
                    "stage": err.stage,
                    "code": err.code,
                    "partner": message.partner,
                    "dead_lettered": dead is not None,
                },
            )
