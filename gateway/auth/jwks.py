"""A client's JSON Web Key Set for ``private_key_jwt``: what may be registered.

Kept apart from the assertion check (:mod:`gateway.auth.assertions`) because the credential
store and the CLI check a key set before storing it, with no token in sight.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, cast

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

__all__ = ["MAX_KEYS", "b64url_decode", "check_jwks"]

MAX_KEYS = 10
_PRIVATE_PARAMS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
_MIN_RSA_BITS = 2048


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
        bits = len(b64url_decode(modulus)) * 8 if isinstance(modulus, str) else 0
        if bits < _MIN_RSA_BITS:
            raise ValueError(f"key {n}: RSA keys need {_MIN_RSA_BITS} bits, this has {bits}")
    kid = key.get("kid")
    if several and not isinstance(kid, str):
        raise ValueError(f"key {n} has no kid: a JWKS of several keys needs one per key")
    if isinstance(kid, str):
        if kid in kids:
            raise ValueError(f"key {n}: kid {kid!r} is used twice")
        kids.add(kid)


def b64url_decode(value: str) -> bytes:
    """Unpadded base64url (RFC 7515 2) to bytes; ``b""`` if it is not base64url."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return b""
