"""OAuth 2.0 on the wire: the token endpoint, the JWKS document, and the bearer-token guard.

* ``POST /oauth2/token`` - client credentials grant (RFC 6749 4.4) with ``client_secret_basic``,
  ``client_secret_post`` or ``private_key_jwt`` (RFC 7523 2.2); a form-encoded body; RFC 6749
  5.2 error bodies (``invalid_client`` answers 401 with ``WWW-Authenticate: Basic``);
  ``Cache-Control: no-store``.
* ``GET /.well-known/jwks.json`` - the public keys that verify current access tokens.
* ``require_scopes("orders:write")`` - an async guard: verifies the bearer token (RFC 6750),
  checks scopes, and leaves the :class:`~gateway.auth.Principal` on ``request.state.principal``
  (read it with :func:`principal_of` or the ``principal`` dependency). Failures are our
  problem+json: 401 ``invalid_token`` (or ``missing_token``) and 403 ``insufficient_scope``,
  each with the RFC 6750 ``WWW-Authenticate: Bearer`` challenge.

The auth service is taken from ``app.state.auth`` if the app factory put one there, else made
on first use from the gateway's settings (``data_dir``; ``auth_issuer``, ``auth_audience`` and
``auth_token_lifetime`` when the settings have them). Neither secrets nor tokens are logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Guard

from gateway.api.documented import problems
from gateway.api.limits import STATE_KEY, limits_of
from gateway.api.problems import ProblemError
from gateway.api.ratelimit import rate_limited_problem
from gateway.api.wire_headers import header as wire_header
from gateway.auth import (
    AuthConfig,
    AuthService,
    InvalidTokenError,
    IssuedToken,
    OAuthError,
    Principal,
    parse_token_request,
)
from gateway.throttle.policy import Check, Outcome, RatePolicy

log = logging.getLogger("crossdock.auth")
REALM = "crossdock"
_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_encode = msgspec.json.Encoder().encode


class OAuthErrorBody(msgspec.Struct, frozen=True):
    """An RFC 6749 section 5.2 error response."""

    error: str
    error_description: str


# -- the service ------------------------------------------------------------------------------
def _config(settings: Any) -> AuthConfig:
    """Auth settings from the gateway's settings, where it has them (else the defaults)."""
    overrides = {
        field: value
        for field, name in [
            ("issuer", "auth_issuer"),
            ("audience", "auth_audience"),
            ("token_lifetime", "auth_token_lifetime"),
        ]
        if (value := getattr(settings, name, None)) not in {None, ""}
    }
    return msgspec.convert(overrides, AuthConfig)


async def auth_service(state: State) -> AuthService:
    """The app's auth service, made and opened once (keys loaded off the event loop)."""
    service: AuthService | None = state.get("auth")
    if service is not None:
        return service
    lock: asyncio.Lock = state.setdefault("auth_lock", asyncio.Lock())
    async with lock:
        service = state.get("auth")
        if service is None:
            settings = state.gateway.settings
            service = AuthService(settings.data_dir, _config(settings))
            await service.open()
            state.auth = service
    return service


# -- token endpoint ---------------------------------------------------------------------------
def _oauth_error(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, OAuthError)
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    body = _encode(OAuthErrorBody(exc.error, exc.description))
    return Response(body, status_code=exc.status, media_type="application/json", headers=headers)


