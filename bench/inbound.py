"""Accepted messages/s on ``POST /v1/inbound/json`` against a bare litestar route.

Ours: the real gateway (``create_app`` + ``uvicorn_config``) accepting a ~1.6 KB canonical order
on the canonical JSON channel: channel lookup, media type and size checks, a full JSON parse,
and a durable journal write (SQLite WAL, ``synchronous=FULL``, group commit) before the 202.
Workers are DISABLED for the headline figure (``Settings(workers_enabled=False)``), so it
measures acceptance alone; a second, informational figure runs the same load with the workers
on (processing competes for the same cores; no routes are configured, so nothing is delivered).

Baseline: a bare litestar ``@post`` on the same path returning 202 and the body length, under the
same ``uvicorn.Config``. Each server runs in its own process; the load generator (this process)
keeps the same number of keep-alive connections busy for the same time against each, in
alternating rounds.
"""

from __future__ import annotations

import functools
import sqlite3
import tempfile
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

NAME = "inbound"
GOAL = 0.5
CONNECTIONS = 64

_CONFIG = {
    "gateway.yaml": "mappings_dir: mappings\n",
    "partners.yaml": "- name: acme-retail\n  display_name: ACME Retail (bench)\n",
    "channels.yaml": (
        "- name: json\n  partner: acme-retail\n  format: json\n  document_type: order\n"
    ),
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


def run(quick: bool = False) -> list[Result]:
    duration, warmup, rounds = (2.0, 0.5, 1) if quick else (10.0, 2.0, 3)
    body = order_body()
    request = post_request("/v1/inbound/json", body)
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-") as tmp:
        root = Path(tmp)
        config = write_config(root)
        data = {k: root / f"data-{k}" for k in ("bare", "off", "on")}
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

            def measure(server: ServerProcess) -> LoadResult:
                server.wait_idle()  # e.g. the workers-on gateway still processing its backlog
                return run_async(
                    http_load(
                        server.port,
                        request,
                        connections=CONNECTIONS,
                        warmup=warmup,
                        duration=duration,
                        expect=202,
                        cpu_pids={"server": server.pid},
                    )
                )

            runs = alternate(rounds, {k: functools.partial(measure, p) for k, p in procs.items()})
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
                name=f"inbound accept ({label})",
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
