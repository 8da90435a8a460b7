"""997/999/TA1 going back to partners, and their 997/999 reconciled, through the real HTTP door.

A real gateway on 127.0.0.1 and a real receiver standing in for the partner's AS2/VAN endpoint:
the acknowledgement is journaled with the acceptance, delivered by the delivery worker as X12
bytes (``application/edi-x12``) and judged by pyx12's 997.4010 / 999.5010 maps. Control numbers
are durable per partner across a restart. A partner's 997/999 (the shared samples) updates the
state of the outbound interchange it answers, visible at ``GET /v1/ops/x12/interchanges``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from connectors.x12 import Reader, Segment
from gateway.demo.receiver import Ok, running_receiver
from gateway.journal import DeadLetterFilter
from gateway.journal.x12_control import SentGroup, SentSet
from gateway.runtime import Gateway
from gateway.x12_acks import control_for
from tests.pyx12_check import pyx12_errors, widened_maps
from tests.support import SAMPLES, GatewayAuth, eventually, running_gateway, write_config

X12 = SAMPLES / "x12"
CHANNELS = [{"name": "edi", "partner": "acme", "format": "x12", "duplicate_window": 0}]

pytestmark = pytest.mark.skipif(not X12.is_dir(), reason=f"shared samples not found at {X12}")


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return widened_maps(tmp_path_factory.mktemp("pyx12-maps"))


def _setup(root: Path, acks_url: str, **x12: Any) -> None:
    write_config(root, {"erp": {"url": acks_url}, "acme-as2": {"url": acks_url}}, CHANNELS)
    cfg = root / "config"
    partner = {"name": "acme", "x12": {"ack_destination": "acme-as2", **x12}}
    (cfg / "partners.yaml").write_text(yaml.safe_dump([partner, {"name": "shop"}]))
    # canonical documents go to the ERP only; acknowledgements travel on their own delivery
    (cfg / "routes.yaml").write_text(yaml.safe_dump([{"name": "erp", "destinations": ["erp"]}]))


async def _post(client: httpx.AsyncClient, base: str, body: bytes) -> httpx.Response:
    headers = {"content-type": "application/edi-x12"}
    return await client.post(f"{base}/v1/inbound/edi", content=body, headers=headers)


def _segments(text: str) -> list[Segment]:
    return [s for s in Reader(text.encode()) if isinstance(s, Segment)]


async def _delivered(gw: Gateway, message_id: str) -> bool:
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "delivered" for d in ds)


async def test_997_goes_to_the_partner_as_x12_and_is_valid(tmp_path: Path, maps: Path) -> None:
    raw = (X12 / "850" / "edieng_850_ok.edi").read_bytes()
    async with running_receiver({"/in": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/in", ack="997")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, raw)
            assert response.status_code == 202, response.text
            [ack] = response.json()["acknowledgements"]
            assert (ack["kind"], ack["isa13"], ack["destination"]) == (
                "997",
                "000000001",
                "acme-as2",
            )
            await eventually(lambda: _delivered(gw, ack["message_id"]))
            [got] = [r for r in rx.received_on("/in") if r.body.startswith(b"ISA")]
            assert got.headers["content-type"] == "application/edi-x12"
            text = got.body.decode()
            assert pyx12_errors(text, "997", maps) == [], text
            seg = {s.id: s for s in _segments(text)}
            # sender and receiver swapped, the inbound group echoed (AK1 + GS08), set accepted
            assert seg["ISA"].get(6).strip() == "123456789012345"
            assert seg["ISA"].get(8).strip() == "ABCDEFGHIJKLMNO"
            assert (seg["AK1"].get(1), seg["AK1"].get(2)) == ("PO", "1421")
            assert seg["GS"].get(8) == "004010"
            assert seg["AK5"].get(1) == "A"
            stored = await gw.journal.get_message(ack["message_id"])
            assert stored is not None
            assert (stored.document_type, stored.content_type) == (
                "x12_ack",
                "application/edi-x12",
            )
            listing = await client.get(f"{base}/v1/ops/x12/interchanges")
            assert listing.status_code == 200, listing.text
            [entry] = listing.json()["items"]
            assert (entry["isa13"], entry["kind"], entry["state"]) == (
                "000000001",
                "997",
                "not_expected",
            )
            assert entry["groups"][0]["functional_id"] == "FA"


async def test_999_with_ctx_and_numbers_survive_a_restart(tmp_path: Path, maps: Path) -> None:
    bad = (X12 / "850" / "edieng_850_syntaxnotes_err.edi").read_bytes()
    good = (X12 / "850" / "edieng_850_ok.edi").read_bytes()
    async with running_receiver({"/in": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/in", ack="999", ta1="always")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, bad)
            assert response.status_code == 202, response.text
            [ack] = response.json()["acknowledgements"]
            assert (ack["kind"], ack["isa13"], ack["ta1"]) == ("999", "000000001", "A")
            await eventually(lambda: _delivered(gw, ack["message_id"]))
            [got] = [r for r in rx.received_on("/in") if r.body.startswith(b"ISA")]
            text = got.body.decode()
            assert pyx12_errors(text, "999", maps) == [], text
            ids = [s.id for s in _segments(text)]
            assert ids[:3] == ["ISA", "TA1", "GS"]
            assert ids.count("IK3") == 2
            assert ids.count("CTX") == 4  # business unit after each IK3, trigger after each IK4
            first = (await gw.journal.get_message(ack["message_id"])).canonical  # type: ignore[union-attr]
        # a restart: the journal is the only memory; numbering goes on from where it was
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, good)
            [ack2] = response.json()["acknowledgements"]
            assert ack2["isa13"] == "000000002"
            control = control_for(gw.journal)
            assert await control.last_allocated("acme", "gs") == 2
            stored = await gw.journal.get_message(ack["message_id"])
            assert stored is not None and stored.canonical == first


async def test_ta1_for_a_broken_interchange_and_nothing_when_off(tmp_path: Path) -> None:
    broken = (X12 / "940" / "edieng_ctrl_mismatch.edi").read_bytes()
    async with running_receiver({"/in": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/in", ack="997", ta1="on_error")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, broken)
            assert response.status_code == 202, response.text
            [ack] = response.json()["acknowledgements"]
            assert (ack["kind"], ack["ta1"]) == ("TA1", "R")
            await eventually(lambda: _delivered(gw, ack["message_id"]))
            [got] = [r for r in rx.received_on("/in") if r.body.startswith(b"ISA")]
            [ta1] = [s for s in _segments(got.body.decode()) if s.id == "TA1"]
            assert (ta1.get(1), ta1.get(4), ta1.get(5)) == ("000003438", "R", "001")

    async with running_receiver({"/in": Ok()}) as rx:
        root = tmp_path / "off"
        _setup(root, f"{rx.url}/in", ack="none", ta1="never")
        async with (
            running_gateway(root) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            response = await _post(client, base, (X12 / "850" / "edieng_850_ok.edi").read_bytes())
            assert response.status_code == 202
            assert "acknowledgements" not in response.json()
            assert await control_for(gw.journal).interchanges() == []


async def _sent(gw: Gateway, isa13: str, gs06: str, sets: list[str], *, sent_at: float) -> None:
    """What the X12-outbound side records when it sends acme an interchange."""
    await control_for(gw.journal).record_outbound(
        "acme",
        isa13,
        kind="837",
        groups=[
            SentGroup(
                functional_id="HC",
                control_number=gs06,
                version="005010X222",
                sets=[SentSet(set_id="837", control_number=st02) for st02 in sets],
            )
        ],
        message_id=f"out-{isa13}",
        sent_at=sent_at,
        ack_overdue_after=3600,
    )


async def test_inbound_997_and_999_reconcile_what_we_sent(tmp_path: Path) -> None:
    async with running_receiver({"/in": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/in", ack="997")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            now = time.time()
            await _sent(gw, "000000100", "1", ["0021"], sent_at=now - 60)
            await _sent(gw, "000000101", "17456", ["0001", "0002", "0003"], sent_at=now - 50)
            await _sent(gw, "000000102", "999", ["0001"], sent_at=now - 7200)  # never acked

            async def state(isa13: str) -> str:
                found = await control_for(gw.journal).get("acme", isa13)
                assert found is not None
                return found.state

            for sample in ("997/staedi_simple997.edi", "999/staedi_simple999.edi"):
                response = await _post(client, base, (X12 / sample).read_bytes())
                assert response.status_code == 202, response.text
                assert "acknowledgements" not in response.json()  # acks are never acked
            await eventually(lambda: _is(state("000000100"), "rejected"))
            await eventually(lambda: _is(state("000000101"), "accepted_with_errors"))
            reconciled = await control_for(gw.journal).get("acme", "000000101")
            assert reconciled is not None
            [group] = reconciled.groups
            assert group.ack_code == "P"
            assert [(s.control_number, s.state) for s in group.sets] == [
                ("0001", "accepted"),
                ("0002", "rejected"),
                ("0003", "rejected"),
            ]
            assert group.sets[1].errors[0]["segment"] == "CLM"
            assert group.sets[1].errors[0]["context"] == [["CLM01:123456789"]]

            listing = await client.get(
                f"{base}/v1/ops/x12/interchanges", params={"state": "overdue"}
            )
            assert [i["isa13"] for i in listing.json()["items"]] == ["000000102"]
            listing = await client.get(
                f"{base}/v1/ops/x12/interchanges", params={"state": "rejected", "partner": "acme"}
            )
            assert [i["isa13"] for i in listing.json()["items"]] == ["000000100"]
            overdue = await control_for(gw.journal).overdue(time.time())
            assert [i.isa13 for i in overdue] == ["000000102"]

            url = f"{base}/v1/ops/x12/interchanges"
            page = (await client.get(url, params={"limit": 2})).json()
            rest = (await client.get(url, params={"before": page["next_before"]})).json()
            assert [i["isa13"] for i in page["items"] + rest["items"]] == [
                "000000101",
                "000000100",
                "000000102",
            ]
            assert rest["next_before"] is None
            refused = await client.get(url, params={"before": "yesterday"})
            assert refused.status_code == 400
            assert refused.json()["code"] == "invalid_query"


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)


@pytest.mark.parametrize(
    ("sample", "code", "where"),
    [
        ("997/staedi_invalid997.edi", "bad_code", "AK1 AK101"),
        ("997/staedi_extra_delim997.edi", "element_repeated", "AK3 AK302"),
    ],
)
async def test_an_invalid_997_is_dead_lettered_with_the_reason(
    tmp_path: Path, sample: str, code: str, where: str
) -> None:
    async with running_receiver({"/in": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/in", ack="997")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            await _sent(gw, "000000100", "1", ["0021"], sent_at=time.time())
            response = await _post(client, base, (X12 / sample).read_bytes())
            assert response.status_code == 202, response.text
            [entry] = response.json()["messages"]
            assert entry["status"] == "rejected"
            [dead] = await eventually(
                lambda: gw.journal.dead_letters(DeadLetterFilter(partner="acme"))
            )
            assert (dead.stage, dead.code) == ("decode", code)
            assert where in dead.error
            found = await control_for(gw.journal).get("acme", "000000100")
            assert found is not None and found.state == "pending"  # nothing applied
