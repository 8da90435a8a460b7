"""The map stage picks ``mappings/<partner>/<document_type>.yaml``; explicit channel mappings win;
without either the body passes through as canonical JSON; a broken partner file dead-letters at
the map stage and reprocessing after the fix delivers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from gateway.demo.receiver import Ok, running_receiver
from gateway.journal import DeadLetterFilter
from tests.support import GatewayAuth, eventually, order, post_json, running_gateway, write_config

SHOP_ORDER = """
source: json
target: v1/order
fields:
  po_number: {value: "order.number", required: true}
  order_date: "iso_date(order.created_at)"
  notes: {const: [NOTE]}
  lines:
    each: "order.items"
    fields:
      line_number: "pos()"
      item: {sku: "sku"}
      quantity: {value: "dec(qty)", uom: {const: EA}}
"""

SHOP = {
    "order": {
        "number": "SO-9",
        "created_at": "2026-11-20T10:00:00Z",
        "items": [{"sku": "A", "qty": 2}],
    }
}

CHANNELS = [
    {"name": "json", "partner": "acme", "document_type": "order"},
    {"name": "shop", "partner": "shop", "document_type": "order"},
]


def _write_mapping(root: Path, name: str, text: str) -> Path:
    path = root / "mappings" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


async def _map_event(gw, mid: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    events = await gw.journal.events(mid)
    [event] = [e for e in events if e.stage == "map"]
    return dict(event.detail)


async def test_partner_file_is_used_and_others_pass_through(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Ok()}) as rx:
        _write_mapping(tmp_path, "shop/order.yaml", SHOP_ORDER.replace("NOTE", "partner file"))
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}}, channels=CHANNELS)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            shop_id = await post_json(client, base, SHOP, channel="shop")
            acme_id = await post_json(client, base, order("PO-77"), channel="json")
            await eventually(lambda: len(rx.received_on("/erp")) == 2)
            sent = {
                json.loads(r.body)["po_number"]: json.loads(r.body) for r in rx.received_on("/erp")
            }
            assert sent["SO-9"]["notes"] == ["partner file"]
            assert sent["SO-9"]["lines"][0]["quantity"] == {"value": "2", "uom": "EA"}
            assert sent["PO-77"] == json.loads(json.dumps(order("PO-77")))
            assert (await _map_event(gw, shop_id))["mapping"] == "shop/order.yaml"
            assert (await _map_event(gw, acme_id))["mapping"] == "(canonical pass-through)"


async def test_an_explicit_channel_mapping_wins(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Ok()}) as rx:
        _write_mapping(tmp_path, "shop/order.yaml", SHOP_ORDER.replace("NOTE", "partner file"))
        _write_mapping(tmp_path, "shop/special.yaml", SHOP_ORDER.replace("NOTE", "explicit"))
        channels = [{**CHANNELS[1], "mapping": "shop/special.yaml"}]
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}}, channels=channels)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, SHOP, channel="shop")
            await eventually(lambda: len(rx.received_on("/erp")) == 1)
            assert json.loads(rx.received_on("/erp")[0].body)["notes"] == ["explicit"]
            assert (await _map_event(gw, mid))["mapping"] == "shop/special.yaml"


async def test_a_broken_partner_file_dead_letters_at_map_and_reprocesses(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Ok()}) as rx:
        broken = SHOP_ORDER.replace("iso_date(", "isodate(")  # unknown function: no compile
        path = _write_mapping(tmp_path, "shop/order.yaml", broken)
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}}, channels=CHANNELS)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, SHOP, channel="shop")
            [dl] = await eventually(lambda: gw.journal.dead_letters(DeadLetterFilter()))
            assert dl.stage == "map"
            assert dl.code == "map_file_invalid"
            assert "isodate" in dl.error
            assert "order.yaml:6" in dl.error  # the text starts with a newline
            path.write_text(SHOP_ORDER.replace("NOTE", "fixed"), encoding="utf-8")
            r = await client.post(f"{base}/v1/ops/dead-letters/{dl.id}/reprocess")
            assert r.status_code == 200, r.text
            await eventually(lambda: len(rx.received_on("/erp")) == 1)
            assert json.loads(rx.received_on("/erp")[0].body)["notes"] == ["fixed"]
            message = await gw.journal.get_message(mid)
            assert message is not None
            assert message.state == "done"
