"""The auth service of one gateway: credentials, keys, token issuing and verification."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from gateway.auth.assertions import verify_assertion
from gateway.auth.config import AuthConfig
from gateway.auth.credentials import Client, CredentialStore
from gateway.auth.grant import OAuthError, TokenRequest
from gateway.auth.keys import KeyRing
from gateway.auth.tokens import IssuedToken, issue_token
from gateway.auth.verify import Principal, TokenVerifier

log = logging.getLogger("crossdock.auth")
_ROTATION_CHECK = 60.0


class AuthService:
    """Issues and verifies access tokens for the partner API of one data folder."""

    def __init__(self, data_dir: str | Path, config: AuthConfig | None = None) -> None:
        self.config = config or AuthConfig()
        self.store = CredentialStore.in_data_dir(data_dir)
        self.keys = KeyRing(
            data_dir,
            rotate_after=self.config.key_rotate_after,
            # a process may sign with a retired key until its next rotation check
            grace=self.config.token_lifetime + self.config.leeway + _ROTATION_CHECK,
        )
        self.verifier = TokenVerifier(self.keys, self.store, self.config)
        self._rotation_checked = 0.0

    async def open(self) -> None:
        """Load (or create) the signing keys."""
        await asyncio.to_thread(self.keys.load)
        self._rotation_checked = time.monotonic()

    async def token(self, request: TokenRequest) -> IssuedToken:
        """The client credentials grant: authenticate, check scope, sign."""
        if request.method == "private_key_jwt":
            client = await self._asserted(request)
        else:
            client = await self.store.authenticate(request.client_id, request.secret)
        if client is None:
            log.info(
                "token refused",
                extra={"client_id": request.client_id, "reason": "invalid_client"},
            )
            raise OAuthError("invalid_client", "client authentication failed", 401)
        if request.grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type", "only the client_credentials grant is supported"
            )
        scopes = client.scopes if request.scope is None else request.scope
        extra = sorted(set(scopes) - set(client.scopes))
        if extra:
            raise OAuthError(
                "invalid_scope", f"scope not granted to this client: {' '.join(extra)}"
            )
        await self._rotate_if_due()
        issued = issue_token(self.keys, self.config, client, scopes)
        log.info(
            "token issued",
            extra={"client_id": client.client_id, "partner": client.partner, "scope": issued.scope},
        )
        return issued

    @property
    def assertion_audiences(self) -> frozenset[str]:
        """What a client assertion's ``aud`` may name: our issuer, or its token endpoint."""
        issuer = self.config.issuer
        return frozenset({issuer, issuer.rstrip("/") + "/oauth2/token"})

    async def _asserted(self, request: TokenRequest) -> Client | None:
        """The active client a ``private_key_jwt`` assertion proves, or None (then 401)."""
        assert request.assertion is not None
        client_id = request.client_id
        client, jwks = await self.store.get(client_id), await self.store.get_jwks(client_id)
        if client is None or client.status != "active" or jwks is None:
            log.info(
                "token refused",
                extra={"client_id": client_id, "reason": "no active client with keys"},
            )
            return None
        now = time.time()
        try:
            verified = verify_assertion(
                request.assertion,
                jwks,
                client_id=client_id,
                audiences=self.assertion_audiences,
                now=now,
                leeway=self.config.leeway,
            )
        except OAuthError as exc:
            log.info("token refused", extra={"client_id": client_id, "reason": exc.description})
            raise
        if not await self.store.use_assertion(client_id, verified.jti, verified.expires_at, now):
            log.warning(
                "token refused: client assertion replayed",
                extra={"client_id": client_id, "jti": verified.jti},
            )
            raise OAuthError("invalid_client", "this client assertion (jti) was used before", 401)
        return client

    async def verify(self, token: str) -> Principal:
        """The principal of a valid bearer token (raises ``InvalidTokenError``)."""
        return await self.verifier.verify(token)

    def jwks(self) -> dict[str, Any]:
        """The public keys that verify current tokens."""
        return self.keys.jwks()

    async def _rotate_if_due(self) -> None:
        now = time.monotonic()
        if now - self._rotation_checked >= _ROTATION_CHECK:
            self._rotation_checked = now
            await asyncio.to_thread(self.keys.rotate_if_due)
