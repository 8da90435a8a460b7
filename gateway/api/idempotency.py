"""``Idempotency-Key`` on POST routes (draft-ietf-httpapi-idempotency-key-header), one line each.

Add ``middleware=[idempotency()]`` to a route decorator (``idempotency(required=True)`` to
refuse requests without a key). A client retrying a POST after a timeout then gets the first
answer again instead of creating a second order:

* same key, same body, first request finished -> the stored response, byte for byte, with
  ``Idempotent-Replayed: true``;
* same key, another body -> 422 ``idempotency_key_reused``;
* same key while the first request still runs -> 409 ``idempotency_key_in_use`` (Retry-After);
* a key that is not a Structured Field string (RFC 8941 ``sf-string``: ``"..."``, printable
  ASCII) or longer than :data:`MAX_KEY_LENGTH` -> 400 ``invalid_idempotency_key``;
* no key: allowed by default (the draft leaves it to the server), 400
  ``idempotency_key_required`` on routes made with ``required=True``.

A key is scoped to the client (the bearer token's ``client_id``; ``-`` on routes without
tokens), the method and the path, so two partners can never collide. The body's fingerprint is
the SHA-256 of its exact bytes. Only 2xx responses are stored: a 4xx or 5xx means the request
had no effect (nothing was journaled), so the key is released and a corrected retry may reuse
it. Records live in the journal's file (:mod:`gateway.journal.idempotency`), so replays survive
restarts; they expire after ``settings.idempotency_ttl`` seconds (default one day; each
claim purges a few expired records), and a request that died mid-way frees its
key after ``settings.idempotency_lease`` seconds (default 60).

Claims come in two kinds. The middleware claims the key (a ``running`` row with a lease) before
the handler runs and stores its answer after: right for any handler, whatever its effects. A
handler whose one effect is the message it accepts claims the key itself, in the writer job that
journals the message (:class:`DeferredKeys`): one transaction per keyed POST instead of two, no
lease to wait out after a crash, and none of the middleware's layers on the request. The
canonical resources (``POST /v1/orders``...) do that.

The middleware is ASGI middleware rather than handler code so that it wraps any POST handler
unchanged. It runs before the route's guards: it authenticates the bearer token itself only to
learn the client, and the guard still decides access when the handler runs (a refused request
releases the key). When the handler will NOT run (replay, 409, 422) it runs the route's guards
itself first, so a replay needs the same scopes and spends the same rate-limit quota as the
request it repeats.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import time
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from gateway.api.answers import Answer
from gateway.api.auth import authenticate
from gateway.api.problems import ProblemError
from gateway.api.wire_headers import header
from gateway.journal import NewMessage
from gateway.journal.idempotency import (
    Claim,
    IdempotencyStore,
    KeyRef,
    StoredResponse,
    open_idempotency_store,
)

__all__ = [
    "HEADER",
    "MAX_KEY_LENGTH",
    "REPLAYED_HEADER",
    "DeferredKey",
    "DeferredKeys",
    "IdempotencyMiddleware",
    "PendingKey",
    "Replayed",
    "idempotency",
    "parse_key",
    "pending_key",
]

HEADER = "idempotency-key"
_HEADER_BYTES = HEADER.encode()
REPLAYED_HEADER = "idempotent-replayed"
MAX_KEY_LENGTH = 255
KEPT_HEADERS = frozenset({"content-type", "location", "link", "cache-control"})
"""Response headers stored for replay; the rest (dates, hop-by-hop) belong to one response."""

# RFC 8941 3.3.3: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE, printable ASCII only
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_UNESCAPE = re.compile(r"\\([\"\\])")
_EXAMPLE = 'Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"'
HEADER_DESCRIPTION = (
    "Optional. An RFC 8941 sf-string (printable ASCII in double quotes, 1 to 255 characters, "
    'e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"). The same key and body again: the first '
    "answer replayed, with Idempotent-Replayed: true. Another body: 422. While the first runs: "
    "409 with Retry-After."
)
"""The header as the OpenAPI document describes it (gateway.api.idempotency_docs)."""


def parse_key(value: str) -> str:
    """The key inside an ``sf-string`` header value, or a 400 problem saying what is wrong."""
    value = value.strip(" \t")
    inner = value[1:-1]
    if (
        len(value) > 2  # more than the two quotes
        and value[0] == value[-1] == '"'
        and inner.isascii()
        and inner.isprintable()
        and '"' not in inner
        and "\\" not in inner
        and len(inner) <= MAX_KEY_LENGTH
    ):
        return inner  # the usual key (a UUID, say): no escapes, so no regular expression
    match = _SF_STRING.fullmatch(value)
    if match is None:
        raise ProblemError(
            400,
            "invalid_idempotency_key",
            "Invalid Idempotency-Key",
            "Idempotency-Key must be a Structured Field string: printable ASCII in double "
            f'quotes, with " and \\ escaped by \\, e.g. {_EXAMPLE}',
            expected="sf-string (RFC 8941 section 3.3.3)",
        )
    key = _UNESCAPE.sub(r"\1", match.group(1))
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ProblemError(
            400,
            "invalid_idempotency_key",
            "Invalid Idempotency-Key",
            f"Idempotency-Key must hold 1 to {MAX_KEY_LENGTH} characters; got {len(key)}",
            expected=f"1..{MAX_KEY_LENGTH} characters",
        )
    return key


def idempotency(*, required: bool = False, ttl: float | None = None) -> DefineMiddleware:
    """Route middleware giving a POST handler Idempotency-Key semantics (see module docstring).

    ``ttl`` overrides the settings for this route (seconds a stored response is replayed).
    """
    return DefineMiddleware(IdempotencyMiddleware, required=required, ttl=ttl)


def store_of(scope: Scope) -> IdempotencyStore:
    """The app's store: the gateway's if it has one, else made once beside its journal."""
    state = scope["app"].state
    store: IdempotencyStore | None = state.get("idempotency")
    if store is None:
        gateway = state.gateway
        store = getattr(gateway, "idempotency", None) or open_idempotency_store(gateway.journal)
        state.idempotency = store
    return store


class PendingKey:
    """The claim a handler runs under (``pending_key(scope)`` while it runs).

    A handler that knows its 2xx answer before it writes calls :meth:`accept` to journal the
    message and store that answer in one transaction, instead of the middleware storing it after.
    """

    __slots__ = ("body", "completed", "ref", "store", "ttl")

    def __init__(self, store: IdempotencyStore, ref: KeyRef, ttl: float, body: bytes) -> None:
        self.store, self.ref, self.ttl = store, ref, ttl
        self.body = body  # the whole request body, as the middleware read and fingerprinted it
        self.completed = False

    async def accept(self, message: NewMessage, response: StoredResponse) -> None:
        """Journal ``message`` and complete the key with ``response`` (the exact answer)."""
        now = time.time()
        await self.store.accept_completing(message, self.ref, response, now=now, ttl=self.ttl)
        self.completed = True


class DeferredKey:
    """A request's key under :class:`DeferredKeys`: accepting its message claims it."""

    __slots__ = ("ref", "store", "ttl")

    def __init__(self, store: IdempotencyStore, ref: KeyRef, ttl: float) -> None:
        self.store, self.ref, self.ttl = store, ref, ttl

    async def accept(self, message: NewMessage, response: StoredResponse) -> StoredResponse | None:
        """Journal ``message`` with ``response`` as the key's answer, in one writer job.

        None: done, the key is this request's. A stored response: the key was answered already,
        with this body; nothing was journaled, and that answer is the one to send (see
        :class:`Replayed`). Another body, or a request still running under the key in another
        process: the 422 or 409 problem is raised, and nothing was journaled.
        """
        claim = await self.store.accept_claiming(
            message, self.ref, response, now=time.time(), ttl=self.ttl
        )
        if claim.outcome == "new":
            return None
        if claim.outcome == "replay" and claim.response is not None:
            return claim.response
        raise refusal(claim, self.ref)


