"""The pipeline end to end over real sockets: gateway on 127.0.0.1, real HTTP receivers."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

import httpx
import pytest

from gateway.demo.receiver import FailThenOk, Ok, RateLimited, Reject, Slow, running_receiver
from gateway.journal import DeadLetterFilter
from tests.support import GatewayAuth, eventually, order, post_json, running_gateway, write_config

FAST_RETRY = {"initial_delay": 0.05, "max_delay": 0.2, "max_attempts": 4, "max_age": 60}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _delivered(gw, message_id: str) -> bool:  # type: ignore[no-untyped-def]
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "delivered" for d in ds)


async def _dead(gw, message_id: str) -> bool:  # type: ignore[no-untyped-def]
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "dead" for d in ds)


async def test_message_flows_to_receiver_with_stable_idempotency_key(tmp_path: Path) -> None:
    async with running_receiver({"/erp": FailThenOk(n=2, status=503)}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp", "retry": FAST_RETRY}})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order("PO-77"))
            await eventually(lambda: _delivered(gw, mid))
            got = rx.received_on("/erp")
            assert len(got) == 3  # two 503s, then 200
            assert {r.idempotency_key for r in got} == {f"{mid}.erp"}
            body = got[-1].body
            assert b'"po_number":"PO-77"' in body
            status = (await client.get(f"{base}/v1/messages/{mid}")).json()
            stages = [(e["stage"], e["outcome"]) for e in status["events"]]
            assert stages[:5] == [
                ("accept", "ok"),
                ("decode", "ok"),
                ("map", "ok"),
                ("validate", "ok"),
                ("route", "ok"),
            ]
            assert stages[5:] == [("deliver", "retry"), ("deliver", "retry"), ("deliver", "ok")]
            assert status["business_keys"] == {"po_number": "PO-77"}
            assert status["deliveries"][0]["attempts"] == 3
            attempts = await gw.journal.attempts(f"{mid}.erp")
            assert [a.status_code for a in attempts] == [503, 503, 200]
            assert all(a.latency_ms > 0 for a in attempts)


async def test_receiver_down_dead_letters_after_attempt_limit(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens here
    write_config(tmp_path, {"erp": {"url": f"http://127.0.0.1:{port}/x", "retry": FAST_RETRY}})
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        mid = await post_json(client, base, order())
        await eventually(lambda: _dead(gw, mid))
        [dl] = await gw.journal.dead_letters(DeadLetterFilter(destination="erp"))
        assert dl.stage == "deliver"
        assert dl.code == "connect_error"
        assert "max_attempts" in dl.error
        assert dl.partner == "acme"
        assert len(await gw.journal.attempts(f"{mid}.erp")) == 4


async def test_slow_receiver_times_out_and_is_retried(tmp_path: Path) -> None:
    async with running_receiver({"/slow": Slow(seconds=3)}) as rx:
        retry = {**FAST_RETRY, "max_attempts": 2}
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/slow", "timeout": 0.3, "retry": retry}})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _dead(gw, mid))
            attempts = await gw.journal.attempts(f"{mid}.erp")
            assert [a.code for a in attempts] == ["timeout", "timeout"]
            assert all(250 < a.latency_ms < 2000 for a in attempts)


async def test_429_retry_after_is_honoured(tmp_path: Path) -> None:
    async with running_receiver({"/rl": RateLimited(n=1, retry_after=1)}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/rl", "retry": FAST_RETRY}})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _delivered(gw, mid))
            first, second = await gw.journal.attempts(f"{mid}.erp")
            assert first.status_code == 429
            assert second.status_code == 200
            # backoff alone would retry within 0.05 s; the destination asked for 1 s
            assert second.started_at - first.started_at >= 0.95


async def test_4xx_is_fatal_and_not_retried(tmp_path: Path) -> None:
    async with running_receiver({"/bad": Reject(status=422)}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/bad", "retry": FAST_RETRY}})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _dead(gw, mid))
            [dl] = await gw.journal.dead_letters(DeadLetterFilter())
            assert dl.code == "http_422"
            assert len(rx.received_on("/bad")) == 1
            inspected = (await client.get(f"{base}/v1/ops/dead-letters/{dl.id}")).json()
            [attempt] = inspected["deliveries"][0]["attempts"]
            assert attempt["status_code"] == 422
            assert "rejected" in attempt["body_excerpt"]
            assert inspected["message"]["raw"].startswith("{")
            assert '"po_number":"PO-1"' in inspected["message"]["canonical"]


async def test_circuit_breaker_stops_attempts_while_open(tmp_path: Path) -> None:
    async with running_receiver({"/erp": FailThenOk(n=10_000, status=503)}) as rx:
        spec = {
            "url": f"{rx.url}/erp",
            "concurrency": 1,
            "retry": {**FAST_RETRY, "max_attempts": 50},
            "breaker": {"failure_threshold": 3, "reset_timeout": 1.0},
        }
        write_config(tmp_path, {"erp": spec})
        async with (
            running_gateway(tmp_path) as (_gw, base),
            httpx.AsyncClient(auth=GatewayAuth(_gw)) as client,
        ):
            await post_json(client, base, order())

            async def breaker_open() -> bool:
                text = (await client.get(f"{base}/metrics")).text
                return 'crossdock_breaker_open{destination="erp"} 1.0' in text

            await eventually(breaker_open)
            seen = len(rx.received_on("/erp"))
            assert seen == 3  # opened at the threshold
            await eventually(lambda: len(rx.received_on("/erp")) > seen, timeout=5)
            times = [r.at for r in rx.received_on("/erp")]
            gaps = [b - a for a, b in itertools.pairwise(times[2:])]
            assert gaps and min(gaps) >= 0.9  # probes are spaced by the reset timeout


async def test_redeliver_after_receiver_recovers_via_api(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Reject(status=503)}) as rx:
        retry = {**FAST_RETRY, "max_attempts": 2}
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp", "retry": retry}})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order())
            await eventually(lambda: _dead(gw, mid))
            listed = (await client.get(f"{base}/v1/ops/dead-letters?destination=erp")).json()
            [item] = listed["items"]
            rx.set_behaviour("/erp", Ok())
            r = await client.post(
                f"{base}/v1/ops/dead-letters/{item['id']}/redeliver",
                headers={"X-Crossdock-Actor": "maria"},
            )
            assert r.status_code == 200, r.text
            await eventually(lambda: _delivered(gw, mid))
            keys = {x.idempotency_key for x in rx.received_on("/erp")}
            assert keys == {f"{mid}.erp"}
            events = await gw.journal.events(mid)
            replay = [e for e in events if e.stage == "replay"]
            # the verified client id acts; the header is only a note beside it
            assert replay and replay[0].actor.startswith("cdc_")
            assert replay[0].actor.endswith(" (for maria)")
            again = await client.post(f"{base}/v1/ops/dead-letters/{item['id']}/redeliver")
            assert again.status_code == 409
            assert again.headers["content-type"].startswith("application/problem+json")
            assert (await client.get(f"{base}/v1/ops/dead-letters")).json()["items"] == []
            [entry] = (await client.get(f"{base}/v1/ops/audit")).json()["items"]
            assert (entry["action"], entry["target"]) == ("redeliver", item["id"])
            assert entry["actor"] == replay[0].actor


@pytest.mark.parametrize("action", ["redeliver", "discard"])
async def test_bulk_replay_by_filter(tmp_path: Path, action: str) -> None:
    async with running_receiver({"/erp": Reject(status=500)}) as rx:
        retry = {**FAST_RETRY, "max_attempts": 1}
        breaker = {"failure_threshold": 100}  # five straight failures would otherwise open it
        spec = {"url": f"{rx.url}/erp", "retry": retry, "breaker": breaker}
        write_config(tmp_path, {"erp": spec})
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            ids = [await post_json(client, base, order(f"PO-{i}")) for i in range(5)]
            for mid in ids:
                await eventually(lambda mid=mid: _dead(gw, mid))
            rx.set_behaviour("/erp", Ok())
            r = await client.post(
                f"{base}/v1/ops/replay",
                json={"action": action, "destination": "erp", "code": "http_500", "reason": "test"},
            )
            assert r.json()["matched"] == 5
            assert r.json()["done"] == 5
            if action == "redeliver":
                for mid in ids:
                    await eventually(lambda mid=mid: _delivered(gw, mid))
            else:
                for mid in ids:
                    assert {d.state for d in await gw.journal.deliveries(mid)} == {"discarded"}
