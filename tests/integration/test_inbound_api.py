"""Inbound HTTP: what is accepted, what is refused (problem+json); refusals write nothing."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
import pytest

from gateway.demo.receiver import Ok, Reject, running_receiver
from gateway.journal import DeadLetterFilter
from gateway.logs import configure_logging
from tests.support import (
    SAMPLES,
    GatewayAuth,
    eventually,
    order,
    post_json,
    running_gateway,
    write_config,
)


async def _count_messages(gw) -> int:  # type: ignore[no-untyped-def]
    stats = await gw.journal.stats()
    return int(stats.messages_pending)


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert str(body["type"]).endswith(code)
    assert body["title"]
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    ("sample", "status", "code"),
    [
        ("jsonts_n_number_NaN.json", 400, "json_malformed"),
        ("jsonts_n_object_trailing_comma.json", 400, "json_malformed"),
        # RFC 8259 allows duplicate names; the last value wins and the body is accepted
        ("jsonts_y_object_duplicated_key.json", 202, None),
        # implementation-defined: we strip a UTF-8 BOM (some Windows ERPs send one)
        ("jsonts_i_structure_UTF-8_BOM_empty_object.json", 202, None),
    ],
)
async def test_malformed_json_samples(
    tmp_path: Path, sample: str, status: int, code: str | None
) -> None:
    raw = (SAMPLES / "malformed" / sample).read_bytes()
    write_config(tmp_path, {})
    async with running_gateway(tmp_path, workers_enabled=False) as (gw, base):
        async with httpx.AsyncClient(auth=GatewayAuth(gw)) as client:
            r = await client.post(
                f"{base}/v1/inbound/json", content=raw, headers={"content-type": "application/json"}
            )
        if code is None:
            assert r.status_code == 202
            message = await gw.journal.get_message(r.json()["message_id"])
            assert message is not None
            assert message.raw == raw  # exact bytes, BOM and all
        else:
            body = _problem(r, status, code)
            assert body["partner"] == "acme"
            assert body["stage"] == "accept"
            assert "byte" in str(body["position"])
            assert await _count_messages(gw) == 0


async def test_refusals_name_the_problem_and_write_nothing(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with running_gateway(tmp_path, workers_enabled=False) as (gw, base):
        async with httpx.AsyncClient(auth=GatewayAuth(gw)) as client:
            unknown = await client.post(f"{base}/v1/inbound/nope", json=order())
            body = _problem(unknown, 404, "unknown_channel")
            assert "nope" in str(body["detail"])

            wrong_type = await client.post(
                f"{base}/v1/inbound/json", content=b"<order/>", headers={"content-type": "text/xml"}
            )
            body = _problem(wrong_type, 415, "unsupported_media_type")
            assert "text/xml" in str(body["detail"])

            big = json.dumps({**order(), "notes": ["x" * 5000]}).encode()
            too_large = await client.post(
                f"{base}/v1/inbound/json", content=big, headers={"content-type": "application/json"}
            )
            body = _problem(too_large, 413, "body_too_large")
            assert "4096" in str(body["detail"])

            empty = await client.post(
                f"{base}/v1/inbound/json", content=b"", headers={"content-type": "application/json"}
            )
            _problem(empty, 400, "json_empty")

            missing = await client.get(f"{base}/v1/messages/01NOPE")
            _problem(missing, 404, "unknown_message")
        assert await _count_messages(gw) == 0


async def test_app_wide_body_limit_is_problem_json(tmp_path: Path) -> None:
    write_config(tmp_path, {}, channels=[{"name": "json", "partner": "acme"}])
    async with running_gateway(tmp_path, workers_enabled=False, max_body_bytes=1000) as (gw, base):
        async with httpx.AsyncClient(auth=GatewayAuth(gw)) as client:
            r = await client.post(
                f"{base}/v1/inbound/json",
                content=b"[" + b"1," * 2000 + b"1]",
                headers={"content-type": "application/json"},
            )
        _problem(r, 413, "body_too_large")
        assert await _count_messages(gw) == 0


async def test_accept_answers_202_with_status_url_and_trace(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with running_gateway(tmp_path, workers_enabled=False) as (_gw, base):
        trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        async with httpx.AsyncClient(auth=GatewayAuth(_gw)) as client:
            r = await client.post(
                f"{base}/v1/inbound/json",
                json=order(),
                headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
            )
            assert r.status_code == 202
            body = r.json()
            assert r.headers["location"] == body["status_url"]
            assert body["trace_id"] == trace
            status = (await client.get(f"{base}{body['status_url']}")).json()
            assert status["state"] == "received"
            assert status["trace_id"] == trace
            assert [e["stage"] for e in status["events"]] == ["accept"]


async def test_contract_violation_dead_letters_at_validate_with_path(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        bad = order()
        bad["lines"][0]["line_number"] = "2"  # a string for an int is not coerced
        mid = await post_json(client, base, bad)
        dead = await eventually(lambda: gw.journal.dead_letters(DeadLetterFilter(stage="validate")))
        assert dead[0].message_id == mid
        assert dead[0].code == "contract_violation"
        assert "$.lines[0].line_number" in dead[0].error
        listed = (
            await client.get(f"{base}/v1/ops/dead-letters?stage=validate&partner=acme")
        ).json()
        assert [i["message_id"] for i in listed["items"]] == [mid]
        assert (await client.get(f"{base}/v1/ops/dead-letters?partner=shop")).json()["items"] == []


MAPPING_BROKEN = """
source: json
target: v1/order
fields:
  po_number: {value: "order.number", required: true}
  order_date: "iso_date(order.created)"
  lines:
    each: "order.items"
    fields:
      line_number: "pos()"
      item: {sku: "sku"}
      quantity: {value: "dec(qty)", uom: {const: EA}}
