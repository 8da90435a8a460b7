"""``POST /v1/inbound/{channel}``: accept a message once it is durable, answer 202.

The handler does only what must happen before the answer: find the channel, check the media
type and size, check that the body is well-formed, and journal it. Everything else (mapping,
validation, routing, delivery) happens in the workers, so a partner's call never waits on our
destinations. A 4xx means nothing was written.

An ``x12`` channel splits the body into its transaction sets and journals one message per set,
all in one transaction (:meth:`Journal.accept_many`); the 202 lists every set's message id and
whether the reader accepted or rejected it. A rejected set is journalled too (nothing the
partner sent is lost) and is dead-lettered by the decode stage with the error's code and
position. A TA1 (the partner's interchange acknowledgement, often alone in ``ISA TA1 IEA``) is
journaled as its own message (``set_id`` ``TA1``) and reconciled with the interchange we sent.
A body with no interchange, set or TA1 at all is a 400 and nothing is written. Once the
sets are journaled, the partner's 997/999/TA1 are queued as outbound messages per their ``x12``
settings (gateway.x12_acks, docs/x12-acknowledgements.md) and listed in the 202.

**Duplicate interchanges.** When the channel's ``duplicate_window`` is set (default one day), an
interchange whose sender, receiver (both with qualifiers) and ISA13 match one the same partner
sent within the window is a duplicate. The check reads the journal, so it holds across restarts.
If any interchange of a body is a duplicate the whole body is refused with 409
``duplicate_interchange`` listing every duplicate (its ISA13, the original message id and when it
was received) and nothing is written, not even the body's new interchanges: the partner resends
only what was new, and nothing is ever half-written. Every set of an accepted interchange carries
the business key ``x12_interchange`` = ``sender|receiver|isa13#n``, where ``n`` counts the times
that interchange was accepted (a resend after the window is ``#2``); the check follows that chain
to the latest acceptance, since :meth:`Journal.find_by_key` answers only the earliest. The check
and the write are serialised per partner within this process. Limits: the same interchange twice
inside one body is not detected (one body is one transmission); messages journaled while the
check was off (window 0 or null) carry no chain key and are found only as the partner's earliest
message with that ISA13; each lookup scans the partner's messages (no expression index on these
keys).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from connectors.errors import DecodeError
from connectors.rest.decode import validate_json
from connectors.x12 import SetMessage
from gateway.api.auth import principal_of
from gateway.api.body import read_body
from gateway.api.documented import problems
from gateway.api.governance import MESSAGES_WRITE, acts_for, governed
from gateway.api.idempotency import idempotency, pending_key
from gateway.api.problems import ProblemError
from gateway.api.wire_headers import header
from gateway.ids import new_id, new_trace_id
from gateway.journal import NewMessage
from gateway.journal.idempotency import StoredResponse
from gateway.runtime import Gateway
from gateway.x12_intake import accept_interchange

log = logging.getLogger("crossdock.inbound")

_encode = msgspec.json.Encoder().encode
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_JSON_TYPES = ("application/json",)
_X12_TYPES = ("application/edi-x12", "application/edi", "text/plain", "application/octet-stream")


class Accepted(msgspec.Struct, frozen=True):
    """The 202 body: the id to quote to support and where to watch the message."""

    message_id: str
    status_url: str
    trace_id: str


class AcceptedSet(msgspec.Struct, frozen=True, omit_defaults=True):
    """One transaction set of an accepted X12 body: its message and the reader's verdict."""

    message_id: str
    status_url: str
    set_id: str
    control_number: str
    document_type: str
    status: str  # "accepted" or "rejected" (dead-lettered at decode with the reason)
    error: dict[str, Any] | None = None


class AcceptedInterchange(msgspec.Struct, frozen=True, omit_defaults=True):
    """The 202 body of an X12 channel: one entry per transaction set, in input order.

    ``acknowledgements`` lists the 997/999/TA1 interchanges queued for the partner (their
    settings: docs/x12-acknowledgements.md), each a message with its own status URL.
    """

    messages: list[AcceptedSet]
    trace_id: str
    acknowledgements: list[dict[str, Any]] = []


def trace_id_of(request: Request[Any, Any, Any]) -> str:
    """The caller's W3C trace id from ``traceparent``, or a new one."""
    return trace_id_from(header(request.scope, b"traceparent"))


def trace_id_from(traceparent: str | None) -> str:
    """The trace id a ``traceparent`` value carries, or a new one when absent or invalid."""
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match and match.group(1) != "0" * 32 else new_trace_id()


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def require_json(raw: bytes, **context: str) -> None:
    """Refuse a body that is not well-formed JSON with a 400 naming the byte position.

    ``context`` (partner, channel or source) goes into the problem so the sender sees which
    door refused it; nothing has been journaled when this raises.
    """
    try:
        validate_json(raw)
    except DecodeError as exc:
        raise ProblemError(
            400,
            exc.code,
            "Malformed JSON",
            exc.message,
            stage="accept",
            position=exc.path,
            **context,
        ) from exc


