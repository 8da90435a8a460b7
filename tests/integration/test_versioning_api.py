"""API versions over real sockets: a v1 partner and a v2 partner exchange the same order, v2
channels are converted to canonical v1 by the pipeline, deprecation notices reach the partners
configured for them, and operations see who still calls v1."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from litestar import Litestar

from gateway.demo.receiver import Ok, running_receiver
from gateway.journal import DeadLetterFilter
from gateway.journal.api_usage import UsageCounter
from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings
from tests.support import OPS_SCOPES, auth_headers, eventually, write_config

ORDER_SCOPES = "orders:write orders:read messages:write messages:read"


def v1_order(po: str, price: str = "1234.50") -> dict[str, Any]:
    return {
        "po_number": po,
        "order_date": "2026-11-22",
        "currency": "USD",
        "lines": [
            {
                "line_number": 1,
                "item": {"sku": "SKU-1"},
                "quantity": {"value": "3", "uom": "EA"},
                "unit_price": {"amount": price, "currency": "USD"},
            },
            {
                "line_number": 2,
                "item": {"gtin": "00012345678905"},
                "quantity": {"value": "1", "uom": "CS"},
                "unit_price": {"amount": "1500", "currency": "JPY"},
            },
        ],
        "parties": [
            {
                "role": "ship_to",
                "name": "Dock 4",
                "address": {"lines": ["1 Quay Rd", "Unit 9"], "city": "Leeds", "country": "GB"},
            }
        ],
    }


def v2_order(po: str) -> dict[str, Any]:
    """The same order as :func:`v1_order`, in contract v2."""
    doc = v1_order(po)
    doc["lines"][0]["unit_price"] = {"amount_minor": 123450, "currency": "USD"}
    doc["lines"][1]["unit_price"] = {"amount_minor": 1500, "currency": "JPY"}
    return doc


@contextlib.asynccontextmanager
async def versioned_gateway(
    root: Path, **overrides: Any
) -> AsyncIterator[tuple[Gateway, str, UsageCounter]]:
    """The app factory's gateway on an ephemeral loopback port, with its API usage counter."""
    settings = load_settings(
        environ={},
        config_dir=str(root / "config"),
        data_dir=str(root / "data"),
        port=0,
        poll_interval=0.05,
        **overrides,
    )
    gateway = Gateway(settings)
    config = uvicorn_config(gateway)
    app = config.app
    assert isinstance(app, Litestar)
    counter = gateway.api_usage
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=10)
    if task.done():
        task.result()
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield gateway, f"http://127.0.0.1:{port}", counter
    finally:
        server.should_exit = True
        await task


async def _delivered(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    got = (await client.get(url, headers=headers)).json()
    return got if got.get("deliveries", {}).get("delivered") == 1 else None


async def test_a_v1_partner_and_a_v2_partner_exchange_the_same_order(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Ok()}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}})
        async with (
            versioned_gateway(tmp_path) as (gw, base, _),
            httpx.AsyncClient(base_url=base) as client,
        ):
            acme = await auth_headers(gw, "acme", ORDER_SCOPES)  # still on v1
            shop = await auth_headers(gw, "shop", ORDER_SCOPES)  # moved to v2
            ops = await auth_headers(gw, "ops", OPS_SCOPES)

            sent_v1 = await client.post("/v1/orders", json=v1_order("PO-77"), headers=acme)
            v2_body = json.dumps(v2_order("PO-77"), indent=3).encode()  # not msgspec's layout
            sent_v2 = await client.post(
                "/v2/orders",
                content=v2_body,
                headers={**shop, "Content-Type": "application/json"},
            )
            assert sent_v1.status_code == 202, sent_v1.text
            assert sent_v2.status_code == 202, sent_v2.text
            assert sent_v2.headers["location"].startswith("/v2/orders/")
            v1_id, v2_id = sent_v1.json()["id"], sent_v2.json()["id"]

            # the v2 partner's order, read back by the v2 partner: v2, as sent
            mine = await eventually(lambda: _delivered(client, f"/v2/orders/{v2_id}", shop))
            assert mine["document"] == v2_order("PO-77")
            # ... and in v1 (the partner's old client, or operations): the canonical v1 document
            assert (await client.get(f"/v1/orders/{v2_id}", headers=shop)).json()[
                "document"
            ] == v1_order("PO-77")
            # the v1 partner's order read in v2, and in v1
            await eventually(lambda: _delivered(client, f"/v1/orders/{v1_id}", acme))
            theirs_v2 = await client.get(f"/v2/orders/{v1_id}", headers=ops)
            assert theirs_v2.status_code == 200, theirs_v2.text
            assert theirs_v2.json()["document"] == v2_order("PO-77")
            theirs_v1 = await client.get(f"/v1/orders/{v1_id}", headers=ops)
            assert theirs_v1.json()["document"] == v1_order("PO-77")  # acme's exact digits

            # the destination got the same document, whichever version it was sent in
            bodies = [json.loads(r.body) for r in rx.received_on("/erp")]
            assert bodies == [v1_order("PO-77"), v1_order("PO-77")]
            canonical = await gw.journal.get_message(v2_id)
            assert canonical is not None and canonical.canonical is not None
            assert json.loads(canonical.canonical) == v1_order("PO-77")
            assert canonical.raw == v2_body  # the v2 partner's bytes, exactly as sent
            assert canonical.content_type == "application/json; contract=v2"

            # isolation still holds across versions
            other = await client.get(f"/v2/orders/{v1_id}", headers=shop)
            assert other.status_code == 404