@post(
    "/oauth2/token",
    status_code=200,
    tags=["auth"],
    summary="Get an access token (OAuth 2.0 client credentials grant)",
    request_max_body_size=8192,
    exception_handlers={OAuthError: _oauth_error},
    responses={
        400: ResponseSpec(OAuthErrorBody, description="invalid_request, invalid_scope, ..."),
        401: ResponseSpec(OAuthErrorBody, description="invalid_client"),
        **problems(
            s413="body_too_large: a token request is a small form",
            s429="rate_limited: too many token requests from this address or for this client",
        ),
    },
)
async def token(request: Request[Any, Any, Any]) -> Response[IssuedToken]:
    """Exchange client credentials for a short-lived JWT access token (RFC 9068)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != _FORM:
        raise OAuthError("invalid_request", f"the body must be {_FORM}")
    try:
        text = (await request.body()).decode("utf-8")
        form = parse_qs(text, keep_blank_values=True, max_num_fields=16)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError("invalid_request", "the body is not a valid form") from exc
    parsed = parse_token_request(form, request.headers.get("authorization"))
    await _limit_token_request(request, parsed.client_id)
    service = await auth_service(request.app.state)
    return Response(await service.token(parsed), headers=_NO_STORE)


async def _limit_token_request(request: Request[Any, Any, Any], client_id: str) -> None:
    """Spend the source address's and the client id's token quota BEFORE the scrypt check.

    The address first: a flood from one host is refused without touching any client's quota.
    A refusal is our 429 problem (``Retry-After``, ``RateLimit`` headers); an admitted request
    gets the ``RateLimit`` headers of both limits on its answer.
    """
    limiter, spec = limits_of(request)
    limits = spec.token_limits
    host = request.client.host if request.client else "unknown"
    checks: list[Check] = []
    for plan, name, subject in [
        (limits.per_address, "token-address", f"token-address:{host}"),
        (limits.per_client, "token-client", f"token-client:{client_id}"),
    ]:
        named = plan if plan.name else msgspec.structs.replace(plan, name=name)
        outcome = await RatePolicy(default=named).check(limiter, subject)
        checks.extend(outcome.checks)
        if not outcome.allowed:
            log.info(
                "token request rate limited",
                extra={"client_id": client_id, "address": host, "policy": outcome.violated},
            )
            raise rate_limited_problem(Outcome(tuple(checks)))
    request.state[STATE_KEY] = Outcome(tuple(checks))


@get(
    "/.well-known/jwks.json",
    tags=["auth"],
    summary="Public keys that verify access tokens",
    responses={
        200: ResponseSpec(
            dict[str, Any],
            description="The JWK Set (RFC 7517)",
            media_type="application/jwk-set+json",
            generate_examples=False,
        )
    },
)
async def jwks(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The JWKS document (RFC 7517); cache it briefly, keys rotate."""
    service = await auth_service(request.app.state)
    return Response(
        service.jwks(),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=300"},
    )


# -- bearer tokens ----------------------------------------------------------------------------
def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "").replace('"', "'") + '"'


def _unauthorized(code: str, detail: str) -> ProblemError:
    challenge = f"Bearer realm={_quoted(REALM)}"
    if code == "invalid_token":
        challenge += f", error={_quoted(code)}, error_description={_quoted(detail)}"
    return ProblemError(
        401,
        code,
        "Invalid access token" if code == "invalid_token" else "Access token required",
        detail,
        headers={"WWW-Authenticate": challenge},
    )


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's principal (cached on the connection), or a 401 problem."""
    # the scope's state dict itself: ``connection.state`` builds a State wrapper per access
    state: dict[str, Any] = connection.scope.setdefault("state", {})
    found: Principal | None = state.get("principal")
    if found is not None:
        return found
    header = wire_header(connection.scope, b"authorization")
    if not header:
        raise _unauthorized("missing_token", "send an access token: Authorization: Bearer ...")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthorized("invalid_token", "the Authorization header is not a Bearer token")
    service = await auth_service(connection.app.state)
    try:
        principal = await service.verify(value.strip())
    except InvalidTokenError as exc:
        raise _unauthorized("invalid_token", str(exc)) from exc
    state["principal"] = principal
    return principal


def check_scopes(principal: Principal, scopes: tuple[str, ...]) -> None:
    """Raise the 403 ``insufficient_scope`` problem unless ``principal`` has every scope."""
    missing = principal.missing(scopes)
    if missing:
        needed = " ".join(scopes)
        raise ProblemError(
            403,
            "insufficient_scope",
            "Insufficient scope",
            f"this request needs scope {needed}; the token lacks {' '.join(missing)}",
            headers={
                "WWW-Authenticate": f"Bearer realm={_quoted(REALM)}, "
                f"error={_quoted('insufficient_scope')}, scope={_quoted(needed)}"
            },
            required_scopes=list(scopes),
        )


def require_scopes(*scopes: str) -> Guard:
    """A guard admitting a valid bearer token that carries every one of ``scopes``."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        check_scopes(await authenticate(connection), scopes)

    return guard


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """The principal a guard left on the request (use only behind ``require_scopes``)."""
    principal: Principal = request.scope["state"]["principal"]  # no State wrapper per call
    return principal


async def _provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return await authenticate(request)


PRINCIPAL = Provide(_provide_principal)
"""``dependencies={"principal": PRINCIPAL}`` gives a handler ``principal: CurrentPrincipal``."""

CurrentPrincipal = NamedDependency[Principal]
"""The annotation for the ``principal`` dependency (a valid token, any scope)."""
