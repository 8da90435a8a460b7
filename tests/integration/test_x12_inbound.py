"""X12 over ``POST /v1/inbound/{channel}`` against a real gateway on 127.0.0.1.

One journal message per transaction set; an 850 maps (the repository's ``x12-demo`` partner
mapping on the base 850 mapping) and reaches a real HTTP receiver as canonical JSON; a set with
errors is dead-lettered at decode with its position while the good sets of the same interchange
go on; a body that is not X12 is a 400 and nothing is written. Samples are read from
``../shared/samples/x12``, never copied into the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.demo.receiver import Ok, running_receiver
from gateway.journal import DeadLetterFilter
from tests.support import (
    SAMPLES,
    GatewayAuth,
    auth_headers,
    eventually,
    order,
    post_json,
    running_gateway,
    write_config,
)

X12 = SAMPLES / "x12"
REPO_MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
CHANNELS = [{"name": "edi", "partner": "acme", "format": "x12"}]

pytestmark = pytest.mark.skipif(not X12.is_dir(), reason=f"shared samples not found at {X12}")


def _setup(root: Path, url: str) -> None:
    write_config(root, {"erp": {"url": url}}, channels=CHANNELS)
    mappings = root / "mappings"
    for folder in ("_base", "_codelists"):
        shutil.copytree(REPO_MAPPINGS / folder, mappings / folder)
    shutil.copytree(REPO_MAPPINGS / "x12-demo", mappings / "acme")  # acme sends x12-demo's 850s


async def _post(client: httpx.AsyncClient, base: str, body: bytes, **kw: Any) -> httpx.Response:
    headers = {"content-type": kw.pop("content_type", "application/edi-x12")}
    return await client.post(f"{base}/v1/inbound/edi", content=body, headers=headers, **kw)


async def _delivered(gw, message_id: str) -> bool:  # type: ignore[no-untyped-def]
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "delivered" for d in ds)


async def test_850_is_one_message_per_set_and_delivered_as_canonical_json(tmp_path: Path) -> None:
    raw = (X12 / "850" / "edieng_850_ok.edi").read_bytes()
    async with running_receiver({"/erp": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/erp")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, raw)
            assert response.status_code == 202, response.text
            [entry] = response.json()["messages"]
            assert (entry["set_id"], entry["control_number"], entry["status"]) == (
                "850",
                "000000010",
                "accepted",
            )
            assert entry["document_type"] == "order"
            mid = entry["message_id"]

            stored = await gw.journal.get_message(mid)
            assert stored is not None
            start = int(stored.business_keys["x12_offset"])
            assert raw[start : start + 20] in stored.raw  # the set's own bytes, kept exactly
            assert stored.raw.startswith(raw[: raw.index(b"ST*850")])  # ISA and GS as sent
            assert {
                k: stored.business_keys[k]
                for k in ("isa13", "gs06", "st02", "set_id", "sender", "receiver")
            } == {
                "isa13": "000003438",
                "gs06": "1421",
                "st02": "000000010",
                "set_id": "850",
                "sender": "ZZ:ABCDEFGHIJKLMNO",
                "receiver": "ZZ:123456789012345",
            }

            await eventually(lambda: _delivered(gw, mid))
            [got] = rx.received_on("/erp")
            order = json.loads(got.body)
            assert order["po_number"] == "08292233294"
            assert order["order_date"] == "2010-11-27"
            assert [line["item"]["sku"] for line in order["lines"]][:2] == ["AB3542", "RD5322"]
            assert order["parties"][0]["address"]["city"] == "SOLON"
            status = (await client.get(f"{base}/v1/messages/{mid}")).json()
            stages = [(e["stage"], e["outcome"]) for e in status["events"]][:5]
            assert stages == [
                ("accept", "ok"),
                ("decode", "ok"),
                ("map", "ok"),
                ("validate", "ok"),
                ("route", "ok"),
            ]


async def test_bad_set_is_dead_lettered_at_decode_and_good_sets_go_on(tmp_path: Path) -> None:
    # two good 810s in one group, an 850 with a syntax-note error (N103 without N104) in another
    raw = (X12 / "810" / "staedi_810_850_dual.edi").read_bytes()
    async with running_receiver({"/erp": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/erp")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, raw, content_type="text/plain; charset=us-ascii")
            assert response.status_code == 202, response.text
            entries = response.json()["messages"]
            assert [(e["set_id"], e["status"]) for e in entries] == [
                ("810", "accepted"),
                ("810", "accepted"),
                ("850", "rejected"),
            ]
            bad = entries[2]
            assert bad["error"]["code"] == "syntax_note"
            assert (bad["error"]["segment"], bad["error"]["set_position"]) == ("N1", 9)

            async def dead_at_decode() -> list[Any]:
                found = await gw.journal.dead_letters(DeadLetterFilter(stage="decode"))
                return found

            [dl] = await eventually(dead_at_decode)
            assert dl.message_id == bad["message_id"]
            assert dl.code == "syntax_note"
            assert "N1 N104 at set position 9" in dl.error
            assert f"byte {bad['error']['offset']} of the received body" in dl.error

            for good in entries[:2]:

                async def decoded(mid: str = good["message_id"]) -> bool:
                    events = await gw.journal.events(mid)
                    return any(e.stage == "decode" and e.outcome == "ok" for e in events)

                assert await eventually(decoded)
                stored = await gw.journal.get_message(good["message_id"])
                assert stored is not None
                assert stored.document_type == "invoice"
            assert rx.received_on("/erp") == []  # no partner invoice mapping: not delivered


async def test_non_x12_body_is_400_and_nothing_is_journaled(tmp_path: Path) -> None:
    _setup(tmp_path, "http://127.0.0.1:9/never")
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        response = await _post(client, base, b'{"po_number": "PO-1"}', content_type="text/plain")
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["stage"] == "decode"
        assert problem["code"] == "x12_no_sets"
        assert problem["position"].startswith("byte ")
        assert "ISA" in problem["expected"]
        assert (await gw.journal.stats()).messages_pending == 0

        response = await _post(client, base, b"ISA*00", content_type="application/json")
        assert response.status_code == 415
        assert (await gw.journal.stats()).messages_pending == 0


async def test_the_whole_interchange_is_kept_exactly_and_linked_from_every_set(
    tmp_path: Path,
) -> None:
    """Two interchanges, four groups, five sets: the original holds what no set does."""
    raw = (X12 / "940" / "edieng_multi_isa_gs.edi").read_bytes()
    raw = raw.replace(b"GE*", b"\r\n\x00GE*", 1)  # padding between a set and its trailer
    _setup(tmp_path, "http://127.0.0.1:9/erp")
    json_channel = {"name": "json", "partner": "acme", "document_type": "order"}
    write_config(tmp_path, {"erp": {"url": "http://127.0.0.1:9/erp"}}, [*CHANNELS, json_channel])
    async with (
        running_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        response = await _post(client, base, raw, content_type="application/EDI-X12")
        assert response.status_code == 202, response.text
        ids = [m["message_id"] for m in response.json()["messages"]]
        assert len(ids) == 6
        stored = [await gw.journal.get_message(i) for i in ids]
        originals = {m.business_keys["original_id"] for m in stored if m is not None}
        assert len(originals) == 1  # one body, linked from every set
        assert b"".join(m.raw for m in stored if m is not None) != raw  # no set holds it all
        for mid in (ids[0], ids[-1]):
            r = await client.get(f"{base}/v1/messages/{mid}/original")
            assert r.status_code == 200, r.text
            assert r.content == raw  # byte for byte, padding and all
            assert r.headers["content-type"] == "application/EDI-X12"
            assert r.headers["x-original-id"] in originals
        # another partner cannot read it, even knowing the id
        stranger = await auth_headers(gw, partner="shop", scopes="messages:read")
        r = await client.get(f"{base}/v1/messages/{ids[0]}/original", headers=stranger)
        assert (r.status_code, r.json()["code"]) == (404, "unknown_message")
        # a message that is its own body has no original
        json_id = await post_json(client, base, order())
        r = await client.get(f"{base}/v1/messages/{json_id}/original")
        assert (r.status_code, r.json()["code"]) == (404, "no_original")
