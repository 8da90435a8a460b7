"""Duplicate X12 interchanges (same sender, receiver and ISA13 within the channel's window).

Against a real gateway on 127.0.0.1: a resent interchange is a 409 ``duplicate_interchange``
naming the original message and nothing new is journaled; another sender's ISA13 or a channel
with the check off is accepted; the journal, not memory, remembers (a restart changes nothing);
after the window a resend is accepted and the next repeat points at that newer acceptance; a body
with one duplicate among new interchanges is refused whole. Samples are read from
``../shared/samples/x12``, never copied into the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.runtime import Gateway
from tests.support import SAMPLES, GatewayAuth, running_gateway, write_config

X12 = SAMPLES / "x12"
SAMPLE = X12 / "850" / "edieng_850_ok.edi"  # one interchange, ISA13 000003438, one 850
OTHER = X12 / "810" / "staedi_810_850_dual.edi"  # one interchange, ISA13 000000020, three sets

pytestmark = pytest.mark.skipif(not X12.is_dir(), reason=f"shared samples not found at {X12}")


def _setup(root: Path, **channel: Any) -> None:
    write_config(
        root, {}, channels=[{"name": "edi", "partner": "acme", "format": "x12", **channel}]
    )


async def _post(client: httpx.AsyncClient, base: str, body: bytes) -> httpx.Response:
    return await client.post(
        f"{base}/v1/inbound/edi", content=body, headers={"content-type": "application/edi-x12"}
    )


async def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 202, response.text
    return [m["message_id"] for m in response.json()["messages"]]


async def _journaled(gw: Gateway) -> int:
    """Messages in the journal (read from its file, alongside the running gateway)."""
    with contextlib.closing(sqlite3.connect(gw.settings.journal_path)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM messages").fetchone()
    return int(count)


async def test_same_file_twice_is_409_with_the_original_and_nothing_new(tmp_path: Path) -> None:
    raw = SAMPLE.read_bytes()
    _setup(tmp_path)
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        [original] = await _ids(await _post(client, base, raw))
        stored = await gw.journal.get_message(original)
        assert stored is not None
        assert stored.business_keys["x12_interchange"] == (
            "ZZ:ABCDEFGHIJKLMNO|ZZ:123456789012345|000003438#1"
        )
        before = await _journaled(gw)

        response = await _post(client, base, raw)
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "duplicate_interchange"
        assert (problem["stage"], problem["partner"], problem["channel"]) == (
            "accept",
            "acme",
            "edi",
        )
        assert problem["isa13"] == "000003438"
        assert problem["original_message_id"] == original
        assert problem["original_received_at"] == stored.received_at
        assert "new ISA13" in problem["expected"]
        assert original in problem["detail"]
        [dup] = problem["duplicates"]
        assert (dup["sender"], dup["receiver"]) == ("ZZ:ABCDEFGHIJKLMNO", "ZZ:123456789012345")
        assert await _journaled(gw) == before


async def test_same_isa13_from_another_sender_is_accepted(tmp_path: Path) -> None:
    raw = SAMPLE.read_bytes()
    other_sender = raw.replace(b"*ZZ*ABCDEFGHIJKLMNO*", b"*ZZ*ONMLKJIHGFEDCBA*", 1)
    assert other_sender != raw
    _setup(tmp_path)
    async with (
        running_gateway(tmp_path) as (_gw, base),
        httpx.AsyncClient(auth=GatewayAuth(_gw)) as client,
    ):
        await _ids(await _post(client, base, raw))
        [mid] = await _ids(await _post(client, base, other_sender))
        assert (await _post(client, base, raw)).status_code == 409
        assert (await _post(client, base, other_sender)).json()["original_message_id"] == mid


@pytest.mark.parametrize("window", [0, None])
async def test_window_off_accepts_repeats(tmp_path: Path, window: float | None) -> None:
    raw = SAMPLE.read_bytes()
    _setup(tmp_path, duplicate_window=window)
    async with (
        running_gateway(tmp_path) as (_gw, base),
        httpx.AsyncClient(auth=GatewayAuth(_gw)) as client,
    ):
        first = await _ids(await _post(client, base, raw))
        second = await _ids(await _post(client, base, raw))
        assert first != second


async def test_duplicate_is_refused_after_a_restart(tmp_path: Path) -> None:
    raw = SAMPLE.read_bytes()
    _setup(tmp_path)
    async with (
        running_gateway(tmp_path) as (_gw, base),
        httpx.AsyncClient(auth=GatewayAuth(_gw)) as client,
    ):
        [original] = await _ids(await _post(client, base, raw))
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        before = await _journaled(gw)
        response = await _post(client, base, raw)
        assert response.status_code == 409, response.text
        assert response.json()["original_message_id"] == original
        assert await _journaled(gw) == before


async def test_resend_after_the_window_is_accepted_and_becomes_the_original(
    tmp_path: Path,
) -> None:
    raw = SAMPLE.read_bytes()
    _setup(tmp_path, duplicate_window=0.5)
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        [first] = await _ids(await _post(client, base, raw))
        await asyncio.sleep(0.7)
        [second] = await _ids(await _post(client, base, raw))  # the earliest is out of window
        stored = await gw.journal.get_message(second)
        assert stored is not None
        assert stored.business_keys["x12_interchange"].endswith("|000003438#2")
        response = await _post(client, base, raw)
        assert response.status_code == 409, response.text
        assert response.json()["original_message_id"] == second != first


async def test_body_with_one_duplicate_among_new_interchanges_is_refused_whole(
    tmp_path: Path,
) -> None:
    raw, other = SAMPLE.read_bytes(), OTHER.read_bytes()
    _setup(tmp_path)
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        [original] = await _ids(await _post(client, base, raw))
        before = await _journaled(gw)
        response = await _post(client, base, other + b"\n" + raw)
        assert response.status_code == 409, response.text
        problem = response.json()
        assert [d["isa13"] for d in problem["duplicates"]] == ["000003438"]
        assert problem["original_message_id"] == original
        assert await _journaled(gw) == before
        # the new interchange alone still goes through
        assert len(await _ids(await _post(client, base, other))) == 3
