"""The running gateway's parts, wired once: journal, mappings, workers, metrics, ops.

This is a composition root (with the app factory and the CLI): it alone decides which journal
backend and which workers exist. The HTTP API and the CLI both drive a :class:`Gateway`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from pathlib import Path

from gateway.config import Config, load_config
from gateway.delivery.worker import DeliveryWorker
from gateway.ids import new_id
from gateway.journal import Journal, open_journal
from gateway.journal.api_usage import UsageCounter, open_api_usage_store
from gateway.journal.idempotency import IdempotencyStore, open_idempotency_store
from gateway.mapping import MappingRegistry
from gateway.metrics import Metrics
from gateway.ops import Ops
from gateway.pipeline.processor import Processor
from gateway.settings import Settings
from gateway.throttle import Limiter
from gateway.throttle.backends import open_limiter
from gateway.x12_drop_folder import start_watchers

log = logging.getLogger("crossdock")


class Gateway:
    """One process's gateway: owns the journal and, if enabled, the in-process workers."""

    def __init__(self, settings: Settings, config: Config | None = None) -> None:
        self.settings = settings
        self.config = config or load_config(settings.config_dir)
        self.journal: Journal = open_journal(settings.database_url or str(settings.journal_path))
        self.mappings = MappingRegistry(Path(self.config.mappings_dir))
        self.metrics = Metrics()
        self.ops = Ops(self.journal)
        # stores beside the journal (gateway/journal/sql/): Idempotency-Key records and the
        # per-partner API usage the versioning middleware counts
        self.idempotency: IdempotencyStore = open_idempotency_store(self.journal)
        self.api_usage = UsageCounter(open_api_usage_store(self.journal))
        # one limiter per process (memory) or per Redis server: partner API quotas
        self.limiter: Limiter = open_limiter(settings.rate_limit_backend, settings.redis_url)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.process_wake = asyncio.Event()
        self.delivery_wake = asyncio.Event()
        self.processor = Processor(
            journal=self.journal,
            config=self.config,
            mappings=self.mappings,
            metrics=self.metrics,
            owner=self.owner,
            lease_seconds=settings.lease_seconds,
            poll_interval=settings.poll_interval,
            batch=max(8, settings.process_concurrency * 16),
            wake=self.process_wake,
            on_routed=self.delivery_wake,
        )
        self.delivery: DeliveryWorker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

    async def start(self) -> None:
        """Open the journal and start the workers."""
        await self.journal.open()
        await self.api_usage.start()
        if self.settings.workers_enabled:
            self.delivery = DeliveryWorker(
                journal=self.journal,
                config=self.config,
                metrics=self.metrics,
                owner=self.owner,
                lease_seconds=self.settings.lease_seconds,
                poll_interval=self.settings.poll_interval,
                wake=self.delivery_wake,
            )
            self._tasks = [
                asyncio.create_task(self.processor.run(), name="crossdock-processor"),
                asyncio.create_task(self.delivery.run(), name="crossdock-delivery"),
            ]
        self._tasks.append(asyncio.create_task(self._gauges(), name="crossdock-gauges"))
        # X12 drop folders (docs/x12-drop-folder.md): a door, like HTTP, so they run without
        # in-process workers too; stop() cancels them with the other tasks
        self._tasks.extend(start_watchers(self))
        self.ready = True
        log.info(
            "gateway started", extra={"owner": self.owner, "workers": self.settings.workers_enabled}
        )

    async def stop(self) -> None:
        """Stop workers, give back their unfinished leases, then close the journal."""
        self.ready = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.delivery is not None:
            await self.delivery.aclose()
        try:
            await self.api_usage.stop()  # the last counts, before the journal closes
        except Exception:
            log.exception("could not write the last API usage counts")
        # claimed but unfinished work (prefetched deliveries wait up to several attempt
        # timeouts) becomes claimable at once instead of when its lease runs out
        released = await self.journal.release(self.owner)
        if released:
            log.info("released unfinished work", extra={"leases": released})
        await self.journal.close()
        await self.limiter.close()

    async def refresh_gauges(self) -> None:
        """Read queue depths from the journal into the gauges."""
        stats = await self.journal.stats()
        self.metrics.queue_depth.labels("process").set(stats.messages_pending)
        self.metrics.queue_depth.labels("deliver").set(stats.deliveries_pending)
        self.metrics.dead_letters.set(stats.dead_letters_open)

    async def _gauges(self) -> None:
        while True:
            try:
                await self.refresh_gauges()
            except Exception:
                log.exception("could not refresh gauges")
            await asyncio.sleep(5.0)
