"""``private_key_jwt`` client authentication (RFC 7523 section 2.2, OpenID Connect Core 9).

A client that should not hold a shared secret registers its public keys (a JWKS) and proves
itself with a short-lived JWT signed by its private key, sent as ``client_assertion`` with
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``. The gateway
never sees a private key.

What an assertion must be, checked in this order:

- a compact JWS of at most :data:`MAX_ASSERTION_BYTES`, signed with an asymmetric algorithm
  (RS256, PS256, ES256, ES384, EdDSA/Ed25519): ``alg=none`` and HMAC are refused before any key is
  touched, so a public key can never be used as an HMAC secret;
- verified by one of the client's registered keys (by ``kid``; a JWKS of one key may omit it);
- ``iss`` and ``sub`` both the client id, ``aud`` the gateway's issuer or its token endpoint;
- ``exp`` present, not passed, and at most :data:`MAX_LIFETIME` seconds ahead (an assertion is
  for one request, not a long-lived credential); ``nbf``/``iat`` not in the future;
- a ``jti`` this client has not used before (the store remembers it until ``exp``).

JOSE is joserfc's; nothing here parses or checks a signature by hand.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from gateway.auth.grant import OAuthError

__all__ = [
    "ALGORITHMS",
    "MAX_ASSERTION_BYTES",
    "MAX_LIFETIME",
    "VerifiedAssertion",
    "assertion_subject",
    "check_jwks",
    "verify_assertion",
]

ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "Ed25519", "EdDSA"]
"""Asymmetric only: a JWKS holds public keys, and HMAC over a public key proves nothing."""
MAX_ASSERTION_BYTES = 8192
MAX_LIFETIME = 300
"""Seconds an assertion may still be valid when it arrives (plus the leeway)."""
MAX_KEYS = 10
_PRIVATE_PARAMS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
_MIN_RSA_BITS = 2048


def _refused(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401)


def check_jwks(document: Any) -> dict[str, Any]:
    """The JWKS to store for a client, or ``ValueError`` saying what is wrong with it.

    Public asymmetric keys only (a private or symmetric key in it means the client's secret
    leaked into our files), 1 to :data:`MAX_KEYS` of them, distinct ``kid``s, RSA of 2048 bits
    or more.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWKS is a JSON object with a "keys" array (RFC 7517 section 5)')
    keys = document["keys"]
    if not 1 <= len(keys) <= MAX_KEYS:
        raise ValueError(f"a client's JWKS holds 1 to {MAX_KEYS} keys; this one has {len(keys)}")
    kids: set[str] = set()
    for n, key in enumerate(keys, 1):
        _check_key(n, key, kids, several=len(keys) > 1)
    try:
        KeySet.import_key_set(cast("Any", document))
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the JWKS does not import: {exc}") from exc
    return {"keys": keys}


def _check_key(n: int, key: Any, kids: set[str], *, several: bool) -> None:
    if not isinstance(key, dict):
        raise ValueError(f"key {n} is not a JSON object")
    kty, crv = key.get("kty"), key.get("crv")
    if kty not in _KEY_TYPES:
        raise ValueError(f"key {n}: kty must be RSA, EC or OKP, not {kty!r}")
    if kty == "OKP" and crv != "Ed25519":
        raise ValueError(f"key {n}: an OKP signing key is Ed25519, not {crv!r}")
    private = sorted(_PRIVATE_PARAMS & key.keys())
    if private:
        raise ValueError(
            f"key {n} carries private parameters ({', '.join(private)}): register the "
            "PUBLIC keys only, and treat this private key as leaked"
        )
    if kty == "RSA":
        modulus = key.get("n")
        bits = len(_unb64(modulus)) * 8 if isinstance(modulus, str) else 0
        if bits < _MIN_RSA_BITS:
            raise ValueError(f"key {n}: RSA keys need {_MIN_RSA_BITS} bits, this has {bits}")
    kid = key.get("kid")
    if several and not isinstance(kid, str):
        raise ValueError(f"key {n} has no kid: a JWKS of several keys needs one per key")
    if isinstance(kid, str):
        if kid in kids:
            raise ValueError(f"key {n}: kid {kid!r} is used twice")
        kids.add(kid)


def _unb64(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return b""


def assertion_subject(assertion: str) -> str:
    """The client id an assertion claims to be (``sub``), read WITHOUT verifying it.

    Only to find which client's keys to verify with; nothing is trusted until
    :func:`verify_assertion` has passed.
    """
    if len(assertion) > MAX_ASSERTION_BYTES:
        raise _refused(f"the client assertion is over {MAX_ASSERTION_BYTES} bytes")
    parts = assertion.split(".")
    if len(parts) != 3:
        raise _refused("the client assertion is not a compact JWS (three dot-separated parts)")
    try:
        claims = json.loads(_unb64(parts[1]))
    except ValueError as exc:
        raise _refused("the client assertion's payload is not base64url JSON") from exc
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not sub:
        raise _refused("the client assertion has no sub (the client id)")
    return sub


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