"""


async def test_reprocess_after_mapping_fix(tmp_path: Path) -> None:
    async with running_receiver({"/erp": Ok()}) as rx:
        channels = [{"name": "shop", "partner": "shop", "mapping": "shop/order.yaml"}]
        (tmp_path / "mappings" / "shop").mkdir(parents=True)
        mapping = tmp_path / "mappings" / "shop" / "order.yaml"
        mapping.write_text(MAPPING_BROKEN)  # reads order.created; the shop sends created_at
        write_config(tmp_path, {"erp": {"url": f"{rx.url}/erp"}}, channels=channels)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            shop = {
                "order": {
                    "number": "SO-9",
                    "created_at": "2026-11-20T10:00:00Z",
                    "items": [{"sku": "A", "qty": 2}],
                }
            }
            mid = await post_json(client, base, shop, channel="shop")
            [dl] = await eventually(lambda: gw.journal.dead_letters(DeadLetterFilter()))
            assert dl.stage == "validate"  # order_date missing -> the contract says required
            assert "order_date" in dl.error
            mapping.write_text(MAPPING_BROKEN.replace("order.created)", "order.created_at)"))
            r = await client.post(f"{base}/v1/ops/dead-letters/{dl.id}/reprocess")
            assert r.status_code == 200, r.text
            await eventually(lambda: len(rx.received_on("/erp")) == 1)
            sent = json.loads(rx.received_on("/erp")[0].body)
            assert sent["order_date"] == "2026-11-20"
            assert sent["lines"][0]["quantity"] == {"value": "2", "uom": "EA"}
            message = await gw.journal.get_message(mid)
            assert message is not None
            assert message.state == "done"


async def test_metrics_health_and_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-token-value"
    monkeypatch.setenv("ERP_TOKEN", secret)
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    try:
        async with running_receiver({"/erp": Reject(status=401)}) as rx:
            spec = {
                "url": f"{rx.url}/erp",
                "secret_headers": {"Authorization": {"env": "ERP_TOKEN"}},
            }
            write_config(tmp_path, {"erp": spec})
            async with (
                running_gateway(tmp_path) as (gw, base),
                httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
            ):
                assert (await client.get(f"{base}/healthz")).json() == {"status": "ok"}
                ready = await client.get(f"{base}/readyz")
                assert ready.status_code == 200
                r = await client.post(f"{base}/v1/inbound/json", json=order())
                mid, trace = r.json()["message_id"], r.json()["trace_id"]
                await eventually(lambda: gw.journal.dead_letters(DeadLetterFilter()))
                assert rx.received_on("/erp")[0].headers["authorization"] == secret
                text = (await client.get(f"{base}/metrics")).text
                assert 'crossdock_accepted_total{channel="json"} 1.0' in text
                assert 'crossdock_messages_total{outcome="ok",stage="validate"} 1.0' in text
                assert 'crossdock_messages_total{outcome="error",stage="deliver"} 1.0' in text
                assert "crossdock_dead_letters_open 1.0" in text
                assert 'crossdock_queue_depth{queue="deliver"} 0.0' in text
                latency = (
                    'crossdock_delivery_latency_seconds_count{destination="erp",outcome="fatal"}'
                )
                assert f"{latency} 1.0" in text
    finally:
        logging.getLogger("crossdock").handlers.clear()
        logging.getLogger("crossdock").propagate = True
        logging.getLogger("uvicorn.error").handlers.clear()
        logging.getLogger("uvicorn.error").propagate = True
    output = stream.getvalue()
    assert secret not in output
    lines = [json.loads(line) for line in output.splitlines()]
    dead = [x for x in lines if x["msg"] == "dead-lettered delivery"]
    assert dead, output
    assert dead[0]["message_id"] == mid
    assert dead[0]["trace_id"] == trace
    assert dead[0]["destination"] == "erp"
    assert dead[0]["code"] == "http_401"
    assert dead[0]["level"] == "warning"
