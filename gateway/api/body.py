"""Reading a request body straight off the ASGI channel, with the door's size limit.

Why not ``Request.body()``: litestar reads through an async generator and parses
``Content-Length`` through its ``Headers`` object, which it builds from the scope for that
alone; on the webhook door that was about 8 % of a request's CPU (docs/benchmarks.md). This
reads the same events, enforces the same limit (the route's ``request_max_body_size``, which
the app sets from ``max_body_bytes``) on the announced length and on the bytes actually
received, and leaves the body where ``Request.body()`` looks first, so a later reader (an
exception handler, a middleware) gets the same bytes instead of "stream consumed".

A refusal is our problem+json with the door's context (partner, source), not litestar's
generic 413.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.utils.scope.state import ScopeState

from gateway.api.problems import ProblemError
from gateway.api.wire_headers import header


def _too_large(size: str, limit: int, context: dict[str, str]) -> ProblemError:
    return ProblemError(
        413,
        "body_too_large",
        "Request body too large",
        f"the body is {size} bytes; this endpoint accepts at most {limit}",
        stage="accept",
        **context,
    )


def _announced(request: Request[Any, Any, Any], context: dict[str, str]) -> int | None:
    value = header(request.scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ProblemError(
            400,
            "invalid_content_length",
            "Invalid Content-Length",
            f"Content-Length is {value!r}; expected a whole number of bytes",
            stage="accept",
            **context,
        ) from None


async def read_body(request: Request[Any, Any, Any], **context: str) -> bytes:
    """The whole body; 413 naming ``context`` if it is longer than the route accepts."""
    state = ScopeState.from_scope(request.scope)
    cached = state.body
    if isinstance(cached, bytes):
        return cached
    limit = request.route_handler.resolve_request_max_body_size()
    announced = _announced(request, context)
    if limit is not None and announced is not None and announced > limit:
        raise _too_large(str(announced), limit, context)
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise ProblemError(
                400,
                "client_disconnected",
                "Client disconnected",
                f"the client went away after {size} bytes of the body; nothing was accepted",
                stage="accept",
                **context,
            )
        chunk = event.get("body", b"")
        if isinstance(chunk, bytes) and chunk:
            size += len(chunk)
            if limit is not None and size > limit:
                raise _too_large(f"more than {limit}", limit, context)
            chunks.append(chunk)
        if not event.get("more_body", False):
            break
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    state.body = body
    return body
