"""The partner API's one ASGI middleware: what every request is held to, what every answer says.

For each HTTP request of a route it

1. refuses headers larger than ``max_header_bytes`` (431 problem+json) before any guard runs:
   uvicorn's httptools parser sets no cap, so a client could otherwise make every request carry
   megabytes of headers;
2. on the response start, adds the ``RateLimit-Policy`` / ``RateLimit`` headers of the
   limiter outcome an admitted request left in its state (:func:`gateway.api.governance.spend`);
   a refused request (429) already carries its headers and stores no outcome;
3. on the same response start, for a partner's request under ``/v<N>/``, counts it and adds
   that version's deprecation notice (:func:`gateway.api.versioning.observe`).

It wraps the route, so it also sees the answers the exception handlers made: a 404 for another
partner's message still reports the quota it spent and the notice of its version.

Why one middleware and not one per concern: each layer costs every request a closure and two
more awaited frames (one per ``send``), and these two read the same state at the same moment.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from gateway.api.limits import STATE_KEY
from gateway.api.problems import PROBLEM_JSON, TYPE_BASE
from gateway.api.ratelimit import admitted_header_pairs
from gateway.api.versioning import observe, partner_version
from gateway.auth import Principal
from gateway.throttle import Outcome

__all__ = ["MAX_HEADER_BYTES", "Edge", "edge_middleware"]

#: Request header bytes (names and values) accepted when the settings do not say.
MAX_HEADER_BYTES = 16 * 1024
_encode = msgspec.json.Encoder().encode


def _header_limit(scope: Scope) -> int:
    settings = getattr(scope["app"].state.get("gateway"), "settings", None)
    return int(getattr(settings, "max_header_bytes", MAX_HEADER_BYTES))


async def _too_large_headers(scope: Scope, send: Send, size: int, limit: int) -> None:
    """431 (RFC 6585) as our problem+json, before any route or guard runs."""
    body = _encode(
        {
            "type": TYPE_BASE + "headers_too_large",
            "title": "Request headers too large",
            "status": 431,
            "detail": f"the request headers are {size} bytes; this gateway accepts at most {limit}",
            "instance": scope.get("path", ""),
            "code": "headers_too_large",
        }
    )
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 431,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _annotations(scope: Scope, version: str | None) -> list[tuple[bytes, bytes]]:
    """The headers the response gains: the version's notice, then the rate-limit pair."""
    state: dict[str, Any] | None = scope.get("state")
    if not state:
        return []
    extra: list[tuple[bytes, bytes]] = []
    if version is not None:
        principal = state.get("principal")
        if isinstance(principal, Principal):
            extra += observe(scope["litestar_app"], version, principal)
    outcome = state.get(STATE_KEY)
    if isinstance(outcome, Outcome):
        # only admitted requests store an outcome, and no handler sets these names
        extra += admitted_header_pairs(outcome)
    return extra


class Edge:
    """ASGI middleware: the header cap, then the rate-limit and version headers on answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse oversize headers; else pass through, annotating the response start."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) for name, value in scope["headers"])
        limit = _header_limit(scope)
        if size > limit:
            await _too_large_headers(scope, send, size, limit)
            return
        version = partner_version(scope["path"])

        async def annotated(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = _annotations(scope, version)
                if extra:
                    message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, annotated)


def edge_middleware(app: ASGIApp) -> ASGIApp:
    """The middleware factory to list in ``Litestar(middleware=[...])``."""
    return Edge(app)
