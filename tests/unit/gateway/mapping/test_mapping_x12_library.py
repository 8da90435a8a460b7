"""The X12 base mappings (mappings/_base/x12-*.yaml) on the real X12 samples.

Every real sample of a supported set in ../shared/samples/x12 is read as bytes, decoded with the
X12 connector, and each set the reader accepted is mapped through the base mapping and validated
into the contract; sets the reader rejected are asserted as rejected (and why), never mapped. The
samples live outside the repo and are never copied into it: without the folder these tests skip.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import contracts
from connectors.x12 import X12Set, decode
from contracts.v1.carrier_event import CarrierEvent, CarrierStatus
from contracts.v1.invoice import AllowanceChargeKind, Invoice
from contracts.v1.order import AckStatus, LineAckStatus, OrderAck
from contracts.v1.shipment import Pack, PackLevel, Shipment
from contracts.v1.warehouse import WarehouseOrder
from gateway.mapping import load_mapping

ROOT = Path(__file__).resolve().parents[4]
BASE = ROOT / "mappings" / "_base"
SAMPLES = ROOT.parent / "shared" / "samples"
X12 = SAMPLES / "x12"

needs_samples = pytest.mark.skipif(
    not X12.is_dir(), reason=f"the shared X12 samples are not at {X12}"
)


def _sets(relative: str) -> list[X12Set]:
    return decode((X12 / relative).read_bytes())


def _map(mapping: str, document_type: str, tree: Any) -> Any:
    mapped = load_mapping(BASE / mapping).apply(tree)
    return contracts.convert("v1", document_type, mapped)


def _accepted(relative: str, set_id: str) -> list[X12Set]:
    sets = [s for s in _sets(relative) if s.set_id == set_id]
    assert sets, f"{relative}: no {set_id} set"
    assert all(s.accepted for s in sets), [i.message for s in sets for i in s.issues]
    return sets


def _depth(packs: tuple[Pack, ...]) -> int:
    return max((1 + _depth(p.packs) for p in packs), default=0)


def _pack_items(pack: Pack) -> list[Any]:
    return list(pack.items) + [i for child in pack.packs for i in _pack_items(child)]


# --- 856 -> shipment ------------------------------------------------------------------------


@needs_samples
def test_856_nodex12_sample_maps_s_o_i_with_loose_items() -> None:
    (one,) = _accepted("856/nodex12_856.edi", "856")
    shipment = _map("x12-856-shipment.yaml", "shipment", one.tree)
    assert isinstance(shipment, Shipment)
    assert shipment.shipment_id == "829716"
    assert shipment.ship_date == dt.date(2011, 12, 6)
    assert shipment.bol_number == "999999-001"
    assert shipment.pro_number == "5787970539"
    assert shipment.package_count == 2
    assert shipment.total_weight is not None and shipment.total_weight.value == Decimal("60.310")
    (order,) = shipment.orders
    assert order.po_number == "99999817"
    assert order.order_date == dt.date(2011, 12, 5)
    assert order.packs == ()  # S/O/I: no packs, the items sit on the order
    assert [(i.item.sku, i.item.upc, i.quantity.value) for i in order.items] == [
        ("87787D", "999999310145", Decimal(24)),
        ("99887D", "999999311746", Decimal(6)),
    ]
    assert [i.item.description for i in order.items] == ["BLUE WIDGET", "RED WIDGET"]


@needs_samples
def test_856_crossdock_sample_maps_s_o_p_i_into_packs_per_order() -> None:
    (one,) = _accepted("856/edieng_856_crossdock.edi", "856")
    shipment = _map("x12-856-shipment.yaml", "shipment", one.tree)
    assert isinstance(shipment, Shipment)
    assert shipment.shipment_id == "000009"
    assert shipment.bol_number == "000001"
    assert shipment.pro_number == "0000000008741"
    assert shipment.carrier == "OVNT"
    assert shipment.estimated_delivery_date == dt.date(2009, 9, 25)
    assert [o.po_number for o in shipment.orders] == ["POREF00", "POREF01"]
    assert [o.references and o.references.invoice_number for o in shipment.orders] == [
        "0000021",
        "0000022",
    ]
    first, second = shipment.orders
    assert len(first.packs) == 4 and len(second.packs) == 1
    for order in shipment.orders:
        assert order.items == ()
        assert _depth(order.packs) == 1
        for pack in order.packs:
            assert pack.level is PackLevel.CARTON
            (item,) = pack.items
            assert item.quantity.value == Decimal(12)
            assert item.item.gtin is not None
    # MAN*GM carries 20 digits (AI 00 + SSCC-18): sscc() keeps the 18 after the AI
    assert [[p.sscc for p in o.packs] for o in shipment.orders] == [
        [
            "000715670002152360",
            "000715670002152377",
            "000715670002152384",
            "000715670002152391",
        ],
        ["000715670002152111"],
    ]
    assert first.packs[0].weight is not None and first.packs[0].weight.value == Decimal(6)
    assert sum(len(_pack_items(p)) for o in shipment.orders for p in o.packs) == 5


@needs_samples
def test_856_sample_with_a_bad_terminator_is_rejected_by_the_reader() -> None:
    (one,) = _sets("856/stupidedi_856_fail_dollar_term.edi")
    assert not one.accepted
    assert any("line break before its terminator" in i.message for i in one.issues)


def test_856_example_nests_tare_carton_items_three_levels() -> None:
    import json

    tree = json.loads((BASE / "examples" / "x12-856-shipment-1.json").read_text("utf-8"))
    shipment = _map("x12-856-shipment.yaml", "shipment", tree)
    assert isinstance(shipment, Shipment)
    first = shipment.orders[0]
    assert _depth(first.packs) == 2
    (tare,) = first.packs
    assert tare.level is PackLevel.TARE and tare.sscc == "106141410000000018"
    assert [p.sscc for p in tare.packs] == ["106141410000000025", "106141410000000032"]
    assert [i.quantity.value for i in _pack_items(tare)] == [Decimal(12), Decimal(24)]


def test_856_example_cuts_the_ai_00_off_a_20_digit_sscc() -> None:
    import json

    tree = json.loads((BASE / "examples" / "x12-856-shipment-3.json").read_text("utf-8"))
    shipment = _map("x12-856-shipment.yaml", "shipment", tree)
    assert isinstance(shipment, Shipment)
    (tare,) = shipment.orders[0].packs
    assert tare.sscc == "006141417770000013"  # MAN*GM*00006141417770000013
    # "(00)" + 18 digits, then a 20-digit value behind AI 01: not an SSCC, so none
    assert [p.sscc for p in tare.packs] == ["106141417770000027", None]
    assert tare.packs[1].tracking_number == "1Z999AA10123456808"


# --- 810 -> invoice -------------------------------------------------------------------------

_SIMPLE_810 = [
    ("A99999-01", dt.date(1997, 12, 11), [16, 13, 32, 51, 9, 85, 1]),
    ("A99999-04", dt.date(1997, 12, 15), [50, 100]),
]


@needs_samples
@pytest.mark.parametrize("sample", ["810/staedi_simple810.edi", "810/staedi_810_850_dual.edi"])
def test_810_samples_map_every_invoice(sample: str) -> None:
    sets = _sets(sample)
    invoices = [s for s in sets if s.set_id == "810"]
    assert len(invoices) == 2 and all(s.accepted for s in invoices)
    for one, (po, day, quantities) in zip(invoices, _SIMPLE_810, strict=True):
        invoice = _map("x12-810-invoice.yaml", "invoice", one.tree)
        assert isinstance(invoice, Invoice)
        assert invoice.invoice_number == "00001"
        assert invoice.po_number == po
        assert invoice.invoice_date == day
        assert invoice.currency == "USD"
        assert [int(line.quantity.value) for line in invoice.lines] == quantities
        assert {line.unit_price.amount for line in invoice.lines} == {Decimal("12.34")}
        assert all(line.item.gtin and line.quantity.uom == "CS" for line in invoice.lines)
        assert invoice.totals.total.amount == Decimal("2554.38")  # TDS*255438, implied 2 places
        assert {p.role for p in invoice.parties} == {"ship_to", "bill_to", "remit_to"}
        assert invoice.terms is not None and invoice.terms.discount_days == 15


@needs_samples
def test_810_dual_sample_rejects_its_850_for_a_syntax_note() -> None:
    (po,) = [s for s in _sets("810/staedi_810_850_dual.edi") if s.set_id == "850"]
    assert not po.accepted
    assert any(i.code == "syntax_note" and i.segment_id == "N1" for i in po.issues)


def test_810_example_allowances_and_charges() -> None:
    import json

    tree = json.loads((BASE / "examples" / "x12-810-invoice-1.json").read_text("utf-8"))
    invoice = _map("x12-810-invoice.yaml", "invoice", tree)
    assert isinstance(invoice, Invoice)
    assert [(a.kind, a.amount.amount) for a in invoice.allowances_charges] == [
        (AllowanceChargeKind.CHARGE, Decimal("25.00")),
        (AllowanceChargeKind.ALLOWANCE, Decimal("10.20")),
    ]
    assert invoice.totals.total.amount == Decimal("140.20")


# --- 214 -> carrier event -------------------------------------------------------------------


@needs_samples
def test_214_sample_maps_to_a_delivered_event() -> None:
    (one,) = _accepted("214/edinet_214.edi", "214")
    event = _map("x12-214-carrier-event.yaml", "carrier_event", one.tree)
    assert isinstance(event, CarrierEvent)
    assert event.tracking_number == "1751807"
    assert event.references is not None and event.references.shipment_id == "75027674"
    assert event.status is CarrierStatus.DELIVERED
    assert (event.carrier_code, event.carrier_reason) == ("D1", "NS")
    # AT707 LT: local time at the MS1 location (Vermont, Eastern time, summer)
    assert event.occurred_at == dt.datetime(2016, 7, 26, 16, 30, tzinfo=dt.UTC)
    assert event.location is not None and event.location.city == "BRATTLEBORO"


@needs_samples
@pytest.mark.parametrize(
    ("at701", "at702", "status"),
    [
        ("ZZ", "NS", CarrierStatus.UNKNOWN),  # unknown code: flows as unknown, raw code kept
        ("X6", "AO", CarrierStatus.DELAYED),  # a listed reason refines the status
        ("D1", "A1", CarrierStatus.DELIVERED),  # ...but never overrides a delivery
    ],
)
def test_214_status_combines_at701_and_at702(at701: str, at702: str, status: str) -> None:
    (one,) = _accepted("214/edinet_214.edi", "214")
    tree = copy.deepcopy(one.tree)
    tree["LX_loop"][-1]["AT7_loop"][-1]["AT7"].update(AT701=at701, AT702=at702)
    event = _map("x12-214-carrier-event.yaml", "carrier_event", tree)
    assert isinstance(event, CarrierEvent)
    assert (event.status, event.carrier_code, event.carrier_reason) == (status, at701, at702)


# --- 855 -> order acknowledgement ------------------------------------------------------------


@needs_samples
def test_855_sample_maps_line_statuses() -> None:
    (one,) = _accepted("855/nodex12_855.edi", "855")
    ack = _map("x12-855-order-ack.yaml", "order_ack", one.tree)
    assert isinstance(ack, OrderAck)
    assert ack.po_number == "POTEST1112"
    assert ack.ack_date == dt.date(2020, 10, 15)
    assert ack.status is AckStatus.ACCEPTED  # BAK02 AD, as the seller sent it
    assert [(line.line_number, line.status) for line in ack.lines] == [
        (1, LineAckStatus.ACCEPTED),
        (2, LineAckStatus.REJECTED),
        (3, LineAckStatus.REJECTED),
        (4, LineAckStatus.ACCEPTED),
    ]
    assert [line.quantity and line.quantity.value for line in ack.lines] == [
        Decimal(3),
        Decimal(0),
        Decimal(0),
        Decimal(2),
    ]
    assert ack.lines[0].item is not None and ack.lines[0].item.gtin == "9780446360265"


# --- 940 -> warehouse order, 945 -> warehouse shipment ----------------------------------------


@needs_samples
def test_940_sample_maps_three_lines() -> None:
    (one,) = _accepted("940/edieng_940_ok.edi", "940")
    order = _map("x12-940-warehouse-order.yaml", "warehouse_order", one.tree)
    assert isinstance(order, WarehouseOrder)
    assert order.warehouse_order_number == "538686"
    assert order.requested_ship_date == dt.date(2000, 2, 4)
    assert order.requested_delivery_date == dt.date(2000, 2, 7)
    # no G62*04 (order date) in the sample: the contract's required order_date falls back to
    # the requested ship date
    assert order.order_date == order.requested_ship_date
    assert order.carrier == "MTEN"
    assert [
        (ln.item.sku, ln.item.upc, ln.quantity.value, ln.quantity.uom) for ln in order.lines
    ] == [
        ("000100", "000100000010", Decimal(12), "CS"),
        ("000200", "000000000220", Decimal(32), "CS"),
        ("000300", "000000000330", Decimal(12), "CS"),
    ]
    assert {p.role for p in order.parties} == {"ship_to", "warehouse"}
    assert order.notes == ("SHIP ON CHEP PALLETS",)


@needs_samples
def test_945_sample_is_rejected_by_the_reader_and_not_mapped() -> None:
    (one,) = _sets("945/x12types_945_rs_1.edi")
    assert one.set_id == "945" and not one.accepted
    messages = [i.message for i in one.issues]
    assert any(
        "SE01 (number of included segments)" in m and "expected '16', found '12'" in m
        for m in messages
    )
    assert any("syntax note R0203" in m and "N102, N103" in m for m in messages)
