"""Canonical REST resources (``/v1/orders`` ...): one factory, one short declaration each.

:func:`resource` makes three handlers for one document type:

* ``POST /v1/<name>`` (scope ``<scope>:write``, Idempotency-Key honoured): the body is decoded
  strictly against the contract (``"2"`` is not ``2``); a refused body answers 422
  ``invalid_document`` listing EVERY failing field path. An accepted body is journaled as a
  message of the caller's partner on channel ``api:<document_type>`` (the raw bytes exactly, the
  business keys known at once) and the normal pipeline validates, routes and delivers it. The
  answer is **202 Accepted**, not 201: the document is durably stored and readable at once
  (``Location``), but what it is for (routing, delivery) has not happened yet; its status says
  how far it got.
* ``GET /v1/<name>/{id}`` (``<scope>:read``, or ``ops:read`` for every partner): the canonical
  document and its processing status. Another partner's id answers 404, like a missing one.
* ``GET /v1/<name>`` (same scopes): the caller's documents, oldest first, paged by an opaque
  cursor (keyset on ``(received_at, id)``: stable while documents arrive), filtered by
  ``state``, ``since``/``until``, the resource's business key and (operations only) ``partner``.

Another contract version reuses the factory with its own :class:`Codec`: ``decode`` turns the
request body into the v1 document (or raises :class:`InvalidDocumentError`), ``present`` turns
the stored v1 document into that version's JSON. The journal always holds v1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import FromPath
from litestar.types import Guard

import contracts
from connectors.rest.decode import BOM
from gateway.api.answers import Answer
from gateway.api.auth import authenticate, check_scopes, principal_of
from gateway.api.body import read_body
from gateway.api.documented import BEARER
from gateway.api.field_errors import FieldError, field_errors, split_message
from gateway.api.governance import OPS_READ, governed, sees_all, spend
from gateway.api.handlers import get_route, post_route
from gateway.api.idempotency import DeferredKey, DeferredKeys, Replayed
from gateway.api.inbound import require_json, trace_id_of
from gateway.api.messages import iso
from gateway.api.pagination import (
    MAX_LIMIT,
    bad_query,
    decode_cursor,
    encode_cursor,
    next_link,
    parse_limit,
    parse_time,
)
from gateway.api.problems import ProblemError
from gateway.api.resource_docs import create_responses, list_responses, read_responses
from gateway.api.wire_headers import header
from gateway.auth import Principal
from gateway.config.model import API_CHANNEL_PREFIX, wire_contract
from gateway.ids import new_id
from gateway.journal import Message, MessageFilter, NewMessage
from gateway.journal.base import MessageState
from gateway.journal.idempotency import StoredResponse
from gateway.pipeline.stages import business_keys
from gateway.runtime import Gateway

__all__ = [
    "RESOURCES",
    "ROUTES",
    "Codec",
    "InvalidDocumentError",
    "resource",
    "strict_decoder",
    "v1_codec",
]

_STATES: Final[dict[str, MessageState]] = {
    "received": "received",
    "done": "done",
    "failed": "failed",
    "discarded": "discarded",
}
_encode = msgspec.json.Encoder().encode
_any_decode = msgspec.json.Decoder().decode


class InvalidDocumentError(Exception):
    """A body the contract refuses; ``errors`` lists every failing field (never empty)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


def strict_decoder(struct_type: type[msgspec.Struct]) -> Callable[[bytes], msgspec.Struct]:
    """``raw -> Struct``, strictly; raises :class:`InvalidDocumentError` listing every error.

    The fast path is one msgspec decode. Only a refused body pays for the second, collecting
    pass (:func:`gateway.api.field_errors.field_errors`) over the same annotations.
    """
    decoder = msgspec.json.Decoder(struct_type, strict=True)

    def decode(raw: bytes) -> msgspec.Struct:
        try:
            document: msgspec.Struct = decoder.decode(raw)
        except msgspec.ValidationError as exc:
            try:
                tree = _any_decode(raw)  # well-formed: the caller checked the JSON syntax first
            except msgspec.DecodeError:
                # the syntax check leaves numbers beyond a double's range to this stage; the
                # ValidationError itself names the path (:func:`_decode` reports it as a 422)
                raise exc from None
            raise InvalidDocumentError(field_errors(tree, struct_type, str(exc))) from exc
        return document

    return decode


def _present_as_is(document: msgspec.Struct) -> Any:
    return document


