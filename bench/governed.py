"""Governed ``POST /v1/orders`` against a bare litestar route in the same server process.

Ours: the canonical orders resource as a partner's client calls it: the bearer token (an Ed25519
JWT; verified once, then from the verified-token cache plus the client's status through its
short cache), the ``orders:write`` scope check, the partner's rate limit (memory backend, a plan
that admits the whole load: the limiter runs on every request and never refuses), a unique
``Idempotency-Key`` per request (claimed in, and the response stored to, the journal's file),
the strict contract decode of a ~1.7 KB order, and the durable journal write before the 202.
Workers are off: this measures the request path.

Baseline: ``@post("/bench/bare")`` registered on the SAME app in the SAME process (same
middleware stack, same uvicorn config) answering 202 with the body length; both get the same
bytes, headers included. Requests are generated with a counter so every Idempotency-Key is new
(a repeated key would measure replays, not creation). The two routes are loaded in alternating
rounds with the same connections and durations.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec

from bench._harness import (
    LoadResult,
    Result,
    ServerProcess,
    alternate,
    http_load,
    median,
    order_body,
    post_request,
    run_async,
    servers,
)
from bench.inbound import bearer_token

NAME = "governed"
GOAL = 0.5  # issue 6: a governed POST at least half a bare route's rate
CONNECTIONS = 64
PARTNER = "acme-retail"

_CONFIG = {
    "gateway.yaml": "mappings_dir: mappings\n",
    "partners.yaml": f"- name: {PARTNER}\n  display_name: ACME Retail (bench)\n",
    "api.yaml": "rate_limits:\n  default: {rate: 100000, burst: 100000, name: bench}\n",
}


def write_config(root: Path) -> Path:
    """One partner and a plan that admits the load; the orders resource needs no channel."""
    config = root / "config"
    (config / "mappings").mkdir(parents=True)
    for name, text in _CONFIG.items():
        (config / name).write_text(text, encoding="utf-8")
    return config


def request_factory(path: str, body: bytes, token: str, prefix: str) -> Callable[[], bytes]:
    """Each call: the same body and token, a new ``Idempotency-Key`` (an RFC 8941 sf-string).

    Keys carry a random run id: a later round reusing an earlier round's keys would be answered
    from the stored responses (replays), not by creating orders.
    """
    counter = itertools.count()
    prefix = f"{prefix}-{uuid.uuid4().hex[:12]}"
    auth = f"Bearer {token}"

    def make() -> bytes:
        key = f'"{prefix}-{next(counter)}"'
        return post_request(path, body, headers={"Authorization": auth, "Idempotency-Key": key})

    return make


def valid_order() -> bytes:
    """The harness's order with every unit of measure ``EA``: the resource decodes strictly
    against the contract (whose unit list is stricter than the inbound benchmark needs)."""
    order = msgspec.json.decode(order_body())
    for line in order["lines"]:
        line["quantity"]["uom"] = "EA"
    return msgspec.json.encode(order)


def _journal_rows(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / "journal.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


def run(quick: bool = False) -> list[Result]:
    duration, warmup, rounds = (2.0, 0.5, 1) if quick else (10.0, 2.0, 3)
    body = valid_order()
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-") as tmp:
        root = Path(tmp)
        config = write_config(root)
        data = root / "data"
        token = bearer_token(data, PARTNER, "orders:write orders:read")
        spec = ("governed", "--config-dir", str(config), "--data-dir", str(data))
        with servers(server=spec) as procs:
            server = procs["server"]

            def measure(path: str, prefix: str, expect: int) -> LoadResult:
                server.wait_idle()
                return run_async(
                    http_load(
                        server.port,
                        request_factory(path, body, token, prefix),
                        connections=CONNECTIONS,
                        warmup=warmup,
                        duration=duration,
                        expect=expect,
                        cpu_pids={"server": server.pid},
                    )
                )

            steps: dict[str, Callable[[], LoadResult]] = {
                "bare": functools.partial(measure, "/bench/bare", "bare", 202),
                "governed": functools.partial(measure, "/v1/orders", "orders", 202),
            }
            runs = alternate(rounds, steps)
            _check_started(server)
            server.stop()
        rows = _journal_rows(data)
    oks = sum(r.total_ok for r in runs["governed"])
    return [
        Result(
            name="governed POST /v1/orders (JWT, scope, rate limit, Idempotency-Key, journal)",
            unit="req/s",
            ours=median([r.rate for r in runs["governed"]]),
            baseline=median([r.rate for r in runs["bare"]]),
            baseline_name="bare @post, same app and process",
            goal=GOAL,
            notes=[
                f"{CONNECTIONS} keep-alive connections, {len(body)}-byte body, "
                f"{rounds} x {duration:.0f} s per route (median), one server process, "
                "2 cores shared with the client",
                *(f"bare run: {r.describe()}" for r in runs["bare"]),
                *(f"governed run: {r.describe()}" for r in runs["governed"]),
                f"durability check: {oks} answers 202 (every key new), {rows} messages in the "
                "journal",
            ],
        )
    ]


def _check_started(server: ServerProcess) -> None:
    """The server must still be up: a crash mid-run would make both figures meaningless."""
    if server.proc.poll() is not None:
        msg = f"the governed server died during the run:\n{server.log_tail()}"
        raise RuntimeError(msg)
