"""Bearer token verification: signature, algorithm, type, issuer, audience, times, client status.

Every check a resource server owes an RFC 9068 token (section 4): only ``Ed25519`` is accepted
(``alg=none``, HMAC and RSA tokens fail before any key is touched, so no key confusion), the key
is chosen by ``kid`` among our own keys, ``typ`` must be ``at+jwt``, ``iss`` and ``aud`` must be
ours, ``exp``/``nbf``/``iat`` are checked with a small leeway. Then the client must still be
active and the token must be newer than the client's current secret.

Verified tokens are cached until they expire (signature checks dominate a governed request's
cost); the client's status is read through a short cache on every request, so a revocation bites
within ``status_cache_seconds`` even for cached tokens.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from gateway.auth.config import AuthConfig
from gateway.auth.credentials import Client, CredentialStore
from gateway.auth.keys import ALGORITHM, KeyRing
from gateway.auth.tokens import TOKEN_TYPE

MAX_TOKEN_BYTES = 4096
_RELOAD_INTERVAL = 1.0


class InvalidTokenError(Exception):
    """The bearer token is missing, malformed, unverifiable, expired or no longer valid."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: routes use ``partner`` for tenant isolation and ``scopes`` for access."""

    client_id: str
    partner: str
    scopes: frozenset[str]

    def missing(self, required: tuple[str, ...]) -> tuple[str, ...]:
        """The required scopes this principal lacks (empty: allowed)."""
        return tuple(s for s in required if s not in self.scopes)


class _Verified(msgspec.Struct, frozen=True):
    principal: Principal
    issued_at: int
    expires_at: int


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal`, or raises :class:`InvalidTokenError`."""

    def __init__(self, keys: KeyRing, store: CredentialStore, config: AuthConfig) -> None:
        self.keys = keys
        self.store = store
        self.config = config
        self._claims: dict[str, ClaimsOption] = {
            "iss": {"essential": True, "value": config.issuer},
            "aud": {"essential": True, "value": config.audience},
            "sub": {"essential": True},
            "client_id": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "jti": {"essential": True},
        }
        self._tokens: dict[str, _Verified] = {}
        self._status: dict[str, tuple[float, Client | None]] = {}
        self._last_reload = 0.0

    async def verify(self, token: str, now: float | None = None) -> Principal:
        """Check everything; the principal of a valid token."""
        now = time.time() if now is None else now
        verified = self._tokens.get(token)
        if verified is None or verified.expires_at + self.config.leeway <= now:
            verified = await self._verify_jwt(token, now)
            self._remember(token, verified, now)
        await self._check_client(verified, now)
        return verified.principal

    def forget_client(self, client_id: str) -> None:
        """Drop a client's cached status (this process revoked or rotated it)."""
        self._status.pop(client_id, None)

    # -- the JWT itself -----------------------------------------------------------------------
    async def _verify_jwt(self, token: str, now: float) -> _Verified:
        kid = _header_kid(token)
        key = self.keys.verification_key(kid)
        if key is None and now - self._last_reload >= _RELOAD_INTERVAL:
            self._last_reload = now  # another process may have rotated; re-read at most 1/s
            await asyncio.to_thread(self.keys.reload)
            key = self.keys.verification_key(kid)
        if key is None:
            raise InvalidTokenError("the token's key is unknown or retired")
        try:
            claims: dict[str, Any] = jwt.decode(token, key, algorithms=[ALGORITHM]).claims
        except (JoseError, ValueError) as exc:
            raise InvalidTokenError("the token's signature does not verify") from exc
        try:
            registry = JWTClaimsRegistry(now=int(now), leeway=self.config.leeway, **self._claims)
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidTokenError(f"the token's claims are not valid: {exc.description}") from exc
        iat, exp, nbf = claims["iat"], claims["exp"], claims.get("nbf", claims["iat"])
        if not all(isinstance(v, int) for v in (iat, exp, nbf)):
            raise InvalidTokenError("the token's times are not integers")
        if iat > now + self.config.leeway:
            raise InvalidTokenError("the token was issued in the future")
        scope, partner = claims.get("scope", ""), claims.get("partner")
        if not isinstance(scope, str) or not isinstance(partner, str):
            raise InvalidTokenError("the token lacks scope or partner")
        if claims["client_id"] != claims["sub"]:
            raise InvalidTokenError("the token's sub is not its client")
        principal = Principal(
            client_id=str(claims["client_id"]), partner=partner, scopes=frozenset(scope.split())
        )
        return _Verified(principal, iat, exp)

    def _remember(self, token: str, verified: _Verified, now: float) -> None:
        size = self.config.token_cache_size
        if size <= 0:
            return
        if len(self._tokens) >= size:
            self._tokens = {t: v for t, v in self._tokens.items() if v.expires_at > now}
            if len(self._tokens) >= size:
                self._tokens.clear()
        self._tokens[token] = verified

    # -- the client behind it -----------------------------------------------------------------
    async def _check_client(self, verified: _Verified, now: float) -> None:
        client_id = verified.principal.client_id
        cached = self._status.get(client_id)
        if cached is None or cached[0] + self.config.status_cache_seconds <= now:
            client = await self.store.get(client_id)
            self._status[client_id] = cached = (now, client)
        client = cached[1]
        if client is None or client.status != "active":
            raise InvalidTokenError("the token's client is revoked or unknown")
        if verified.issued_at < int(client.rotated_at):
            raise InvalidTokenError("the token predates the client's current secret")
        if client.partner != verified.principal.partner:
            raise InvalidTokenError("the token's partner does not match its client")


def _header_kid(token: str) -> str:
    """Check the protected header before any key is used; the ``kid`` it names."""
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise InvalidTokenError("the token is empty or too long")
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidTokenError("the token is not a compact JWS") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"tokens must be signed with {ALGORITHM}")
    if str(header.get("typ", "")).lower() not in {TOKEN_TYPE, "application/" + TOKEN_TYPE}:
        raise InvalidTokenError(f"the token's typ must be {TOKEN_TYPE}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidTokenError("the token has no kid")
    return kid