@dataclass(frozen=True)
class Codec:
    """How one contract version's wire format relates to the stored v1 document."""

    version: str
    decode: Callable[[bytes], msgspec.Struct]
    """Request body -> v1 document; raises :class:`InvalidDocumentError`."""
    present: Callable[[msgspec.Struct], Any] = _present_as_is
    """Stored v1 document -> what a GET of this version answers (msgspec-encodable)."""


def v1_codec(document_type: str) -> Codec:
    """v1 on the wire is v1 in the journal: strict decode, present unchanged."""
    return Codec("v1", strict_decoder(contracts.VERSIONS["v1"][document_type]))


@dataclass(frozen=True)
class _Spec:
    name: str
    document_type: str
    scope: str
    key_field: str
    codec: Codec
    channel: str
    v1_decode: Callable[[bytes], Any] = field(repr=False)

    @property
    def base(self) -> str:
        return f"/{self.codec.version}/{self.name}"

    def url(self, document_id: str) -> str:
        return f"{self.base}/{document_id}"


def resource(
    name: str,
    document_type: str,
    *,
    scope: str,
    key_field: str,
    codec: Codec | None = None,
) -> list[HTTPRouteHandler]:
    """The POST, GET-by-id and list handlers of one resource.

    ``name`` is the path segment (``orders``), ``document_type`` the contract's name for it
    (``order``), ``scope`` the scope prefix (``orders`` -> ``orders:write`` / ``orders:read``),
    ``key_field`` the business key the list filters on (``po_number``). ``codec`` defaults to
    contract v1.
    """
    if codec is not None and codec.version not in contracts.VERSIONS:
        # the journal keeps the partner's bytes and the validate stage reads them in this version
        msg = f"contract version {codec.version!r} is not registered in contracts.VERSIONS"
        raise ValueError(msg)
    spec = _Spec(
        name=name,
        document_type=document_type,
        scope=scope,
        key_field=key_field,
        codec=codec or v1_codec(document_type),
        channel=API_CHANNEL_PREFIX + document_type,
        v1_decode=contracts.decoder("v1", document_type).decode,
    )
    version, write, read = spec.codec.version, f"{scope}:write", f"{scope}:read"
    label = name.replace("-", "_")
    keys = DeferredKeys()  # the POST's Idempotency-Keys: claimed as it journals

    @post_route(
        spec.base,
        status_code=202,
        name=f"{version}.{name}.create",
        operation_id=f"{version}_{label}_create",
        tags=[name],
        summary=f"Submit a {document_type} (contract {version})",
        description=f"Needs scope {write}. Strict contract validation (422 lists every field); "
        "202 once journaled; honours Idempotency-Key.",
        guards=[governed(write, route=f"{name}.create")],
        responses=create_responses(document_type),
        opt={"idempotency_key": True},  # claimed by DeferredKeys: documented as the header
    )
    async def create(request: Request[Any, Any, Any]) -> Answer:
        return await _create(spec, keys, request)

    @get_route(
        spec.base + "/{document_id:str}",
        name=f"{version}.{name}.read",
        operation_id=f"{version}_{label}_read",
        tags=[name],
        summary=f"A {document_type} and its processing status",
        description=f"Needs scope {read} (ops:read sees every partner's).",
        guards=[_reader(read, route=f"{name}.read")],
        security=[{BEARER: [read]}, {BEARER: [OPS_READ]}],
        responses=read_responses(document_type, version),
    )
    async def read_one(
        request: Request[Any, Any, Any], document_id: FromPath[str]
    ) -> Response[bytes]:
        return await _read(spec, request, document_id)

    @get_route(
        spec.base,
        name=f"{version}.{name}.list",
        operation_id=f"{version}_{label}_list",
        tags=[name],
        summary=f"List {name}, oldest first, cursor-paged",
        description=f"Needs scope {read} (ops:read sees every partner's). Query: limit "
        f"(1..{MAX_LIMIT}), cursor, state, since, until, {key_field}, partner (ops only).",
        guards=[_reader(read, route=f"{name}.list")],
        security=[{BEARER: [read]}, {BEARER: [OPS_READ]}],
        responses=list_responses(name),
    )
    async def list_all(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _list(spec, request)

    return [create, read_one, list_all]


class _ReaderGuard:
    """``scope`` or ``ops:read``, then the partner's rate limit (as ``governed`` does).

    ``governed_scopes`` lets the OpenAPI hook add the 401/403/429 answers; the route declares
    its own ``security`` (either scope will do), which the hook leaves alone.
    """

    def __init__(self, scope: str, route: str) -> None:
        self.governed_scopes = (scope,)
        self.route = route

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        principal = await authenticate(connection)
        if not sees_all(principal):
            check_scopes(principal, self.governed_scopes)
        await spend(connection, principal.partner, self.route)


def _reader(scope: str, *, route: str) -> Guard:
    """The read guard of one resource route."""
    return _ReaderGuard(scope, route)


# -- POST -------------------------------------------------------------------------------------
def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _create(spec: _Spec, keys: DeferredKeys, request: Request[Any, Any, Any]) -> Answer:
    principal = principal_of(request)
    content_type = header(request.scope, b"content-type") or ""
    if not _is_json(content_type):
        raise ProblemError(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            f"{spec.base} takes application/json; got {content_type or 'no Content-Type'!r}",
            stage="accept",
            partner=principal.partner,
        )
    raw = await read_body(request, partner=principal.partner, resource=spec.name)
    key = keys.hold(request.scope, principal.client_id, raw)
    try:
        return await _accept(spec, request, principal, raw, key)
    finally:
        keys.release(key)


async def _accept(
    spec: _Spec,
    request: Request[Any, Any, Any],
    principal: Principal,
    raw: bytes,
    key: DeferredKey | None,
) -> Answer:
    """Decode strictly, journal (claiming ``key`` in the same job), answer 202."""
    gw: Gateway = request.app.state.gateway
    try:  # a byte order mark is ignored, as require_json and the pipeline's decode ignore it
        document = _decode(spec.codec, raw.removeprefix(BOM))
    except (InvalidDocumentError, msgspec.DecodeError) as refused:
        # a refused body may not be JSON at all: that is the 400 naming the byte, before any
        # contract error. An accepted one needs no such check: contract structs forbid unknown
        # fields and hold no raw JSON, so every string was decoded, hence valid UTF-8
        require_json(raw, partner=principal.partner, resource=spec.name)
        exc = (
            refused
            if isinstance(refused, InvalidDocumentError)
            else InvalidDocumentError([FieldError("$", str(refused))])
        )
        first = exc.errors[0]
        more = f" and {len(exc.errors) - 1} more" if len(exc.errors) > 1 else ""
        raise ProblemError(
            422,
            "invalid_document",
            "Document does not match the contract",
            f"{spec.codec.version}/{spec.document_type} from partner {principal.partner!r}: "
            f"{first.message} at {first.path}{more}; nothing was journaled",
            stage="validate",
            partner=principal.partner,
            contract=f"{spec.codec.version}/{spec.document_type}",
            errors=[{"path": e.path, "message": e.message} for e in exc.errors],
        ) from refused
    # the partner's bytes exactly; another version says so in the media type and the validate
    # stage converts it to canonical v1 (GET by a v1 or v2 caller reads that canonical form)
    media = "application/json"
    if spec.codec.version != "v1":
        media += f"; contract={spec.codec.version}"
    message = NewMessage(
        id=new_id(),
        partner=principal.partner,
        channel=spec.channel,
        document_type=spec.document_type,
        content_type=media,
        raw=raw,
        received_at=time.time(),
        trace_id=trace_id_of(request),
        business_keys=_keys(spec, document),
    )
    url = spec.url(message.id)
    body = _encode(
        {"id": message.id, "status": "accepted", "status_url": url, "trace_id": message.trace_id}
    )
    if key is None:
        await gw.journal.accept(message)
    else:  # the message and the answer a retry with this key replays: one writer job
        stored = [("content-type", "application/json"), ("location", url)]
        earlier = await key.accept(message, StoredResponse(status=202, headers=stored, body=body))
        if earlier is not None:
            return Replayed(earlier)  # answered before: that answer, and nothing journaled
    gw.metrics.count_accepted(spec.channel)
    gw.process_wake.set()
    return Answer(202, body, [(b"location", url.encode("latin-1"))])


def _decode(codec: Codec, raw: bytes) -> msgspec.Struct:
    """Run ``codec.decode``, refusals always as :class:`InvalidDocumentError`.

    A converter's own ``ValidationError`` (a v2 amount v1 cannot say exactly, say) becomes the
    same 422 with the path it names.
    """
    try:
        return codec.decode(raw)
    except msgspec.ValidationError as exc:
        message, path = split_message(str(exc))
        raise InvalidDocumentError([FieldError(path, message)]) from exc


def _keys(spec: _Spec, document: msgspec.Struct) -> dict[str, str]:
    """The pipeline's business keys plus the resource's own (lists filter on it)."""
    keys = business_keys(document)
    value = getattr(document, spec.key_field, None)
    if isinstance(value, str):
        keys[spec.key_field] = value
    return keys


# -- GET --------------------------------------------------------------------------------------
def _visible(spec: _Spec, principal: Principal, message: Message | None) -> Message | None:
    if message is None or message.channel != spec.channel:
        return None
    if not sees_all(principal) and message.partner != principal.partner:
        return None  # another partner's document reads exactly like a missing one
    return message


def _document(spec: _Spec, message: Message) -> Any:
    """The stored v1 document as this version presents it (canonical once validated).

    ``None`` if the stored bytes no longer decode (a message journaled before a contract
    change): the status is still worth showing, and the dead letter says what went wrong.
    """
    try:
        if message.canonical is not None:
            document = spec.v1_decode(message.canonical)
        else:  # not validated yet: the body as sent, in the version it was sent in
            wire = wire_contract(message.content_type) or "v1"
            sent = contracts.decoder(wire, spec.document_type).decode(message.raw)
            document = contracts.translate(spec.document_type, sent, wire, "v1")
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return spec.codec.present(document)


def _summary(spec: _Spec, message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "partner": message.partner,
        "received_at": iso(message.received_at),
        "state": message.state,
        "stage": message.stage,
        "business_keys": message.business_keys,
        "url": spec.url(message.id),
        "document": _document(spec, message),
    }


async def _read(spec: _Spec, request: Request[Any, Any, Any], document_id: str) -> Response[bytes]:
    gw: Gateway = request.app.state.gateway
    message = _visible(spec, principal_of(request), await gw.journal.get_message(document_id))
    if message is None:
        raise ProblemError(
            404,
            "unknown_document",
            f"Unknown {spec.document_type}",
            f"no {spec.document_type} with id {document_id!r} at {spec.base}",
        )
    deliveries = await gw.journal.deliveries(message.id)
    counts = dict.fromkeys(("pending", "delivered", "dead", "discarded"), 0)
    for d in deliveries:
        counts[d.state] = counts.get(d.state, 0) + 1
    body = _summary(spec, message)
    body["deliveries"] = {"total": len(deliveries), **counts}
    body["trace_id"] = message.trace_id
    body["status_url"] = f"/v1/messages/{message.id}"
    return Response(_encode(body), media_type="application/json")


# -- list -------------------------------------------------------------------------------------
def _filter(spec: _Spec, request: Request[Any, Any, Any], principal: Principal) -> MessageFilter:
    query = request.query_params
    state = query.get("state")
    if state is not None and state not in _STATES:
        raise bad_query("state", f"unknown state {state!r}", " | ".join(_STATES))
    partner = query.get("partner")
    if not sees_all(principal):
        if partner not in (None, principal.partner):
            raise ProblemError(
                403,
                "forbidden_filter",
                "Filter not allowed",
                "only operations clients (scope ops:read) may list another partner's documents",
                parameter="partner",
            )
        partner = principal.partner
    key = query.get(spec.key_field)
    cursor = query.get("cursor")
    return MessageFilter(
        channel=spec.channel,
        partner=partner,
        state=None if state is None else _STATES[state],
        since=parse_time("since", query.get("since")),
        until=parse_time("until", query.get("until")),
        key=None if key is None else (spec.key_field, key),
        after=None if cursor is None else decode_cursor(cursor),
        limit=parse_limit(query.get("limit")) + 1,  # one more tells whether a next page exists
    )


async def _list(spec: _Spec, request: Request[Any, Any, Any]) -> Response[bytes]:
    gw: Gateway = request.app.state.gateway
    flt = _filter(spec, request, principal_of(request))
    rows = await gw.journal.list_messages(flt)
    page = rows[: flt.limit - 1]
    next_cursor = None
    headers: dict[str, str] = {}
    if len(rows) == flt.limit:
        last = page[-1]
        next_cursor = encode_cursor((last.received_at, last.id))
        headers["Link"] = next_link(spec.base, request.query_params, next_cursor)
    body = {"items": [_summary(spec, m) for m in page], "next_cursor": next_cursor}
    return Response(_encode(body), media_type="application/json", headers=headers)


RESOURCES: Final[dict[str, list[HTTPRouteHandler]]] = {
    "orders": resource("orders", "order", scope="orders", key_field="po_number"),
    "returns": resource("returns", "return_authorization", scope="returns", key_field="rma_number"),
    "shipments": resource("shipments", "shipment", scope="shipments", key_field="shipment_id"),
    "inventory-adjustments": resource(
        "inventory-adjustments",
        "inventory_adjustment",
        scope="inventory",
        key_field="adjustment_id",
    ),
}
"""The v1 resources by path segment, three handlers each."""

ROUTES: Final[list[HTTPRouteHandler]] = [h for handlers in RESOURCES.values() for h in handlers]
"""Every resource handler, for the app factory's ``route_handlers``."""
