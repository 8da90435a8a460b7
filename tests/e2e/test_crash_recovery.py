"""kill -9 mid-burst: every accepted message is still delivered, and completed exactly once.

A real ``crossdock serve`` process takes a burst of concurrent POSTs and is killed with SIGKILL
once about half were answered 202, while deliveries are in flight to a real (slow-ish) receiver.
A second process on the same data dir must finish everything: nothing accepted is lost, each
delivery completes once in the journal, and any request the receiver saw twice carries the same
Idempotency-Key (at-least-once on the wire, exactly-once with the key).
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from gateway.demo.receiver import Slow, running_receiver
from tests.support import OPS_SCOPES, auth_headers

from .support import Serve, order, query_journal, wait_until, write_config

BURST = 300
KILL_AFTER = BURST // 2
DESTINATION = "erp"


async def _burst(
    base_url: str, kill: Callable[[], None], auth: dict[str, str]
) -> tuple[dict[str, int], int]:
    """POST BURST orders at once; call ``kill()`` once KILL_AFTER were accepted.

    Returns ({message_id: n} for every 202, how many POSTs got no answer).
    """
    accepted: dict[str, int] = {}
    lost = 0
    killed = False
    limits = httpx.Limits(max_connections=48, max_keepalive_connections=48)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, limits=limits, headers=auth
    ) as client:

        async def post(n: int) -> None:
            nonlocal lost, killed
            try:
                response = await client.post(
                    "/v1/inbound/json",
                    content=msgspec.json.encode(order(n)),
                    headers={"Content-Type": "application/json"},
                )
            except httpx.TransportError:
                lost += 1  # no answer: maybe journaled, maybe not; never a promise
                return
            assert response.status_code == 202, response.text
            accepted[response.json()["message_id"]] = n
            if len(accepted) >= KILL_AFTER and not killed:
                killed = True
                kill()

        await asyncio.gather(*(post(n) for n in range(BURST)))
    return accepted, lost


@pytest.mark.slow
async def test_kill_9_mid_burst_loses_nothing_and_completes_each_delivery_once(
    tmp_path: Path, serve: Serve
) -> None:
    async with running_receiver(default=Slow(0.03)) as rx:
        config = write_config(
            tmp_path / "config",
            rx.url,
            destination=DESTINATION,
            timeout=1,  # lease = max(2, 2 * 1 + 5) = 7 s: in-flight work is retaken soon
            retry="{ initial_delay: 0.05, max_delay: 0.5, max_attempts: 10, max_age: 600 }",
        )
        data = tmp_path / "data"
        env = {"CROSSDOCK_POLL_INTERVAL": "0.1", "CROSSDOCK_LEASE_SECONDS": "2"}

        first = serve(config, data, **env)
        await first.wait_ready()
        accepted, lost = await _burst(first.url, first.kill, await auth_headers(data, "acme"))
        await asyncio.to_thread(first.proc.wait, 30)
        assert first.proc.returncode == -9
        seen_before_restart = len(rx.received)
        assert len(accepted) >= KILL_AFTER
        assert lost > 0, "the kill came after the burst: nothing was cut off"
        assert len(accepted) + lost == BURST

        second = serve(config, data, **env)
        await second.wait_ready()

        def all_delivered() -> bool:
            undelivered = query_journal(
                data,
                "SELECT (SELECT COUNT(*) FROM messages WHERE state != 'done')"
                " + (SELECT COUNT(*) FROM deliveries WHERE state != 'delivered')"
                " + (SELECT COUNT(*) FROM messages m WHERE NOT EXISTS"
                "    (SELECT 1 FROM deliveries d WHERE d.message_id = m.id))",
            )
            return undelivered[0][0] == 0

        await wait_until(all_delivered, timeout=60, what="every journaled message delivered")

        # -- the journal: nothing accepted is missing, each delivery completed once -------------
        journaled = {mid for (mid,) in query_journal(data, "SELECT id FROM messages")}
        missing = set(accepted) - journaled
        assert not missing, f"{len(missing)} messages answered 202 are not in the journal"
        unanswered = journaled - set(accepted)
        assert len(unanswered) <= lost

        deliveries = query_journal(
            data, "SELECT id, message_id, destination, idempotency_key, state FROM deliveries"
        )
        assert len(deliveries) == len(journaled)  # one route, one destination
        assert {m for _, m, _, _, _ in deliveries} == journaled
        for _, mid, dest, key, state in deliveries:
            assert (dest, key, state) == (DESTINATION, f"{mid}.{DESTINATION}", "delivered")

        attempts = collections.defaultdict(list)
        for delivery_id, outcome, number in query_journal(
            data, "SELECT delivery_id, outcome, number FROM attempts ORDER BY started_at, rowid"
        ):
            attempts[delivery_id].append((outcome, number))
        for delivery_id, _, _, _, _ in deliveries:
            outcomes = [outcome for outcome, _ in attempts[delivery_id]]
            assert outcomes.count("ok") == 1, (delivery_id, attempts[delivery_id])
            assert outcomes[-1] == "ok", (delivery_id, attempts[delivery_id])
        not_ok = sum(len(a) - 1 for a in attempts.values())

        # -- the API agrees -------------------------------------------------------------------
        ops = await auth_headers(data, "ops", OPS_SCOPES)
        async with httpx.AsyncClient(base_url=second.url, timeout=30, headers=ops) as client:
            sem = asyncio.Semaphore(16)

            async def status(mid: str) -> Any:
                async with sem:
                    response = await client.get(f"/v1/messages/{mid}")
                assert response.status_code == 200, response.text
                return response.json()

            for body in await asyncio.gather(*(status(mid) for mid in accepted)):
                assert body["state"] == "done", body
                got = [(d["destination"], d["state"]) for d in body["deliveries"]]
                assert got == [(DESTINATION, "delivered")], body

        # -- the receiver: every key arrived, duplicates are the same request -------------------
        by_key: dict[str, list[bytes]] = collections.defaultdict(list)
        for request in rx.received_on(f"/{DESTINATION}/"):
            assert request.idempotency_key is not None
            by_key[request.idempotency_key].append(request.body)
        expected_keys = {f"{mid}.{DESTINATION}" for mid in journaled}
        assert set(by_key) == expected_keys
        for mid, n in accepted.items():
            [first_body, *_] = by_key[f"{mid}.{DESTINATION}"]
            assert json.loads(first_body)["po_number"] == f"PO-{n}"
        duplicated = {k: bodies for k, bodies in by_key.items() if len(bodies) > 1}
        for key, bodies in duplicated.items():
            assert len(set(bodies)) == 1, f"{key}: a retry sent a different payload"
        extra_requests = sum(len(b) - 1 for b in duplicated.values())

        print(
            f"\ncrash recovery: {BURST} POSTs, {len(accepted)} answered 202, {lost} cut off by"
            f" kill -9; {len(unanswered)} journaled without an answer (also delivered);"
            f" receiver had {seen_before_restart} requests before the restart,"
            f" {len(rx.received)} in all for {len(by_key)} keys;"
            f" {len(duplicated)} keys seen more than once ({extra_requests} extra requests);"
            f" {not_ok} non-ok attempts journaled"
        )
