"""Signed webhooks over real HTTP: verified before anything is parsed or written, deduped by id."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.logs import configure_logging
from gateway.runtime import Gateway
from tests.support import SAMPLES, eventually, running_gateway, write_config

WEBHOOKS = SAMPLES / "webhooks"
REPO_MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
SHOP_SECRET = "shpss_0123456789abcdef-very-secret"
WOO_SECRET = "woo-secret-value-42"
AFTERSHIP_SECRET = "aftership-test-secret"  # throwaway, this test only
EASYPOST_SECRET = "s\u00e9cret"
STD_KEY = b"standard-webhooks-key-32-bytes!!"
STD_SECRET = "whsec_" + base64.b64encode(STD_KEY).decode()
EASYPOST_SIG = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"

SOURCES = [
    {"name": "shop-orders", "partner": "shop", "scheme": "shopify", "secrets": [{"env": "T_SHOP"}]},
    {"name": "woo", "partner": "shop", "scheme": "woocommerce", "secrets": [{"env": "T_WOO"}]},
    {"name": "easypost", "partner": "acme", "scheme": "easypost", "secrets": [{"env": "T_EP"}]},
    {"name": "tracking", "partner": "acme", "scheme": "aftership", "secrets": [{"env": "T_AS"}]},
    {
        "name": "std",
        "partner": "acme",
        "scheme": "standard-webhooks",
        "secrets": [{"env": "T_STD_OLD"}, {"env": "T_STD"}],
    },
]


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_SHOP", SHOP_SECRET)
    monkeypatch.setenv("T_WOO", WOO_SECRET)
    monkeypatch.setenv("T_EP", EASYPOST_SECRET)
    monkeypatch.setenv("T_AS", AFTERSHIP_SECRET)
    monkeypatch.setenv("T_STD", STD_SECRET)
    monkeypatch.setenv("T_STD_OLD", "whsec_" + base64.b64encode(b"retired-key").decode())


def write_webhook_config(root: Path) -> None:
    cfg = write_config(root, {})
    (cfg / "webhooks.yaml").write_text(yaml.safe_dump(SOURCES))


def webhook_gateway(root: Path) -> contextlib.AbstractAsyncContextManager[tuple[Gateway, str]]:
    """The real app (its webhook route included) with workers off: the journal is inspected."""
    return running_gateway(root, workers_enabled=False)


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body: bytes, event_id: str = "evt-1") -> dict[str, str]:
    return {
        "content-type": "application/json",
        "X-Shopify-Hmac-Sha256": b64_hmac(SHOP_SECRET, body),
        "X-Shopify-Webhook-Id": event_id,
    }


def std_headers(body: bytes, msg_id: str, ts: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(STD_KEY, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": f"v1,{base64.b64encode(b'x' * 32).decode()} "
        f"v1,{base64.b64encode(mac).decode()}",
    }


async def pending(gw: Gateway) -> int:
    return int((await gw.journal.stats()).messages_pending)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body["stage"]) == (status, code, "accept")
    return body


async def test_real_samples_with_correct_signatures_are_journaled_byte_for_byte(
    tmp_path: Path, secrets: None
) -> None:
    write_webhook_config(tmp_path)
    shop = (WEBHOOKS / "shopify_orders_create_sample.json").read_bytes()
    woo = (WEBHOOKS / "woocommerce_order_v3.json").read_bytes()
    easypost = (WEBHOOKS / "easypost_signed_body_minified.json").read_bytes()
    std = b'{"type": "order.created", "data": {"po": "PO-9"}}'
    posts = [
        ("shop-orders", shop, shopify_headers(shop, "b54557e4"), "b54557e4"),
        (
            "woo",
            woo,
            {"X-WC-Webhook-Signature": b64_hmac(WOO_SECRET, woo), "X-WC-Webhook-Delivery-ID": "77"},
            "77",
        ),
        ("easypost", easypost, {"X-Hmac-Signature": EASYPOST_SIG}, "evt_1"),  # the body's id
        ("std", std, std_headers(std, "msg_2"), "msg_2"),
    ]
    async with webhook_gateway(tmp_path) as (gw, base), httpx.AsyncClient() as client:
        for source, body, headers, event_id in posts:
            r = await client.post(
                f"{base}/v1/inbound/webhooks/{source}", content=body, headers=headers
            )
            assert r.status_code == 202, r.text
            answer = r.json()
            assert answer["status_url"] == f"/v1/messages/{answer['message_id']}"
            assert r.headers["location"] == answer["status_url"]
            message = await gw.journal.get_message(answer["message_id"])
            assert message is not None
            assert message.raw == body
            assert message.channel == f"webhook:{source}"
            expected_keys = {"webhook_event_id": event_id} if event_id else {}
            assert message.business_keys == expected_keys
            assert gw.config.channel_for(message.channel) is not None
        assert await pending(gw) == 4


async def test_bad_signatures_are_401_and_write_nothing(tmp_path: Path, secrets: None) -> None:
    write_webhook_config(tmp_path)
    shop = (WEBHOOKS / "shopify_orders_create_sample.json").read_bytes()
    url = "/v1/inbound/webhooks/"
    async with webhook_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as client:
        tampered = shop.replace(b'"57.98"', b'"0.01"')
        r = await client.post(url + "shop-orders", content=tampered, headers=shopify_headers(shop))
        body = problem(r, 401, "signature_mismatch")
        assert body["header"] == "X-Shopify-Hmac-Sha256"
        assert "X-Shopify-Hmac-Sha256" in body["detail"] and body["partner"] == "shop"

        r = await client.post(url + "shop-orders", content=shop)
        problem(r, 401, "missing_header")

        std = b'{"a": 1}'
        stale = std_headers(std, "msg_old", ts=int(time.time()) - 3600)
        r = await client.post(url + "std", content=std, headers=stale)
        assert problem(r, 401, "timestamp_out_of_tolerance")["header"] == "webhook-timestamp"

        wrong = {"X-Hmac-Signature": "hmac-sha256-hex=" + "0" * 64}
        r = await client.post(url + "easypost", content=b"{}", headers=wrong)
        problem(r, 401, "signature_mismatch")

        r = await client.post(url + "nope", content=b"{}")
        assert "nope" in problem(r, 404, "unknown_webhook_source")["detail"]
        assert await pending(gw) == 0


async def test_verification_comes_before_parsing(tmp_path: Path, secrets: None) -> None:
    write_webhook_config(tmp_path)
    url = "/v1/inbound/webhooks/shop-orders"
    not_json = b'{"id": 1,'
    async with webhook_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as client:
        # a bad signature on a body that is not even JSON: refused for the signature
        bad = {**shopify_headers(not_json), "X-Shopify-Hmac-Sha256": b64_hmac("guess", not_json)}
        problem(await client.post(url, content=not_json, headers=bad), 401, "signature_mismatch")
        # a valid signature on invalid JSON: verified, then refused as malformed
        r = await client.post(url, content=not_json, headers=shopify_headers(not_json))
        assert problem(r, 400, "json_malformed")["source"] == "shop-orders"
        assert await pending(gw) == 0


async def test_a_replayed_event_id_is_answered_not_journaled_twice(
    tmp_path: Path, secrets: None
) -> None:
    write_webhook_config(tmp_path)
    shop = (WEBHOOKS / "shopify_orders_create_sample.json").read_bytes()
    url = "/v1/inbound/webhooks/shop-orders"
    async with webhook_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as client:
        first = await client.post(url, content=shop, headers=shopify_headers(shop, "dup-1"))
        assert first.status_code == 202
        again = await client.post(url, content=shop, headers=shopify_headers(shop, "dup-1"))
        assert again.status_code == 200, again.text
        assert again.json()["message_id"] == first.json()["message_id"]
        assert again.json()["duplicate"] is True
        other = await client.post(url, content=shop, headers=shopify_headers(shop, "dup-2"))
        assert other.status_code == 202
        # a forged replay is refused before the dedupe lookup answers anything
        forged = {**shopify_headers(b"{}", "dup-1")}
        problem(await client.post(url, content=shop, headers=forged), 401, "signature_mismatch")
        # concurrent copies of a new event: one is journaled, the rest told (200) or asked to retry
        copies = await asyncio.gather(
            *(
                client.post(url, content=shop, headers=shopify_headers(shop, "dup-3"))
                for _ in range(8)
            )
        )
        statuses = sorted(r.status_code for r in copies)
        assert statuses.count(202) == 1 and set(statuses) <= {200, 202, 409}, statuses
        assert await pending(gw) == 3


async def test_senders_with_the_event_id_in_the_body_are_deduped_by_it(
    tmp_path: Path, secrets: None
) -> None:
    """EasyPost (the Event's ``id``) and AfterShip (``event_id``) send no id header."""
    write_webhook_config(tmp_path)
    easypost = (WEBHOOKS / "easypost_signed_body_minified.json").read_bytes()
    event = (
        b'{"event_id":"3f645f5e-530b-4062-8695-db6a64420af8","event":"tracking_update","msg":{}}'
    )
    no_id = b'{"event":"tracking_update","msg":{}}'
    after = {"aftership-hmac-sha256": b64_hmac(AFTERSHIP_SECRET, event)}
    after_no_id = {"aftership-hmac-sha256": b64_hmac(AFTERSHIP_SECRET, no_id)}
    async with webhook_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as client:
        for source, body, headers in [
            ("easypost", easypost, {"X-Hmac-Signature": EASYPOST_SIG}),
            ("tracking", event, after),
        ]:
            first = await client.post(
                f"/v1/inbound/webhooks/{source}", content=body, headers=headers
            )
            assert first.status_code == 202, first.text
            again = await client.post(
                f"/v1/inbound/webhooks/{source}", content=body, headers=headers
            )
            assert again.status_code == 200, again.text
            assert again.json()["message_id"] == first.json()["message_id"]
            assert again.json()["duplicate"] is True
        # no id in the body: accepted each time, as for any sender that sends none
        for _ in range(2):
            r = await client.post(
                "/v1/inbound/webhooks/tracking", content=no_id, headers=after_no_id
            )
            assert r.status_code == 202, r.text
        assert await pending(gw) == 4


async def test_replays_are_recognised_after_a_restart(tmp_path: Path, secrets: None) -> None:
    """The in-process cache is gone after a restart; the journal still knows the event id."""
    write_webhook_config(tmp_path)
    shop = (WEBHOOKS / "shopify_orders_create_sample.json").read_bytes()
    url = "/v1/inbound/webhooks/shop-orders"
    async with webhook_gateway(tmp_path) as (_gw, base), httpx.AsyncClient(base_url=base) as c:
        first = await c.post(url, content=shop, headers=shopify_headers(shop, "evt-restart"))
        assert first.status_code == 202
    async with webhook_gateway(tmp_path) as (gw, base), httpx.AsyncClient(base_url=base) as c:
        again = await c.post(url, content=shop, headers=shopify_headers(shop, "evt-restart"))
        assert again.status_code == 200, again.text
        assert again.json() == {
            "message_id": first.json()["message_id"],
            "status_url": first.json()["status_url"],
            "duplicate": True,
        }
        assert await pending(gw) == 1


async def test_no_secret_reaches_the_logs(tmp_path: Path, secrets: None) -> None:
    write_webhook_config(tmp_path)
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    shop = (WEBHOOKS / "shopify_orders_create_sample.json").read_bytes()
    url = "/v1/inbound/webhooks/shop-orders"
    try:
        async with webhook_gateway(tmp_path) as (_gw, base), httpx.AsyncClient(base_url=base) as c:
            assert (
                await c.post(url, content=shop, headers=shopify_headers(shop))
            ).status_code == 202
            await c.post(url, content=shop, headers=shopify_headers(shop))  # replay
            bad = {**shopify_headers(shop), "X-Shopify-Hmac-Sha256": b64_hmac("x", shop)}
            assert (await c.post(url, content=shop, headers=bad)).status_code == 401
    finally:
        for name in ("crossdock", "uvicorn.error"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
    output = stream.getvalue()
    for secret in (SHOP_SECRET, WOO_SECRET, STD_SECRET, b64_hmac(SHOP_SECRET, shop)):
        assert secret not in output
    lines = [json.loads(line) for line in output.splitlines()]
    refused = [x for x in lines if x["msg"] == "webhook refused"]
    assert refused and refused[0]["code"] == "signature_mismatch"
    assert any(x["msg"] == "webhook replay ignored" for x in lines)


async def test_a_signed_shopify_return_ends_as_a_return_authorization(
    tmp_path: Path, secrets: None
) -> None:
    """returns/approve, signed as Shopify signs it, through the pipeline into the journal.

    The source names no mapping: partner `shopify` and document type `return_authorization`
    pick mappings/shopify/return_authorization.yaml. The body is that file's example input.
    """
    cfg = write_config(tmp_path, {})
    (cfg / "partners.yaml").write_text(yaml.safe_dump([{"name": "acme"}, {"name": "shopify"}]))
    source = {
        "name": "shopify-returns",
        "partner": "shopify",
        "scheme": "shopify",
        "secrets": [{"env": "T_SHOP"}],
        "document_type": "return_authorization",
    }
    (cfg / "webhooks.yaml").write_text(yaml.safe_dump([source]))
    shutil.rmtree(tmp_path / "mappings")
    shutil.copytree(REPO_MAPPINGS, tmp_path / "mappings")
    examples = REPO_MAPPINGS / "shopify" / "examples"
    body = (examples / "returns-approve-1.json").read_bytes()
    expected = json.loads((examples / "returns-approve-1.expected.json").read_text("utf-8"))
    async with running_gateway(tmp_path) as (gw, base), httpx.AsyncClient() as client:
        r = await client.post(
            f"{base}/v1/inbound/webhooks/shopify-returns",
            content=body,
            headers=shopify_headers(body, "ret-6200610001-approve"),
        )
        assert r.status_code == 202, r.text
        message_id = r.json()["message_id"]

        async def canonical() -> Any:
            message = await gw.journal.get_message(message_id)
            return message if message is not None and message.canonical is not None else None

        message = await eventually(canonical)
        assert message.document_type == "return_authorization"
        assert message.business_keys["rma_number"] == "#2043-R1"
        got = json.loads(message.canonical)
        # the payload has no date: the authorization is dated the (UTC) day it was received
        received = dt.datetime.fromtimestamp(message.received_at, dt.UTC).date().isoformat()
        assert got == {**expected, "issued_date": received}
        events = {e.stage: e for e in await gw.journal.events(message_id)}
        assert events["map"].detail["mapping"] == "shopify/return_authorization.yaml"
        assert events["validate"].detail["contract"] == "v1/return_authorization"
