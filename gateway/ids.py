"""Identifiers that sort by creation time (ULID layout), so journal scans follow arrival order."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str = "") -> str:
    """A 26-character Crockford base32 ULID: 48 bits of milliseconds, 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))


def new_trace_id() -> str:
    """A W3C trace-context trace id (32 lowercase hex digits)."""
    return os.urandom(16).hex()


def new_dead_letter_id() -> str:
    """Dead letter ids sort by time like message ids, with a prefix that says what they are."""
    return new_id("dl_")
