"""X12 destinations end to end: a canonical order POSTed to the gateway reaches a real receiver
on 127.0.0.1 as an 855 (a shipment, an invoice and a return authorization as an 856, 810 and
180) that our reader accepts with zero issues and pyx12 reads without an envelope error; a
retried delivery sends the very same interchange (control numbers, date)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import httpx
import pytest
import yaml

from connectors.x12 import decode_with_summaries
from gateway.config import ConfigError, load_config
from gateway.demo.receiver import FailThenOk, Ok, running_receiver
from gateway.journal import DeadLetterFilter
from gateway.journal.x12_control import SqliteX12Control
from tests.support import GatewayAuth, eventually, order, post_json, running_gateway, write_config

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = {"initial_delay": 0.05, "max_delay": 0.2, "max_attempts": 4, "max_age": 60}
ACME_X12 = {
    "sender_id": "CROSSDOCK",
    "sender_qualifier": "ZZ",
    "receiver_id": "ACMEEDI",
    "receiver_qualifier": "01",
    "usage": "T",
    "ack": "none",
    "ta1": "never",
    "separators": {"element": "*", "component": ">", "segment": "~", "repetition": "^"},
}


def _setup(tmp_path: Path, url: str, **x12: object) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(REPO / "mappings" / "_base", mappings / "_base")
    shutil.copytree(REPO / "mappings" / "_codelists", mappings / "_codelists")
    spec = {"partner": "acme", "mapping": "_base/x12-855-from-order.yaml", **x12}
    cfg = write_config(tmp_path, {"acme-edi": {"url": url, "retry": FAST_RETRY, "x12": spec}})
    (cfg / "partners.yaml").write_text(
        yaml.safe_dump([{"name": "acme", "x12": ACME_X12}, {"name": "shop"}])
    )


async def _delivered(gw, message_id: str) -> bool:  # type: ignore[no-untyped-def]
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "delivered" for d in ds)


def _pyx12_errors(raw: bytes) -> list[tuple[object, ...]]:
    x12file = pytest.importorskip("pyx12.x12file")
    reader = x12file.X12Reader(io.StringIO(raw.decode()))
    ids = [seg.get_seg_id() for seg in reader]
    assert ids[0] == "ISA" and ids[-1] == "IEA"
    return list(reader.pop_errors())


async def test_an_order_is_delivered_as_an_855_and_a_retry_resends_it_unchanged(
    tmp_path: Path,
) -> None:
    async with running_receiver({"/edi": FailThenOk(n=1, status=503)}) as rx:
        _setup(tmp_path, f"{rx.url}/edi")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order("PO-855", qty="3"))
            await eventually(lambda: _delivered(gw, mid))
            first, second = rx.received_on("/edi")
            # the retry is the same interchange: same bytes, so the same ISA13/GS06/ST02
            assert first.body == second.body
            assert first.headers["content-type"] == "application/edi-x12"
            raw = second.body
            sets, summaries = decode_with_summaries(raw)
            (xset,) = sets
            assert xset.set_id == "855"
            assert xset.issues == [] and xset.envelope_issues == []
            assert all(s.issues == [] for s in summaries)
            header = summaries[0].header
            assert (header.sender_id, header.receiver_id) == ("CROSSDOCK", "ACMEEDI")
            assert (header.receiver_qualifier, header.usage) == ("01", "T")
            assert xset.tree["BAK"]["BAK03"] == "PO-855"
            assert xset.tree["PO1_loop"][0]["ACK"] == [{"ACK01": "IA", "ACK02": "3", "ACK03": "EA"}]
            assert _pyx12_errors(raw) == []
            # the interchange is in the outbound register, waiting for the partner's 997
            control = SqliteX12Control(gw.journal)
            sent = await control.get("acme", header.control_number)
            assert sent is not None and sent.kind == "855" and sent.message_id == mid
            assert sent.groups[0].functional_id == "PR"
            assert sent.groups[0].sets[0].control_number == xset.control_number
            assert await control.last_allocated("acme", "isa") == int(header.control_number)


async def test_each_delivery_takes_the_next_control_numbers(tmp_path: Path) -> None:
    async with running_receiver({"/edi": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/edi", version="00501", newline=True)
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            one = await post_json(client, base, order("PO-1"))
            await eventually(lambda: _delivered(gw, one))
            two = await post_json(client, base, order("PO-2"))
            await eventually(lambda: _delivered(gw, two))
            bodies = [r.body for r in rx.received_on("/edi")]
            numbers = []
            for raw in bodies:
                assert b"~\n" in raw
                (xset,), (summary,) = decode_with_summaries(raw)
                assert xset.accepted and summary.header.version == "00501"
                assert summary.groups[0].header.version == "005010"
                numbers.append(int(summary.header.control_number))
                assert _pyx12_errors(raw) == []
            assert numbers[1] == numbers[0] + 1


async def test_a_value_the_855_cannot_carry_is_a_dead_letter_naming_it(tmp_path: Path) -> None:
    async with running_receiver({"/edi": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/edi")
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, order("PO*WITH*STARS"))

            async def dead() -> bool:
                ds = await gw.journal.deliveries(mid)
                return bool(ds) and ds[0].state == "dead"

            await eventually(dead)
            [dl] = await gw.journal.dead_letters(DeadLetterFilter(destination="acme-edi"))
            assert dl.code == "x12_bad_value"
            assert "BAK.BAK03" in dl.error and "separator '*'" in dl.error
            assert rx.received_on("/edi") == []


def test_the_loader_refuses_an_x12_destination_that_cannot_work(tmp_path: Path) -> None:
    _setup(tmp_path, "http://127.0.0.1:9/edi", mapping="_base/x12-850-order.yaml")
    cfg = tmp_path / "config"
    (cfg / "partners.yaml").write_text(yaml.safe_dump([{"name": "acme"}, {"name": "shop"}]))
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    text = str(caught.value)
    assert "needs x12.sender_id" in text
    assert "needs a reverse mapping" in text


# -- 856, 810 and 180 travel the same way: a canonical document in, the set at the receiver ------
OUTBOUND = [
    # (document type, reverse mapping, example document, set id, GS01, where its number lands)
    ("shipment", "x12-856-from-shipment", "ASN-2611-0042", "856", "SH", ("BSN", "BSN02")),
    ("invoice", "x12-810-from-invoice", "INV-30311", "810", "IN", ("BIG", "BIG02")),
    (
        "return_authorization",
        "x12-180-from-return-authorization",
        "RMA-26-00417",
        "180",
        "AN",
        ("BGN", "BGN02"),
    ),
]


@pytest.mark.parametrize(
    ("document_type", "mapping", "number", "set_id", "functional_id", "where"),
    OUTBOUND,
    ids=[o[3] for o in OUTBOUND],
)
async def test_a_canonical_document_is_delivered_as_its_x12_set(
    tmp_path: Path,
    document_type: str,
    mapping: str,
    number: str,
    set_id: str,
    functional_id: str,
    where: tuple[str, str],
) -> None:
    example = REPO / "mappings" / "_base" / "examples" / f"{mapping}-1.json"
    expected = json.loads(example.with_name(f"{mapping}-1.expected.json").read_text())
    async with running_receiver({"/edi": Ok()}) as rx:
        _setup(tmp_path, f"{rx.url}/edi", mapping=f"_base/{mapping}.yaml")
        channel = {"name": "json", "partner": "acme", "document_type": document_type}
        (tmp_path / "config" / "channels.yaml").write_text(yaml.safe_dump([channel]))
        async with (
            running_gateway(tmp_path) as (gw, base),
            httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
        ):
            mid = await post_json(client, base, json.loads(example.read_text()))
            await eventually(lambda: _delivered(gw, mid))
            [received] = rx.received_on("/edi")
            raw = received.body
            sets, summaries = decode_with_summaries(raw)
            (xset,) = sets
            assert xset.set_id == set_id
            assert xset.issues == [] and xset.envelope_issues == []
            assert all(s.issues == [] for s in summaries)
            assert summaries[0].groups[0].header.functional_id == functional_id
            segment, element = where
            assert xset.tree[segment][element] == number
            # what went out is what the mapping's own example says it writes, ST..SE
            assert {k: v for k, v in xset.tree.items() if k not in ("ST", "SE")} == {
                k: v for k, v in expected.items() if k not in ("ST", "SE")
            }
            assert _pyx12_errors(raw) == []
            sent = await SqliteX12Control(gw.journal).get(
                "acme", summaries[0].header.control_number
            )
            assert sent is not None and sent.kind == set_id and sent.message_id == mid