class DeferredKeys:
    """Idempotency-Key for one route whose handler's one effect is the message it accepts.

    The handler calls :meth:`hold` once its guards have run and it has the body,
    :meth:`DeferredKey.accept` to journal, and :meth:`release` when done: the key is claimed in
    that same writer job. A second request with the key while the first runs in this process is
    refused from memory (409, or 422 with another body); across processes the writer job
    decides, and the later request finds the first's answer and replays it (or 422s another
    body), having written nothing. The guards ran before any of this, so a replay needs the
    scopes, and spends the quota, that the request it repeats did.
    """

    def __init__(self) -> None:
        # (client, method, path, key) -> fingerprint, while its request runs in this process
        self._running: dict[tuple[str, str, str, str], str] = {}
        self._app: Any = None
        self._store: IdempotencyStore | None = None
        self._ttl = 0.0

    def hold(self, scope: Scope, client: str, body: bytes) -> DeferredKey | None:
        """The request's key, held in this process until :meth:`release`; None if it sent none.

        Raises the 400 problem for a malformed key (or several), and 409/422 while a request
        with the key runs here. (A ``try``/``finally`` around the handler's work releases it:
        a context manager cost a tenth of the handler's own time.)
        """
        value = _key_header(scope)
        if value is None:
            return None
        ref = key_ref(scope, client, value, body)
        running = self._running.get(ref.pk)
        if running is not None:
            outcome: Literal["running", "mismatch"] = (
                "running" if running == ref.fingerprint else "mismatch"
            )
            raise refusal(Claim(outcome=outcome), ref)
        app = scope["app"]
        if self._store is None or self._app is not app:  # looked up once per app
            self._app, self._store = app, store_of(scope)
            self._ttl = app.state.gateway.settings.idempotency_ttl
        self._running[ref.pk] = ref.fingerprint  # last: nothing above may leave it held
        return DeferredKey(self._store, ref, self._ttl)

    def release(self, key: DeferredKey | None) -> None:
        """Forget ``key`` (from :meth:`hold`) once its request is answered."""
        if key is not None:
            del self._running[key.ref.pk]


