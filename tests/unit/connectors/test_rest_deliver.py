"""RestDeliverer against a real HTTP server on 127.0.0.1: one request, classified once."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator
from email.utils import formatdate

import httpx
import msgspec
import pytest

from connectors.base import Deliverer, Delivery, Outcome
from connectors.rest import RestDeliverer, classify, parse_retry_after
from gateway.demo.receiver import (
    CloseConnection,
    FailThenOk,
    Ok,
    RateLimited,
    Receiver,
    Reject,
    Slow,
    running_receiver,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def make_delivery(**overrides: object) -> Delivery:
    fields: dict[str, object] = {
        "delivery_id": "d-1",
        "message_id": "m-1",
        "destination": "erp",
        "idempotency_key": "idem-123",
        "attempt": 3,
        "document_type": "order",
        "payload": b'{"po":"PO-1"}',
        "trace_id": TRACE_ID,
    }
    fields.update(overrides)
    return msgspec.convert(fields, Delivery)


def free_port() -> int:
    """A port nothing listens on (bound then released; nobody else should grab it in time)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def rx() -> AsyncIterator[Receiver]:
    behaviours = {
        "/accept": Ok(202),
        "/flaky": FailThenOk(1),
        "/missing": Reject(404),
        "/limited": RateLimited(1, 7),
        "/slow": Slow(5),
        "/drop": CloseConnection(),
    }
    async with running_receiver(behaviours) as receiver:
        yield receiver


async def send(url: str, delivery: Delivery | None = None, **kwargs: object) -> Outcome:
    async with RestDeliverer(url, **kwargs) as deliverer:  # type: ignore[arg-type]
        return await deliverer.deliver(delivery or make_delivery())


async def test_2xx_is_ok_with_latency_and_excerpt(rx: Receiver) -> None:
    outcome = await send(f"{rx.url}/accept")
    assert (outcome.kind, outcome.status_code, outcome.code) == ("ok", 202, "http_202")
    assert outcome.error == ""
    assert outcome.body_excerpt == '{"status":"accepted"}'
    assert outcome.retry_after is None
    assert 0 < outcome.latency_ms < 5000


async def test_503_is_retriable_and_the_next_attempt_succeeds(rx: Receiver) -> None:
    async with RestDeliverer(f"{rx.url}/flaky") as deliverer:
        first = await deliverer.deliver(make_delivery(attempt=1))
        second = await deliverer.deliver(make_delivery(attempt=2))
    assert (first.kind, first.status_code, first.code) == ("retriable", 503, "http_503")
    assert "503" in first.error
    assert (second.kind, second.code) == ("ok", "http_200")
    # One request per deliver() call: no hidden retries.
    assert [r.headers["x-crossdock-delivery-attempt"] for r in rx.received] == ["1", "2"]


async def test_404_is_fatal(rx: Receiver) -> None:
    outcome = await send(f"{rx.url}/missing")
    assert (outcome.kind, outcome.status_code, outcome.code) == ("fatal", 404, "http_404")
    assert len(rx.received) == 1


async def test_429_with_delta_seconds_retry_after(rx: Receiver) -> None:
    outcome = await send(f"{rx.url}/limited")
    assert (outcome.kind, outcome.code, outcome.retry_after) == ("retriable", "http_429", 7.0)


async def test_429_with_http_date_retry_after(rx: Receiver) -> None:
    rx.set_behaviour("/dated", RateLimited(1, formatdate(time.time() + 30, usegmt=True)))
    outcome = await send(f"{rx.url}/dated")
    assert outcome.kind == "retriable"
    assert outcome.retry_after is not None
    assert 25 < outcome.retry_after <= 30


async def test_slow_destination_times_out_within_the_timeout(rx: Receiver) -> None:
    outcome = await send(f"{rx.url}/slow", timeout=0.3)
    assert (outcome.kind, outcome.code, outcome.status_code) == ("retriable", "timeout", None)
    assert 250 <= outcome.latency_ms < 2000
    assert len(rx.received) == 1


async def test_timeout_bounds_the_whole_attempt_not_each_read() -> None:
    """A body trickled out faster than any single read timeout must still hit the deadline."""
    done = asyncio.Event()

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(40):
                writer.write(b"1\r\nx\r\n")
                await writer.drain()
                await asyncio.sleep(0.05)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up, as it should
        finally:
            writer.close()
            done.set()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await send(f"http://127.0.0.1:{port}/", timeout=0.4)
        await asyncio.wait_for(done.wait(), 5)
    finally:
        server.close()
        await server.wait_closed()
    assert (outcome.kind, outcome.code) == ("retriable", "timeout")
    assert outcome.latency_ms < 1500  # not the ~2 s the trickle takes


async def test_connection_refused_on_a_closed_port() -> None:
    outcome = await send(f"http://127.0.0.1:{free_port()}/x", timeout=2)
    assert (outcome.kind, outcome.code, outcome.status_code) == ("retriable", "connect_error", None)
    assert outcome.error.startswith("ConnectError")


async def test_connection_closed_without_response_is_retriable(rx: Receiver) -> None:
    outcome = await send(f"{rx.url}/drop")
    assert (outcome.kind, outcome.code) == ("retriable", "protocol_error")
    assert len(rx.received) == 1