async def test_v2_refuses_v1_money_and_v1_money_that_v2_cannot_say(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        versioned_gateway(tmp_path, workers_enabled=False) as (gw, base, _),
        httpx.AsyncClient(base_url=base) as client,
    ):
        acme = await auth_headers(gw, "acme", ORDER_SCOPES)
        refused = await client.post("/v2/orders", json=v1_order("PO-1"), headers=acme)
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["contract"] == "v2/order"
        assert {(e["path"], e["message"]) for e in problem["errors"]} == {
            (f"$.lines[{i}].unit_price.{field}", message)
            for i in (0, 1)
            for field, message in [
                ("amount", "Object contains unknown field `amount`"),
                ("amount_minor", "Object missing required field `amount_minor`"),
            ]
        }

        sub_cent = await client.post(
            "/v1/orders", json=v1_order("PO-2", price="3.125"), headers=acme
        )
        assert sub_cent.status_code == 202
        url = f"/v2/orders/{sub_cent.json()['id']}"
        answer = await client.get(url, headers=acme)
        assert answer.status_code == 406
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert body["code"] == "not_representable"
        assert body["path"] == "$.lines[0].unit_price.amount"
        assert "3.125 USD" in body["detail"]
        ok = await client.get(f"/v1/orders/{sub_cent.json()['id']}", headers=acme)
        assert ok.status_code == 200


async def test_a_v2_channel_is_converted_to_canonical_v1_by_the_pipeline(tmp_path: Path) -> None:
    channels = [
        {"name": "erp-v2", "partner": "shop", "document_type": "order", "contract": "v2"},
    ]
    async with running_receiver({"/erp": Ok()}) as rx:
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}}, channels=channels)
        async with (
            versioned_gateway(tmp_path) as (gw, base, _),
            httpx.AsyncClient(base_url=base) as client,
        ):
            shop = await auth_headers(gw, "shop", ORDER_SCOPES)
            raw = json.dumps(v2_order("PO-9")).encode()
            sent = await client.post(
                "/v1/inbound/erp-v2",
                content=raw,
                headers={**shop, "content-type": "application/json"},
            )
            assert sent.status_code == 202, sent.text
            message_id = sent.json()["message_id"]
            await eventually(lambda: rx.received_on("/erp"))
            [delivered] = rx.received_on("/erp")
            assert json.loads(delivered.body) == v1_order("PO-9")
            message = await gw.journal.get_message(message_id)
            assert message is not None
            assert message.raw == raw  # the partner's v2 bytes, exactly
            events = await gw.journal.events(message_id)
            assert [e.detail.get("contract") for e in events if e.stage == "validate"] == [
                "v2/order"
            ]

            bad = v2_order("PO-10")
            bad["lines"][0]["unit_price"]["amount_minor"] = "123450"  # a string is not an int
            sent = await client.post("/v1/inbound/erp-v2", json=bad, headers=shop)
            assert sent.status_code == 202
            failed_id = sent.json()["message_id"]

            async def failed() -> Any:
                found = await gw.journal.get_message(failed_id)
                return found if found is not None and found.state == "failed" else None

            await eventually(failed)
            [event] = [e for e in await gw.journal.events(failed_id) if e.stage == "validate"]
            assert event.code == "contract_violation"
            assert event.detail["path"] == "$.lines[0].unit_price.amount_minor"


def _versions(root: Path) -> None:
    (root / "config" / "versions.yaml").write_text(
        yaml.safe_dump(
            {
                "deprecations": [
                    {
                        "version": "v1",
                        "partners": ["acme"],
                        "deprecation": "2026-11-01",
                        "sunset": "2027-03-31",
                        "link": "https://partners.example.com/v2-migration",
                        "sunset_link": "https://partners.example.com/v1-sunset",
                    }
                ]
            }
        )
    )


