"""``crossdock demo``: the gateway, a local receiver, and messages flowing through both.

The story: ACME sends canonical orders and the demo shop sends its own JSON (mapped by a file in
mappings/). Both are delivered to an ERP and a WMS. Midway the WMS goes down, so one delivery
exhausts its retries and is dead-lettered; one shop order carries a quantity of "two" and stops
at validation with the field path. Then the WMS recovers, and the demo shows how to replay.
With ``--once`` it replays by itself and exits, which is how the tests run it.

The partner API is governed as in production: the demo adds one API client per partner and an
operations client to its data folder's credentials, gets their access tokens from
``POST /oauth2/token`` (client credentials), sends each partner's orders with that partner's
token and replays with the operations client's. It revokes the clients when it ends; their
secrets are never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec

from gateway.auth import CredentialStore, IssuedSecret
from gateway.demo.receiver import FailThenOk, Ok, Receiver, running_receiver
from gateway.journal import DeadLetterFilter
from gateway.runtime import Gateway
from gateway.serve import serve_in_loop
from gateway.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
RECEIVER_PORT = 18081


def acme_order(n: int) -> dict[str, Any]:
    """A canonical v1 order as ACME's ERP would send it."""
    return {
        "po_number": f"ACME-PO-{4500 + n}",
        "order_date": "2026-11-22",
        "currency": "USD",
        "parties": [
            {"role": "buyer", "name": "ACME Retail"},
            {
                "role": "ship_to",
                "name": "ACME DC 3",
                "address": {
                    "lines": ["400 Dock Rd"],
                    "city": "Reno",
                    "region": "NV",
                    "postal_code": "89502",
                    "country": "US",
                },
            },
        ],
        "lines": [
            {
                "line_number": 1,
                "item": {"sku": "PAL-4840", "gtin": "00012345678905"},
                "quantity": {"value": str(10 * n), "uom": "EA"},
                "unit_price": {"amount": "12.40", "currency": "USD"},
            },
        ],
    }


def shop_order(number: str, qty: Any) -> dict[str, Any]:
    """An order in the demo shop's own JSON shape (see mappings/demo-shop/order.yaml)."""
    return {
        "order": {
            "number": number,
            "created_at": "2026-11-22T09:30:00+01:00",
            "currency": "EUR",
            "customer": {"name": "Jana Novak", "email": "jana@example.com"},
            "shipping": {
                "name": "Jana Novak",
                "address1": "Hauptstr. 5",
                "city": "Berlin",
                "zip": "10115",
                "country": "DE",
            },
            "items": [
                {
                    "sku": "AB-1",
                    "gtin": "04006381333931",
                    "qty": qty,
                    "unit": "pcs",
                    "price": "12.50",
                }
            ],
        }
    }


async def _wait_settled(gateway: Gateway, ids: list[str]) -> None:
    """Wait until each message is done or failed and none of its deliveries is pending."""
    async with asyncio.timeout(30):
        await _settle(gateway, ids)


async def _settle(gateway: Gateway, ids: list[str]) -> None:
    while True:
        settled = True
        for mid in ids:
            m = await gateway.journal.get_message(mid)
            if m is None or m.state == "received":
                settled = False
                break
            if any(d.state == "pending" for d in await gateway.journal.deliveries(mid)):
                settled = False
                break
        if settled:
            return
        await asyncio.sleep(0.1)


async def _print_table(gateway: Gateway, ids: list[str], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "message",
        "channel",
        "state",
        "business key",
        "erp",
        "wms",
        title=title,
        caption="xN = attempts in the current delivery series",
    )
    for mid in ids:
        m = await gateway.journal.get_message(mid)
        assert m is not None
        deliveries = {d.destination: d for d in await gateway.journal.deliveries(mid)}

        def cell(name: str, deliveries: dict[str, Any] = deliveries) -> str:
            d = deliveries.get(name)
            return "-" if d is None else f"{d.state} x{d.attempts}"

        key = next(iter(m.business_keys.values()), "")
        table.add_row(mid, m.channel, m.state, key, cell("erp"), cell("wms"))
    Console().print(table)


#: The demo's API clients: (partner, scopes). Each partner sends on its own channel only.
DEMO_CLIENTS = {
    "json": ("acme-retail", "messages:write messages:read"),
    "demo-shop": ("demo-shop", "messages:write messages:read mappings:test"),
    "ops": ("demo-ops", "ops:read ops:replay messages:read"),
}


class DemoClients:
    """The demo's API clients in the data folder, and their bearer tokens once fetched."""

    def __init__(self, data_dir: str) -> None:
        self.store = CredentialStore.in_data_dir(data_dir)
        self.issued: dict[str, IssuedSecret] = {}
        self.headers: dict[str, dict[str, str]] = {}

    async def add(self) -> None:
        """One client per role; the secrets stay in memory."""
        for role, (partner, scopes) in DEMO_CLIENTS.items():
            self.issued[role] = await self.store.add(partner, scopes)

    async def fetch_tokens(self, client: httpx.AsyncClient) -> None:
        """The client credentials grant, as a partner's integration would do it."""
        for role, issued in self.issued.items():
            response = await client.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(issued.client.client_id, issued.secret),
            )
            response.raise_for_status()
            token = response.json()
            self.headers[role] = {"Authorization": f"Bearer {token['access_token']}"}
            print(
                f"  POST /oauth2/token -> {response.status_code} {issued.client.partner} "
                f"({issued.client.client_id}, scope {token['scope']!r})"
            )

    async def revoke(self) -> None:
        """Revoke every client this run added (their tokens stop verifying)."""
        for issued in self.issued.values():
            await self.store.revoke(issued.client.client_id)


