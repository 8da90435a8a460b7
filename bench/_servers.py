"""The servers the benchmarks load, each run in its own process: ``python -m bench._servers KIND``.

- ``gateway``: the real app from ``gateway.app.create_app`` with ``gateway.serve.uvicorn_config``.
- ``bare``: a bare litestar ``@post`` on the same path answering 202 with the body's length,
  served with the *same* ``uvicorn.Config`` object (only ``app`` swapped), so the server options
  (uvloop, httptools, no access log, no server header) cannot drift between the two.
- ``receiver``: a raw ASGI app answering 200 to everything, for the delivery benchmark.
- ``bare-webhook``: like ``bare``, on the webhook path ``/v1/inbound/webhooks/{source}``, for the
  webhook benchmark (same ``uvicorn.Config``, only ``app`` swapped).
- ``governed``: the real gateway app with the canonical resources (``POST /v1/orders``...) and,
  in the SAME app and process, a bare ``@post("/bench/bare")`` answering 202 with the body
  length: the governed benchmark compares the two routes on one server.

Each binds 127.0.0.1 port 0 itself, prints ``port N`` once uvicorn has started (for the gateway,
once its lifespan has opened the journal), and stops gracefully on SIGTERM. ``--profile FILE``
runs the server under cProfile and writes the stats there on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import uvicorn
from litestar import Litestar, Request, post

from gateway.logs import configure_logging
from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@post("/v1/inbound/{channel:str}", status_code=202)
async def _bare_receive(request: Request[Any, Any, Any], channel: str) -> dict[str, Any]:
    raw = await request.body()
    return {"channel": channel, "bytes": len(raw)}


def bare_app() -> Litestar:
    """The baseline: the same framework and route shape, none of the gateway's work."""
    return Litestar(route_handlers=[_bare_receive], debug=False, logging_config=None)


@post("/v1/inbound/webhooks/{source:str}", status_code=202)
async def _bare_webhook(request: Request[Any, Any, Any], source: str) -> dict[str, Any]:
    raw = await request.body()
    return {"source": source, "bytes": len(raw)}


def bare_webhook_app() -> Litestar:
    """The webhook baseline: the same framework and path, no verification and no journal."""
    return Litestar(route_handlers=[_bare_webhook], debug=False, logging_config=None)


_OK_BODY = b'{"status":"accepted"}'
_OK_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"21")]


async def receiver_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Read the request, answer 200: a destination as fast as uvicorn can serve one."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _OK_HEADERS})
    await send({"type": "http.response.body", "body": _OK_BODY})


@post("/bench/bare", status_code=202)
async def _bare_in_gateway(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await request.body()
    return {"bytes": len(raw)}


def _add_governed_routes(app: Litestar) -> None:
    """The bare baseline route, beside the resources the app factory registers."""
    app.register(_bare_in_gateway)


def _config(args: argparse.Namespace) -> uvicorn.Config:
    if args.kind == "receiver":
        return uvicorn.Config(
            receiver_app,
            lifespan="off",
            access_log=False,
            log_config=None,
            server_header=False,
            loop="auto",
            http="auto",
        )
    # CROSSDOCK_* from the environment apply, as for `crossdock serve` (the governed
    # benchmark's Redis row sets the limiter backend that way)
    settings = load_settings(
        config_dir=args.config_dir,
        data_dir=args.data_dir,
        port=0,
        workers_enabled=args.workers,
        log_level="WARNING",
    )
    config = uvicorn_config(Gateway(settings), own_process=True)  # as `crossdock serve`
    if args.kind == "bare":
        config.app = bare_app()
    elif args.kind == "bare-webhook":
        config.app = bare_webhook_app()
    elif args.kind == "governed":
        assert isinstance(config.app, Litestar)
        _add_governed_routes(config.app)
    return config


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its graceful shutdown, which would skip our own cleanup
    (the profile dump); ``_serve`` handles the signals instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, setattr, server, "should_exit", True)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            msg = "server stopped during startup"
            raise RuntimeError(msg)
        await asyncio.sleep(0.01)
    print(f"port {sock.getsockname()[1]}", flush=True)
    await task


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._servers")
    parser.add_argument("kind", choices=["gateway", "bare", "bare-webhook", "governed", "receiver"])
    parser.add_argument("--config-dir", default="config")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--workers", action="store_true", help="run the gateway's workers too")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats here on exit")
    args = parser.parse_args(argv)
    configure_logging("WARNING", "text")
    config = _config(args)
    server = _Server(config)
    sock = socket.create_server(("127.0.0.1", 0))
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        # the same runner uvicorn's Server.run uses: uvloop via config.get_loop_factory()
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(_serve(server, sock))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        sock.close()


if __name__ == "__main__":
    main()