async def test_deprecation_headers_reach_the_configured_partner_only(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    _versions(tmp_path)
    async with (
        versioned_gateway(tmp_path, workers_enabled=False) as (gw, base, _),
        httpx.AsyncClient(base_url=base) as client,
    ):
        acme = await auth_headers(gw, "acme", ORDER_SCOPES)
        shop = await auth_headers(gw, "shop", ORDER_SCOPES)

        listed = await client.get("/v1/orders", headers=acme)
        assert listed.status_code == 200
        assert listed.headers["deprecation"] == "@1793491200"
        assert listed.headers["sunset"] == "Wed, 31 Mar 2027 00:00:00 GMT"
        assert listed.headers.get_list("link") == [
            '<https://partners.example.com/v2-migration>; rel="deprecation"',
            '<https://partners.example.com/v1-sunset>; rel="sunset"',
        ]
        missing = await client.get("/v1/orders/nope", headers=acme)  # errors carry it too
        assert missing.status_code == 404
        assert missing.headers["deprecation"] == "@1793491200"

        for response in [
            await client.get("/v1/orders", headers=shop),  # not configured
            await client.get("/v2/orders", headers=acme),  # not deprecated
            await client.get("/v1/orders"),  # no token: nobody to tell
        ]:
            assert "deprecation" not in response.headers
            assert "sunset" not in response.headers


async def test_operations_see_who_still_calls_v1(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    _versions(tmp_path)
    async with (
        versioned_gateway(tmp_path, workers_enabled=False) as (gw, base, counter),
        httpx.AsyncClient(base_url=base) as client,
    ):
        acme = await auth_headers(gw, "acme", ORDER_SCOPES)
        shop = await auth_headers(gw, "shop", ORDER_SCOPES)
        ops = await auth_headers(gw, "ops", OPS_SCOPES)
        for _ in range(3):
            assert (await client.get("/v1/orders", headers=acme)).status_code == 200
        assert (await client.get("/v2/orders", headers=acme)).status_code == 200
        for _ in range(2):
            assert (await client.get("/v2/orders", headers=shop)).status_code == 200
        assert (await client.get("/v1/orders")).status_code == 401  # not counted

        usage = await client.get("/v1/ops/api-usage?version=v1", headers=ops)
        assert usage.status_code == 200, usage.text
        assert "deprecation" not in usage.headers  # operations routes are not partner-facing
        body = usage.json()
        [acme_v1] = body["items"]
        assert acme_v1["partner"] == "acme"
        assert acme_v1["version"] == "v1"
        assert acme_v1["requests"] == 3
        assert acme_v1["days_active"] == 1
        assert acme_v1["last_seen"].endswith("Z")
        assert acme_v1["notice"] == {
            "deprecation": "2026-11-01",
            "sunset": "2027-03-31",
            "link": "https://partners.example.com/v2-migration",
        }

        everything = (await client.get("/v1/ops/api-usage", headers=ops)).json()["items"]
        assert {(i["partner"], i["version"], i["requests"]) for i in everything} == {
            ("acme", "v1", 3),
            ("acme", "v2", 1),
            ("shop", "v2", 2),
        }
        one = (await client.get("/v1/ops/api-usage?version=v1&partner=acme", headers=ops)).json()[
            "items"
        ]
        assert [d["requests"] for d in one[0]["days"]] == [3]

        assert counter.pending == 0  # the listing flushed; the rows are durable
        rows = await counter.store.summary(version="v1")
        assert [(r.partner, r.requests) for r in rows] == [("acme", 3)]

        metrics = gw.metrics.render().decode()
        assert 'crossdock_api_requests_total{partner="acme",version="v1"} 3.0' in metrics
        assert 'crossdock_api_requests_total{partner="shop",version="v2"} 2.0' in metrics

        forbidden = await client.get("/v1/ops/api-usage", headers=acme)
        assert forbidden.status_code == 403
        bad = await client.get("/v1/ops/api-usage?days=0", headers=ops)
        assert bad.status_code == 400


async def test_a_v2_destination_gets_v2_and_refuses_what_v2_cannot_say(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Ok(), "/shop": Ok()}) as rx:
        write_config(
            tmp_path,
            {
                "erp": {"url": f"{rx.url}/erp"},
                "shop": {"url": f"{rx.url}/shop", "contract": "v2"},
            },
        )
        async with (
            versioned_gateway(tmp_path) as (gw, base, _),
            httpx.AsyncClient(base_url=base) as client,
        ):
            acme = await auth_headers(gw, "acme", ORDER_SCOPES)
            sent = await client.post("/v1/orders", json=v1_order("PO-5"), headers=acme)
            assert sent.status_code == 202
            await eventually(lambda: rx.received_on("/shop") and rx.received_on("/erp"))
            [to_shop] = rx.received_on("/shop")
            [to_erp] = rx.received_on("/erp")
            assert json.loads(to_shop.body) == v2_order("PO-5")
            assert json.loads(to_erp.body) == v1_order("PO-5")

            sub_cent = await client.post(
                "/v1/orders", json=v1_order("PO-6", price="3.125"), headers=acme
            )
            message_id = sub_cent.json()["id"]
            await eventually(lambda: len(rx.received_on("/erp")) == 2)
            dead = await eventually(
                lambda: gw.journal.dead_letters(DeadLetterFilter(partner="acme"))
            )
            [letter] = dead
            assert (letter.message_id, letter.destination) == (message_id, "shop")
            assert letter.stage == "deliver"
            assert letter.code == "not_representable"
            assert "$.lines[0].unit_price.amount" in letter.error
            assert len(rx.received_on("/shop")) == 1  # never sent, not even tried
