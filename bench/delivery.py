"""Deliveries/s from the gateway's DeliveryWorker against a plain httpx POST loop.

Ours: N routed deliveries are pre-loaded into a fresh SQLite journal through the journal API
(``accept`` -> ``claim_messages`` -> ``complete_processing`` with one ``NewDelivery`` each; not
timed), then the real :class:`DeliveryWorker` is started and timed until the journal has recorded
the N-th ``delivered`` attempt. That includes everything the worker does per delivery: claiming
with a lease, the breaker, the REST connector (its headers, trace propagation, body excerpt),
metrics, the retry decision and the durable ``record_attempt`` (WAL, ``synchronous=FULL``).

Baseline: the same N POSTs of the same payload from a plain ``httpx.AsyncClient`` (same pool
limits as the worker's), with the same number of requests in flight as the destination's
``concurrency``. Both run in this process on uvloop; the receiver (a raw ASGI app under uvicorn
answering 200) runs in its own process and is shared, in alternating rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import httpx

from bench._harness import (
    CpuMeter,
    Result,
    ServerProcess,
    alternate,
    median,
    order_body,
    run_async,
    servers,
)
from gateway.config import Config, Destination
from gateway.delivery.worker import DeliveryWorker
from gateway.ids import new_id, new_trace_id
from gateway.journal import Attempt, DeadLetter, Event, NewDelivery, NewMessage
from gateway.journal.base import DeliveryState
from gateway.journal.sqlite import SqliteJournal
from gateway.metrics import Metrics
from gateway.settings import Settings

NAME = "delivery"
GOAL = 0.5
# The headline runs at a destination's default concurrency; a second, informational figure at
# the inbound benchmark's 64 shows where httpx's connection pool takes over (see the docs).
DEFAULT_CONCURRENCY = Destination(name="default", url="http://127.0.0.1").concurrency
HIGH_CONCURRENCY = 64
DESTINATION = "bench"
_CHUNK = 512


class _CountingJournal(SqliteJournal):
    """The real SQLite journal, signalling when the N-th delivery is durably recorded."""

    def __init__(self, path: Path, target: int) -> None:
        super().__init__(path)
        self.target = target
        self.delivered = 0
        self.other_outcomes = 0
        self.done = asyncio.Event()

    async def record_attempt(
        self,
        delivery_id: str,
        owner: str,
        *,
        attempt: Attempt | None,
        state: DeliveryState,
        next_attempt_at: float,
        event: Event,
        dead_letter: DeadLetter | None,
        now: float,
    ) -> bool:
        recorded = await super().record_attempt(
            delivery_id,
            owner,
            attempt=attempt,
            state=state,
            next_attempt_at=next_attempt_at,
            event=event,
            dead_letter=dead_letter,
            now=now,
        )
        if recorded and state == "delivered":
            self.delivered += 1
            if self.delivered >= self.target:
                self.done.set()
        else:
            self.other_outcomes += 1
        return recorded


async def preload(journal: SqliteJournal, n: int, payload: bytes) -> None:
    """N accepted, processed and routed messages, each with one pending delivery."""
    for start in range(0, n, _CHUNK):
        now = time.time()
        await asyncio.gather(
            *(
                journal.accept(
                    NewMessage(
                        id=new_id(),
                        partner="acme-retail",
                        channel="json",
                        document_type="order",
                        content_type="application/json",
                        raw=payload,
                        received_at=now,
                        trace_id=new_trace_id(),
                    )
                )
                for _ in range(min(_CHUNK, n - start))
            )
        )
    while batch := await journal.claim_messages("bench-preload", _CHUNK, 300, time.time()):
        now = time.time()
        await asyncio.gather(
            *(
                journal.complete_processing(
                    m.id,
                    "bench-preload",
                    document_type="order",
                    canonical=payload,
                    business_keys={"po_number": "PO-4500012345"},
                    events=[],
                    deliveries=[
                        NewDelivery(
                            id=f"{m.id}.{DESTINATION}",
                            destination=DESTINATION,
                            idempotency_key=f"{m.id}.{DESTINATION}",
                        )
                    ],
                    now=now,
                )
                for m in batch
            )
        )


class Run:
    """One timed drain (or POST loop): rate, CPU shares, and anything that went wrong."""

    def __init__(self, n: int, seconds: float, cpu: CpuMeter, problems: list[str]) -> None:
        self.n = n
        self.seconds = seconds
        self.cpu = cpu
        self.problems = problems

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        problems = "; ".join(self.problems) or "no errors"
        return f"{self.rate:,.0f}/s ({self.n} in {self.seconds:.2f} s), {problems}, " + (
            f"CPU (cores) {self.cpu.describe()}"
        )


async def drain_with_worker(
    url: str, n: int, payload: bytes, concurrency: int, receiver_pid: int
) -> Run:
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-") as tmp:
        journal = _CountingJournal(Path(tmp) / "journal.sqlite3", n)
        await journal.open()
        try:
            await preload(journal, n, payload)
            config = Config(
                partners={},
                channels={},
                destinations={
                    DESTINATION: Destination(
                        name=DESTINATION, url=f"{url}/orders", concurrency=concurrency
                    )
                },
                routes=[],
                mappings_dir=tmp,
            )
            worker = DeliveryWorker(
                journal=journal,
                config=config,
                metrics=Metrics(),
                owner="bench-worker",
                lease_seconds=settings.lease_seconds,
                poll_interval=settings.poll_interval,
            )
            cpu = CpuMeter({"receiver": receiver_pid})
            cpu.start()
            started = time.perf_counter()
            task = asyncio.create_task(worker.run())
            await asyncio.wait_for(journal.done.wait(), timeout=600)
            seconds = time.perf_counter() - started
            cpu.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await worker.aclose()
            stats = await journal.stats()
        finally:
            await journal.close()
    problems = []
    if journal.other_outcomes:
        problems.append(f"{journal.other_outcomes} attempts not delivered")
    if stats.deliveries_pending or stats.dead_letters_open:
        problems.append(
            f"{stats.deliveries_pending} still pending, {stats.dead_letters_open} dead letters"
        )
    return Run(n, seconds, cpu, problems)


async def post_loop(url: str, n: int, payload: bytes, concurrency: int, receiver_pid: int) -> Run:
    remaining = n
    failures = 0

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            response = await client.post(
                f"{url}/orders",
                content=payload,
                headers={"Content-Type": "application/json", "Idempotency-Key": new_id()},
            )
            if response.status_code != 200:
                failures += 1

    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)  # the worker's
    async with httpx.AsyncClient(limits=limits, follow_redirects=False) as client:
        cpu = CpuMeter({"receiver": receiver_pid})
        cpu.start()
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        cpu.stop()
    return Run(n, seconds, cpu, [f"{failures} non-200 answers"] if failures else [])


def _figure(
    receiver: ServerProcess, *, n: int, concurrency: int, rounds: int, goal: float | None
) -> Result:
    url = f"http://127.0.0.1:{receiver.port}"
    payload = order_body()
    args = (url, n, payload, concurrency, receiver.pid)
    runs = alternate(
        rounds,
        {
            "baseline": lambda: run_async(post_loop(*args)),
            "ours": lambda: run_async(drain_with_worker(*args)),
        },
    )
    return Result(
        name=f"delivery drain, {concurrency} in flight",
        unit="deliveries/s",
        ours=median([r.rate for r in runs["ours"]]),
        baseline=median([r.rate for r in runs["baseline"]]),
        baseline_name="plain httpx POST loop",
        goal=goal,
        notes=[
            f"{n} deliveries of a {len(payload)}-byte order, {concurrency} in flight "
            f"(destination concurrency = baseline tasks), {rounds} round(s), median; "
            "receiver: raw ASGI on uvicorn in its own process; 2 cores shared",
            *(f"httpx loop: {r.describe()}" for r in runs["baseline"]),
            *(f"worker: {r.describe()}" for r in runs["ours"]),
        ],
    )


def run(quick: bool = False) -> list[Result]:
    rounds = 1 if quick else 3
    with servers(receiver=("receiver",)) as procs:
        receiver = procs["receiver"]
        return [
            _figure(
                receiver,
                n=1000 if quick else 8000,
                concurrency=DEFAULT_CONCURRENCY,
                rounds=rounds,
                goal=GOAL,
            ),
            _figure(
                receiver,
                n=300 if quick else 2000,
                concurrency=HIGH_CONCURRENCY,
                rounds=rounds,
                goal=None,
            ),
        ]
