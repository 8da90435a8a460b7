"""Shared machinery: results, a keep-alive HTTP/1.1 load generator, server subprocesses.

The load generator is an ``asyncio.Protocol`` on uvloop that writes one prepared request per
connection and parses only the status line and ``Content-Length`` of each answer: about as little
Python per request as a client can spend, so the server is what saturates, not the client. The
runner reports the client's and the server's CPU so a reader can check that claim on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import uvloop

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    """One figure: ours against a baseline measured in the same run, and the goal for the ratio."""

    name: str
    unit: str
    ours: float
    baseline: float
    baseline_name: str
    goal: float | None
    notes: list[str] = field(default_factory=list)
    #: False for a cost against a budget (memory): the goal is then a ceiling on the ratio.
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else 0.0

    @property
    def goal_text(self) -> str:
        """``>= 0.5`` or ``<= 1``: how the ratio is judged."""
        return f"{'>=' if self.higher_is_better else '<='} {self.goal:g}"

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "(info)"
        met = self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal
        return "met" if met else "MISSED"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop, the loop the gateway itself runs on under uvicorn's ``loop="auto"``."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


# -- payload ------------------------------------------------------------------------------------
def order_body(lines: int = 4) -> bytes:
    """A realistic canonical v1 order (compact JSON: ~1.75 KB with 4 lines, ~2 KB with 5)."""
    items = [
        ("ACM-COF-1KG", "00614141123452", "Coffee beans, dark roast, 1 kg", "40", "CS", "86.40"),
        ("ACM-FLT-004", "00614141000036", "Filter papers #4, unbleached", "12", "BX", "3.1250"),
        ("ACM-CUP-12", "00614141000043", "Paper cups 12 oz, sleeve of 50", "30", "CS", "18.75"),
        ("ACM-SUG-STK", "00614141000050", "Sugar sticks, 1000 count", "8", "CA", "21.10"),
        ("ACM-LID-12", "00614141000067", "Lids for 12 oz cups, sleeve", "30", "CS", "9.95"),
    ]
    order = {
        "po_number": "PO-4500012345",
        "order_date": "2026-11-20",
        "order_type": "standard",
        "currency": "USD",
        "parties": [
            {
                "role": "buyer",
                "name": "Northwind Grocers",
                "identifiers": {"duns": "123456789", "gln": "0614141000005"},
            },
            {"role": "seller", "name": "Acme Distribution", "identifiers": {"partner": "ACME01"}},
            {
                "role": "ship_to",
                "name": "Northwind DC 7",
                "identifiers": {"store": "0007"},
                "address": {
                    "lines": ["4100 Commerce Pkwy", "Dock 12"],
                    "city": "Columbus",
                    "region": "OH",
                    "postal_code": "43219",
                    "country": "US",
                },
                "contact": {"name": "Receiving", "phone": "+1-614-555-0100"},
            },
        ],
        "lines": [
            {
                "line_number": i + 1,
                "partner_line_id": f"{i + 1:03d}",
                "item": {"sku": sku, "gtin": gtin, "description": text},
                "quantity": {"value": qty, "uom": uom},
                "unit_price": {"amount": price, "currency": "USD"},
                "requested_delivery_date": "2026-11-27",
            }
            for i, (sku, gtin, text, qty, uom, price) in enumerate(items[:lines])
        ],
        "requested_ship_date": "2026-11-24",
        "requested_delivery_date": "2026-11-27",
        "cancel_after": "2026-12-04",
        "ship_method": "LTL",
        "notes": ["Deliver between 06:00 and 14:00"],
        "references": {"order_number": "SO-99812"},
    }
    return msgspec.json.encode(order)


def post_request(
    path: str, body: bytes, host: str = "127.0.0.1", headers: dict[str, str] | None = None
) -> bytes:
    """One HTTP/1.1 keep-alive POST with a JSON body (and extra headers), as bytes to write."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: crossdock-bench\r\n{extra}\r\n"
    )
    return head.encode("ascii") + body


# -- CPU accounting -----------------------------------------------------------------------------
def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used so far, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used so far (everything but idle time)."""
    with Path("/proc/stat").open() as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _CLOCK_TICKS


class CpuMeter:
    """Cores used by this process, by some other processes, and by everything else meanwhile.

    ``other`` is the rest of the machine: on a shared box it says how noisy the figure is.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.share: dict[str, float] = {}
        self._t0 = 0.0
        self._c0: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        out = {"client": time.process_time()}
        out.update({name: process_cpu(pid) for name, pid in self.pids.items()})
        out["machine"] = machine_busy()
        return out

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._c0 = self._sample()

    def stop(self) -> None:
        wall = time.perf_counter() - self._t0
        c1 = self._sample()
        share = {k: (c1[k] - self._c0[k]) / wall for k in c1}
        machine = share.pop("machine")
        share["other"] = max(0.0, machine - sum(share.values()))
        self.share = share

    def describe(self) -> str:
        return ", ".join(f"{k} {v:.0%}" for k, v in self.share.items())


