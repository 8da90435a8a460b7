"""Deliver one canonical payload by calling a SOAP operation once, and say what happened.

zeep's :class:`~zeep.AsyncClient` builds the envelope from the WSDL (arguments from the
destination's JMESPath map, WS-Security UsernameToken, SOAPAction) and posts it through
:class:`_Transport`, an ``AsyncTransport`` over the gateway's pooled ``httpx.AsyncClient``.
zeep runs with ``raw_response``: the answer is not deserialized by zeep but classified, as raw
status and bytes, by :func:`connectors.soap.classify_response`, the one place that says which
Faults and application errors are retriable; statuses and transport failures follow the HTTP
rules shared with REST (:mod:`connectors._http`). Retries and breakers stay the gateway's.

Never in a log line or an :class:`Outcome`: the password. zeep's own transport logs every
envelope at DEBUG (the UsernameToken included); :class:`_Transport` replaces that method, and
anything the destination echoes back is redacted before it becomes an excerpt.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType, TracebackType
from typing import Any, Self, cast
from xml.sax.saxutils import escape

import httpx
import msgspec
from lxml import etree
from zeep import AsyncClient as _AsyncClient
from zeep import exceptions as zeep_exceptions
from zeep.proxy import AsyncServiceProxy as _AsyncServiceProxy
from zeep.settings import Settings
from zeep.transports import AsyncTransport
from zeep.wsse import utils as wsse_utils
from zeep.wsse.username import UsernameToken as _UsernameToken

from connectors._http import classify_error, describe
from connectors.base import Delivery, Outcome
from connectors.soap._call import SoapCall, load_call
from connectors.soap._classify import classify_response
from connectors.soap._outbound_spec import SoapCallSpec, UsernameCredentials
from connectors.soap._wsdl import WsdlError
from connectors.text import is_digits

EXCERPT_CHARS = 500
REDACTED = "***"
# zeep never parses an answer here (raw_response); these only shape how it builds requests
_SETTINGS = Settings(
    strict=True,
    raw_response=True,
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
    xml_huge_tree=False,
)


class _TimestampedToken(_UsernameToken):
    """zeep's UsernameToken plus a ``wsu:Timestamp`` made per request, not once at start.

    zeep's own ``timestamp_token`` is one fixed element, which would expire after its TTL and
    be moved (not copied) between envelopes.
    """

    def __init__(self, *args: Any, ttl: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # zeep is unannotated
        self.ttl = ttl

    def apply(self, envelope: Any, headers: Any) -> Any:
        """Add the token (zeep), then a fresh Timestamp first in the Security header."""
        envelope, headers = super().apply(envelope, headers)  # type: ignore[no-untyped-call]
        now = datetime.now(UTC).replace(microsecond=0)
        stamp = wsse_utils.WSU.Timestamp(
            wsse_utils.WSU.Created(now.isoformat().replace("+00:00", "Z")),
            wsse_utils.WSU.Expires(
                (now + timedelta(seconds=self.ttl)).isoformat().replace("+00:00", "Z")
            ),
        )
        security = wsse_utils.get_security_header(envelope)  # type: ignore[no-untyped-call]
        security.insert(0, stamp)
        return envelope, headers


# zeep is unannotated: name the constructors' types once instead of ignoring every call
AsyncClient = cast("Callable[..., Any]", _AsyncClient)
AsyncServiceProxy = cast("Callable[..., Any]", _AsyncServiceProxy)
UsernameToken = cast("Callable[..., Any]", _UsernameToken)
TimestampedToken = cast("Callable[..., Any]", _TimestampedToken)
_DEFAULT_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=8)


@dataclass(frozen=True)
class _Answer:
    """The destination's raw answer: what :func:`classify_response` needs, nothing parsed."""

    status_code: int
    body: bytes
    truncated: bool
    retry_after: float | None


# Per-attempt HTTP headers (idempotency key, ids, trace): zeep's call path has no place for
# them, so deliver() sets them for its own task and the transport reads them when it posts.
_attempt_headers: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "crossdock_soap_attempt_headers", default=MappingProxyType({})
)


