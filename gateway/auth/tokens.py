"""Access tokens per RFC 9068 (JWT profile for OAuth 2.0 access tokens), signed with joserfc."""

from __future__ import annotations

import secrets
import time

import msgspec
from joserfc import jwt

from gateway.auth.config import AuthConfig
from gateway.auth.credentials import Client
from gateway.auth.keys import ALGORITHM, KeyRing

TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type (RFC 9068), not a password


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """What the token endpoint answers (RFC 6749 section 5.1)."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - RFC 6750 token type
    expires_in: int
    scope: str

    def __repr__(self) -> str:
        return f"IssuedToken(token_type={self.token_type!r}, expires_in={self.expires_in})"


def issue_token(
    keys: KeyRing,
    config: AuthConfig,
    client: Client,
    scopes: tuple[str, ...],
    now: float | None = None,
) -> IssuedToken:
    """Sign an access token for ``client`` with the current key (``kid`` in the header)."""
    issued = int(time.time() if now is None else now)
    key = keys.signing_key
    scope = " ".join(scopes)
    claims = {
        "iss": config.issuer,
        "aud": config.audience,
        "sub": client.client_id,
        "client_id": client.client_id,
        "partner": client.partner,
        "scope": scope,
        "iat": issued,
        "nbf": issued,
        "exp": issued + config.token_lifetime,
        "jti": secrets.token_urlsafe(16),
    }
    header = {"alg": ALGORITHM, "typ": TOKEN_TYPE, "kid": key.kid}
    token = jwt.encode(header, claims, key, algorithms=[ALGORITHM])
    return IssuedToken(access_token=token, expires_in=config.token_lifetime, scope=scope)
