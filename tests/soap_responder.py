"""A real SOAP service on 127.0.0.1 for the outbound tests: checks WS-Security, then misbehaves.

It serves ``CreateOrder`` of ``tests/unit/connectors/soap/fixtures/erp_orders.wsdl`` (any path)
as a bare ASGI app under uvicorn. Every request must carry a WS-Security UsernameToken with the
expected user and password, as PasswordText or PasswordDigest; otherwise it answers the standard
``wsse:FailedAuthentication`` Fault. Then it answers as the behaviour set for the request's path:
success, the NetSuite concurrent-session Fault (the shared sample's bytes), a validation Fault,
a Chronopost-style 200 with an error code (the shared sample's bytes), a slow answer, or a bare
5xx. Every request is recorded, raw, for assertions.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import uvicorn
from lxml import etree

from gateway.demo.receiver import _EmbeddedServer, _loopback_socket
from tests.support import SAMPLES

WSDL = (
    Path(__file__).resolve().parent
    / "unit"
    / "connectors"
    / "soap"
    / "fixtures"
    / "erp_orders.wsdl"
)
SOAP_SAMPLES = SAMPLES / "soap"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
ERP = "urn:crossdock:test:erp"
ACTION = "urn:crossdock:test:erp:CreateOrder"
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def fault(code: str, text: str, detail: str = "") -> bytes:
    """A SOAP 1.1 Fault envelope (the responder's own, not a sample)."""
    return (
        f'<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><soap:Fault>'
        f"<faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
        f"<detail>{detail}</detail></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def created(order_id: str) -> bytes:
    """``CreateOrderResponse`` with errorCode 0: the order was taken."""
    return (
        f'<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><e:CreateOrderResponse xmlns:e="{ERP}">'
        f"<e:errorCode>0</e:errorCode><e:orderId>{order_id}</e:orderId>"
        "</e:CreateOrderResponse></soap:Body></soap:Envelope>"
    ).encode()


VALIDATION_FAULT = fault(
    "soap:Client",
    "Validation failed: poNumber must be at most 8 characters",
    f'<e:validationError xmlns:e="{ERP}"><e:field>poNumber</e:field></e:validationError>',
)


@dataclass
class Behaviour:
    """How to answer: ``kind`` one of ok, concurrent, validation, chronopost, slow, status.

    ``times`` limits a failing kind to the first N requests (then ok); None means always.
    """

    kind: str
    times: int | None = None
    status: int = 503
    seconds: float = 0.0


@dataclass
class Seen:
    """One request as it arrived, and what the responder made of it."""

    path: str
    headers: dict[str, str]
    body: bytes
    password_type: str  # "PasswordText", "PasswordDigest" or "" (no token)
    authenticated: bool
    body_element: str  # Clark name of the Body's first element
    timestamp: tuple[str, str] | None = None  # wsu:Timestamp (Created, Expires), if sent
    at: float = field(default_factory=time.time)


class SoapResponder:
    """The ASGI app; ``behaviours`` by path prefix (longest wins), default ok."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.url = ""
        self.seen: list[Seen] = []
        self._behaviours: dict[str, Behaviour] = {"": Behaviour("ok")}
        self._counts: dict[str, int] = {}

    def set(self, prefix: str, behaviour: Behaviour) -> None:
        """Answer requests under ``prefix`` this way from now on (its count restarts)."""
        self._behaviours[prefix] = behaviour
        self._counts.pop(prefix, None)

    def on(self, prefix: str) -> list[Seen]:
        """The requests whose path starts with ``prefix``, oldest first."""
        return [s for s in self.seen if s.path.startswith(prefix)]

    def _check_token(self, root: etree._Element) -> tuple[str, bool]:
        token = root.find(f"{{{SOAP11}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        if token is None:
            return "", False
        user = token.findtext(f"{{{WSSE}}}Username")
        password = token.find(f"{{{WSSE}}}Password")
        if password is None:
            return "", False
        kind = (password.get("Type") or "").rpartition("#")[2]
        given = password.text or ""
        if kind == "PasswordText":
            return kind, user == self.username and given == self.password
        if kind == "PasswordDigest":
            nonce = base64.b64decode(token.findtext(f"{{{WSSE}}}Nonce") or "")
            stamp = (token.findtext(f"{{{WSU}}}Created") or "").encode()
            expected = base64.b64encode(
                hashlib.sha1(nonce + stamp + self.password.encode()).digest()
            ).decode()
            return kind, user == self.username and given == expected
        return kind, False

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        """Read the request, check its token, answer per the path's behaviour."""
        if scope["type"] != "http":
            return
        raw = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            raw += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        root = etree.fromstring(bytes(raw), _PARSER)
        body = root.find(f"{{{SOAP11}}}Body")
        first = body[0].tag if body is not None and len(body) else ""
        kind, ok = self._check_token(root)
        path = scope["path"]
        stamp = root.find(f"{{{SOAP11}}}Header/{{{WSSE}}}Security/{{{WSU}}}Timestamp")
        times = None
        if stamp is not None:
            times = (
                stamp.findtext(f"{{{WSU}}}Created") or "",
                stamp.findtext(f"{{{WSU}}}Expires") or "",
            )
        self.seen.append(Seen(path, headers, bytes(raw), kind, ok, str(first), times))
        if not ok:
            failed = fault(
                "wsse:FailedAuthentication", "The security token could not be authenticated"
            )
            await _answer(send, 500, failed)
            return
        prefix = max((p for p in self._behaviours if path.startswith(p)), key=len)
        behaviour = self._behaviours[prefix]
        count = self._counts.get(prefix, 0) + 1
        self._counts[prefix] = count
        if behaviour.times is not None and count > behaviour.times:
            behaviour = Behaviour("ok")
        await self._behave(behaviour, send, count)

    async def _behave(self, b: Behaviour, send: Send, count: int) -> None:
        if b.kind == "ok":
            await _answer(send, 200, created(f"SO-{count}"))
        elif b.kind == "concurrent":
            sample = (SOAP_SAMPLES / "netsuite_soap_fault_concurrent_session.xml").read_bytes()
            await _answer(send, 500, sample)
        elif b.kind == "validation":
            await _answer(send, 500, VALIDATION_FAULT)
        elif b.kind == "chronopost":
            sample = (SOAP_SAMPLES / "chronopost_error_response_envelope.xml").read_bytes()
            await _answer(send, 200, sample)
        elif b.kind == "slow":
            await asyncio.sleep(b.seconds)
            await _answer(send, 200, created(f"SO-{count}"))
        elif b.kind == "status":
            await _answer(
                send, b.status, b"<html><body>upstream unavailable</body></html>", "text/html"
            )
        elif b.kind == "echo":
            # a careless service that quotes the credentials it refused in its Fault
            root = etree.fromstring(self.seen[-1].body, _PARSER)
            given = root.findtext(f".//{{{WSSE}}}Password") or ""
            await _answer(send, 500, fault("soap:Client", f"password {escape(given)} refused"))
        else:
            msg = f"unknown behaviour {b.kind!r}"
            raise ValueError(msg)


async def _answer(
    send: Send, status: int, body: bytes, media: str = "text/xml; charset=utf-8"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def running_responder(username: str, password: str) -> AsyncIterator[SoapResponder]:
    """Serve a :class:`SoapResponder` on an ephemeral 127.0.0.1 port in this event loop."""
    app = SoapResponder(username, password)
    sock = _loopback_socket("127.0.0.1", 0)
    config = uvicorn.Config(
        app, lifespan="off", access_log=False, log_config=None, timeout_graceful_shutdown=1
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.005)
        app.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        yield app
    finally:
        server.should_exit = True
        await task
        sock.close()
