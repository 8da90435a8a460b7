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
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath

from connectors.soap import (
    CONTENT_TYPES,
    SoapFaultError,
    SoapVersion,
    fault_for,
    load_endpoint,
    media_version,
    render_ack,
    render_fault,
)
from gateway.api.inbound import trace_id_of
from gateway.ids import new_id
from gateway.journal import NewMessage
from gateway.runtime import Gateway

log = logging.getLogger("crossdock.api")


def _fault(error: SoapFaultError, status: int | None = None) -> Response[bytes]:
    if status is None:
        status = 400 if error.version == "1.2" and error.client else 500
    return Response(fault_for(error), status_code=status, media_type=CONTENT_TYPES[error.version])


@post(
    "/v1/inbound/soap/{endpoint:str}",
    status_code=200,
    summary="Send a SOAP envelope to an inbound SOAP endpoint",
    description=(
        "Validates the envelope against the endpoint's WSDL and answers a SOAP envelope with "
        "<cd:accepted> once it is journaled, or a SOAP Fault (nothing journaled)."
    ),
)
async def receive_soap(request: Request[Any, Any, Any], endpoint: FromPath[str]) -> Response[bytes]:
    """Accept one SOAP envelope on an endpoint."""
    gw: Gateway = request.app.state.gateway
    content_type = request.headers.get("content-type", "")
    media, _ = media_version(content_type)
    version: SoapVersion = media or "1.1"
    spec = gw.config.soap.get(endpoint)
    if spec is None:
        error = SoapFaultError(
            f"no SOAP endpoint named {endpoint!r} is configured",
            code="unknown_endpoint",
            version=version,
        )
        return _fault(error, 404)
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
        inbound = reader.read(raw, content_type, request.headers.get("soapaction"))
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
