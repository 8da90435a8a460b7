"""997/999/TA1 going back to partners, and their 997/999 reconciled, through the real HTTP door.

A real gateway on 127.0.0.1 and a real receiver standing in for the partner's AS2/VAN endpoint:
the acknowledgement is journaled with the acceptance, delivered by the delivery worker as X12
bytes (``application/edi-x12``) and judged by pyx12's 997.4010 / 999.5010 maps. Control numbers
are durable per partner across a restart. A partner's 997/999 (the shared samples) updates the
state of the outbound interchange it answers, visible at ``GET /v1/ops/x12/interchanges``, and so
does a TA1 posted alone (``ISA TA1 IEA``) about an interchange we sent through a real receiver.
"""

from __future__ import annotations

import logging
import shutil
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
from tests.support import (
    SAMPLES,
    GatewayAuth,
    eventually,
    order,
    post_json,
    running_gateway,
    write_config,
)

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


# -- a partner's TA1 about what we sent ------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
OUR_ID, THEIR_ID = "CROSSDOCK", "ACMEEDI"


def _setup_outbound(root: Path, url: str) -> None:
    """acme gets 855s from us on ``acme-edi`` and posts its X12 (TA1s included) to ``edi``."""
    mappings = root / "mappings"
    shutil.copytree(REPO / "mappings" / "_base", mappings / "_base")
    shutil.copytree(REPO / "mappings" / "_codelists", mappings / "_codelists")
    x12_out = {"partner": "acme", "mapping": "_base/x12-855-from-order.yaml"}
    channels = [
        {"name": "json", "partner": "acme", "document_type": "order"},
        {"name": "edi", "partner": "acme", "format": "x12", "duplicate_window": 0},
    ]
    write_config(
        root, {"acme-edi": {"url": f"{url}/edi", "x12": x12_out}, "acme-as2": {"url": f"{url}/in"}}
    )
    cfg = root / "config"
    (cfg / "channels.yaml").write_text(yaml.safe_dump(channels))
    (cfg / "routes.yaml").write_text(
        yaml.safe_dump([{"name": "out", "destinations": ["acme-edi"]}])
    )
    settings = {
        "sender_id": OUR_ID,
        "receiver_id": THEIR_ID,
        "receiver_qualifier": "01",
        "ack": "997",
        "ta1": "always",  # even so, their TA1 gets no TA1 back
        "ack_destination": "acme-as2",
    }
    (cfg / "partners.yaml").write_text(
        yaml.safe_dump([{"name": "acme", "x12": settings}, {"name": "shop"}])
    )


def _their_ta1(ours: str, code: str, note: str, *, control: str, sender: str = THEIR_ID) -> bytes:
    """ISA, TA1, IEA from the partner (ISA05/06) to us (ISA07/08): what a VAN relays."""
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*01*{sender:<15}*ZZ*{OUR_ID:<15}*261122*0305*U*00401*"
        f"{control}*0*P*>~"
    )
    return f"{isa}TA1*{ours}*261122*0300*{code}*{note}~IEA*0*{control}~".encode()


async def test_a_partners_ta1_updates_the_interchange_we_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="crossdock.pipeline")
    async with running_receiver({"/edi": Ok(), "/in": Ok()}) as rx:
        _setup_outbound(tmp_path, rx.url)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            sent = []
            for po in ("PO-TA1-R", "PO-TA1-A"):  # two 855s out through the real receiver
                mid = await post_json(client, base, order(po))
                await eventually(lambda mid=mid: _delivered(gw, mid))
                isa = _segments(rx.received_on("/edi")[-1].body.decode())[0]
                sent.append(isa.get(13))
            rejected, accepted = sent
            await control_for(gw.journal).record_outbound(  # shop's: not acme's to answer
                "shop", "000000555", kind="855", groups=[], message_id="shop-out"
            )
            bodies = {
                "rejected": _their_ta1(rejected, "R", "022", control="000000801"),
                "accepted": _their_ta1(accepted, "A", "000", control="000000802"),
                "unknown": _their_ta1("000000777", "R", "001", control="000000803"),
                "shop": _their_ta1("000000555", "R", "001", control="000000804"),
                "stranger": _their_ta1(accepted, "R", "001", control="000000805", sender="OTHER"),
            }
            ta1_messages = {}
            for name, body in bodies.items():
                response = await _post(client, base, body)
                assert response.status_code == 202, response.text
                [entry] = response.json()["messages"]  # journaled, not refused as empty
                assert (entry["set_id"], entry["status"]) == ("TA1", "accepted")
                assert "acknowledgements" not in response.json()  # a TA1 is never acked
                ta1_messages[name] = entry["message_id"]

            async def done(name: str) -> bool:
                m = await gw.journal.get_message(ta1_messages[name])
                return m is not None and m.state == "done"

            for name in bodies:
                await eventually(lambda name=name: done(name))
            listing = await client.get(
                f"{base}/v1/ops/x12/interchanges", params={"partner": "acme"}
            )
            assert listing.status_code == 200, listing.text
            items = {i["isa13"]: i for i in listing.json()["items"]}
            assert set(items) == {rejected, accepted}  # the TA1s themselves are not in it
            r, a = items[rejected], items[accepted]
            assert (r["state"], r["ta1_code"], r["ack_message_id"]) == (
                "rejected",
                "R",
                ta1_messages["rejected"],
            )
            assert (r["ta1"]["note"], r["ta1"]["date"], r["ta1"]["time"]) == (
                "022",
                "261122",
                "0300",
            )
            # the envelope is accepted; the 855 itself still waits for acme's 997
            assert (a["state"], a["ta1_code"], a["ta1"]["code"]) == ("pending", "A", "A")
            assert a["ta1"]["message_id"] == ta1_messages["accepted"]
            shop = await control_for(gw.journal).get("shop", "000000555")
            assert shop is not None and (shop.state, shop.ta1_code) == ("pending", None)

            for name, reason in (
                ("unknown", "no interchange 000000777 was sent to acme"),
                ("shop", "no interchange 000000555 was sent to acme"),
                ("stranger", "this TA1 comes from 01:OTHER to ZZ:CROSSDOCK"),
            ):
                events = await gw.journal.events(ta1_messages[name])
                [step] = [e for e in events if e.stage == "reconcile"]
                assert (step.outcome, step.code) == ("skipped", "unmatched_ack")
                assert reason in step.detail["unmatched"][0]["reason"]
            warned = {
                (r.partner, r.control_number)  # type: ignore[attr-defined]
                for r in caplog.records
                if r.name == "crossdock.pipeline" and r.levelno == logging.WARNING
            }
            assert warned >= {("acme", "000000777"), ("acme", "000000555"), ("acme", accepted)}
            assert rx.received_on("/in") == []  # nothing went back to acme
