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

Claims come in two kinds. By default the key is claimed (a ``running`` row with a lease) before
the handler runs, its answer stored after: right for any handler, whatever its effects. A route
made with ``deferred=True`` has one effect, the message its handler accepts through
:meth:`PendingKey.accept`, so the key is claimed in that same writer job: one transaction per
keyed POST instead of two (claim, then accept with the answer), and no lease to wait out after
a crash. The canonical resources (``POST /v1/orders``...) are deferred.

This is ASGI middleware rather than handler code so it wraps any POST handler unchanged. It runs
before the route's guards: it authenticates the bearer token itself only to learn the client,
and the guard still decides access when the handler runs (a refused request releases the key).
When the handler will NOT run (replay, 409, 422) it runs the route's guards itself first, so a
replay needs the same scopes and spends the same rate-limit quota as the request it repeats.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import time
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from gateway.api.auth import authenticate
from gateway.api.problems import ProblemError
from gateway.journal import NewMessage
from gateway.journal.idempotency import (
    Claim,
    IdempotencyStore,
    KeyRef,
    StoredResponse,
    open_idempotency_store,
)

log = logging.getLogger("crossdock.api")

__all__ = [
    "HEADER",
    "MAX_KEY_LENGTH",
    "REPLAYED_HEADER",
    "IdempotencyMiddleware",
    "PendingKey",
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


def parse_key(value: str) -> str:
    """The key inside an ``sf-string`` header value, or a 400 problem saying what is wrong."""
    match = _SF_STRING.fullmatch(value.strip(" \t"))
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


def idempotency(
    *, required: bool = False, ttl: float | None = None, deferred: bool = False
) -> DefineMiddleware:
    """Route middleware giving a POST handler Idempotency-Key semantics (see module docstring).

    ``ttl`` overrides the settings for this route (seconds a stored response is replayed).
    ``deferred=True`` is for a handler whose one effect is the message it accepts through
    :meth:`PendingKey.accept`: the key is claimed in that same writer job (see
    :class:`IdempotencyMiddleware`). A deferred handler that answers 2xx without accepting
    has stored nothing a retry could replay; the middleware logs that as an error.
    """
    return DefineMiddleware(IdempotencyMiddleware, required=required, ttl=ttl, deferred=deferred)


async def store_of(scope: Scope) -> IdempotencyStore:
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

    __slots__ = ("body", "completed", "deferred", "ref", "store", "taken", "ttl")

    def __init__(
        self,
        store: IdempotencyStore,
        ref: KeyRef,
        ttl: float,
        body: bytes,
        *,
        deferred: bool = False,
    ) -> None:
        self.store, self.ref, self.ttl, self.deferred = store, ref, ttl, deferred
        self.body = body  # the whole request body, as the middleware read and fingerprinted it
        self.completed = False
        self.taken: Claim | None = None

    async def accept(self, message: NewMessage, response: StoredResponse) -> None:
        """Journal ``message`` and complete the key with ``response`` (the exact answer).

        Under a deferred claim the key may turn out to be taken (answered already, or by
        another body): then nothing is journaled and this raises the problem to answer (the
        middleware sends a stored answer instead of it on a replay).
        """
        now = time.time()
        if not self.deferred:
            await self.store.accept_completing(message, self.ref, response, now=now, ttl=self.ttl)
            self.completed = True
            return
        claim = await self.store.accept_claiming(message, self.ref, response, now=now, ttl=self.ttl)
        self.completed = True
        if claim.outcome != "new":
            self.taken = claim
            raise refusal(claim, self.ref)


_PENDING = "crossdock.idempotency"


def pending_key(scope: Scope) -> PendingKey | None:
    """The key the current request runs under, if it sent one and the handler is running."""
    found = scope.get("state", {}).get(_PENDING)
    return found if isinstance(found, PendingKey) else None


class IdempotencyMiddleware:
    """Claims the key, runs the handler once, stores a 2xx answer, replays it on retries."""

    def __init__(
        self,
        app: ASGIApp,
        required: bool = False,
        ttl: float | None = None,
        deferred: bool = False,
    ) -> None:
        self.app = app
        self.required = required
        self.ttl = ttl
        self.deferred = deferred
        # deferred claims: (client, method, path, key) -> fingerprint, while its request runs here
        self._running: dict[tuple[str, str, str, str], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through anything without a key; otherwise claim, run or replay."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope["headers"] if k.lower() == _HEADER_BYTES]
        if not values:
            if self.required:
                raise ProblemError(
                    400,
                    "idempotency_key_required",
                    "Idempotency-Key required",
                    f"this endpoint needs an Idempotency-Key header, e.g. {_EXAMPLE}",
                )
            await self.app(scope, receive, send)
            return
        if len(values) > 1:
            raise ProblemError(
                400,
                "invalid_idempotency_key",
                "Invalid Idempotency-Key",
                "send exactly one Idempotency-Key header",
            )
        key = parse_key(values[0].decode("latin-1"))
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive)
        client = "-"
        if connection.headers.get("authorization"):
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
        store = await store_of(scope)
        method, path = str(scope.get("method", "")), scope["path"]
        fingerprint = hashlib.sha256(body).hexdigest()
        ref = KeyRef(client=client, method=method, path=path, key=key, fingerprint=fingerprint)
        if self.deferred:
            await self._run_deferred(scope, receive, send, store=store, ref=ref, ttl=ttl, body=body)
            return
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

    async def _run_deferred(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        store: IdempotencyStore,
        ref: KeyRef,
        ttl: float,
        body: bytes,
    ) -> None:
        """Run the handler at once; its :meth:`PendingKey.accept` claims the key as it writes.

        One writer job per keyed request instead of two (claim, then accept and store). A second
        request with the key while the first runs in this process is refused from memory; across
        processes the writer job decides: the later one finds the first's answer and replays it
        (or 422s another body), and nothing it did was written.
        """
        running = self._running.get(ref.pk)
        if running is not None:
            await _run_guards(scope, receive)  # the handler will not run: its guards must
            outcome: Literal["running", "mismatch"] = (
                "running" if running == ref.fingerprint else "mismatch"
            )
            raise refusal(Claim(outcome=outcome), ref)
        self._running[ref.pk] = ref.fingerprint
        pending = PendingKey(store, ref, ttl, body, deferred=True)
        scope.setdefault("state", {})[_PENDING] = pending
        held: list[Message] = []

        async def through(message: Message) -> None:
            if pending.completed and pending.taken is None:
                await send(message)  # the answer to what was journaled: nothing to decide
            else:
                held.append(message)  # a refusal, a replay's stand-in, or not accepted (yet)

        try:
            await self.app(scope, _replay_body(body, receive), through)
        finally:
            del self._running[ref.pk]
        if pending.taken is not None and pending.taken.response is not None:
            await _send_stored(send, pending.taken.response, replayed=True)
            return
        if not held:
            return
        response = _response_of(held)
        if not pending.completed and response is not None and 200 <= response.status < 300:
            # nothing stored this answer, so a retry would run again: a route bug, said loudly
            log.error(
                "deferred Idempotency-Key route answered without PendingKey.accept",
                extra={"path": ref.path, "method": ref.method, "status": response.status},
            )
        for message in held:
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
