"""Client secret hashing: scrypt from the standard library, one random salt per secret.

Why scrypt: it is memory-hard (16 MiB at these parameters), so a stolen credentials file is
expensive to attack on GPUs, and it needs no dependency. Our secrets are 256-bit random values,
so the work factor is defence in depth, not the only barrier; n=2**14 costs ~45 ms per check,
paid once per token request (not per API call). The parameters are stored with each hash, so they
can be raised later without breaking old hashes. Comparison is constant time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

_N, _R, _P, _LEN = 2**14, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, *, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=_MAXMEM)


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$hash`` for a new secret (salt: 16 random bytes)."""
    salt = os.urandom(16)
    digest = _scrypt(secret, salt, n=_N, r=_R, p=_P, length=_LEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether ``secret`` matches ``encoded``; malformed hashes never match."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(secret, _unb64(salt), n=int(n), r=int(r), p=int(p), length=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash of a secret nobody knows, checked when a client id is unknown.

    The answer then takes as long as for a known client: no timing oracle for client ids.
    """
    return hash_secret(_b64(os.urandom(32)))
