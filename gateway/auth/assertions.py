"""``private_key_jwt`` client authentication (RFC 7523 section 2.2, OpenID Connect Core 9).

A client that should not hold a shared secret registers its public keys (a JWKS) and proves
itself with a short-lived JWT signed by its private key, sent as ``client_assertion`` with
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``. The gateway
never sees a private key.

What an assertion must be, checked in this order:

- a compact JWS of at most :data:`gateway.auth.grant.MAX_ASSERTION_BYTES` (checked as the
  request is parsed), signed with an asymmetric algorithm (RS256, PS256, ES256, ES384,
  EdDSA/Ed25519): ``alg=none`` and HMAC are refused before any key is touched, so a public key
  can never be used as an HMAC secret;
- verified by one of the client's registered keys (by ``kid``; a JWKS of one key may omit it);
- ``iss`` and ``sub`` both the client id, ``aud`` the gateway's issuer or its token endpoint;
- ``exp`` present, not passed, and at most :data:`MAX_LIFETIME` seconds ahead (an assertion is
  for one request, not a long-lived credential); ``nbf``/``iat`` not in the future;
- a ``jti`` this client has not used before (the store remembers it until ``exp``).

JOSE is joserfc's; nothing here parses or checks a signature by hand.
"""

from __future__ import annotations

from typing import Any, cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from gateway.auth.grant import OAuthError

__all__ = ["ALGORITHMS", "MAX_LIFETIME", "VerifiedAssertion", "verify_assertion"]

ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "Ed25519", "EdDSA"]
"""Asymmetric only: a JWKS holds public keys, and HMAC over a public key proves nothing."""
MAX_LIFETIME = 300
"""Seconds an assertion may still be valid when it arrives (plus the leeway)."""


def _refused(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401)


class VerifiedAssertion:
    """What the replay check needs from a verified assertion."""

    __slots__ = ("expires_at", "jti")

    def __init__(self, jti: str, expires_at: int) -> None:
        self.jti = jti
        self.expires_at = expires_at


def verify_assertion(
    assertion: str,
    jwks: dict[str, Any],
    *,
    client_id: str,
    audiences: frozenset[str],
    now: float,
    leeway: int,
) -> VerifiedAssertion:
    """Check signature and claims (module docstring); raise ``invalid_client`` if any fails."""
    try:
        keys = KeySet.import_key_set(cast("Any", jwks))
        claims: dict[str, Any] = jwt.decode(assertion, keys, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError) as exc:
        raise _refused(
            "the client assertion's signature does not verify with the client's registered "
            "keys (asymmetric algorithms only: " + ", ".join(ALGORITHMS) + ")"
        ) from exc
    aud = claims.get("aud")
    wanted = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(a, str) and a in audiences for a in wanted):
        raise _refused(f"the client assertion's aud must name {' or '.join(sorted(audiences))}")
    try:
        JWTClaimsRegistry(
            now=int(now),
            leeway=leeway,
            iss={"essential": True, "value": client_id},
            sub={"essential": True, "value": client_id},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(claims)
    except JoseError as exc:
        raise _refused(f"the client assertion's claims are not valid: {exc.description}") from exc
    exp, jti = claims["exp"], claims["jti"]
    if not isinstance(exp, int) or not isinstance(jti, str) or not jti:
        raise _refused("the client assertion's exp must be an integer and its jti a string")
    if exp > now + MAX_LIFETIME + leeway:
        raise _refused(f"the client assertion is valid for more than {MAX_LIFETIME} s")
    iat = claims.get("iat")
    if iat is not None and (not isinstance(iat, int) or iat > now + leeway):
        raise _refused("the client assertion's iat is not an integer in the past")
    return VerifiedAssertion(jti, exp)
