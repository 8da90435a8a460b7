"""A real HTTP destination on 127.0.0.1 that misbehaves on request, and remembers what it got.

The demo and the tests need a destination that fails the way real ones do (503 then recovery,
429 with Retry-After, a hung handler, a dropped connection) without mocking HTTP, so retry and
breaker logic are exercised over real sockets. Behaviours are chosen per path prefix, at
construction or at run time (``set_behaviour``, or ``PUT /_behaviours`` from another process).
Every request is recorded; ``GET /_received`` returns them as JSON, ``DELETE /_received`` forgets.

It is a bare ASGI app served by uvicorn, so it has no dependency on the gateway's own API stack,
and it refuses to listen anywhere but a loopback address.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ipaddress
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import msgspec
import uvicorn

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Ok(msgspec.Struct, frozen=True):
    """Answer ``status`` (200 or 202, say) with a small JSON body."""

    status: int = 200
    body: bytes = b'{"status":"accepted"}'


class FailThenOk(msgspec.Struct, frozen=True):
    """Fail the first ``n`` requests with ``status``, then answer 200: a destination recovering."""

    n: int
    status: int = 503


class Slow(msgspec.Struct, frozen=True):
    """Wait ``seconds`` before answering 200 (longer than the client's timeout, usually)."""

    seconds: float


class RateLimited(msgspec.Struct, frozen=True):
    """Answer 429 with ``Retry-After`` (seconds or an HTTP-date) ``n`` times, then 200."""

    n: int
    retry_after: int | str = 1


class Reject(msgspec.Struct, frozen=True):
    """Refuse every request with ``status``: bad data that retrying cannot fix."""

    status: int = 422
    body: bytes = b'{"error":"rejected"}'


class CloseConnection(msgspec.Struct, frozen=True):
    """Read the request, then close the connection without any response."""


Behaviour = Ok | FailThenOk | Slow | RateLimited | Reject | CloseConnection


_DEFAULT = Ok()
_PARSERS: dict[str, Callable[..., Behaviour]] = {
    "ok": lambda status="200": Ok(int(status)),
    "fail_then_ok": lambda n, status="503": FailThenOk(int(n), int(status)),
    "slow": lambda seconds: Slow(float(seconds)),
    "rate_limited": lambda n, after="1": RateLimited(
        int(n), int(after) if after.isdigit() else after
    ),
    "reject": lambda status="422": Reject(int(status)),
    "close": CloseConnection,
}


def parse_behaviour(spec: str) -> Behaviour:
    """Read the CLI / ``/_behaviours`` form: ``fail_then_ok:2``, ``rate_limited:1:<date>``...

    Forms: ``ok[:status]``, ``fail_then_ok:n[:status]``, ``slow:seconds``, ``close``,
    ``rate_limited:n[:seconds-or-HTTP-date]``, ``reject[:status]``.
    """
    name, *args = spec.split(":", 2)  # at most 2 arguments; an HTTP-date keeps its colons
    parser = _PARSERS.get(name)
    try:
        if parser is not None:
            return parser(*args)
    except (TypeError, ValueError):  # wrong argument count or not a number
        pass
    msg = f"unknown behaviour {spec!r}"
    raise ValueError(msg)


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/") or prefix.startswith("/_"):
        msg = f"behaviour prefix {prefix!r} must start with '/' but not '/_' (reserved)"
        raise ValueError(msg)


# Shown as present but not readable over HTTP: tests may send real-looking credentials.
_REDACTED = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


class Received(msgspec.Struct, frozen=True):
    """One request as it arrived. Header names are lower-case; repeats are joined with ", "."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def idempotency_key(self) -> str | None:
        """The ``Idempotency-Key`` header, the thing most tests want to compare."""
        return self.headers.get("idempotency-key")

    def to_json(self) -> dict[str, Any]:
        """Render for ``GET /_received``: body as text and base64, secrets redacted."""
        redacted = {k: "[redacted]" for k in self.headers if k in _REDACTED}
        return msgspec.structs.asdict(self) | {
            "headers": self.headers | redacted,
            "idempotency_key": self.idempotency_key,
            "body": self.body.decode("utf-8", errors="replace"),
            "body_base64": base64.b64encode(self.body).decode("ascii"),
        }


async def _respond(send: Send, status: int, body: bytes = b"", extra: Sequence[Any] = ()) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})


class Receiver:
    """The ASGI app: behaviours by longest matching path prefix, ``default`` for the rest."""

    def __init__(
        self, behaviours: Mapping[str, Behaviour] | None = None, default: Behaviour = _DEFAULT
    ) -> None:
        self.received: list[Received] = []
        self.url = ""  # set by running_receiver once the port is known
        self._behaviours: dict[str, Behaviour] = {"": default}
        self._counts: dict[str, int] = {}
        for prefix, behaviour in (behaviours or {}).items():
            self.set_behaviour(prefix, behaviour)

    def set_behaviour(self, prefix: str, behaviour: Behaviour) -> None:
        """Use ``behaviour`` for paths under ``prefix`` from now on, its counters starting at 0."""
        _check_prefix(prefix)
        self._behaviours[prefix] = behaviour
        self._counts.pop(prefix, None)

    def received_on(self, prefix: str) -> list[Received]:
        """Return the requests whose path starts with ``prefix``, oldest first."""
        return [r for r in self.received if r.path.startswith(prefix)]

    def _match(self, path: str) -> tuple[str, Behaviour]:
        prefix = max((p for p in self._behaviours if path.startswith(p)), key=len)
        return prefix, self._behaviours[prefix]

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        """Read the whole request, record it, then answer as its path's behaviour says."""
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        method, path = scope["method"], scope["path"]
        if path.startswith("/_"):
            await self._control(method, path, bytes(body), send)
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        query = scope.get("query_string", b"").decode("latin-1")
        self.received.append(Received(method, path, query, headers, bytes(body), time.time()))
        prefix, behaviour = self._match(path)
        seen = self._counts.get(prefix, 0)
        self._counts[prefix] = seen + 1
        await self._behave(behaviour, seen, receive, send)

    async def _behave(self, behaviour: Behaviour, seen: int, receive: Receive, send: Send) -> None:
        ok = _DEFAULT
        match behaviour:
            case Ok() | Reject():
                await _respond(send, behaviour.status, behaviour.body)
            case FailThenOk(n=n, status=status) if seen < n:
                await _respond(send, status, b'{"error":"unavailable"}')
            case RateLimited(n=n, retry_after=after) if seen < n:
                extra = [(b"retry-after", str(after).encode("latin-1"))]
                await _respond(send, 429, b'{"error":"rate limited"}', extra)
            case Slow(seconds=seconds):
                if await _sleep_unless_disconnected(receive, seconds):
                    await _respond(send, ok.status, ok.body)
            case CloseConnection():
                await _close_connection(receive, send)
            case _:  # FailThenOk and RateLimited once their n failures are spent
                await _respond(send, ok.status, ok.body)

    async def _control(self, method: str, path: str, body: bytes, send: Send) -> None:
        """Serve ``/_received`` and ``/_behaviours``, so another process can drive the receiver."""
        if (method, path) == ("GET", "/_received"):
            data = msgspec.json.encode([r.to_json() for r in self.received])
            await _respond(send, 200, data)
        elif (method, path) == ("DELETE", "/_received"):
            self.received.clear()
            await _respond(send, 204)
        elif (method, path) == ("PUT", "/_behaviours"):
            try:
                specs = msgspec.json.decode(body, type=dict[str, str])
                parsed = {prefix: parse_behaviour(spec) for prefix, spec in specs.items()}
                for prefix, behaviour in parsed.items():
                    self.set_behaviour(prefix, behaviour)
            except (msgspec.DecodeError, ValueError) as exc:
                await _respond(send, 400, msgspec.json.encode({"error": str(exc)}))
            else:
                await _respond(send, 204)
        else:
            await _respond(send, 404, b'{"error":"not found"}')


async def _sleep_unless_disconnected(receive: Receive, seconds: float) -> bool:
    """Sleep, but stop early (returning False) if the client hangs up, so shutdown is prompt."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return True
    return False


async def _close_connection(receive: Receive, send: Send) -> None:
    """Drop the connection with no response: ASGI has no message for it, so use the transport.

    uvicorn's ``send`` is a method of its request cycle, which holds the connection's transport.
    After closing it, wait for uvicorn to report the disconnect so it does not answer with a 500.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        msg = "cannot reach the connection's transport to close it"
        raise TypeError(msg)
    transport.close()
    await receive()


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host (a test run, the demo CLI)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _loopback_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves: a bind error raises here instead of exiting uvicorn."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, which could resolve anywhere
        loopback = False
    if not loopback:
        msg = f"the receiver only listens on a loopback address such as 127.0.0.1, not {host!r}"
        raise ValueError(msg)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


@contextlib.asynccontextmanager
async def running_receiver(
    behaviours: Mapping[str, Behaviour] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    default: Behaviour = _DEFAULT,
) -> AsyncIterator[Receiver]:
    """Serve a :class:`Receiver` in this event loop; ``port=0`` picks a free port (see ``.url``)."""
    receiver = Receiver(behaviours, default)
    sock = _loopback_socket(host, port)
    # No access log, no lifespan, and no global logging config: the host process owns logging.
    config = uvicorn.Config(
        receiver, lifespan="off", access_log=False, log_config=None, timeout_graceful_shutdown=2
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()  # raises what stopped it
                    msg = "receiver stopped during startup"
                    raise RuntimeError(msg)
                await asyncio.sleep(0.005)
        bound = server.servers[0].sockets[0].getsockname()
        netloc = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        receiver.url = f"http://{netloc}:{bound[1]}"
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _serve_until_signalled(behaviours: Mapping[str, Behaviour], host: str, port: int) -> None:
    async with running_receiver(behaviours, host, port) as receiver:
        print(f"receiver listening on {receiver.url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the receiver until SIGINT/SIGTERM, printing its URL first (for a parent process)."""
    parser = argparse.ArgumentParser(prog="python -m gateway.demo.receiver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--behaviour", action="append", default=[], metavar="PREFIX=SPEC")
    args = parser.parse_args(argv)
    behaviours: dict[str, Behaviour] = {}
    for item in args.behaviour:
        prefix, _, spec = item.partition("=")
        try:
            _check_prefix(prefix)
            behaviours[prefix] = parse_behaviour(spec)
        except ValueError as exc:
            parser.error(str(exc))
    asyncio.run(_serve_until_signalled(behaviours, args.host, args.port))


if __name__ == "__main__":
    main()
