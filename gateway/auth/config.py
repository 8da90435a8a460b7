"""Auth settings: who issues tokens, for whom, and how long tokens and signing keys live."""

from __future__ import annotations

from typing import Annotated

import msgspec


class AuthConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Token issuing and verification settings, with defaults for the embedded gateway."""

    issuer: str = "urn:crossdock:gateway"
    """``iss`` of every access token; set it to the gateway's public base URL in production."""
    audience: str = "crossdock-api"
    """``aud`` of every access token: the resource server (this gateway's partner API)."""
    token_lifetime: Annotated[int, msgspec.Meta(ge=30, le=3600)] = 300
    """Seconds an access token is valid; short, so revocation and rotation bite fast."""
    leeway: Annotated[int, msgspec.Meta(ge=0, le=120)] = 30
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat`` (seconds)."""
    status_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 5.0
    """How long a client's status (active / revoked) is trusted before it is read again."""
    key_rotate_after: Annotated[int, msgspec.Meta(ge=60)] = 30 * 86400
    """Seconds a signing key signs before a new one is made; the old one then only verifies."""
    token_cache_size: Annotated[int, msgspec.Meta(ge=0)] = 10_000
    """Verified tokens remembered until they expire (0 turns the cache off)."""
