"""Route decorators whose guards are handed the route handler itself, not a copy of it.

litestar's ``authorize_connection`` calls every guard with ``copy(handler)``, so a guard cannot
change the handler other requests use. Copying a handler (a few dozen attributes, through
``__reduce_ex__``) cost about 10 µs per guard per request here, a tenth of what a bare route
costs in all. The gateway's guards (:func:`gateway.api.governance.governed`, the resources'
read guards) only read the handler's name, so its governed routes use these decorators; they
take litestar's ``@post``/``@get`` arguments and behave the same in every other respect.
(litestar deprecates subclassing its ``post`` and ``get`` classes; the handler class is
subclassed instead.)
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler

__all__ = ["SharedHandler", "get_route", "post_route"]


class SharedHandler(HTTPRouteHandler):
    """An HTTP route handler whose guards see the handler itself (they must not change it)."""

    async def authorize_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        """Run every guard in scope, in order; the first to raise refuses the request."""
        for guard in self.resolve_guards():
            await guard(connection, self)  # type: ignore[misc]


def post_route(path: str, **kwargs: Any) -> SharedHandler:
    """``@post(path, ...)`` with guards that share the handler."""
    return SharedHandler(path, http_method=HttpMethod.POST, **kwargs)


def get_route(path: str, **kwargs: Any) -> SharedHandler:
    """``@get(path, ...)`` with guards that share the handler."""
    return SharedHandler(path, http_method=HttpMethod.GET, **kwargs)
