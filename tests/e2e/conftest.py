"""End-to-end fixtures. Every process a test starts is registered with the ``serve`` fixture,
which stops it (SIGTERM, then SIGKILL) and reaps it, whatever the test did.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import CROSSDOCK, REPO, Serve, Served, clean_env, free_port


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """serve(config_dir, data_dir, **env) starts ``crossdock serve`` on a free port."""
    started: list[Served] = []

    def _serve(config_dir: Path, data_dir: Path, **env: str) -> Served:
        port = free_port()
        log = tmp_path / f"serve-{len(started)}-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    CROSSDOCK,
                    "serve",
                    "--config",
                    str(config_dir),
                    "--data-dir",
                    str(data_dir),
                    "--port",
                    str(port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=clean_env(**env),
                cwd=REPO,
            )
        served = Served(proc, port, log)
        started.append(served)
        return served

    try:
        yield _serve
    finally:
        for served in started:
            served.stop()
