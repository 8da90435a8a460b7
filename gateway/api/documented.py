"""What the OpenAPI document says about errors and auth, so it matches what the API answers.

Every error we send is an RFC 9457 problem (``application/problem+json``, see
:mod:`gateway.api.problems`); litestar's generated 400 describes its own error shape instead.
:func:`problem` declares a status with our shape, :data:`BEARER` is the security scheme, and
:func:`document_governed_routes` (an ``on_app_init`` hook) gives every route behind
:func:`gateway.api.governance.governed` its ``security`` requirement (the scopes it needs) and
its 400, 401, 403 and 429 answers, so schemathesis can hold the live API to the document.
(:mod:`gateway.api.idempotency_docs` does the same for the routes that honour Idempotency-Key.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from litestar.config.app import AppConfig
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from gateway.api.problems import PROBLEM_JSON

BEARER = "bearer"
"""The security scheme's name: an OAuth 2.0 access token (RFC 9068 JWT) from /oauth2/token."""


class ProblemDetails(msgspec.Struct, frozen=True):
    """An RFC 9457 problem; routes add members (``partner``, ``stage``, ``errors``...)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str


def problem(description: str) -> ResponseSpec:
    """A response declared as our problem+json, with what it means on this route."""
    return ResponseSpec(
        data_container=ProblemDetails,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def problems(**by_status: str) -> dict[int, ResponseSpec]:
    """``problems(s404="...", s413="...")``: several problem responses at once."""
    return {int(key.removeprefix("s")): problem(text) for key, text in by_status.items()}


GOVERNED_RESPONSES = problems(
    s400="invalid_request: a parameter or the body does not match what the route takes",
    s401="missing_token or invalid_token: send a valid access token (Authorization: Bearer)",
    s403="insufficient_scope: the token lacks a scope this route needs",
    s429="rate_limited: the partner's plan is spent; Retry-After and RateLimit say when",
)


def security_components() -> Components:
    """The components block declaring the bearer scheme (for ``OpenAPIConfig``)."""
    return Components(
        security_schemes={
            BEARER: SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="JWT",
                description="An access token from POST /oauth2/token (client credentials).",
            )
        }
    )


def governed_scopes(guards: Iterable[Any] | None) -> tuple[str, ...] | None:
    """The scopes a handler's governed guard demands (None: not governed)."""
    for guard in guards or ():
        scopes = getattr(guard, "governed_scopes", None)
        if scopes is not None:
            return tuple(scopes)
    return None


def _document(handler: HTTPRouteHandler) -> None:
    scopes = governed_scopes(handler.guards)
    if scopes is None:
        return
    if handler.security is None:
        handler.security = [{BEARER: list(scopes)}]
    own: Mapping[int, ResponseSpec] = handler.responses or {}
    handler.responses = {**GOVERNED_RESPONSES, **own}


def document_governed_routes(app_config: AppConfig) -> AppConfig:
    """``on_app_init`` hook: document every governed route's security and error answers."""
    for handler in app_config.route_handlers:
        if isinstance(handler, HTTPRouteHandler):
            _document(handler)
    return app_config
