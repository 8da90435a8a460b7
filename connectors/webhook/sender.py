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

import httpx
import msgspec

from connectors._http import classify as http_classify
from connectors._http import classify_error, parse_retry_after
from connectors.base import Delivery, Outcome, OutcomeKind
from connectors.webhook.base import hmac_digest
from connectors.webhook.standard import ID, SIGNATURE, TIMESTAMP, secret_key

ENDPOINT_GONE = "endpoint_gone"
EXCERPT_CHARS = 512
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
    """The HTTP rules shared with REST and SOAP (:mod:`connectors._http`), plus 410 Gone.

    410 is fatal with its own code so the gateway disables the subscription rather than only
    dead-lettering this one delivery.
    """
    if status_code == 410:
        return "fatal", ENDPOINT_GONE
    return http_classify(status_code), f"http_{status_code}"


def retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or HTTP-date), at most a day; None if unreadable.

    A subscriber asking for more than a day is better served by the endpoint-disable rule than by
    a delivery parked for weeks.
    """
    seconds = parse_retry_after(value, now=now)
    return None if seconds is None else min(seconds, _MAX_RETRY_AFTER)


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
            kind, code = classify_error(exc)
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