# -- load generator -----------------------------------------------------------------------------
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


@dataclass
class LoadResult:
    """What one load run saw inside its measurement window (and ``total_ok`` over all of it)."""

    completed: int = 0
    wrong_status: int = 0
    connection_errors: int = 0
    seconds: float = 0.0
    total_ok: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    def describe(self) -> str:
        errors = self.wrong_status + self.connection_errors
        per_request = ""
        if self.rate and "server" in self.cpu:
            per_request = f", server CPU {self.cpu['server'] / self.rate * 1e6:.0f} us/req"
        return (
            f"{self.rate:,.0f}/s, p50 {self.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms, errors {errors}, "
            f"CPU (cores) {', '.join(f'{k} {v:.0%}' for k, v in self.cpu.items())}{per_request}"
        )


class _Load:
    def __init__(self, request: bytes | Callable[[], bytes], expect: int) -> None:
        self.request = request  # bytes, or a function making each request (unique headers)
        self.expect = expect
        self.counting = False
        self.stopping = False
        self.result = LoadResult()


class _Connection(asyncio.Protocol):
    """One keep-alive connection: write the request, wait for the whole answer, repeat."""

    def __init__(self, load: _Load, closed: asyncio.Future[None]) -> None:
        self.load = load
        self.closed = closed
        self.buffer = bytearray()
        self.need = -1
        self.status = 0
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        if self.load.stopping:
            self.transport.close()
            return
        request = self.load.request
        self.sent_at = time.perf_counter()
        self.transport.write(request() if callable(request) else request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            match = _CONTENT_LENGTH.search(buffer, 0, end + 2)
            if match is None:  # the servers under test always send a length
                self.load.result.connection_errors += 1
                assert self.transport is not None
                self.transport.close()
                return
            self.need = end + 4 + int(match.group(1))
            self.status = int(buffer[9:12])
        if len(buffer) < self.need:
            return
        now = time.perf_counter()
        del buffer[: self.need]
        self.need = -1
        result = self.load.result
        ok = self.status == self.load.expect
        if ok:
            result.total_ok += 1
        if self.load.counting:
            if ok:
                result.completed += 1
                result.latencies.append(now - self.sent_at)
            else:
                result.wrong_status += 1
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.load.stopping:
            self.load.result.connection_errors += 1
        if not self.closed.done():
            self.closed.set_result(None)


async def http_load(
    port: int,
    request: bytes | Callable[[], bytes],
    *,
    connections: int,
    warmup: float,
    duration: float,
    expect: int,
    cpu_pids: dict[str, int] | None = None,
) -> LoadResult:
    """Keep ``connections`` requests in flight for ``warmup + duration``; count the last part."""
    loop = asyncio.get_running_loop()
    load = _Load(request, expect)
    closed: list[asyncio.Future[None]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        closed.append(done)
        await loop.create_connection(
            lambda done=done: _Connection(load, done),  # type: ignore[misc]
            "127.0.0.1",
            port,
        )
    await asyncio.sleep(warmup)
    meter = CpuMeter(cpu_pids or {})
    meter.start()
    started = time.perf_counter()
    load.counting = True
    await asyncio.sleep(duration)
    load.counting = False
    load.result.seconds = time.perf_counter() - started
    meter.stop()
    load.stopping = True
    await asyncio.wait_for(asyncio.gather(*closed), timeout=30)
    load.result.cpu = meter.share
    return load.result


# -- server subprocesses ------------------------------------------------------------------------
class ServerProcess:
    """``python -m bench._servers ARGS`` in its own process; it prints its port when ready."""

    def __init__(self, *args: str, startup_timeout: float = 30.0) -> None:
        self.args = args
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self._log = tempfile.TemporaryFile(prefix="crossdock-bench-server-")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._servers", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self.port = self._read_port(startup_timeout)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_port(self, timeout: float) -> int:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("port "):
            self.stop()
            msg = f"server {' '.join(self.args)} did not start:\n{self.log_tail()}"
            raise RuntimeError(msg)
        return int(line.split()[1])

    def log_tail(self, chars: int = 4000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:]

    def wait_idle(self, threshold: float = 0.05, window: float = 0.3, timeout: float = 60) -> None:
        """Wait until the server uses under ``threshold`` of a core (its backlog is done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = process_cpu(self.pid)
            time.sleep(window)
            if (process_cpu(self.pid) - before) / window < threshold:
                return

    def stop(self) -> int:
        """SIGTERM (uvicorn shuts down gracefully: the journal commits and closes), then wait."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextlib.contextmanager
def servers(**specs: tuple[str, ...]) -> Iterator[dict[str, ServerProcess]]:
    """Start several servers (by name) and stop them all on the way out."""
    started: dict[str, ServerProcess] = {}
    try:
        for name, args in specs.items():
            started[name] = ServerProcess(*args)
        yield started
    finally:
        for server in started.values():
            server.close()


def alternate(rounds: int, steps: dict[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Run every step once per round, in order, so drift affects all of them alike."""
    out: dict[str, list[T]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            out[name].append(step())
    return out
