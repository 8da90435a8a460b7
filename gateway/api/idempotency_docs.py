"""What the OpenAPI document says about ``Idempotency-Key``, on the routes that honour it.

A route that takes the key (the ``idempotency()`` middleware, or ``opt={"idempotency_key":
True}`` on the resources, which claim keys in their handler) declares the header as a
parameter and its 409 and 422 answers, so a partner reading the document knows it may send one
and schemathesis holds the live answers to it. :func:`document_idempotent_routes` is an
``on_app_init`` hook beside :func:`gateway.api.documented.document_governed_routes`.
"""

from __future__ import annotations

import dataclasses

from litestar.config.app import AppConfig
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.openapi.spec import Operation, Parameter, Schema
from litestar.openapi.spec.enums import OpenAPIType

from gateway.api.documented import problem
from gateway.api.idempotency import HEADER_DESCRIPTION, IdempotencyMiddleware

__all__ = ["IDEMPOTENCY_KEY", "KeyedOperation", "document_idempotent_routes", "honours_keys"]

IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    schema=Schema(type=OpenAPIType.STRING),
    description=HEADER_DESCRIPTION,
)
_KEY_ANSWERS = {
    409: "idempotency_key_in_use: a request with this Idempotency-Key is still running",
    422: "idempotency_key_reused: the Idempotency-Key was first used with another body",
}


@dataclasses.dataclass
class KeyedOperation(Operation):
    """An operation whose route honours ``Idempotency-Key``: the header is one of its parameters."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), IDEMPOTENCY_KEY]


def honours_keys(handler: HTTPRouteHandler) -> bool:
    """Whether ``handler`` takes an ``Idempotency-Key`` (its middleware, or its own ``opt``)."""
    if handler.opt.get("idempotency_key"):
        return True
    return any(
        isinstance(m, DefineMiddleware) and m.middleware is IdempotencyMiddleware
        for m in handler.middleware or ()
    )


def _document_keys(handler: HTTPRouteHandler) -> None:
    """The header, and 409/422 added to (or merged into) the route's own answers."""
    handler.operation_class = KeyedOperation
    responses = dict(handler.responses or {})
    for status, text in _KEY_ANSWERS.items():
        own = responses.get(status)
        if own is None:
            responses[status] = problem(text)
        elif "idempotency_key" not in (own.description or ""):
            responses[status] = dataclasses.replace(
                own, description=f"{own.description}; or {text}"
            )
    handler.responses = responses


def document_idempotent_routes(app_config: AppConfig) -> AppConfig:
    """``on_app_init`` hook: document the key on every route that honours it."""
    for handler in app_config.route_handlers:
        if isinstance(handler, HTTPRouteHandler) and honours_keys(handler):
            _document_keys(handler)
    return app_config
