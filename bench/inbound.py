"""Accepted messages/s on ``POST /v1/inbound/json`` (governed) against a bare litestar route.

Ours: the real gateway (``create_app`` + ``uvicorn_config``) accepting a ~1.6 KB canonical order
on the canonical JSON channel as a partner API client would send it: the bearer token (an
Ed25519 JWT, verified once and then served from the verified-token cache, plus the client's
status through its short cache), the ``messages:write`` scope check, the partner's rate limit
(memory backend; the plan admits the whole load, so the limiter runs on every request but never
refuses), channel lookup and tenant check, media type and size checks, a full JSON parse, and a
durable journal write (SQLite WAL, ``synchronous=FULL``, group commit) before the 202.
Workers are DISABLED for the headline figure (``Settings(workers_enabled=False)``), so it
measures acceptance alone; a second, informational figure runs the same load with the workers
on (processing competes for the same cores; no routes are configured, so nothing is delivered).

Baseline: a bare litestar ``@post`` on the same path returning 202 and the body length, under the
same ``uvicorn.Config`` (no auth: the ratio is the price of everything above). Each server
runs in its own process; the load generator (this process) keeps the same number of keep-alive
connections busy for the same time against each, in alternating rounds.
"""

from __future__ import annotations

import functools
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

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
from gateway.auth import AuthService
from gateway.auth.tokens import issue_token

NAME = "inbound"
SCOPE = "messages:write"
GOAL = 0.5
CONNECTIONS = 64

_CONFIG = {
    "gateway.yaml": "mappings_dir: mappings\n",
    "partners.yaml": "- name: acme-retail\n  display_name: ACME Retail (bench)\n",
    "channels.yaml": (
        "- name: json\n  partner: acme-retail\n  format: json\n  document_type: order\n"
    ),
    "api.yaml": "rate_limits:\n  default: {rate: 100000, burst: 100000, name: bench}\n",
}


def write_config(root: Path) -> Path:
    """A config folder with one partner and the canonical ``json`` channel; no destinations."""
    config = root / "config"
    (config / "mappings").mkdir(parents=True)
    for name, text in _CONFIG.items():
        (config / name).write_text(text, encoding="utf-8")
    return config


def _journal_rows(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / "journal.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


def bearer_token(data_dir: Path, partner: str, scopes: str) -> str:
    """A client of ``partner`` in the data folder and an access token for it (as the token
    endpoint would sign it); the server, started afterwards on that folder, verifies it."""

    async def mint() -> str:
        service = AuthService(data_dir)
        await service.open()
        issued = await service.store.add(partner, scopes)
        client = issued.client
        return issue_token(service.keys, service.config, client, client.scopes).access_token

    return run_async(mint())


def run(quick: bool = False) -> list[Result]:
    duration, warmup, rounds = (2.0, 0.5, 1) if quick else (10.0, 2.0, 3)
    body = order_body()
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-") as tmp:
        root = Path(tmp)
        config = write_config(root)
        data = {k: root / f"data-{k}" for k in ("bare", "off", "on")}
        # the bare server ignores the header; each gateway verifies a token of its own keys
        requests = {
            k: post_request(
                "/v1/inbound/json",
                body,
                headers={"Authorization": f"Bearer {bearer_token(path, 'acme-retail', SCOPE)}"},
            )
            for k, path in data.items()
        }
        specs = {
            k: (
                "bare" if k == "bare" else "gateway",
                "--config-dir",
                str(config),
                "--data-dir",
                str(path),
                *(["--workers"] if k == "on" else []),
            )
            for k, path in data.items()
        }
        with servers(**specs) as procs:

            def measure(kind: str, server: ServerProcess) -> LoadResult:
                server.wait_idle()  # e.g. the workers-on gateway still processing its backlog
                return run_async(
                    http_load(
                        server.port,
                        requests[kind],
                        connections=CONNECTIONS,
                        warmup=warmup,
                        duration=duration,
                        expect=202,
                        cpu_pids={"server": server.pid},
                    )
                )

            loads: dict[str, Callable[[], LoadResult]] = {
                k: functools.partial(measure, k, p) for k, p in procs.items()
            }
            runs = alternate(rounds, loads)
            for k in ("off", "on"):
                procs[k].stop()  # graceful: the journal commits and closes
        rows = {k: _journal_rows(data[k]) for k in ("off", "on")}
    oks = {k: sum(r.total_ok for r in runs[k]) for k in ("off", "on")}
    base = median([r.rate for r in runs["bare"]])
    common = [
        f"{CONNECTIONS} keep-alive connections, {len(body)}-byte body, "
        f"{rounds} x {duration:.0f} s per server (median), 2 cores shared with the client",
        *(f"bare run: {r.describe()}" for r in runs["bare"]),
    ]
    results = []
    for k, label in (("off", "workers off"), ("on", "workers on, no routes")):
        results.append(
            Result(
                name=f"inbound accept, bearer auth + rate limit ({label})",
                unit="msg/s",
                ours=median([r.rate for r in runs[k]]),
                baseline=base,
                baseline_name="bare litestar @post",
                goal=GOAL if k == "off" else None,
                notes=[
                    *common,
                    *(f"gateway run: {r.describe()}" for r in runs[k]),
                    f"durability check: {oks[k]} answers 202, {rows[k]} messages in the journal",
                ],
            )
        )
    return results
