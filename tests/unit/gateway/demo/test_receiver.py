"""The demo receiver over real sockets: behaviours, recording, run-time control and the CLI."""

from __future__ import annotations

import asyncio
import base64
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.demo.receiver import (
    CloseConnection,
    FailThenOk,
    Ok,
    RateLimited,
    Reject,
    Slow,
    parse_behaviour,
    running_receiver,
)

ROOT = Path(__file__).resolve().parents[4]


async def test_default_is_ok_and_every_request_is_recorded() -> None:
    async with running_receiver() as rx, httpx.AsyncClient(base_url=rx.url) as client:
        assert rx.url.startswith("http://127.0.0.1:")
        response = await client.post(
            "/orders?x=1",
            content=b'{"po":"1"}',
            headers={"Idempotency-Key": "k-1", "Authorization": "Bearer hunter2"},
        )
        assert response.status_code == 200
        [got] = rx.received
        assert (got.method, got.path, got.query, got.body) == (
            "POST",
            "/orders",
            "x=1",
            b'{"po":"1"}',
        )
        assert got.idempotency_key == "k-1"
        assert got.headers["authorization"] == "Bearer hunter2"  # in memory: exact

        listed = (await client.get("/_received")).json()
        assert len(listed) == 1  # control requests are not recorded
        assert listed[0]["idempotency_key"] == "k-1"
        assert listed[0]["body"] == '{"po":"1"}'
        assert base64.b64decode(listed[0]["body_base64"]) == b'{"po":"1"}'
        assert listed[0]["headers"]["authorization"] == "[redacted]"  # over HTTP: hidden
        assert "hunter2" not in (await client.get("/_received")).text

        assert (await client.delete("/_received")).status_code == 204
        assert rx.received == []
        assert (await client.get("/_nope")).status_code == 404


async def test_ok_with_status_and_reject() -> None:
    behaviours = {"/accept": Ok(202), "/bad": Reject(), "/gone": Reject(404, b"no")}
    async with running_receiver(behaviours) as rx, httpx.AsyncClient(base_url=rx.url) as client:
        assert (await client.post("/accept")).status_code == 202
        assert [(await client.post("/bad")).status_code for _ in range(3)] == [422] * 3
        gone = await client.post("/gone")
        assert (gone.status_code, gone.content) == (404, b"no")


async def test_fail_then_ok_counts_per_prefix_and_longest_prefix_wins() -> None:
    behaviours = {"/a": FailThenOk(2), "/a/strict": Reject(400), "/b": FailThenOk(1, 500)}
    async with running_receiver(behaviours) as rx, httpx.AsyncClient(base_url=rx.url) as client:
        assert (await client.post("/a/strict/1")).status_code == 400
        codes = [(await client.post("/a/1")).status_code for _ in range(4)]
        assert codes == [503, 503, 200, 200]
        assert [(await client.post("/b")).status_code for _ in range(2)] == [500, 200]
        assert len(rx.received_on("/a")) == 5


async def test_rate_limited_sends_retry_after_then_recovers() -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    behaviours = {"/s": RateLimited(2, 7), "/d": RateLimited(1, date)}
    async with running_receiver(behaviours) as rx, httpx.AsyncClient(base_url=rx.url) as client:
        first, second, third = [await client.post("/s") for _ in range(3)]
        assert (first.status_code, first.headers["retry-after"]) == (429, "7")
        assert second.status_code == 429
        assert (third.status_code, third.headers.get("retry-after")) == (200, None)
        assert (await client.post("/d")).headers["retry-after"] == date


async def test_set_behaviour_at_run_time_resets_counters() -> None:
    async with (
        running_receiver({"/x": FailThenOk(1)}) as rx,
        httpx.AsyncClient(base_url=rx.url) as c,
    ):
        assert [(await c.post("/x")).status_code for _ in range(2)] == [503, 200]
        rx.set_behaviour("/x", FailThenOk(1, 502))
        assert [(await c.post("/x")).status_code for _ in range(2)] == [502, 200]
        with pytest.raises(ValueError, match="reserved"):
            rx.set_behaviour("/_received", Ok())


