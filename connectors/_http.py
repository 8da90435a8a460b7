"""What an HTTP answer, or an exchange that got none, means for a delivery: one rule for all.

Every connector that speaks HTTP (REST, SOAP) sorts status codes and transport failures the same
way, so a 503 or a refused connection means the same to the retry policy whatever the protocol
on top. What only one protocol knows (a SOAP Fault, an application error inside a 200) stays in
that connector and builds on these rules.

Kept apart from :mod:`connectors.base`, the httpx-free interface every connector and the gateway
import; this module is the shared machinery of the HTTP connectors only.
"""

from __future__ import annotations

import time
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from connectors.base import OutcomeKind
from connectors.text import is_digits

# A Retry-After beyond this (about 31 years) is nonsense; the retry policy caps far lower.
_RETRY_AFTER_CEILING = 1_000_000_000
_RETRIABLE_STATUSES = frozenset({408, 425, 429})

# First match wins, so subclasses come before their bases (ConnectTimeout before TimeoutException).
_ERROR_TABLE: tuple[tuple[type[Exception], OutcomeKind, str], ...] = (
    (httpx.ConnectTimeout, "retriable", "connect_timeout"),
    (httpx.PoolTimeout, "retriable", "pool_timeout"),
    (httpx.TimeoutException, "retriable", "timeout"),
    (TimeoutError, "retriable", "timeout"),
    (httpx.ConnectError, "retriable", "connect_error"),
    (httpx.RemoteProtocolError, "retriable", "protocol_error"),
    (httpx.LocalProtocolError, "fatal", "local_protocol_error"),
    (httpx.UnsupportedProtocol, "fatal", "unsupported_protocol"),
    (httpx.ProxyError, "retriable", "proxy_error"),
    (httpx.NetworkError, "retriable", "network_error"),
    (httpx.TransportError, "retriable", "transport_error"),
)


def retriable_status(status_code: int) -> bool:
    """True for a status that says "not now" (408, 425, 429) or "our side broke" (5xx).

    The same request may work later, so it is worth sending again.
    """
    return status_code in _RETRIABLE_STATUSES or 500 <= status_code < 600


def classify(status_code: int) -> OutcomeKind:
    """Sort a response status into ok / retriable / fatal.

    Beyond :func:`retriable_status`, any other 4xx means the request itself is wrong and
    retrying only repeats the error; a 3xx means the destination's URL is out of date, which
    also needs a human.
    """
    if 200 <= status_code < 300:
        return "ok"
    if retriable_status(status_code):
        return "retriable"
    return "fatal"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a ``Retry-After`` value (RFC 9110 §10.2.3) as seconds from ``now``.

    Both forms are accepted: delta-seconds (``120``) and an HTTP-date in any of the three formats
    a recipient must understand. A date in the past means "now" (0.0). Anything unreadable is
    ignored (None) rather than guessed at, so the retry policy falls back to its own backoff.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if is_digits(text):
        # Long digit strings would overflow float() (or int()'s digit limit): cap them instead.
        if len(text) > len(str(_RETRY_AFTER_CEILING)):
            return float(_RETRY_AFTER_CEILING)
        return float(min(int(text), _RETRY_AFTER_CEILING))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # asctime-date carries no zone and parses naive; RFC 9110 says HTTP-dates are always GMT.
    epoch = when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp()
    current = time.time() if now is None else now
    return max(0.0, epoch - current)


def classify_error(exc: Exception) -> tuple[OutcomeKind, str]:
    """Sort a failure that produced no response into (kind, code).

    Network trouble and timeouts are retriable: the request may never have arrived. Errors we
    cause ourselves (a malformed header from config, a URL scheme httpx cannot speak) are fatal,
    because sending the same bytes again cannot help.
    """
    for exc_type, kind, code in _ERROR_TABLE:
        if isinstance(exc, exc_type):
            return kind, code
    return "fatal", "request_error"


def describe(exc: BaseException) -> str:
    """Name the failure without the request (whose URL and headers may hold secrets)."""
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


__all__ = ["classify", "classify_error", "describe", "parse_retry_after", "retriable_status"]
