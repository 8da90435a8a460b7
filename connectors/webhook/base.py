"""The verifier interface: raw bytes and headers in, a verified event (or a refusal) out.

A verifier checks a partner's signature over the *raw* request bytes, before anything parses
them, and compares in constant time. It never names a secret or the signature it expected in an
error: a refusal says which header failed and what shape was expected, nothing an attacker could
use to forge the next attempt.

Verification errors belong to the ``accept`` stage: a request that fails is refused with a 401
and never journaled, so it never reaches decoding and never becomes a dead letter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal, Protocol

import msgspec

from connectors.errors import Stage, StageError

Algorithm = Literal["sha1", "sha256", "sha512"]
Encoding = Literal["hex", "base64"]

DEFAULT_TOLERANCE = 300.0


class Verified(msgspec.Struct, frozen=True):
    """What a valid signature vouches for: the sender's event id and timestamp, when it sends them.

    ``event_id`` is the dedupe key (``None`` when the scheme carries none); ``timestamp`` is in
    POSIX seconds.
    """

    event_id: str | None = None
    timestamp: float | None = None


class VerificationError(StageError):
    """A webhook failed verification; ``code`` says how and ``path`` names the header.

    Codes: ``missing_header``, ``malformed_header``, ``signature_mismatch``,
    ``timestamp_out_of_tolerance``.
    """

    stage: Stage = "accept"


class Verifier(Protocol):
    """One method: check a request's signature over its raw bytes at time ``now``."""

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> Verified:
        """Return what the signature vouches for, or raise :class:`VerificationError`."""
        ...


class Headers(Mapping[str, str]):
    """A case-insensitive view of request headers, whatever mapping the caller has.

    The gateway builds it once per request from the ASGI pairs (:meth:`from_asgi`, names already
    lower case) and hands the same object to the verifier, which keeps it (:meth:`of`): no
    framework header object is built on the webhook path.
    """

    __slots__ = ("_lowered",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._lowered = {k.lower(): v for k, v in headers.items()}

    @classmethod
    def from_asgi(cls, pairs: Iterable[tuple[bytes, bytes]]) -> Headers:
        """From an ASGI scope's ``headers``: lower-case names, latin-1.

        A repeated name's last value wins, as in the mapping constructor.
        """
        view = cls.__new__(cls)
        view._lowered = {k.decode("latin-1"): v.decode("latin-1") for k, v in pairs}
        return view

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> Headers:
        """``headers`` itself when it already is a view, else a view of it."""
        return headers if isinstance(headers, Headers) else cls(headers)

    def __getitem__(self, name: str) -> str:
        return self._lowered[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lowered)

    def __len__(self) -> int:
        return len(self._lowered)

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The header's value, or ``default`` when absent."""
        return self._lowered.get(name.lower(), default)

    def require(self, name: str, expected: str) -> str:
        """The header's value; raise ``missing_header`` (saying what was expected) if absent."""
        value = self.get(name)
        if value is None or not value.strip():
            raise VerificationError(
                f"header {name} is missing; expected {expected}", code="missing_header", path=name
            )
        return value.strip()


# hashlib releases the GIL around any ``update()`` of 2,048 bytes or more (HASHLIB_GIL_MINSIZE),
# and from then on around every later update of the same object. On the gateway's event loop that
# hands the GIL to the journal's writer thread in the middle of a request, and getting it back
# costs far more than hashing a few KB (docs/benchmarks.md, "Where the time goes").
_GIL_FREE_CHUNK = 2047


def hmac_digest(algorithm: Algorithm, key: bytes, *parts: bytes) -> bytes:
    """HMAC of the concatenated parts, without copying the body into a new buffer.

    Each part is fed in slices of a memoryview shorter than 2,048 bytes, so hashlib keeps the GIL
    (see ``_GIL_FREE_CHUNK``); the digest is the same as one ``update()`` per part.
    """
    mac = hmac.new(key, digestmod=getattr(hashlib, algorithm))
    for part in parts:
        if len(part) <= _GIL_FREE_CHUNK:
            mac.update(part)
            continue
        view = memoryview(part)
        for start in range(0, len(view), _GIL_FREE_CHUNK):
            mac.update(view[start : start + _GIL_FREE_CHUNK])
    return mac.digest()


def decode_signature(value: str, encoding: Encoding) -> bytes | None:
    """Decode a presented signature; ``None`` when it is not valid hex or base64."""
    try:
        if encoding == "hex":
            return bytes.fromhex(value)
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None


def matches(presented: bytes, expected: Sequence[bytes]) -> bool:
    """Constant-time comparison against every candidate (no early exit on the first match)."""
    found = False
    for candidate in expected:
        found |= hmac.compare_digest(presented, candidate)
    return found


def check_tolerance(header: str, timestamp: float, now: float, tolerance: float) -> None:
    """Refuse a timestamp more than ``tolerance`` seconds away from ``now`` (either way)."""
    if abs(now - timestamp) > tolerance:
        raise VerificationError(
            f"header {header} is {now - timestamp:+.0f}s from the gateway's clock; expected a "
            f"timestamp within {tolerance:g}s",
            code="timestamp_out_of_tolerance",
            path=header,
        )


def parse_timestamp(header: str, value: str) -> float:
    """A POSIX-seconds timestamp header, or ``malformed_header``."""
    try:
        stamp = float(value)
    except ValueError:
        stamp = math.nan
    if not math.isfinite(stamp):
        raise VerificationError(
            f"header {header} is not a timestamp; expected POSIX seconds, e.g. 1614265330",
            code="malformed_header",
            path=header,
        )
    return stamp


class SecretFormatError(ValueError):
    """A secret cannot be used by its scheme; the message describes the format, never the value."""


def require_secrets(secrets: Sequence[str] | Sequence[bytes]) -> None:
    """A verifier needs at least one secret (several while one rotates)."""
    if not secrets:
        raise SecretFormatError("expected at least one secret")
