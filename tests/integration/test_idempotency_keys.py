"""Idempotency-Key over real sockets: replay, mismatch, in-flight 409, key syntax, expiry,
released keys after a refusal, and replays that survive a gateway restart."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Request, Response, post
from rest_support import partner_headers, rest_gateway

from gateway.api.idempotency import idempotency
from gateway.auth import AuthService
from gateway.auth.tokens import issue_token
from tests.support import OPS_SCOPES, auth_headers, eventually, order, write_config, writer_held

# the slow route's controls: the test opens ``release`` when the first request may finish
_slow: dict[str, Any] = {}
_calls = itertools.count(1)


@post("/test/slow", status_code=201, middleware=[idempotency()])
async def slow(request: Request[Any, Any, Any]) -> Response[dict[str, int]]:
    n = next(_calls)
    _slow["entered"].set()
    await _slow["release"].wait()
    return Response({"n": n}, status_code=201, headers={"Location": f"/test/slow/{n}"})


@post("/test/short-lived", status_code=201, middleware=[idempotency(ttl=0.2)])
async def short_lived() -> dict[str, int]:
    return {"n": next(_calls)}


@post("/test/required", status_code=201, middleware=[idempotency(required=True)])
async def required() -> dict[str, int]:
    return {"n": next(_calls)}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": f'"{value}"'}


async def test_same_key_same_body_replays_the_stored_response(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = {**await partner_headers(gw), **key("order-1")}
        first = await client.post("/v1/orders", json=order("PO-1"), headers=headers)
        again = await client.post("/v1/orders", json=order("PO-1"), headers=headers)
        assert first.status_code == again.status_code == 202
        assert again.content == first.content
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        other_body = await client.post("/v1/orders", json=order("PO-2"), headers=headers)
        assert other_body.status_code == 422
        assert other_body.headers["content-type"] == "application/problem+json"
        assert other_body.json()["code"] == "idempotency_key_reused"
        # keys are per client: another client's identical key is a new request
        other_client = {**await partner_headers(gw), **key("order-1")}
        theirs = await client.post("/v1/orders", json=order("PO-1"), headers=other_client)
        assert theirs.status_code == 202
        assert theirs.json()["id"] != first.json()["id"]
        no_key = await partner_headers(gw)
        assert (await client.post("/v1/orders", json=order(), headers=no_key)).is_success
    stored = await _count_messages(tmp_path)
    assert stored == 3


async def _count_messages(root: Path) -> int:
    import sqlite3

    with sqlite3.connect(root / "data" / "journal.sqlite3") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])


async def test_replay_survives_a_restart(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with rest_gateway(tmp_path, workers_enabled=False) as (gw, base):
        headers = {**await partner_headers(gw), **key("durable")}
        async with httpx.AsyncClient(base_url=base) as client:
            first = await client.post("/v1/orders", json=order("PO-9"), headers=headers)
            assert first.status_code == 202
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        again = await client.post("/v1/orders", json=order("PO-9"), headers=headers)
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json()["id"] == first.json()["id"]
    assert await _count_messages(tmp_path) == 1


async def test_a_refused_request_releases_its_key(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    bad = order("PO-1")
    bad["lines"][0]["line_number"] = "1"
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = {**await partner_headers(gw), **key("fix-and-retry")}
        assert (await client.post("/v1/orders", json=bad, headers=headers)).status_code == 422
        fixed = await client.post("/v1/orders", json=order("PO-1"), headers=headers)
        assert fixed.status_code == 202
        assert "idempotent-replayed" not in fixed.headers
        anonymous = await client.post("/v1/orders", json=order("PO-1"), headers=key("anon"))
        assert anonymous.status_code == 401


async def test_second_request_while_the_first_runs_is_409(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    _slow["entered"], _slow["release"] = asyncio.Event(), asyncio.Event()
    async with (
        rest_gateway(tmp_path, slow, workers_enabled=False) as (_gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        body = b'{"x": 1}'
        first = asyncio.create_task(client.post("/test/slow", content=body, headers=key("k")))
        await _slow["entered"].wait()
        busy = await client.post("/test/slow", content=body, headers=key("k"))
        assert busy.status_code == 409
        assert busy.json()["code"] == "idempotency_key_in_use"
        assert busy.headers["retry-after"] == "1"
        mismatch = await client.post("/test/slow", content=b'{"x": 2}', headers=key("k"))
        assert mismatch.status_code == 422
        _slow["release"].set()
        done = await first
        assert done.status_code == 201
        replay = await client.post("/test/slow", content=body, headers=key("k"))
        assert replay.status_code == 201
        assert replay.json() == done.json()
        assert replay.headers["location"] == done.headers["location"]
        assert replay.headers["idempotent-replayed"] == "true"


async def test_a_resource_claims_its_key_as_it_journals(tmp_path: Path) -> None:
    """/v1/orders claims the key in the writer job that journals the order (no claim row).

    While the first request waits for the writer, a second with the key is 409 (another body
    422) from the process's own record, and exactly one order is journaled.
    """
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = {**await partner_headers(gw), **key("deferred-1")}
        writer = gw.journal.writer  # type: ignore[attr-defined]
        async with writer_held(writer):
            post = client.post("/v1/orders", json=order("PO-D"), headers=headers)
            first = asyncio.create_task(post)
            await eventually(lambda: writer.waiting == 1)  # its accept job, behind ours
            busy = await client.post("/v1/orders", json=order("PO-D"), headers=headers)
            assert busy.status_code == 409
            assert busy.json()["code"] == "idempotency_key_in_use"
            other = await client.post("/v1/orders", json=order("PO-E"), headers=headers)
            assert other.status_code == 422
            assert other.json()["code"] == "idempotency_key_reused"
        done = await first
        assert done.status_code == 202
        replay = await client.post("/v1/orders", json=order("PO-D"), headers=headers)
        assert replay.status_code == 202
        assert replay.content == done.content
        assert replay.headers["idempotent-replayed"] == "true"  # the 409s left no claim behind
    assert await _count_messages(tmp_path) == 1


async def test_keys_expire(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, short_lived, workers_enabled=False) as (_gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        first = await client.post("/test/short-lived", content=b"{}", headers=key("brief"))
        assert first.status_code == 201

        async def ran_again() -> bool:
            got = await client.post("/test/short-lived", content=b"{}", headers=key("brief"))
            assert got.status_code == 201
            return "idempotent-replayed" not in got.headers and got.json() != first.json()

        await eventually(ran_again, timeout=10)


async def test_the_idempotency_ttl_setting_governs_the_resources(tmp_path: Path) -> None:
    """``idempotency_ttl`` (CROSSDOCK_IDEMPOTENCY_TTL) is what /v1/orders replays for."""
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False, idempotency_ttl=0.3) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = {**await partner_headers(gw), **key("short")}
        first = await client.post("/v1/orders", json=order("PO-TTL"), headers=headers)
        replay = await client.post("/v1/orders", json=order("PO-TTL"), headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true"
        await asyncio.sleep(0.5)
        later = await client.post("/v1/orders", json=order("PO-TTL"), headers=headers)
        assert later.status_code == 202
        assert "idempotent-replayed" not in later.headers
        assert later.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    "value",
    [
        "plain-token",  # the draft: an sf-string, so quoted
        '""',
        '"' + "k" * 256 + '"',
        '"unterminated',
        '"tab\there"',
        '"bad \\n escape"',
        '"a", "b"',
    ],
)
async def test_malformed_keys_are_400(tmp_path: Path, value: str) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, required, workers_enabled=False) as (_gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        got = await client.post("/test/required", content=b"{}", headers={"Idempotency-Key": value})
        assert got.status_code == 400
        assert got.json()["code"] == "invalid_idempotency_key"


async def test_required_key_and_escapes(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, required, workers_enabled=False) as (_gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        missing = await client.post("/test/required", content=b"{}")
        assert missing.status_code == 400
        assert missing.json()["code"] == "idempotency_key_required"
        escaped = {"Idempotency-Key": '"a \\"quoted\\" \\\\ key"'}
        first = await client.post("/test/required", content=b"{}", headers=escaped)
        again = await client.post("/test/required", content=b"{}", headers=escaped)
        assert first.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()


async def test_a_replay_needs_the_scopes_the_request_needed(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        service = AuthService(gw.settings.data_dir)
        await service.open()
        issued = await service.store.add("acme", "orders:write orders:read")

        def bearer(*scopes: str) -> dict[str, str]:
            token = issue_token(service.keys, service.config, issued.client, scopes)
            return {"Authorization": f"Bearer {token.access_token}", **key("scoped")}

        first = await client.post("/v1/orders", json=order(), headers=bearer("orders:write"))
        assert first.status_code == 202
        # the same client, now with a read-only token: the stored answer is not handed out
        denied = await client.post("/v1/orders", json=order(), headers=bearer("orders:read"))
        assert denied.status_code == 403
        assert denied.json()["code"] == "insufficient_scope"
        again = await client.post("/v1/orders", json=order(), headers=bearer("orders:write"))
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content


async def test_an_oversized_body_is_413_before_any_key_is_claimed(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, max_body_bytes=1024, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = {**await partner_headers(gw), **key("big")}
        big = order()
        big["notes"] = ["x" * 2000]
        too_big = await client.post("/v1/orders", json=big, headers=headers)
        assert too_big.status_code == 413
        assert too_big.json()["code"] == "body_too_large"
        assert (await client.post("/v1/orders", json=order(), headers=headers)).status_code == 202


async def test_the_inbound_door_and_the_ops_actions_honour_keys(tmp_path: Path) -> None:
    """Not only the resources: a partner's inbound POST and an operator's bulk replay replay
    their first answer for the same key and body (one message journaled), and refuse another
    body with the key."""
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        partner = {**await auth_headers(gw, "acme", "messages:write"), **key("inbound-1")}
        body = {"po_number": "PO-K", "lines": []}
        first = await client.post("/v1/inbound/json", json=body, headers=partner)
        again = await client.post("/v1/inbound/json", json=body, headers=partner)
        assert first.status_code == again.status_code == 202
        assert again.content == first.content
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotent-replayed"] == "true"
        other = await client.post("/v1/inbound/json", json={"po_number": "PO-L"}, headers=partner)
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_key_reused"

        ops = {**await auth_headers(gw, "ops", OPS_SCOPES), **key("replay-1")}
        replay = {"action": "discard", "reason": "nothing open"}
        done = await client.post("/v1/ops/replay", json=replay, headers=ops)
        repeat = await client.post("/v1/ops/replay", json=replay, headers=ops)
        assert done.status_code == repeat.status_code == 200
        assert repeat.headers["idempotent-replayed"] == "true"
        assert repeat.content == done.content
        changed = await client.post("/v1/ops/replay", json={**replay, "reason": "x"}, headers=ops)
        assert changed.status_code == 422
    assert await _count_messages(tmp_path) == 1
