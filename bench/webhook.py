"""Accepted webhooks/s on ``POST /v1/inbound/webhooks/shop`` against a bare litestar route.

Ours: the real gateway (``create_app`` + ``uvicorn_config``, workers DISABLED) receiving Shopify's
``orders/create`` sample (``../shared/samples/webhooks``, read in place) signed with
``X-Shopify-Hmac-Sha256``: source lookup, the verifier (secret by reference ``{env: VAR}``),
HMAC-SHA256 over the raw bytes with a constant-time compare, the JSON check, and the durable
journal write (SQLite WAL, ``synchronous=FULL``, group commit) before the 202. The partner's
rate limit (memory backend, a plan that admits the whole load) is spent on every request.

Every request is the same prepared bytes, so dedupe must not apply: the Shopify verifier takes
the event id from ``X-Shopify-Webhook-Id``/``X-Shopify-Event-Id`` only, and the requests carry
neither (Shopify's verifier checks no timestamp, so the precomputed signature stays valid). With
no event id there is no dedupe key, no cache lookup and no journal lookup, and every request is
journaled; the durability check at the end counts them.

Baseline: a bare litestar ``@post("/v1/inbound/webhooks/{source:str}")`` answering 202 with the
body length, under the same ``uvicorn.Config`` (``python -m bench._servers bare-webhook``). Each
server runs in its own process; the load generator (this process) keeps the same connections
busy for the same time against each, in alternating rounds.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import sqlite3
import tempfile
from pathlib import Path

from bench._harness import (
    ROOT,
    LoadResult,
    Result,
    ServerProcess,
    alternate,
    http_load,
    median,
    run_async,
    servers,
)

NAME = "webhook"
GOAL = 0.5
CONNECTIONS = 64
SOURCE = "shop"
PATH = f"/v1/inbound/webhooks/{SOURCE}"
SAMPLE = ROOT.parent / "shared" / "samples" / "webhooks" / "shopify_orders_create_sample.json"
SECRET_ENV = "CROSSDOCK_BENCH_SHOPIFY_SECRET"
SECRET = "bench-shopify-app-secret"  # a throwaway secret for this benchmark only

_CONFIG = {
    "gateway.yaml": "mappings_dir: mappings\n",
    "partners.yaml": "- name: acme-shop\n  display_name: ACME Shopify store (bench)\n",
    "webhooks.yaml": (
        f"- name: {SOURCE}\n  partner: acme-shop\n  scheme: shopify\n"
        f"  secrets:\n    - env: {SECRET_ENV}\n"
    ),
    # the partner's rate limit is checked on every request; this plan is high enough to admit
    # the whole load, so the figure includes the limiter's cost but never a 429
    "api.yaml": "rate_limits:\n  default: {rate: 100000, burst: 100000, name: bench}\n",
}


def write_config(root: Path) -> Path:
    """A config folder with one partner and one Shopify webhook source; no channels, no routes."""
    config = root / "config"
    (config / "mappings").mkdir(parents=True)
    for name, text in _CONFIG.items():
        (config / name).write_text(text, encoding="utf-8")
    return config


def shopify_request(body: bytes, secret: str) -> bytes:
    """One keep-alive POST as Shopify sends it, signed, without an event id header."""
    signature = base64.b64encode(hmac.digest(secret.encode(), body, hashlib.sha256)).decode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: Shopify-Captain-Hook\r\n"
        f"X-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: acme-bench.myshopify.com\r\n"
        f"X-Shopify-Api-Version: 2024-10\r\nX-Shopify-Hmac-Sha256: {signature}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _journal_counts(data_dir: Path) -> tuple[int, int]:
    """Messages on the webhook's channel, and how many of them carry an event id."""
    conn = sqlite3.connect(data_dir / "journal.sqlite3")
    try:
        total, keyed = conn.execute(
            "SELECT COUNT(*), COUNT(json_extract(business_keys, '$.webhook_event_id')) "
            "FROM messages WHERE channel = ?",
            (f"webhook:{SOURCE}",),
        ).fetchone()
        return int(total), int(keyed)
    finally:
        conn.close()


def run(quick: bool = False) -> list[Result]:
    duration, warmup, rounds = (2.0, 0.5, 1) if quick else (10.0, 2.0, 3)
    body = SAMPLE.read_bytes()
    request = shopify_request(body, SECRET)
    previous = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET  # the servers inherit it; the config names only the variable
    try:
        with tempfile.TemporaryDirectory(prefix="crossdock-bench-") as tmp:
            root = Path(tmp)
            config = write_config(root)
            data = {k: root / f"data-{k}" for k in ("bare", "gateway")}
            specs = {
                k: (
                    "bare-webhook" if k == "bare" else "gateway",
                    "--config-dir",
                    str(config),
                    "--data-dir",
                    str(path),
                )
                for k, path in data.items()
            }
            with servers(**specs) as procs:

                def measure(server: ServerProcess) -> LoadResult:
                    server.wait_idle()
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

                runs = alternate(
                    rounds, {k: functools.partial(measure, p) for k, p in procs.items()}
                )
                procs["gateway"].stop()  # graceful: the journal commits and closes
                log = procs["gateway"].log_tail(600).strip()
            rows, keyed = _journal_counts(data["gateway"])
    finally:
        if previous is None:
            os.environ.pop(SECRET_ENV, None)
        else:
            os.environ[SECRET_ENV] = previous
    oks = sum(r.total_ok for r in runs["gateway"])
    return [
        Result(
            name="webhook verify + accept (Shopify)",
            unit="msg/s",
            ours=median([r.rate for r in runs["gateway"]]),
            baseline=median([r.rate for r in runs["bare"]]),
            baseline_name="bare litestar @post",
            goal=GOAL,
            notes=[
                f"{CONNECTIONS} keep-alive connections, {len(body)}-byte signed body "
                f"({SAMPLE.name}), {rounds} x {duration:.0f} s per server (median), "
                "workers off, 2 cores shared with the client",
                *(f"bare run: {r.describe()}" for r in runs["bare"]),
                *(f"gateway run: {r.describe()}" for r in runs["gateway"]),
                f"durability check: {oks} answers 202, {rows} messages in the journal "
                f"({keyed} with an event id, so none deduped)",
                *([f"gateway log tail: {log}"] if log else []),
            ],
        )
    ]