def _is_json(content_type: str) -> bool:
    media = _media(content_type)
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def _media_ok(fmt: str, content_type: str) -> bool:
    if fmt == "json":
        return _is_json(content_type)
    if fmt == "x12":
        return _media(content_type) in _X12_TYPES
    return True


@post(
    "/v1/inbound/{channel:str}",
    status_code=202,
    summary="Send a message to an inbound channel",
    description=(
        "Answers 202 once the message is durably journaled; processing is asynchronous. "
        "Needs scope messages:write; a channel of another partner answers 404."
    ),
    response_headers=[],
    guards=[governed(MESSAGES_WRITE, route="inbound")],
    middleware=[idempotency()],
    responses={
        202: ResponseSpec(
            Accepted | AcceptedInterchange,
            description="Journaled (an X12 body: one message per transaction set)",
            generate_examples=False,
        ),
        **problems(
            s400="the body is not well-formed JSON, or holds no X12 interchange",
            s404="unknown_channel: no such channel, or another partner's",
            s409="duplicate_interchange: an X12 interchange already accepted in the window",
            s413="body_too_large: larger than the channel accepts",
            s415="unsupported_media_type: not a media type this channel takes",
        ),
    },
)
async def receive(request: Request[Any, Any, Any], channel: FromPath[str]) -> Response[bytes]:
    """Accept one message on a channel."""
    gw: Gateway = request.app.state.gateway
    ch = gw.config.channels.get(channel)
    # another partner's channel reads exactly like a missing one: channel names are not probed
    if ch is None or not acts_for(principal_of(request), ch.partner):
        raise ProblemError(
            404,
            "unknown_channel",
            "Unknown channel",
            f"no inbound channel named {channel!r} is configured",
            stage="accept",
            channel=channel,
        )
    content_type = header(request.scope, b"content-type") or ""
    if not _media_ok(ch.format, content_type):
        takes = "application/json" if ch.format == "json" else ", ".join(_X12_TYPES)
        raise ProblemError(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            f"channel {channel!r} takes {takes}; got {content_type or 'no Content-Type'!r}",
            stage="accept",
            partner=ch.partner,
            channel=channel,
        )
    raw = await read_body(request, partner=ch.partner, channel=channel)
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
    if ch.format == "x12":
        return await _receive_x12(
            request, gw, raw, partner=ch.partner, channel=channel, content_type=content_type
        )
    require_json(raw, partner=ch.partner, channel=channel)
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
    body = Accepted(message.id, f"/v1/messages/{message.id}", message.trace_id)
    encoded = _encode(body)
    pending = pending_key(request.scope)
    if pending is None:
        await gw.journal.accept(message)
    else:  # under an Idempotency-Key: the message and the answer a retry replays, one job
        stored = [("content-type", "application/json"), ("location", body.status_url)]
        await pending.accept(message, StoredResponse(status=202, headers=stored, body=encoded))
    gw.metrics.accepted.labels(channel).inc()
    gw.process_wake.set()
    return Response(
        encoded,
        status_code=202,
        media_type="application/json",
        headers={"Location": body.status_url},
    )


async def _receive_x12(
    request: Request[Any, Any, Any],
    gw: Gateway,
    raw: bytes,
    *,
    partner: str,
    channel: str,
    content_type: str,
) -> Response[bytes]:
    """Split an X12 body into sets and journal one message per set, all or none.

    The acceptance itself is gateway.x12_intake's, shared with the drop folders; this renders
    its outcome: a refusal as problem+json, the journaled sets and queued acks as the 202.
    """
    ch = gw.config.channels[channel]
    intake = await accept_interchange(gw, ch, raw, trace_id_of(request), content_type=content_type)
    if intake.refusal is not None:
        r = intake.refusal
        raise ProblemError(r.status, r.code, r.title, r.detail, **r.fields)
    body = AcceptedInterchange(
        [_accepted_set(m, xset) for m, xset in zip(intake.messages, intake.sets, strict=True)],
        intake.trace_id,
        intake.acks,
    )
    return Response(_encode(body), status_code=202, media_type="application/json")


def _accepted_set(message: NewMessage, xset: SetMessage) -> AcceptedSet:
    error = None
    if xset.error is not None:
        e = xset.error
        error = {"code": e.code, "message": e.message, "offset": e.offset}
        if e.segment_id:
            error["segment"] = e.segment_id
        if e.set_position:
            error["set_position"] = e.set_position
        if e.element:
            error["element"] = e.element
    return AcceptedSet(
        message_id=message.id,
        status_url=f"/v1/messages/{message.id}",
        set_id=xset.set_id,
        control_number=xset.control_number,
        document_type=xset.document_type,
        status="accepted" if xset.accepted else "rejected",
        error=error,
    )
