"""Deliver one canonical payload to a REST endpoint, once, and say what happened.

Retries, backoff and circuit breaking are the gateway's policy (``gateway.delivery``); this module
only performs the I/O and turns every response or transport failure into an :class:`Outcome`.
Classification lives in :mod:`connectors._http` (``classify`` for status codes, ``classify_error``
for transport failures), shared with the SOAP connector, so the rule "429 and 5xx retry, other
4xx need a human" is written down exactly once.

Configured headers often carry credentials, so neither they nor the URL appear in outcomes.

A destination whose credentials expire (OAuth 2.0 bearer tokens) passes a
:class:`~connectors.rest.auth.RequestAuth`: the token is fetched inside the attempt's timeout, and
a 401 to it is answered by dropping that token and sending the request once more with a fresh
one, within the same attempt, so a token revoked early does not cost a retry with backoff.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx

from connectors._http import classify, classify_error, describe, parse_retry_after
from connectors.base import Delivery, Outcome
from connectors.rest.auth import AuthError, RequestAuth

EXCERPT_CHARS = 512
# Enough bytes for EXCERPT_CHARS characters of any UTF-8 text.
_EXCERPT_BYTES = EXCERPT_CHARS * 4
# Read (and drop) up to this much of a response so its connection can go back to the pool;
# a bigger body is abandoned and its connection closed instead.
_DRAIN_LIMIT = 64 * 1024
_W3C_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_DEFAULT_LIMITS = httpx.Limits(
    max_connections=64, max_keepalive_connections=16, keepalive_expiry=30
)


def _trace_headers(trace_id: str) -> dict[str, str]:
    """Propagate the trace: W3C ``traceparent`` when the id fits, ``X-Request-Id`` always.

    Each attempt is a new span, so the parent id is fresh per request.
    """
    if not trace_id:
        return {}
    headers = {"X-Request-Id": trace_id}
    if _W3C_TRACE_ID.match(trace_id) and trace_id != "0" * 32:
        # an id, not a secret: the shared generator avoids a system call per attempt, and
        # ``or 1`` keeps it off the all-zero value the spec forbids
        span_id = f"{random.getrandbits(64) or 1:016x}"
        headers["traceparent"] = f"00-{trace_id}-{span_id}-01"
    return headers


def _decode_excerpt(data: bytes, charset: str | None) -> str:
    """Decode a body prefix for people to read; never fails, whatever the bytes or charset."""
    try:
        text = data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # the server named a charset Python does not know
        text = data.decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS]


async def _read_excerpt(response: httpx.Response) -> tuple[str, str]:
    """Return (excerpt, error) from the body, reading at most :data:`_DRAIN_LIMIT` bytes."""
    head = bytearray()
    seen = 0
    try:
        async for chunk in response.aiter_bytes():
            if len(head) < _EXCERPT_BYTES:
                head += chunk[: _EXCERPT_BYTES - len(head)]
            seen += len(chunk)
            if seen >= _DRAIN_LIMIT:
                break
    except httpx.HTTPError as exc:
        # The status line already arrived, so the destination has answered; a broken body
        # only costs us the excerpt, not the classification.
        return _decode_excerpt(bytes(head), response.charset_encoding), describe(exc)
    return _decode_excerpt(bytes(head), response.charset_encoding), ""


class RestDeliverer:
    """Send each :class:`Delivery` as one HTTP request to a fixed URL.

    Pass a shared ``client`` to pool connections across destinations; the deliverer then leaves
    closing it to the owner. Without one it creates (and in :meth:`aclose` closes) its own.
    ``timeout`` bounds the whole attempt, connect to last body byte, not just each socket read.
    ``auth`` supplies the ``Authorization`` header per attempt; the deliverer owns it (closes it).
    """

    def __init__(
        self,
        url: str,
        method: str = "POST",
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        *,
        auth: RequestAuth | None = None,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            msg = "destination URL must be absolute http(s)"
            raise ValueError(msg)
        if timeout <= 0:
            msg = "timeout must be positive"
            raise ValueError(msg)
        self._url = parsed
        self._method = method.upper()
        self._timeout = timeout
        self._httpx_timeout = httpx.Timeout(timeout)
        self._headers = httpx.Headers({"User-Agent": "crossdock"})
        self._headers.update(headers or {})
        self._owns_client = client is None
        self._auth = auth
        self._client = client or httpx.AsyncClient(
            limits=_DEFAULT_LIMITS, timeout=self._httpx_timeout, follow_redirects=False
        )

    def __repr__(self) -> str:
        # Deliberately without headers: they may carry credentials.
        return f"RestDeliverer({self._method} {self._url.scheme}://{self._url.host})"

    def _request_headers(self, delivery: Delivery) -> httpx.Headers:
        """Build one attempt's headers: configured ones, then ours, which config cannot replace."""
        headers = self._headers.copy()
        headers["Content-Type"] = delivery.content_type
        headers["Idempotency-Key"] = delivery.idempotency_key
        headers["X-Crossdock-Message-Id"] = delivery.message_id
        headers["X-Crossdock-Delivery-Id"] = delivery.delivery_id
        headers["X-Crossdock-Delivery-Attempt"] = str(delivery.attempt)
        headers.update(_trace_headers(delivery.trace_id))
        return headers

    async def _send(self, delivery: Delivery, authorization: str | None) -> httpx.Response:
        headers = self._request_headers(delivery)
        if authorization is not None:
            headers["Authorization"] = authorization
        request = self._client.build_request(
            self._method,
            self._url,
            content=delivery.payload,
            headers=headers,
            timeout=self._httpx_timeout,
        )
        return await self._client.send(request, stream=True, follow_redirects=False)

    async def _send_authorized(self, delivery: Delivery) -> httpx.Response:
        """Send with the auth's header; on a 401, drop that header and try once more.

        Once only: a second 401 with a token fetched a moment ago means the credentials
        themselves are refused, which the status classification reports as fatal.
        """
        if self._auth is None:
            return await self._send(delivery, None)
        authorization = await self._auth.authorization()
        response = await self._send(delivery, authorization)
        if response.status_code != 401:
            return response
        try:
            await _read_excerpt(response)  # drain, so the connection goes back to the pool
        finally:
            await response.aclose()
        await self._auth.rejected(authorization)
        return await self._send(delivery, await self._auth.authorization())

    async def deliver(self, delivery: Delivery) -> Outcome:
        """Make exactly one request and classify it; transport failures become outcomes too."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._send_authorized(delivery)
                try:
                    excerpt, body_error = await _read_excerpt(response)
                finally:
                    await response.aclose()
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            kind, code = classify_error(exc)
            latency = (time.perf_counter() - started) * 1000
            return Outcome(kind=kind, latency_ms=latency, code=code, error=describe(exc))
        except AuthError as exc:
            latency = (time.perf_counter() - started) * 1000
            return Outcome(
                kind=exc.kind,
                latency_ms=latency,
                code=exc.code,
                error=exc.detail,
                retry_after=exc.retry_after,
            )
        latency = (time.perf_counter() - started) * 1000
        status = response.status_code
        kind = classify(status)
        error = "" if kind == "ok" else f"HTTP {status} {response.reason_phrase}".strip()
        if body_error:
            error = f"{error}; body: {body_error}" if error else f"body: {body_error}"
        return Outcome(
            kind=kind,
            status_code=status,
            latency_ms=latency,
            code=f"http_{status}",
            error=error,
            body_excerpt=excerpt,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    async def aclose(self) -> None:
        """Close the auth, and the client if this deliverer created it (a shared one is not)."""
        if self._auth is not None:
            await self._auth.aclose()
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
