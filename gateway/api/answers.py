"""A door's success answer as a bare ASGI app: status, headers and body already in bytes.

litestar turns a returned ``Response`` into its low-level ``ASGIResponse`` on every request
(layered headers, cookies, type encoders, a header container); building that one alone took
7 µs per webhook here, more than verifying its HMAC. A door that has none of those layers can
return an :class:`Answer`, which litestar passes through untouched because it is an ASGI app
(its route's ``responses`` still document the body for OpenAPI). Errors keep going through the
exception handlers as problem+json; this is for the hot path's one success shape.
"""

from __future__ import annotations

from typing import Any

from litestar.types import Receive, Scope, Send

_JSON = (b"content-type", b"application/json")


class Answer:
    """``status`` with a JSON ``body`` and extra ``headers`` (names lower case, latin-1)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the start and the whole body (the doors that use it take POST only)."""
        body = self.body
        start: Any = {
            "type": "http.response.start",
            "status": self.status,
            "headers": [_JSON, (b"content-length", b"%d" % len(body)), *self.headers],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