async def _send(
    client: httpx.AsyncClient, channel: str, body: dict[str, Any], auth: dict[str, str]
) -> str:
    response = await client.post(
        f"/v1/inbound/{channel}",
        content=msgspec.json.encode(body),
        headers={"Content-Type": "application/json", **auth},
    )
    response.raise_for_status()
    message_id: str = response.json()["message_id"]
    print(f"  POST /v1/inbound/{channel} -> {response.status_code} {message_id}")
    return message_id


async def _scenario(gateway: Gateway, receiver: Receiver, base: str, once: bool) -> int:
    data_dir = gateway.settings.data_dir
    started = time.time()
    clients = DemoClients(data_dir)
    await clients.add()
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            return await _story(gateway, receiver, client, clients, once=once, started=started)
    finally:
        await clients.revoke()


async def _story(
    gateway: Gateway,
    receiver: Receiver,
    client: httpx.AsyncClient,
    clients: DemoClients,
    *,
    once: bool,
    started: float,
) -> int:
    data_dir, base = gateway.settings.data_dir, str(client.base_url).rstrip("/")
    print("\n0. Each partner's integration, and operations, get an access token")
    await clients.fetch_tokens(client)
    acme, shop, ops = (clients.headers[role] for role in ("json", "demo-shop", "ops"))
    print("\n1. ACME and the demo shop send orders; ERP and WMS both take them")
    ids = [await _send(client, "json", acme_order(n), acme) for n in (1, 2)]
    ids.append(await _send(client, "demo-shop", shop_order("SO-1001", 2), shop))
    await _wait_settled(gateway, ids)

    print("\n2. The WMS goes down (503); a new order's WMS delivery runs out of retries")
    receiver.set_behaviour("/wms", FailThenOk(n=10_000, status=503))
    late = [await _send(client, "json", acme_order(3), acme)]
    print('\n3. The shop sends an order with quantity "two": it stops at the map stage')
    late.append(await _send(client, "demo-shop", shop_order("SO-1002", "two"), shop))
    await _wait_settled(gateway, late)
    ids += late
    await _print_table(gateway, ids, "messages")

    # a data folder kept from an earlier run has older dead letters; show this run's
    dead = await gateway.journal.dead_letters(DeadLetterFilter(since=started))
    print(f"\n{len(dead)} dead letter(s):")
    for dl in dead:
        print(
            f"  {dl.id}  stage={dl.stage}  code={dl.code}  partner={dl.partner}"
            f"  destination={dl.destination or '-'}\n      {dl.error}"
        )

    print("\n4. The WMS recovers")
    receiver.set_behaviour("/wms", Ok())
    wms = [dl for dl in dead if dl.destination == "wms"]
    bad = [dl for dl in dead if dl.stage != "deliver"]
    if not once:
        print(
            "\nReplay from another terminal (the gateway keeps running; Ctrl-C stops it):\n"
            f"  crossdock dead-letters list --data-dir {data_dir}\n"
            f"  crossdock dead-letters show {wms[0].id if wms else 'ID'} "
            f"--data-dir {data_dir}\n"
            f"  crossdock dead-letters redeliver --all --destination wms "
            f"--data-dir {data_dir}\n"
            f"  crossdock dead-letters discard {bad[0].id if bad else 'ID'} "
            f"--reason 'asked the shop to resend' --data-dir {data_dir}\n"
            f"  crossdock partners add acme-retail --scopes messages:read "
            f"--data-dir {data_dir}   # then POST /oauth2/token for a token\n"
            f"  curl -s -H 'Authorization: Bearer TOKEN' {base}/v1/messages/{late[0]}\n"
            f"  curl -s {base}/metrics | grep crossdock_\n"
        )
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()
        return 0
    print(
        "   redeliver the WMS dead letter (same payload, same Idempotency-Key) and "
        "discard the bad shop order"
    )
    for dl in wms:
        response = await client.post(
            f"/v1/ops/dead-letters/{dl.id}/redeliver",
            headers={"X-Crossdock-Actor": "demo", **ops},
        )
        response.raise_for_status()
    for dl in bad:
        response = await client.post(
            f"/v1/ops/dead-letters/{dl.id}/discard",
            json={"reason": "quantity 'two': asked the shop to resend"},
            headers={"X-Crossdock-Actor": "demo", **ops},
        )
        response.raise_for_status()
    await _wait_settled(gateway, ids)
    await _print_table(gateway, ids, "after replay")
    received = receiver.received_on("/wms")
    keys = {r.idempotency_key for r in received}
    print(
        f"\nThe WMS saw {len(received)} request(s) carrying {len(keys)} distinct "
        "Idempotency-Key(s): retries reuse the key, so it applies each order once."
    )
    still_open = await gateway.journal.dead_letters(DeadLetterFilter(since=started))
    return 0 if not still_open else 1


async def run_demo(*, port: int, data_dir: str, once: bool) -> int:
    """Start a receiver and the gateway on the demo config, run the story, return an exit code."""
    config_dir = REPO / "config"
    async with running_receiver({"/erp": Ok(202), "/wms": Ok(202)}, port=0) as receiver:
        os.environ["CROSSDOCK_DEMO_RECEIVER"] = receiver.url
        settings = load_settings(
            config_dir=str(config_dir), data_dir=data_dir, port=port, poll_interval=0.2
        )
        gateway = Gateway(settings)
        server, task = await serve_in_loop(gateway)
        base = f"http://127.0.0.1:{port}"
        print(
            f"crossdock is running on {base} (journal: {settings.journal_path}); "
            f"demo receiver on {receiver.url}"
        )
        try:
            return await _scenario(gateway, receiver, base, once)
        finally:
            server.should_exit = True
            await task