class _Transport(AsyncTransport):
    """zeep's async transport over a given httpx client: no logging, bounded reads, no WSDL I/O.

    ``AsyncTransport.__init__`` is not called: it would open a second (sync) client for WSDL
    downloads, which an offline-loaded WSDL never needs, and overwrite the shared client's
    default headers.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        headers: Mapping[str, str],
        max_bytes: int,
        timeout: httpx.Timeout,
    ) -> None:
        self.client = client
        # per request: a shared client's own default (5 s) must not cut a longer attempt short
        self._timeout = timeout
        self.cache = None
        self._close_session = False  # zeep's Transport.__del__ reads it
        self._headers = dict(headers)
        self._max_bytes = max_bytes

    def load(self, url: str) -> bytes:
        """Refuse: the WSDL and its schemas were loaded offline at construction."""
        raise WsdlError(
            f"{url!r} refused: no document is fetched at delivery time", code="wsdl_fetch_refused"
        )

    async def aclose(self) -> None:
        """The client belongs to the deliverer (or its owner), which closes it."""

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> _Answer:
        """Post the envelope built by zeep; return the raw answer (zeep's raw_response)."""
        message = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        merged = {**self._headers, **headers, **_attempt_headers.get()}
        request = self.client.build_request(
            "POST", address, content=message, headers=merged, timeout=self._timeout
        )
        response = await self.client.send(request, stream=True, follow_redirects=False)
        try:
            body, truncated = await _read_limited(response, self._max_bytes)
        finally:
            await response.aclose()
        return _Answer(
            response.status_code,
            body,
            truncated,
            _retry_after(response.headers.get("Retry-After")),
        )


async def _read_limited(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes of the body; say whether there was more."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


def _retry_after(value: str | None) -> float | None:
    """Delta-seconds only: SOAP services that send Retry-After send seconds; others are ignored.

    Narrower than :func:`connectors._http.parse_retry_after` (HTTP-dates, capped long numbers)
    on purpose: seconds are what docs/soap-outbound.md promises for SOAP destinations.
    """
    if value is None or not is_digits(value.strip()) or len(value.strip()) > 9:
        return None
    return float(value.strip())


class SoapDeliverer:
    """Call ``spec.operation`` once per :class:`Delivery` and classify the answer.

    ``url`` overrides the WSDL's ``soap:address``. ``timeout`` bounds the whole attempt. A given
    ``client`` is shared and left open; without one the deliverer makes (and closes) its own.
    Raises :class:`connectors.soap.CallSpecError` when ``spec`` does not fit the WSDL.
    """

    def __init__(
        self,
        spec: SoapCallSpec,
        *,
        url: str | None = None,
        timeout: float = 10.0,
        credentials: UsernameCredentials | None = None,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if timeout <= 0:
            msg = "timeout must be positive"
            raise ValueError(msg)
        self._call: SoapCall = load_call(spec, url_given=bool(url))
        self._spec = spec
        self._timeout = timeout
        self._httpx_timeout = httpx.Timeout(timeout)
        self._secret = credentials.password if credentials is not None else ""
        # the password as sent and as it reads inside XML text or an attribute
        self._secret_forms = sorted(
            {self._secret, escape(self._secret), escape(self._secret, {'"': "&quot;"})} - {""},
            key=len,
            reverse=True,
        )
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            limits=_DEFAULT_LIMITS, timeout=self._httpx_timeout, follow_redirects=False
        )
        fixed = {"User-Agent": "crossdock", **(headers or {})}
        transport = _Transport(self._client, fixed, spec.max_response_bytes, self._httpx_timeout)
        wsse = None
        if credentials is not None and credentials.timestamp_ttl is not None:
            wsse = TimestampedToken(
                credentials.username,
                credentials.password,
                use_digest=credentials.digest,
                ttl=credentials.timestamp_ttl,
            )
        elif credentials is not None:
            wsse = UsernameToken(
                credentials.username, credentials.password, use_digest=credentials.digest
            )
        self._zeep = AsyncClient(
            self._call.document, wsse=wsse, transport=transport, settings=_SETTINGS
        )
        address = url or self._call.address
        assert address is not None  # load_call refused a WSDL without one when no url is given
        self._address = httpx.URL(address)
        self._proxy = AsyncServiceProxy(self._zeep, self._call.binding, address=address)
        self._operation = self._proxy[spec.operation]

    def __repr__(self) -> str:
        # Deliberately without headers or credentials.
        return (
            f"SoapDeliverer({self._spec.operation} {self._address.scheme}://{self._address.host})"
        )

    def _headers(self, delivery: Delivery) -> dict[str, str]:
        headers = {
            "X-Crossdock-Message-Id": delivery.message_id,
            "X-Crossdock-Delivery-Id": delivery.delivery_id,
            "X-Crossdock-Delivery-Attempt": str(delivery.attempt),
        }
        if self._spec.idempotency_header is not None:
            headers[self._spec.idempotency_header] = delivery.idempotency_key
        if delivery.trace_id:
            headers["X-Request-Id"] = delivery.trace_id
        return headers

    def _soap_headers(self, delivery: Delivery) -> list[Any]:
        if self._spec.idempotency_element is None:
            return []
        element = etree.Element(self._spec.idempotency_element)
        element.text = delivery.idempotency_key
        return [element]

    def _redact(self, text: str) -> str:
        for form in self._secret_forms:
            text = text.replace(form, REDACTED)
        return text

    def _redact_bytes(self, data: bytes) -> bytes:
        for form in self._secret_forms:
            data = data.replace(form.encode(), REDACTED.encode())
        return data

    def _outcome(self, outcome: Outcome) -> Outcome:
        """The outcome with the password removed from anything the destination echoed."""
        if not self._secret:
            return outcome
        return msgspec.structs.replace(
            outcome,
            error=self._redact(outcome.error),
            body_excerpt=self._redact(outcome.body_excerpt),
        )

    def envelope(self, delivery: Delivery) -> bytes:
        """The envelope :meth:`deliver` would post, without posting it (dry runs, tests).

        The password, when there is one, is replaced by ``***``. Raises what building it
        raises (``msgspec.DecodeError`` for a bad payload, zeep's errors for bad arguments).
        """
        kwargs = self._call.arguments(
            msgspec.json.decode(delivery.payload), delivery.idempotency_key
        )
        soap_headers = self._soap_headers(delivery)
        if soap_headers:
            kwargs["_soapheaders"] = soap_headers
        built = self._zeep.create_message(self._proxy, self._spec.operation, **kwargs)
        return self._redact_bytes(etree.tostring(built, xml_declaration=True, encoding="utf-8"))

    async def deliver(self, delivery: Delivery) -> Outcome:
        """Call the operation once; every failure, with or without an answer, is an outcome."""
        started = time.perf_counter()
        try:
            document = msgspec.json.decode(delivery.payload)
            kwargs = self._call.arguments(document, delivery.idempotency_key)
        except (msgspec.DecodeError, ValueError, TypeError) as exc:
            return Outcome("fatal", None, 0.0, "soap_payload_invalid", self._redact(describe(exc)))
        soap_headers = self._soap_headers(delivery)
        if soap_headers:
            kwargs["_soapheaders"] = soap_headers
        token = _attempt_headers.set(self._headers(delivery))
        try:
            async with asyncio.timeout(self._timeout):
                answer = cast("_Answer", await self._operation(**kwargs))
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            kind, code = classify_error(exc)
            latency = (time.perf_counter() - started) * 1000
            error = describe(exc)
            if type(exc) is TimeoutError:
                error = f"no answer within the destination's timeout ({self._timeout:g}s)"
            return Outcome(kind, None, latency, code, self._redact(error))
        except (zeep_exceptions.Error, TypeError, ValueError) as exc:
            # zeep could not build the request from these arguments (a missing required element,
            # a value of the wrong type): the same payload will fail the same way
            latency = (time.perf_counter() - started) * 1000
            error = self._redact(f"{self._spec.operation}: {describe(exc)}")
            return Outcome("fatal", None, latency, "soap_request_invalid", error)
        finally:
            _attempt_headers.reset(token)
        latency = (time.perf_counter() - started) * 1000
        # redacted before anything is cut from it, so no excerpt can end inside the password
        body = self._redact_bytes(answer.body)
        if answer.truncated:
            excerpt = body[:EXCERPT_CHARS].decode("utf-8", "replace")
            error = f"answer larger than max_response_bytes ({self._spec.max_response_bytes})"
            return Outcome(
                "fatal", answer.status_code, latency, "soap_response_too_large", error, excerpt
            )
        outcome = classify_response(answer.status_code, body, self._spec.app_error, latency)
        if answer.retry_after is not None and outcome.kind == "retriable":
            outcome = msgspec.structs.replace(outcome, retry_after=answer.retry_after)
        return self._outcome(outcome)

    async def aclose(self) -> None:
        """Close the client if this deliverer created it; a shared client is its owner's job."""
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
