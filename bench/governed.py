"""Governed ``POST /v1/orders`` against a bare litestar route in the same server process.

Ours: the canonical orders resource as a partner's client calls it: the bearer token (an Ed25519
JWT; verified once, then from the verified-token cache plus the client's status through its
short cache), the ``orders:write`` scope check, the partner's rate limit (a plan that admits the
whole load: the limiter runs on every request and never refuses), a unique
``Idempotency-Key`` per request (claimed in, and the response stored to, the journal's file),
the strict contract decode of a ~1.7 KB order, and the durable journal write before the 202.
Workers are off: this measures the request path. Two rows: the limiter on the memory backend
(the embedded default) and, when redis-server is installed, on Redis (a throwaway server on a
unix socket, one Lua call per request, as several gateway processes would share it), each
against the bare route of its own server process.

Baseline: ``@post("/bench/bare")`` registered on the SAME app in the SAME process (same
middleware stack, same uvicorn config) answering 202 with the body length; both get the same
bytes, headers included. Requests are generated with a counter so every Idempotency-Key is new
(a repeated key would measure replays, not creation). The two routes are loaded in alternating
rounds with the same connections and durations.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import redis as redis_client

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
from tests.redis_server import RedisServer
from tests.redis_server import available as redis_available

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


def _redis_scripts(socket: Path) -> int:
    """How many Lua calls redis-server ran: the limiter's, one per governed request."""
    client = redis_client.Redis(unix_socket_path=str(socket))
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return sum(
        int(v["calls"]) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval")
    )


def _redis_env(url: str) -> contextlib.AbstractContextManager[None]:
    """The settings a gateway process reads to keep its limiter state in Redis."""
    return _environ(CROSSDOCK_RATE_LIMIT_BACKEND="redis", CROSSDOCK_REDIS_URL=url)


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(quick: bool = False) -> list[Result]:
    duration, warmup, rounds = (2.0, 0.5, 1) if quick else (10.0, 2.0, 3)
    body = valid_order()
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="crossdock-bench-")))
        config = write_config(root)
        backends = ["memory"] + (["redis"] if redis_available() else [])
        specs, tokens = {}, {}
        for backend in backends:
            data = root / f"data-{backend}"
            tokens[backend] = bearer_token(data, PARTNER, "orders:write orders:read")
            specs[backend] = ("governed", "--config-dir", str(config), "--data-dir", str(data))
        procs: dict[str, ServerProcess] = {}
        procs["memory"] = stack.enter_context(servers(server=specs["memory"]))["server"]
        if "redis" in backends:
            redis = stack.enter_context(RedisServer.start(root / "redis"))
            with _redis_env(redis.url):
                procs["redis"] = stack.enter_context(servers(server=specs["redis"]))["server"]

        def measure(backend: str, path: str, prefix: str) -> LoadResult:
            server = procs[backend]
            server.wait_idle()
            return run_async(
                http_load(
                    server.port,
                    request_factory(path, body, tokens[backend], prefix),
                    connections=CONNECTIONS,
                    warmup=warmup,
                    duration=duration,
                    expect=202,
                    cpu_pids={"server": server.pid},
                )
            )

        steps: dict[str, Callable[[], LoadResult]] = {}
        for backend in backends:
            steps[f"bare-{backend}"] = functools.partial(measure, backend, "/bench/bare", "bare")
            steps[backend] = functools.partial(measure, backend, "/v1/orders", "orders")
        runs = alternate(rounds, steps)
        redis_calls = _redis_scripts(redis.socket) if "redis" in backends else 0
        for server in procs.values():
            _check_started(server)
            server.stop()
        rows = {backend: _journal_rows(root / f"data-{backend}") for backend in backends}
    results = []
    for backend in backends:
        oks = sum(r.total_ok for r in runs[backend])
        limiter = (
            "rate limit on the memory backend"
            if backend == "memory"
            else "rate limit on redis-server (unix socket, one Lua call per request)"
        )
        results.append(
            Result(
                name=f"governed POST /v1/orders, {backend} limiter (JWT, scope, rate limit, "
                "Idempotency-Key, journal)",
                unit="req/s",
                ours=median([r.rate for r in runs[backend]]),
                baseline=median([r.rate for r in runs[f"bare-{backend}"]]),
                baseline_name="bare @post, same app and process",
                goal=GOAL,
                notes=[
                    f"{CONNECTIONS} keep-alive connections, {len(body)}-byte body, "
                    f"{rounds} x {duration:.0f} s per route (median), one server process, "
                    f"2 cores shared with the client; {limiter}",
                    *(f"bare run: {r.describe()}" for r in runs[f"bare-{backend}"]),
                    *(f"governed run: {r.describe()}" for r in runs[backend]),
                    f"durability check: {oks} answers 202 (every key new), {rows[backend]} "
                    "messages in the journal",
                ],
            )
        )
    if "redis" in backends:
        # proof the second server's limiter really kept its state in Redis
        oks = sum(r.total_ok for r in runs["redis"])
        results[1].notes.append(
            f"redis-server ran {redis_calls} limiter script calls for {oks} governed answers"
        )
    else:
        results[0].notes.append("redis-server not installed: the Redis-limiter row is missing")
    return results


def _check_started(server: ServerProcess) -> None:
    """The server must still be up: a crash mid-run would make both figures meaningless."""
    if server.proc.poll() is not None:
        msg = f"the governed server died during the run:\n{server.log_tail()}"
        raise RuntimeError(msg)
