"""``POST /v1/inbound/soap/{endpoint}``: read a SOAP envelope, validate it, journal it, ack it.

Before answering: find the endpoint (``soap.yaml``), check the media type and size, parse the
envelope through the hardened parser, dispatch it to a WSDL operation, validate its Body against
the WSDL's schema, and journal the raw bytes on the channel ``soap:<endpoint>`` (which
``Config.channel_for`` resolves). The answer is a SOAP envelope carrying ``<cd:accepted>`` with
the message id (processing is asynchronous, so the operation's business output does not exist
yet), or a SOAP Fault saying what was wrong, with nothing journaled.

Fault status codes follow each version's HTTP binding: SOAP 1.1 answers every Fault with 500;
SOAP 1.2 answers a Sender fault with 400 and a Receiver fault with 500. An unknown endpoint is
404, a body over the limit 413, a media type that is not SOAP 415, each with a Fault body.

Governance: an endpoint with ``auth: bearer`` (the default) wants an access token of its partner
with scope ``messages:write``, exactly as ``POST /v1/inbound/{channel}``; a token of another
partner gets the unknown-endpoint 404. ``auth: none`` is for a legacy ERP that cannot do OAuth
(keep such an endpoint behind mTLS or an allow-list). Either way the endpoint's partner spends
its rate limit (route ``soap``) before the envelope is parsed. Auth and rate-limit refusals are
SOAP Faults too (401 / 403 / 429) and keep their ``WWW-Authenticate``, ``Retry-After`` and
``RateLimit`` headers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar import Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from connectors.soap import (
    CONTENT_TYPES,
    SOAP_ACTION_KEY,
    SoapFaultError,
    SoapVersion,
    fault_for,
    load_endpoint,
    media_version,
    render_ack,
    render_fault,
)
from gateway.api.auth import authenticate, check_scopes
from gateway.api.documented import BEARER
from gateway.api.governance import MESSAGES_WRITE, acts_for, spend
from gateway.api.inbound import trace_id_of
from gateway.api.problems import ProblemError
from gateway.config.model import SoapEndpoint
from gateway.ids import new_id
from gateway.journal import NewMessage
from gateway.runtime import Gateway

log = logging.getLogger("crossdock.api")


def _fault(
    error: SoapFaultError, status: int | None = None, headers: dict[str, str] | None = None
) -> Response[bytes]:
    if status is None:
        status = 400 if error.version == "1.2" and error.client else 500
    return Response(
        fault_for(error),
        status_code=status,
        media_type=CONTENT_TYPES[error.version],
        headers=headers,
    )


def _xml(description: str) -> ResponseSpec:
    return ResponseSpec(
        str, description=description, media_type="text/xml", generate_examples=False
    )


def _unknown(endpoint: str) -> ProblemError:
    detail = f"no SOAP endpoint named {endpoint!r} is configured"
    return ProblemError(404, "unknown_endpoint", "Unknown endpoint", detail)


async def _admit(
    request: Request[Any, Any, Any], endpoint: str, spec: SoapEndpoint | None
) -> SoapEndpoint:
    """The endpoint, once the caller may use it (``auth: bearer``) and its partner has quota.

    Raises the problem to answer as a Fault; another partner's endpoint reads as unknown.
    """
    if spec is None:
        raise _unknown(endpoint)
    if spec.auth == "bearer":
        principal = await authenticate(request)
        check_scopes(principal, (MESSAGES_WRITE,))
        if not acts_for(principal, spec.partner):
            raise _unknown(endpoint)
    await spend(request, spec.partner, "soap")
    return spec


@post(
    "/v1/inbound/soap/{endpoint:str}",
    status_code=200,
    summary="Send a SOAP envelope to an inbound SOAP endpoint",
    description=(
        "Validates the envelope against the endpoint's WSDL and answers a SOAP envelope with "
        "<cd:accepted> once it is journaled, or a SOAP Fault (nothing journaled). An endpoint "
        "with auth: bearer wants a token of its partner with scope messages:write."
    ),
    security=[{BEARER: [MESSAGES_WRITE]}, {}],  # {}: an endpoint configured with auth: none
    responses={
        200: _xml("The acknowledgement envelope (<cd:accepted> with the message id)"),
        **{
            status: _xml(f"A SOAP Fault: {meaning}")
            for status, meaning in {
                400: "a SOAP 1.2 Sender fault (bad envelope or body)",
                401: "missing_token or invalid_token (auth: bearer endpoints)",
                403: "insufficient_scope",
                404: "unknown_endpoint (or another partner's)",
                413: "body_too_large",
                415: "unsupported_media_type: not text/xml or application/soap+xml",
                429: "rate_limited: the endpoint's partner has spent its plan",
                500: "a SOAP 1.1 fault (the SOAP 1.1 binding answers every fault with 500)",
            }.items()
        },
    },
)
async def receive_soap(request: Request[Any, Any, Any], endpoint: FromPath[str]) -> Response[bytes]:
    """Accept one SOAP envelope on an endpoint."""
    gw: Gateway = request.app.state.gateway
    content_type = request.headers.get("content-type", "")
    media, _ = media_version(content_type)
    version: SoapVersion = media or "1.1"
    try:
        spec = await _admit(request, endpoint, gw.config.soap.get(endpoint))
    except ProblemError as exc:
        error = SoapFaultError(exc.detail, code=exc.code, version=version)
        return _fault(error, exc.status, exc.extra.get("headers"))
    if media is None:
        error = SoapFaultError(
            f"endpoint {endpoint!r} takes text/xml (SOAP 1.1) or application/soap+xml "
            f"(SOAP 1.2); got {content_type or 'no Content-Type'!r}",
            code="unsupported_media_type",
        )
        return _fault(error, 415)
    raw = await request.body()
    limit = spec.max_body_bytes or gw.settings.max_body_bytes
    if len(raw) > limit:
        error = SoapFaultError(
            f"the body is {len(raw)} bytes; endpoint {endpoint!r} accepts at most {limit}",
            code="body_too_large",
            version=version,
        )
        return _fault(error, 413)
    try:
        reader = load_endpoint(spec.spec)  # loaded at config load; this is a cache hit
        action = request.headers.get("soapaction")
        inbound = reader.read(raw, content_type, action)
    except SoapFaultError as exc:
        log.info(
            "soap envelope refused",
            extra={"endpoint": endpoint, "partner": spec.partner, "code": exc.code},
        )
        return _fault(exc)
    except Exception:  # a bug here must still answer in SOAP, as a Server fault
        log.exception("soap endpoint failed", extra={"endpoint": endpoint})
        body = render_fault("internal error", client=False, version=version, code="internal")
        return Response(body, status_code=500, media_type=CONTENT_TYPES[version])
    message = NewMessage(
        id=new_id(),
        partner=spec.partner,
        channel=spec.channel_name,
        document_type=inbound.document_type,
        content_type=content_type,
        raw=raw,
        received_at=time.time(),
        trace_id=trace_id_of(request),
        business_keys={SOAP_ACTION_KEY: action} if action is not None else {},
    )
    await gw.journal.accept(message)
    gw.metrics.accepted.labels(spec.channel_name).inc()
    gw.process_wake.set()
    body = render_ack(inbound.version, inbound.operation, message.id, message.trace_id)
    return Response(
        body,
        status_code=200,
        media_type=CONTENT_TYPES[inbound.version],
        headers={"Location": f"/v1/messages/{message.id}"},
    )
