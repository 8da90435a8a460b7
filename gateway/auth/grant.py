"""The client credentials grant (RFC 6749 section 4.4) without any HTTP framework.

The API layer parses the request (form body, ``Authorization: Basic``) into
:class:`TokenRequest`; this module decides, and raises :class:`OAuthError` with the RFC 6749
section 5.2 error code and the HTTP status to answer with.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Literal
from urllib.parse import unquote_plus

import msgspec

from gateway.auth.credentials import CredentialError, parse_scopes
from gateway.auth.jwks import b64url_decode

Method = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_BYTES = 8192
"""A ``client_assertion`` longer than this is refused before it is decoded."""


class OAuthError(Exception):
    """An RFC 6749 error response: ``error``, ``error_description`` and the status to send."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class TokenRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed token request; ``secret`` and ``assertion`` never appear in logs or ``repr``."""

    grant_type: str
    client_id: str
    secret: str
    method: Method
    scope: tuple[str, ...] | None
    """None: the client's every scope (RFC 6749 3.3 lets the server pick a default)."""
    assertion: str | None = None
    """``private_key_jwt``: the client's signed JWT (``secret`` is then empty)."""

    def __repr__(self) -> str:
        return (
            f"TokenRequest(grant_type={self.grant_type!r}, client_id={self.client_id!r}, "
            f"method={self.method!r}, secret='***', assertion='***')"
        )


def _basic(authorization: str) -> tuple[str, str] | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401)
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64
    return unquote_plus(client_id), unquote_plus(secret)


def parse_token_request(
    form: Mapping[str, Sequence[str]], authorization: str | None
) -> TokenRequest:
    """Read grant, client authentication and scope from the form body and the header."""
    repeated = sorted(k for k, v in form.items() if len(v) > 1)
    if repeated:
        raise OAuthError("invalid_request", f"parameters repeated: {', '.join(repeated)}")
    params = {k: v[0] for k, v in form.items()}
    basic = _basic(authorization) if authorization else None
    posted = "client_secret" in params
    asserted = "client_assertion" in params or "client_assertion_type" in params
    if sum((basic is not None, posted, asserted)) > 1:
        raise OAuthError("invalid_request", "use one client authentication method, not two")
    method: Method
    assertion = None
    if asserted:
        client_id, assertion = _asserted_client(params)
        secret, method = "", "private_key_jwt"
    elif basic:
        client_id, secret = basic
        if params.get("client_id", client_id) != client_id:
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
        method = "client_secret_basic"
    elif posted:
        client_id, secret = params.get("client_id", ""), params["client_secret"]
        method = "client_secret_post"
    else:
        raise OAuthError("invalid_client", "client authentication is required", 401)
    if not client_id or not (secret or assertion):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    scope = None
    if "scope" in params:
        try:
            scope = parse_scopes(params["scope"].split(" "))
        except CredentialError as exc:
            raise OAuthError("invalid_scope", str(exc)) from exc
        if not scope:
            raise OAuthError("invalid_scope", "scope is empty")
    return TokenRequest(
        grant_type=grant_type,
        client_id=client_id,
        secret=secret,
        method=method,
        scope=scope,
        assertion=assertion,
    )


def _asserted_client(params: Mapping[str, str]) -> tuple[str, str]:
    """``(client_id, assertion)`` of a ``private_key_jwt`` request (RFC 7523 section 2.2)."""
    kind, assertion = params.get("client_assertion_type", ""), params.get("client_assertion", "")
    if kind != JWT_BEARER:
        raise OAuthError(
            "invalid_request", f"client_assertion_type must be {JWT_BEARER} with a client_assertion"
        )
    if not assertion:
        raise OAuthError("invalid_request", "client_assertion is required with its type")
    subject = assertion_subject(assertion)
    if params.get("client_id", subject) != subject:
        raise OAuthError("invalid_request", "client_id differs from the assertion's sub")
    return subject, assertion


def _bad_assertion(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401)


def assertion_subject(assertion: str) -> str:
    """The client id an assertion claims to be (``sub``), read WITHOUT verifying it.

    Only to find which client's keys to verify with; nothing is trusted until
    :func:`gateway.auth.assertions.verify_assertion` has passed.
    """
    if len(assertion) > MAX_ASSERTION_BYTES:
        raise _bad_assertion(f"the client assertion is over {MAX_ASSERTION_BYTES} bytes")
    parts = assertion.split(".")
    if len(parts) != 3:
        raise _bad_assertion(
            "the client assertion is not a compact JWS (three dot-separated parts)"
        )
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError as exc:
        raise _bad_assertion("the client assertion's payload is not base64url JSON") from exc
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not sub:
        raise _bad_assertion("the client assertion has no sub (the client id)")
    return sub
