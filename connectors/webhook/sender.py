"""Send events as Standard Webhooks: an envelope around the canonical document, signed, POSTed once.

The body is ``{"type", "id", "timestamp", "data"}``: ``data`` is the canonical document's JSON
exactly as the journal holds it (spliced in, never re-serialised), ``id`` is the ``webhook-id``
and ``timestamp`` is when the event happened (RFC 3339), so every retry of a delivery sends the
same bytes under the same ``webhook-id`` and a receiver can drop the repeats. Each attempt is
signed afresh (``webhook-timestamp`` is the time of *this* attempt, which the receiver checks
against its tolerance), with one ``v1,<base64 HMAC-SHA256>`` per active secret, space separated:
during a rotation both the old and the new secret sign, so receivers switch when they like.

Like every deliverer this does the I/O once and classifies it; retries, breakers and disabling
endpoints are the gateway's. A ``410 Gone`` is the receiver saying "this endpoint is no more": it
is fatal with code ``endpoint_gone`` so the gateway can disable the subscription.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import msgspec

from connectors.base import Delivery, Outcome, OutcomeKind
from connectors.webhook.base import hmac_digest
from connectors.webhook.standard import ID, SIGNATURE, TIMESTAMP, secret_key

ENDPOINT_GONE = "endpoint_gone"
EXCERPT_CHARS = 512
_RETRIABLE_STATUSES = frozenset({408, 425, 429})
_MAX_RETRY_AFTER = 86_400.0
_encode = msgspec.json.encode


class SigningKey(msgspec.Struct, frozen=True):
    """One resolved ``whsec_`` secret and when it stops signing (POSIX seconds; None = never)."""

    secret: str
    not_after: float | None = None

    def __repr__(self) -> str:
        # a Struct's repr would print the secret; this one is safe to log
        return f"SigningKey(not_after={self.not_after})"


def sign(keys: Sequence[bytes], webhook_id: str, timestamp: str, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64>`` per key over ``id.timestamp.body``."""
    signed = (webhook_id.encode(), b".", timestamp.encode(), b".", body)
    return " ".join(
        "v1," + base64.b64encode(hmac_digest("sha256", key, *signed)).decode("ascii")
        for key in keys
    )


def envelope(event_type: str, webhook_id: str, occurred_at: float, data: bytes) -> bytes:
    """The event body around ``data`` (already JSON), built without parsing it again."""
    stamp = datetime.fromtimestamp(occurred_at, UTC).isoformat(timespec="milliseconds")
    head = _encode(
        {"type": event_type, "id": webhook_id, "timestamp": stamp.replace("+00:00", "Z")}
    )
    return head[:-1] + b',"data":' + data + b"}"


def classify(status_code: int) -> tuple[OutcomeKind, str]:
    """2xx ok; 410 fatal ``endpoint_gone``; 408/425/429/5xx retriable; any other status fatal."""
    if 200 <= status_code < 300:
        return "ok", f"http_{status_code}"
    if status_code == 410:
        return "fatal", ENDPOINT_GONE
    if status_code in _RETRIABLE_STATUSES or 500 <= status_code < 600:
        return "retriable", f"http_{status_code}"
    return "fatal", f"http_{status_code}"


def retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP-date); None when unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text[:12]), _MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    epoch = when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp()
    return min(max(0.0, epoch - now), _MAX_RETRY_AFTER)


def _transport_failure(exc: Exception) -> tuple[OutcomeKind, str]:
    """No response: timeouts and network trouble may pass next time; our own mistakes will not."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "retriable", "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "retriable", "connect_error"
    if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        return "fatal", "request_error"
    if isinstance(exc, httpx.TransportError):
        return "retriable", "network_error"
    return "fatal", "request_error"


class WebhookSender:
    """POSTs each delivery to one subscriber URL as a signed Standard Webhooks event.

    ``event_types`` maps a canonical document type to its event type; ``keys`` are the resolved
    secrets (checked here, so a bad one fails at start). ``clock`` (POSIX seconds) decides which
    keys are still active and stamps ``webhook-timestamp``. A shared ``client`` is left to its
    owner to close.
    """

    def __init__(
        self,
        url: str,
        keys: Sequence[SigningKey],
        event_types: Mapping[str, str],
        *,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            raise ValueError("subscription URL must be absolute http(s)")
        if not keys:
            raise ValueError("expected at least one signing secret")
        self._url = parsed
        self._keys = tuple((secret_key(k.secret), k.not_after) for k in keys)
        self._event_types = dict(event_types)
        self._total = timeout
        self._timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self._clock = clock

    def __repr__(self) -> str:
        # never the secrets, nor the URL's path and query (which some receivers use as a token)
        return f"WebhookSender(POST {self._url.scheme}://{self._url.host})"

    def active_keys(self, now: float) -> list[bytes]:
        """The keys that sign at ``now``: those without ``not_after`` or not yet past it."""
        return [key for key, not_after in self._keys if not_after is None or now < not_after]

    def request(self, delivery: Delivery, now: float) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one attempt (pure: tests and receivers can recompute it)."""
        event_type = self._event_types.get(delivery.document_type, delivery.document_type)
        body = envelope(
            event_type, delivery.idempotency_key, delivery.created_at or now, delivery.payload
        )
        stamp = str(int(now))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "crossdock",
            ID: delivery.idempotency_key,
            TIMESTAMP: stamp,
            SIGNATURE: sign(self.active_keys(now), delivery.idempotency_key, stamp, body),
        }
        if delivery.trace_id:
            headers["X-Request-Id"] = delivery.trace_id
        return body, headers

    async def deliver(self, delivery: Delivery) -> Outcome:
        """One signed POST, classified; transport failures become outcomes too."""
        now = self._clock()
        if not self.active_keys(now):
            return Outcome(
                kind="fatal",
                code="no_signing_secret",
                error="every signing secret of this subscription is past its not_after",
            )
        body, headers = self.request(delivery, now)
        started = time.perf_counter()
        head = bytearray()
        try:
            # bounds the whole attempt, connect to last byte read, not each socket operation
            async with (
                asyncio.timeout(self._total),
                self._client.stream(
                    "POST", self._url, content=body, headers=headers, timeout=self._timeout
                ) as response,
            ):
                async for chunk in response.aiter_bytes():
                    head += chunk
                    if len(head) >= EXCERPT_CHARS * 4:
                        break
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            kind, code = _transport_failure(exc)
            latency = (time.perf_counter() - started) * 1000
            detail = str(exc)  # httpx names the failure, not the request's URL or headers
            error = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
            return Outcome(kind=kind, latency_ms=latency, code=code, error=error)
        latency = (time.perf_counter() - started) * 1000
        status = response.status_code
        kind, code = classify(status)
        error = "" if kind == "ok" else f"HTTP {status} {response.reason_phrase}".strip()
        return Outcome(
            kind=kind,
            status_code=status,
            latency_ms=latency,
            code=code,
            error=error,
            body_excerpt=bytes(head).decode("utf-8", errors="replace")[:EXCERPT_CHARS],
            retry_after=retry_after(response.headers.get("Retry-After"), now),
        )

    async def aclose(self) -> None:
        """Close the client if this sender created it."""
        if self._owns_client:
            await self._client.aclose()
