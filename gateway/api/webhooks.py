"""``POST /v1/inbound/webhooks/{source}``: verify a partner's signed webhook, then accept it.

Order matters: find the source, verify the signature over the *raw* bytes (401 on failure,
nothing written), drop a replayed event id (answer with the original message id), and only then
check that the body is JSON and journal it exactly as ``POST /v1/inbound/{channel}`` does. The
message is journaled on the channel ``webhook:<source>``, which ``Config.channel_for`` resolves.

Replays are caught in-process by an LRU cache with a time-to-live; the event id is also stored in
the message's business keys (``webhook_event_id``) so a durable journal lookup can find it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from connectors.webhook import EventCache, VerificationError, Verifier, build_verifier
from connectors.webhook.base import Headers
from gateway.api.answers import Answer
from gateway.api.body import read_body
from gateway.api.documented import problems
from gateway.api.governance import spend
from gateway.api.inbound import require_json, trace_id_from
from gateway.api.problems import ProblemError
from gateway.config.loader import resolve_secret
from gateway.config.model import WebhookSource
from gateway.ids import new_id
from gateway.journal import NewMessage
from gateway.runtime import Gateway

log = logging.getLogger("crossdock.api")
_encode = msgspec.json.Encoder().encode

EVENT_ID_KEY = "webhook_event_id"
DEDUPE_MAX_ENTRIES = 100_000
DEDUPE_TTL = 7 * 86_400.0  # senders retry for up to 3 days (Shopify 48h, Standard Webhooks ~3d)


class WebhookAccepted(msgspec.Struct, frozen=True, omit_defaults=True):
    """The answer: the message id to quote to support; ``duplicate`` for a replayed event."""

    message_id: str
    status_url: str
    trace_id: str = ""
    duplicate: bool = False


class WebhookInbox:
    """Per-app machinery: one verifier per source (built on first use) and the replay cache."""

    def __init__(self) -> None:
        self.verifiers: dict[str, Verifier] = {}
        self.seen = EventCache(DEDUPE_MAX_ENTRIES, DEDUPE_TTL)
        self.in_flight: set[tuple[str, str]] = set()
        self._accepted: dict[str, Any] = {}

    def accepted(self, gw: Gateway, channel: str) -> Any:
        """The channel's ``accepted`` counter child; ``labels()`` validates and locks per call."""
        child = self._accepted.get(channel)
        if child is None:
            child = self._accepted[channel] = gw.metrics.accepted.labels(channel)
        return child

    def verifier(self, source: WebhookSource) -> Verifier:
        """The source's verifier, resolving its secrets once."""
        verifier = self.verifiers.get(source.name)
        if verifier is None:
            secrets = [resolve_secret(ref) for ref in source.secrets]
            verifier = build_verifier(
                source.scheme, secrets, tolerance=source.tolerance, options=source.options
            )
            self.verifiers[source.name] = verifier
        return verifier


def webhook_inbox(state: State) -> WebhookInbox:
    """The app's inbox, created on first use (the app factory may also create it up front)."""
    inbox = state.get("webhook_inbox")
    if not isinstance(inbox, WebhookInbox):
        inbox = WebhookInbox()
        state["webhook_inbox"] = inbox
    return inbox


def _respond(body: WebhookAccepted, status: int) -> Answer:
    return Answer(status, _encode(body), [(b"location", body.status_url.encode("latin-1"))])


