"""The canonical REST resources over real sockets: strict 422s, the pipeline behind a POST, reads,
tenant isolation and cursor pagination, against a real receiver destination."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from rest_support import KEY_FIELDS, documents, partner_headers, rest_gateway

import contracts.v1
from gateway.api.resources import Codec, resource, strict_decoder
from gateway.demo.receiver import Ok, running_receiver
from tests.support import OPS_SCOPES, auth_headers, eventually, order, write_config

RESOURCES = sorted(KEY_FIELDS)


async def _done(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    got = (await client.get(url, headers=headers)).json()
    return got if got["deliveries"]["delivered"] == 1 else None


@pytest.mark.parametrize("name", RESOURCES)
async def test_post_runs_the_pipeline_and_get_shows_document_and_status(
    tmp_path: Path, name: str
) -> None:
    doc = documents()[name]
    async with running_receiver({"/erp": Ok()}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}})
        async with rest_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as client:
            headers = await partner_headers(gw)
            posted = await client.post(f"/v1/{name}", json=doc, headers=headers)
            assert posted.status_code == 202, posted.text
            accepted = posted.json()
            assert accepted["status"] == "accepted"
            assert posted.headers["location"] == f"/v1/{name}/{accepted['id']}"
            got = await eventually(lambda: _done(client, posted.headers["location"], headers))
            assert got["state"] == "done"
            assert got["partner"] == "acme"
            assert got["deliveries"] == {
                "total": 1,
                "pending": 0,
                "delivered": 1,
                "dead": 0,
                "discarded": 0,
            }
            assert got["business_keys"][KEY_FIELDS[name]] == doc[KEY_FIELDS[name]]
            assert got["document"] == doc  # canonical v1: decimals as strings, as sent
            [delivered] = rx.received_on("/erp")
            assert json.loads(delivered.body) == doc
            message = await gw.journal.get_message(accepted["id"])
            assert message is not None
            assert message.raw == posted.request.content  # the exact bytes
            assert message.channel.startswith("api:")


async def test_422_lists_every_failing_path_and_refuses_string_numbers(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    bad = order("PO-1")
    bad["lines"][0]["line_number"] = "2"  # a string is not an int, however numeric
    bad["lines"][0]["quantity"]["uom"] = "BOXES"
    bad["order_date"] = "22/11/2026"
    bad["surprise"] = True
    del bad["lines"][0]["item"]
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = await partner_headers(gw)
        refused = await client.post("/v1/orders", json=bad, headers=headers)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "invalid_document"
        assert problem["partner"] == "acme"
        assert {e["path"] for e in problem["errors"]} == {
            "$.surprise",
            "$.order_date",
            "$.lines[0].line_number",
            "$.lines[0].item",
            "$.lines[0].quantity.uom",
        }
        assert "Expected `int`, got `str`" in {e["message"] for e in problem["errors"]}
        good = order("PO-1")
        good["lines"][0]["line_number"] = 2
        assert (await client.post("/v1/orders", json=good, headers=headers)).status_code == 202
        stored = await gw.journal.list_messages(_everything())
        assert [m.business_keys["po_number"] for m in stored] == ["PO-1"]  # one, not two


def _everything():  # type: ignore[no-untyped-def]
    from gateway.journal import MessageFilter

    return MessageFilter(limit=1000)


async def test_bad_json_media_type_and_scopes(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        headers = await partner_headers(gw)
        broken = await client.post(
            "/v1/orders",
            content=b'{"po_number": ',
            headers={**headers, "content-type": "application/json"},
        )
        assert broken.status_code == 400
        raw = json.dumps(order("PO-9")).encode()
        bad_utf8 = raw.replace(b"SKU-1", b"SKU-\xff")
        refused = await client.post(
            "/v1/orders", content=bad_utf8, headers={**headers, "content-type": "application/json"}
        )
        assert refused.status_code == 400
        at = bad_utf8.index(b"\xff")
        assert refused.json()["position"] == f"byte {at}"
        huge = raw.replace(b'"line_number": 1', b'"line_number": 1e999')
        out_of_range = await client.post(
            "/v1/orders", content=huge, headers={**headers, "content-type": "application/json"}
        )
        assert out_of_range.status_code == 422
        assert [e["path"] for e in out_of_range.json()["errors"]] == ["$.lines[0].line_number"]
        assert await gw.journal.list_messages(_everything()) == []  # neither was journaled
        text = await client.post(
            "/v1/orders", content=b"x", headers={**headers, "content-type": "text/plain"}
        )
        assert text.status_code == 415
        readonly = await auth_headers(gw, "acme", "orders:read")
        denied = await client.post("/v1/orders", json=order(), headers=readonly)
        assert denied.status_code == 403
        assert denied.json()["code"] == "insufficient_scope"
        anonymous = await client.post("/v1/orders", json=order())
        assert anonymous.status_code == 401
        wrong_resource = await auth_headers(gw, "acme", "shipments:read")
        assert (await client.get("/v1/orders", headers=wrong_resource)).status_code == 403


async def test_another_partners_document_is_404_and_ops_sees_all(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        acme = await partner_headers(gw, "acme")
        shop = await partner_headers(gw, "shop")
        ops = await auth_headers(gw, "ops", OPS_SCOPES)
        url = (await client.post("/v1/orders", json=order("PO-A"), headers=acme)).headers[
            "location"
        ]
        await client.post("/v1/orders", json=order("PO-S"), headers=shop)
        assert (await client.get(url, headers=acme)).status_code == 200
        theirs = await client.get(url, headers=shop)
        assert theirs.status_code == 404
        assert theirs.json()["code"] == "unknown_document"
        assert (await client.get(url, headers=ops)).json()["partner"] == "acme"
        # the same id under another resource is not found either
        other = url.replace("/v1/orders/", "/v1/shipments/")
        assert (await client.get(other, headers=acme)).status_code == 404
        mine = (await client.get("/v1/orders", headers=shop)).json()["items"]
        assert [i["business_keys"]["po_number"] for i in mine] == ["PO-S"]
        every = (await client.get("/v1/orders", headers=ops)).json()["items"]
        assert sorted(i["partner"] for i in every) == ["acme", "shop"]
        only = await client.get("/v1/orders", params={"partner": "acme"}, headers=ops)
        assert [i["partner"] for i in only.json()["items"]] == ["acme"]
        probing = await client.get("/v1/orders", params={"partner": "acme"}, headers=shop)
        assert probing.status_code == 403


async def test_pages_concatenate_to_the_filtered_set_while_documents_arrive(
    tmp_path: Path,
) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        acme = await partner_headers(gw, "acme")
        shop = await partner_headers(gw, "shop")
        for n in range(7):
            await client.post("/v1/orders", json=order(f"PO-{n}"), headers=acme)
            await client.post("/v1/orders", json=order(f"PO-{n}"), headers=shop)
        before = {
            m.id for m in await gw.journal.list_messages(_everything()) if m.partner == "acme"
        }
        seen: list[str] = []
        params: dict[str, str] = {"limit": "3"}
        arrived = 0
        while True:
            page = await client.get("/v1/orders", params=params, headers=acme)
            assert page.status_code == 200
            body = page.json()
            assert len(body["items"]) <= 3
            seen += [item["id"] for item in body["items"]]
            if body["next_cursor"] is None:
                assert "link" not in page.headers
                break
            assert 'rel="next"' in page.headers["link"]
            if arrived < 4:  # new documents land while the client pages
                await client.post("/v1/orders", json=order(f"NEW-{arrived}"), headers=acme)
                arrived += 1
            params = {"limit": "3", "cursor": body["next_cursor"]}
        assert len(seen) == len(set(seen))
        assert before <= set(seen)
        assert len(seen) == len(before) + arrived  # they came after the cursor: all seen
        filtered = await client.get(
            "/v1/orders", params={"po_number": "PO-3", "state": "received"}, headers=acme
        )
        assert [i["business_keys"]["po_number"] for i in filtered.json()["items"]] == ["PO-3"]
        first = (await gw.journal.list_messages(_everything()))[0].received_at
        late = await client.get(
            "/v1/orders", params={"since": "2999-01-01T00:00:00Z"}, headers=acme
        )
        assert late.json()["items"] == []
        early = await client.get(
            "/v1/orders", params={"until": "2000-01-01T00:00:00Z"}, headers=acme
        )
        assert early.json()["items"] == []
        assert first > 0


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"state": "lost"}, "state"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-11-22T10:00:00"}, "until"),
    ],
)
async def test_bad_list_queries_are_400(
    tmp_path: Path, params: dict[str, str], parameter: str
) -> None:
    write_config(tmp_path, {})
    async with (
        rest_gateway(tmp_path, workers_enabled=False) as (gw, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        got = await client.get("/v1/orders", params=params, headers=await partner_headers(gw))
        assert got.status_code == 400
        assert got.json()["parameter"] == parameter


def test_a_codec_for_a_version_the_pipeline_cannot_read_is_refused_at_build() -> None:
    # the journal keeps the partner's bytes exactly and the validate stage converts them with
    # `contracts`, so a resource may only speak a version `contracts` knows
    with pytest.raises(ValueError, match="v9"):
        resource(
            "orders",
            "order",
            scope="orders",
            key_field="po_number",
            codec=Codec("v9", decode=strict_decoder(contracts.v1.Order)),
        )


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_a_byte_order_mark_is_ignored_and_kept(tmp_path: Path, version: str) -> None:
    """RFC 8259 lets a parser ignore a UTF-8 BOM and the door's JSON check does: the resource
    decodes past it (it was a 500), journals the bytes as sent, and the pipeline reads them."""
    async with running_receiver({"/erp": Ok()}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}})
        async with rest_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as client:
            headers = {**await partner_headers(gw), "content-type": "application/json"}
            body = documents()["orders"] if version == "v1" else _v2_order()
            raw = b"\xef\xbb\xbf" + json.dumps(body).encode()
            posted = await client.post(f"/{version}/orders", content=raw, headers=headers)
            assert posted.status_code == 202, posted.text
            message = await gw.journal.get_message(posted.json()["id"])
            assert message is not None
            assert message.raw == raw
            got = await eventually(lambda: _done(client, posted.headers["location"], headers))
            assert got["state"] == "done"
            assert len(rx.received_on("/erp")) == 1


def _v2_order() -> dict[str, Any]:
    """The v1 order as a v2 body (money in minor units), through the contract's converter."""
    v1 = contracts.v1.Order  # type: ignore[attr-defined]
    import msgspec

    document = msgspec.json.decode(json.dumps(documents()["orders"]), type=v1)
    v2 = contracts.translate("order", document, "v1", "v2")
    return msgspec.to_builtins(v2)  # type: ignore[no-any-return]