async def test_headers_sent(rx: Receiver) -> None:
    configured = {"X-Partner": "acme", "Idempotency-Key": "config-must-not-win"}
    outcome = await send(f"{rx.url}/accept", method="put", headers=configured)
    assert outcome.kind == "ok"
    [got] = rx.received
    assert (got.method, got.body) == ("PUT", b'{"po":"PO-1"}')
    assert got.idempotency_key == "idem-123"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-crossdock-message-id"] == "m-1"
    assert got.headers["x-crossdock-delivery-id"] == "d-1"
    assert got.headers["x-crossdock-delivery-attempt"] == "3"
    assert got.headers["x-request-id"] == TRACE_ID
    assert re.fullmatch(rf"00-{TRACE_ID}-[0-9a-f]{{16}}-01", got.headers["traceparent"])
    assert got.headers["x-partner"] == "acme"
    assert got.headers["user-agent"] == "crossdock"


async def test_trace_headers_only_when_there_is_a_trace(rx: Receiver) -> None:
    await send(f"{rx.url}/accept", make_delivery(trace_id="req-42", content_type="text/csv"))
    await send(f"{rx.url}/accept", make_delivery(trace_id=""))
    custom, empty = rx.received
    assert custom.headers["x-request-id"] == "req-42"
    assert "traceparent" not in custom.headers  # not a W3C trace id
    assert custom.headers["content-type"] == "text/csv"
    assert "x-request-id" not in empty.headers
    assert "traceparent" not in empty.headers


async def test_body_excerpt_is_bounded_and_safely_decoded(rx: Receiver) -> None:
    rx.set_behaviour("/long", Reject(422, ("é" * 2000).encode()))
    rx.set_behaviour("/binary", Reject(400, b"\xff\xfe bad \x80 bytes"))
    long = await send(f"{rx.url}/long")
    assert (long.kind, long.code, long.body_excerpt) == ("fatal", "http_422", "é" * 512)
    binary = await send(f"{rx.url}/binary")
    assert "bad" in binary.body_excerpt
    assert "\ufffd" in binary.body_excerpt


async def test_bad_configured_header_is_fatal_and_secrets_stay_out(rx: Receiver) -> None:
    headers = {"Authorization": "Bearer s3cret-token", "X-Bad": "a\nb"}
    outcome = await send(f"{rx.url}/accept", headers=headers)
    assert (outcome.kind, outcome.code) == ("fatal", "local_protocol_error")
    assert rx.received == []
    refused = await send(f"http://user:pw-s3cret@127.0.0.1:{free_port()}/", headers=headers)
    for result in (outcome, refused):
        assert b"s3cret" not in msgspec.json.encode(result)
    assert "s3cret" not in repr(RestDeliverer("http://u:s3cret@127.0.0.1/", headers=headers))


async def test_shared_client_is_left_open_own_client_is_closed(rx: Receiver) -> None:
    async with httpx.AsyncClient() as shared:
        deliverer: Deliverer = RestDeliverer(f"{rx.url}/accept", client=shared)
        assert (await deliverer.deliver(make_delivery())).kind == "ok"
        await deliverer.aclose()
        assert not shared.is_closed
        assert (await shared.get(f"{rx.url}/_received")).status_code == 200

    own = RestDeliverer(f"{rx.url}/accept")
    await own.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await own.deliver(make_delivery())


@pytest.mark.parametrize(
    ("url", "timeout"),
    [("ftp://example.com/", 1.0), ("/relative", 1.0), ("http://127.0.0.1/", 0.0)],
)
def test_constructor_rejects_bad_config(url: str, timeout: float) -> None:
    with pytest.raises(ValueError, match=r"URL|timeout"):
        RestDeliverer(url, timeout=timeout)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, "ok"),
        (201, "ok"),
        (202, "ok"),
        (204, "ok"),
        (299, "ok"),
        (408, "retriable"),
        (425, "retriable"),
        (429, "retriable"),
        (500, "retriable"),
        (502, "retriable"),
        (503, "retriable"),
        (504, "retriable"),
        (599, "retriable"),
        (100, "fatal"),
        (301, "fatal"),
        (302, "fatal"),
        (304, "fatal"),
        (400, "fatal"),
        (401, "fatal"),
        (403, "fatal"),
        (404, "fatal"),
        (409, "fatal"),
        (410, "fatal"),
        (422, "fatal"),
        (499, "fatal"),
        (600, "fatal"),
    ],
)
def test_classify(status: int, kind: str) -> None:
    assert classify(status) == kind


NOW = 784111777.0  # Sun, 06 Nov 1994 08:49:37 GMT


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("Sun, 06 Nov 1994 08:50:37 GMT", 60.0),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:51:37 GMT", 120.0),  # obsolete RFC 850
        ("Sun Nov  6 08:52:37 1994", 180.0),  # obsolete asctime, implicitly GMT
        ("Sun, 06 Nov 1994 08:00:00 GMT", 0.0),  # in the past: now
        ("9" * 5000, 1e9),  # absurd: capped, no overflow
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("\u0663", None),  # a non-ASCII digit
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_parse_retry_after_ignores_the_local_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_retry_after("Sun Nov  6 08:52:37 1994", now=NOW) == 180.0
    finally:
        monkeypatch.undo()
        time.tzset()