@post(
    "/v1/inbound/webhooks/{source:str}",
    status_code=202,
    summary="Receive a partner's signed webhook",
    description=(
        "Verifies the signature over the raw body (401 if it fails), answers 200 with the "
        "original message id for a replayed event id, otherwise 202 once journaled."
    ),
    responses={
        200: ResponseSpec(WebhookAccepted, description="A replayed event: the original message"),
        202: ResponseSpec(WebhookAccepted, description="Journaled"),
        **problems(
            s400="the body is not well-formed JSON",
            s401="the signature (or its timestamp) does not verify",
            s404="unknown_webhook_source",
            s409="webhook_in_flight: the same event is being accepted; retry",
            s413="body_too_large",
            s429="rate_limited: the source's partner has spent its plan",
            s503="webhook_source_unavailable: its secret cannot be read right now",
        ),
    },
)
async def receive_webhook(request: Request[Any, Any, Any], source: FromPath[str]) -> Answer:
    """Verify, dedupe and accept one webhook delivery."""
    gw: Gateway = request.app.state.gateway
    spec = gw.config.webhooks.get(source)
    if spec is None:
        raise ProblemError(
            404,
            "unknown_webhook_source",
            "Unknown webhook source",
            f"no webhook source named {source!r} is configured",
            stage="accept",
            source=source,
        )
    inbox = webhook_inbox(request.app.state)
    try:
        verifier = inbox.verifier(spec)
    except (LookupError, ValueError) as exc:  # a secret vanished since start; says which ref
        log.error("webhook source unusable", extra={"source": source, "error": str(exc)})
        raise ProblemError(
            503,
            "webhook_source_unavailable",
            "Webhook source unavailable",
            f"webhook source {source!r} cannot verify signatures right now; retry later",
            stage="accept",
            partner=spec.partner,
            source=source,
        ) from exc
    raw = await read_body(request, partner=spec.partner, source=source)
    headers = Headers.from_asgi(request.scope["headers"])
    now = time.time()
    try:
        verified = verifier.verify(headers, raw, now)
    except VerificationError as exc:
        log.info(
            "webhook refused",
            extra={"source": source, "partner": spec.partner, "code": exc.code, "header": exc.path},
        )
        raise ProblemError(
            401,
            exc.code,
            "Webhook verification failed",
            exc.message,
            stage="accept",
            partner=spec.partner,
            source=source,
            header=exc.path,
        ) from exc
    # after the signature (a forger cannot spend the partner's quota), before any journal read
    await spend(request, spec.partner, "webhooks")
    key = (spec.name, verified.event_id) if verified.event_id else None
    if key is not None:
        original = inbox.seen.get(key, now)
        if original is None:  # not seen by this process lately: ask the journal (durable)
            original = await gw.journal.find_by_key(spec.partner, EVENT_ID_KEY, key[1])
        if original is not None:
            log.info(
                "webhook replay ignored",
                extra={"source": source, "event_id": key[1], "message_id": original},
            )
            return _respond(
                WebhookAccepted(original, f"/v1/messages/{original}", duplicate=True), 200
            )
        if key in inbox.in_flight:  # the first copy is being journaled: let the sender retry
            raise ProblemError(
                409,
                "webhook_in_flight",
                "Webhook already being accepted",
                f"event {key[1]!r} is being accepted by another request; retry shortly",
                stage="accept",
                partner=spec.partner,
                source=source,
                headers={"Retry-After": "1"},
            )
    require_json(raw, partner=spec.partner, source=source)
    message = NewMessage(
        id=new_id(),
        partner=spec.partner,
        channel=spec.channel_name,
        document_type=spec.document_type,
        content_type=headers.get("content-type") or "application/json",
        raw=raw,
        received_at=now,
        trace_id=trace_id_from(headers.get("traceparent")),
        business_keys={EVENT_ID_KEY: key[1]} if key is not None else {},
    )
    if key is None:
        await gw.journal.accept(message)
    else:  # mark before awaiting, so a concurrent copy sees it; remember only once durable
        inbox.in_flight.add(key)
        try:
            await gw.journal.accept(message)
            inbox.seen.put(key, message.id, now)
        finally:
            inbox.in_flight.discard(key)
    inbox.accepted(gw, spec.channel_name).inc()
    gw.process_wake.set()
    body = WebhookAccepted(message.id, f"/v1/messages/{message.id}", message.trace_id)
    return _respond(body, 202)
