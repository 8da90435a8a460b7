"""``read_body``: the door's size limit on announced and received bytes, and one body for all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar, Request, post

from gateway.api.body import read_body
from gateway.api.problems import EXCEPTION_HANDLERS
from gateway.demo.receiver import _EmbeddedServer, _loopback_socket


@post("/door", request_max_body_size=16, status_code=200)
async def door(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await read_body(request, partner="acme", source="shop")
    again = await request.body()  # a later reader gets the same bytes, not "stream consumed"
    return {"length": len(raw), "same": again == raw}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The door under uvicorn on 127.0.0.1: chunked bodies arrive as several ASGI events."""
    app = Litestar([door], exception_handlers=EXCEPTION_HANDLERS)
    sock = _loopback_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_config=None)
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.005)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=base) as c:
            yield c
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_body_within_the_limit_is_read_once_for_every_reader(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/door", content=b"0123456789abcdef")
    assert response.json() == {"length": 16, "same": True}


async def test_a_chunked_body_is_joined(client: httpx.AsyncClient) -> None:
    response = await client.post("/door", content=_chunks(b"0123", b"4567", b"89"))
    assert response.json() == {"length": 10, "same": True}


async def test_an_announced_length_over_the_limit_is_refused_naming_the_door(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/door", content=b"x" * 17)
    assert response.status_code == 413
    problem = response.json()
    assert problem["code"] == "body_too_large"
    assert problem["detail"] == "the body is 17 bytes; this endpoint accepts at most 16"
    assert (problem["partner"], problem["source"], problem["stage"]) == ("acme", "shop", "accept")


async def test_streamed_bytes_over_the_limit_are_refused_without_a_length(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/door", content=_chunks(b"x" * 10, b"y" * 10))
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the body is more than 16 bytes; this endpoint accepts at most 16"
    )


async def test_a_content_length_that_is_not_a_number_is_a_400() -> None:
    """uvicorn refuses such a request itself; another ASGI server might pass it on."""
    app = Litestar([door], exception_handlers=EXCEPTION_HANDLERS)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/door",
        "raw_path": b"/door",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", b"two")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 400
    assert b'"code":"invalid_content_length"' in sent[1]["body"]
    assert b'"partner":"acme"' in sent[1]["body"]  # the door's context, as for a 413
