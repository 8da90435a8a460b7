"""Inbound webhook verification: one verifier per signature scheme, one small interface.

``build_verifier(scheme, secrets, tolerance=..., options=...)`` returns a :class:`Verifier` whose
``verify(headers, body, now)`` checks the raw bytes in constant time and returns
:class:`Verified` (event id, timestamp) or raises :class:`VerificationError`.
"""

from connectors.webhook.base import SecretFormatError, VerificationError, Verified, Verifier
from connectors.webhook.dedupe import EventCache
from connectors.webhook.generic import HmacOptions
from connectors.webhook.registry import SCHEMES, build_verifier

__all__ = [
    "SCHEMES",
    "EventCache",
    "HmacOptions",
    "SecretFormatError",
    "VerificationError",
    "Verified",
    "Verifier",
    "build_verifier",
]
