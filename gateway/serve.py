"""Run the HTTP API and the workers in one process under uvicorn (the embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn

from gateway.app import create_app
from gateway.runtime import Gateway

log = logging.getLogger("crossdock")


def uvicorn_config(gateway: Gateway, *, own_process: bool = False) -> uvicorn.Config:
    """Uvicorn settings: our logging, no access log, the gateway's host and port.

    ``own_process`` as for :func:`gateway.app.create_app`: true only for ``crossdock serve``.
    """
    return uvicorn.Config(
        create_app(gateway, own_process=own_process),
        host=gateway.settings.host,
        port=gateway.settings.port,
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=5,
        loop="auto",
        http="auto",
    )


async def serve_in_loop(gateway: Gateway) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Start serving in the running loop; return once the socket is bound (demo and tests)."""
    server = uvicorn.Server(uvicorn_config(gateway))
    server.capture_signals = _no_signals  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    # uvicorn offers a flag, not an event, for "started"
    while not server.started:
        if task.done():
            task.result()
            msg = f"gateway did not start on {gateway.settings.host}:{gateway.settings.port}"
            raise RuntimeError(msg)
        await asyncio.sleep(0.01)
    return server, task


@contextlib.contextmanager
def _no_signals() -> Iterator[None]:
    """Leave signal handling to the host program (the demo, a test)."""
    yield


def run(gateway: Gateway) -> None:
    """Blocking entry point used by ``crossdock serve``."""
    log.info(
        "serving",
        extra={
            "host": gateway.settings.host,
            "port": gateway.settings.port,
            "journal": str(gateway.settings.journal_path),
        },
    )
    config = uvicorn_config(gateway, own_process=True)
    uvicorn.Server(config).run()
