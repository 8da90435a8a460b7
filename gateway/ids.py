"""Identifiers that sort by creation time (ULID layout), so journal scans follow arrival order.

The random part comes from the ``random`` module's shared generator, seeded from the OS at
start and re-seeded in every forked child by the standard library. Ids must be unique, not
secret (access is decided by who asks, never by knowing an id), and ``os.urandom`` per request
cost the acceptance path 20 % of its throughput: a system call that hands the GIL to the
journal's writer thread and waits to get it back (see docs/benchmarks.md).
"""

from __future__ import annotations

import random
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two characters per 10 bits: 13 lookups per id instead of 26 shifts (ids are made per request).
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = range(120, -1, -10)


def new_id(prefix: str = "") -> str:
    """A 26-character Crockford base32 ULID: 48 bits of milliseconds, 80 random bits."""
    value = (int(time.time() * 1000) << 80) | random.getrandbits(80)
    pairs = _PAIRS
    return prefix + "".join([pairs[(value >> s) & 1023] for s in _SHIFTS])


def new_trace_id() -> str:
    """A W3C trace-context trace id (32 lowercase hex digits)."""
    return f"{random.getrandbits(128) or 1:032x}"  # all-zero is invalid per W3C


def new_dead_letter_id() -> str:
    """Dead letter ids sort by time like message ids, with a prefix that says what they are."""
    return new_id("dl_")
