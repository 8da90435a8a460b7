"""Helpers for the auth tests: the test config, and tokens signed (or forged) by hand."""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt

from gateway.auth import AuthConfig, AuthService, IssuedSecret

CONFIG = AuthConfig(issuer="https://gw.test", audience="crossdock-api", token_lifetime=300)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def claims_for(issued: IssuedSecret, now: float, **changes: Any) -> dict[str, Any]:
    """Valid RFC 9068 claims for ``issued``'s client, with ``changes`` (None deletes)."""
    claims: dict[str, Any] = {
        "iss": CONFIG.issuer,
        "aud": CONFIG.audience,
        "sub": issued.client.client_id,
        "client_id": issued.client.client_id,
        "partner": issued.client.partner,
        "scope": "orders:write",
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + 300,
        "jti": "j1",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign(service: AuthService, claims: dict[str, Any], **header: Any) -> str:
    """Sign with the service's real key (header defaults: Ed25519, at+jwt, its kid)."""
    key = service.keys.signing_key
    head = {"alg": "Ed25519", "typ": "at+jwt", "kid": key.kid, **header}
    return jwt.encode(head, claims, key, algorithms=["Ed25519"])
