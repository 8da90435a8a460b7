"""``POST /v1/inbound/{channel}``: accept a message once it is durable, answer 202.

The handler does only what must happen before the answer: find the channel, check the media
type and size, check that the body is well-formed, and journal it. Everything else (mapping,
validation, routing, delivery) happens in the workers, so a partner's call never waits on our
destinations. A 4xx means nothing was written.
"""

from __future__ import annotations

import re
import time
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.params import FromPath

from connectors.errors import DecodeError
from connectors.rest.decode import check_json
from gateway.api.problems import ProblemError
from gateway.ids import new_id, new_trace_id
from gateway.journal import NewMessage
from gateway.runtime import Gateway

_encode = msgspec.json.Encoder().encode
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_JSON_TYPES = ("application/json",)


class Accepted(msgspec.Struct, frozen=True):
    """The 202 body: the id to quote to support and where to watch the message."""

    message_id: str
    status_url: str
    trace_id: str


def trace_id_of(request: Request[Any, Any, Any]) -> str:
    """The caller's W3C trace id from ``traceparent``, or a new one."""
    match = _TRACEPARENT.match(request.headers.get("traceparent", ""))
    return match.group(1) if match and match.group(1) != "0" * 32 else new_trace_id()


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


@post(
    "/v1/inbound/{channel:str}",
    status_code=202,
    summary="Send a message to an inbound channel",
    description="Answers 202 once the message is durably journaled; processing is asynchronous.",
    response_headers=[],
)
async def receive(request: Request[Any, Any, Any], channel: FromPath[str]) -> Response[bytes]:
    """Accept one message on a channel."""
    gw: Gateway = request.app.state.gateway
    ch = gw.config.channels.get(channel)
    if ch is None:
        raise ProblemError(
            404,
            "unknown_channel",
            "Unknown channel",
            f"no inbound channel named {channel!r} is configured",
            stage="accept",
            channel=channel,
        )
    content_type = request.headers.get("content-type", "")
    if ch.format == "json" and not _is_json(content_type):
        raise ProblemError(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            f"channel {channel!r} takes application/json; got "
            f"{content_type or 'no Content-Type'!r}",
            stage="accept",
            partner=ch.partner,
            channel=channel,
        )
    raw = await request.body()
    limit = ch.max_body_bytes or gw.settings.max_body_bytes
    if len(raw) > limit:
        raise ProblemError(
            413,
            "body_too_large",
            "Request body too large",
            f"the body is {len(raw)} bytes; channel {channel!r} accepts at most {limit}",
            stage="accept",
            partner=ch.partner,
            channel=channel,
        )
    try:
        check_json(raw)
    except DecodeError as exc:
        raise ProblemError(
            400,
            exc.code,
            "Malformed JSON",
            exc.message,
            stage="accept",
            partner=ch.partner,
            channel=channel,
            position=exc.path,
        ) from exc
    message = NewMessage(
        id=new_id(),
        partner=ch.partner,
        channel=channel,
        document_type=ch.document_type,
        content_type=content_type,
        raw=raw,
        received_at=time.time(),
        trace_id=trace_id_of(request),
    )
    await gw.journal.accept(message)
    gw.metrics.accepted.labels(channel).inc()
    gw.process_wake.set()
    body = Accepted(message.id, f"/v1/messages/{message.id}", message.trace_id)
    return Response(
        _encode(body),
        status_code=202,
        media_type="application/json",
        headers={"Location": body.status_url},
    )
