"""End-to-end helpers: real ``crossdock`` processes, a temp config folder, the journal read-only.

Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
_BIN = Path(sys.executable).parent
CROSSDOCK = shutil.which("crossdock", path=str(_BIN)) or shutil.which("crossdock") or "crossdock"


def free_port() -> int:
    """A port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anyone's CROSSDOCK_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Any:
    """Run ``crossdock ARGS`` to completion; returns the CompletedProcess (text output)."""
    return subprocess.run(  # noqa: PLW1510 - callers assert on returncode themselves
        [CROSSDOCK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env() if env is None else env,
        cwd=REPO,
    )


def order(n: int) -> dict[str, Any]:
    """A minimal canonical v1 order with a unique PO number."""
    return {
        "po_number": f"PO-{n}",
        "order_date": "2026-11-22",
        "lines": [
            {"line_number": 1, "item": {"sku": "A"}, "quantity": {"value": "1", "uom": "EA"}}
        ],
    }


def write_config(
    folder: Path,
    receiver_url: str,
    *,
    destination: str = "erp",
    timeout: float = 1,
    retry: str = "{ initial_delay: 0.05, max_delay: 0.2, max_attempts: 3, max_age: 600 }",
    concurrency: int = 16,
) -> Path:
    """One partner, a canonical-JSON channel ``json``, one destination, one route."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "partners.yaml": """
            - name: acme
              display_name: ACME (canonical JSON)
        """,
        "channels.yaml": """
            - name: json
              partner: acme
              format: json
              document_type: order
        """,
        "destinations.yaml": f"""
            - name: {destination}
              url: ${{CROSSDOCK_TEST_RECEIVER:-{receiver_url}}}/{destination}/orders
              timeout: {timeout}
              concurrency: {concurrency}
              retry: {retry}
              breaker: {{ failure_threshold: 1000, reset_timeout: 1 }}
        """,
        "routes.yaml": f"""
            - name: orders
              document_types: [order]
              destinations: [{destination}]
        """,
        # the crash test bursts hundreds of POSTs, then status reads: the plans allow it
        "api.yaml": """
            rate_limits:
              default: { rate: 50, burst: 100 }
              partners:
                acme: { rate: 10000, burst: 2000, name: e2e-burst }
                ops: { rate: 10000, burst: 2000, name: e2e-ops }
        """,
    }
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def query_journal(data_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the journal without writing to it (safe while a gateway runs on it)."""
    uri = f"file:{data_dir / 'journal.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


class Served:
    """A ``crossdock serve`` subprocess and where to reach it."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the process's output, for failure messages."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    async def wait_ready(self, timeout: float = 60) -> None:
        """Poll ``/readyz`` until it answers 200; fail early if the process exits."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while True:
                if self.proc.poll() is not None:
                    pytest.fail(f"serve exited with {self.proc.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    pytest.fail(f"serve not ready after {timeout}s:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, leases left behind."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaps the process."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(timeout=15)


Serve = Callable[..., Served]


async def wait_until(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = ""
) -> Any:
    """Poll a (sync or async) predicate until it returns something truthy; fail on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(interval)


def as_json(text: str) -> Any:
    """Parse CLI JSON output, showing it on failure."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pytest.fail(f"not JSON:\n{text[:2000]}")