async def test_behaviours_can_be_changed_over_http() -> None:
    async with running_receiver() as rx, httpx.AsyncClient(base_url=rx.url) as client:
        put = await client.put("/_behaviours", json={"/p": "fail_then_ok:1:500", "/q": "reject"})
        assert put.status_code == 204
        assert [(await client.post("/p")).status_code for _ in range(2)] == [500, 200]
        assert (await client.post("/q")).status_code == 422
        bad = await client.put("/_behaviours", json={"/p": "explode"})
        assert bad.status_code == 400
        assert "explode" in bad.json()["error"]
        assert (await client.put("/_behaviours", content=b"not json")).status_code == 400


async def test_slow_outlasts_a_client_timeout_and_is_still_recorded() -> None:
    started = time.monotonic()
    async with running_receiver({"/slow": Slow(5)}) as rx, httpx.AsyncClient(base_url=rx.url) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.post("/slow", content=b"x", timeout=0.2)
        assert [r.path for r in rx.received] == ["/slow"]
    # Shutdown did not wait out the 5 s sleep: the handler saw the client hang up.
    assert time.monotonic() - started < 2.5


async def test_slow_answers_when_the_client_waits() -> None:
    async with (
        running_receiver({"/slow": Slow(0.2)}) as rx,
        httpx.AsyncClient(base_url=rx.url) as c,
    ):
        assert (await c.post("/slow")).status_code == 200


async def test_close_connection_drops_without_a_response() -> None:
    async with running_receiver({"/drop": CloseConnection()}) as rx:
        async with httpx.AsyncClient(base_url=rx.url) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post("/drop", content=b"payload")
            assert (await client.post("/fine")).status_code == 200  # server still up
        assert [r.body for r in rx.received] == [b"payload", b""]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ok", Ok()),
        ("ok:202", Ok(202)),
        ("fail_then_ok:2", FailThenOk(2)),
        ("fail_then_ok:2:500", FailThenOk(2, 500)),
        ("slow:1.5", Slow(1.5)),
        ("rate_limited:3", RateLimited(3, 1)),
        ("rate_limited:3:9", RateLimited(3, 9)),
        (
            "rate_limited:1:Wed, 21 Oct 2015 07:28:00 GMT",
            RateLimited(1, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ),
        ("reject", Reject()),
        ("reject:409", Reject(409)),
        ("close", CloseConnection()),
    ],
)
def test_parse_behaviour(spec: str, expected: object) -> None:
    assert parse_behaviour(spec) == expected


@pytest.mark.parametrize(
    "spec", ["", "down", "ok:abc", "fail_then_ok", "slow", "close:1", "ok:1:2"]
)
def test_parse_behaviour_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        parse_behaviour(spec)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "localhost", "example.com"])
async def test_refuses_to_listen_beyond_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        async with running_receiver(host=host):
            pass


async def test_given_port_and_a_busy_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with running_receiver(port=port) as rx:
        assert rx.url == f"http://127.0.0.1:{port}"
        with pytest.raises(OSError, match="in use"):  # raised here, not a SystemExit from uvicorn
            async with running_receiver(port=port):
                pass


@pytest.mark.slow
async def test_main_runs_as_a_subprocess() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.demo.receiver",
        "--port",
        "0",
        "--behaviour",
        "/orders=fail_then_ok:1",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=url) as client:
            codes = [(await client.post("/orders", content=b"{}")).status_code for _ in range(2)]
            assert codes == [503, 200]
            assert len((await client.get("/_received")).json()) == 2
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()


def test_main_rejects_a_bad_behaviour() -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "gateway.demo.receiver", "--behaviour", "/_x=ok"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert "reserved" in result.stderr