def key_ref(scope: Scope, client: str, key: str, body: bytes) -> KeyRef:
    """Which key a request names: its client, method and path, and its body's SHA-256."""
    method, path = str(scope.get("method", "")), scope["path"]
    fingerprint = hashlib.sha256(body).hexdigest()
    return KeyRef(client=client, method=method, path=path, key=key, fingerprint=fingerprint)


def _key_header(scope: Scope) -> str | None:
    """The key of the request's one ``Idempotency-Key`` header; None without one.

    A malformed key, or more than one header, is the 400 problem.
    """
    values = [v for k, v in scope["headers"] if k.lower() == _HEADER_BYTES]
    if not values:
        return None
    if len(values) > 1:
        raise ProblemError(
            400,
            "invalid_idempotency_key",
            "Invalid Idempotency-Key",
            "send exactly one Idempotency-Key header",
        )
    return parse_key(values[0].decode("latin-1"))


class Replayed(Answer):
    """A stored answer a handler returns, marked ``Idempotent-Replayed``.

    Its status, body and kept headers are exactly those of the first response.
    """

    __slots__ = ("response",)

    def __init__(self, response: StoredResponse) -> None:
        super().__init__(response.status, response.body, [])
        self.response = response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the stored status, headers and body."""
        await _send_stored(send, self.response, replayed=True)


_PENDING = "crossdock.idempotency"


def pending_key(scope: Scope) -> PendingKey | None:
    """The key the current request runs under, if it sent one and the handler is running."""
    found = scope.get("state", {}).get(_PENDING)
    return found if isinstance(found, PendingKey) else None


class IdempotencyMiddleware:
    """Claims the key, runs the handler once, stores a 2xx answer, replays it on retries."""

    def __init__(self, app: ASGIApp, required: bool = False, ttl: float | None = None) -> None:
        self.app = app
        self.required = required
        self.ttl = ttl

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through anything without a key; otherwise claim, run or replay."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        key = _key_header(scope)
        if key is None:
            if self.required:
                raise ProblemError(
                    400,
                    "idempotency_key_required",
                    "Idempotency-Key required",
                    f"this endpoint needs an Idempotency-Key header, e.g. {_EXAMPLE}",
                )
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive)
        client = "-"
        if header(scope, b"authorization"):
            try:
                client = (await authenticate(connection)).client_id
            except ProblemError:
                await self.app(scope, receive, send)  # the route's guard answers 401
                return
        body = await _read_body(scope, receive)
        if body is not None:  # None: the client went away before sending it all
            await self._run(scope, receive, send, client=client, key=key, body=body)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        client: str,
        key: str,
        body: bytes,
    ) -> None:
        settings = scope["app"].state.gateway.settings
        ttl = settings.idempotency_ttl if self.ttl is None else self.ttl
        lease = settings.idempotency_lease
        store = store_of(scope)
        ref = key_ref(scope, client, key, body)
        claim = await store.claim(ref, now=time.time(), lease=lease, ttl=ttl)
        if claim.outcome != "new":
            # the handler will not run, so its guards would not either: a replay still needs
            # the scopes (and spends quota) that running it would
            await _run_guards(scope, receive)
        if claim.outcome in ("mismatch", "running"):
            raise refusal(claim, ref)
        if claim.outcome == "replay":
            assert claim.response is not None
            await _send_stored(send, claim.response, replayed=True)
            return
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        pending = PendingKey(store, ref, ttl, body)
        scope.setdefault("state", {})[_PENDING] = pending
        try:
            await self.app(scope, _replay_body(body, receive), capture)
        except BaseException:
            if not pending.completed:
                await store.release(ref)
            raise
        response = _response_of(captured)
        if pending.completed:
            pass  # the handler stored its answer with its message
        elif response is not None and 200 <= response.status < 300:
            await store.complete(ref, response, now=time.time(), ttl=ttl)
        else:
            await store.release(ref)
        for message in captured:
            await send(message)


def refusal(claim: Claim, ref: KeyRef) -> ProblemError:
    """The problem answering a request whose key is taken: 422 (another body) or 409.

    A replay has no problem to answer: it gets the stored response (this one is a 409 only for
    a caller that cannot send it).
    """
    key, where = ref.key, f"{ref.method} {ref.path}"
    if claim.outcome == "mismatch":
        return ProblemError(
            422,
            "idempotency_key_reused",
            "Idempotency-Key reused with another body",
            f"key {key!r} was first used on {where} with a different request body; "
            "use a new key for a new request (the first request is unaffected)",
            idempotency_key=key,
        )
    return ProblemError(
        409,
        "idempotency_key_in_use",
        "Request with this Idempotency-Key in progress",
        f"the first request with key {key!r} on {where} has not finished; "
        "retry after it has, and the same answer will be replayed",
        idempotency_key=key,
        headers={"Retry-After": "1"},
    )


async def _run_guards(scope: Scope, receive: Receive) -> None:
    handler = scope.get("route_handler")
    if handler is None:
        return
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive)
    for guard in handler.resolve_guards():
        result = guard(connection, handler)
        if inspect.isawaitable(result):
            await result


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole request body (bounded by the app's size limit); None if the client left."""
    limit = scope["app"].state.gateway.settings.max_body_bytes
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            raise ProblemError(
                413,
                "body_too_large",
                "Request body too large",
                f"the body is over {limit} bytes, more than this endpoint accepts",
            )
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body to the handler, then defers to the server."""
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _response_of(messages: list[Message]) -> StoredResponse | None:
    status: int | None = None
    headers: list[tuple[str, str]] = []
    body: list[bytes] = []
    for message in messages:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for raw_name, raw_value in message.get("headers", []):
                name = raw_name.decode("latin-1").lower()
                if name in KEPT_HEADERS:
                    headers.append((name, raw_value.decode("latin-1")))
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))
    if status is None:
        return None
    return StoredResponse(status=status, headers=headers, body=b"".join(body))


async def _send_stored(send: Send, response: StoredResponse, *, replayed: bool) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    if replayed:
        headers.append((REPLAYED_HEADER.encode(), b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
