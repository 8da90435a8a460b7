"""The 180, 943, 944, 947, 846 and 812 base mappings, through decode + map + validate.

Real shared samples where they exist (943, 944, 812; read in place, never copied), our own
documents from tests/data/x12 (written from the public 4010 guides) for 180, 947 and 846.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import contracts
from connectors.errors import DecodeError
from connectors.x12 import X12Set, decode
from contracts.v1.inventory import InventoryAdjustment, InventorySnapshot
from contracts.v1.invoice import CreditMemo
from contracts.v1.return_authorization import ReturnAuthorization
from contracts.v1.warehouse import WarehouseShipment
from gateway.mapping import (
    DocumentMapError,
    DryRunError,
    MappingRegistry,
    dry_run,
    lint_file,
    load_mapping,
    read_sample,
)

ROOT = Path(__file__).resolve().parents[4]
BASE = ROOT / "mappings" / "_base"
DATA = ROOT / "tests" / "data" / "x12"
X12 = ROOT.parent / "shared" / "samples" / "x12"
needs_samples = pytest.mark.skipif(not X12.is_dir(), reason=f"no shared X12 samples at {X12}")


def _set(path: Path) -> X12Set:
    (xset,) = decode(path.read_bytes())
    return xset


def _map(mapping: str, tree: Any) -> Any:
    loaded = load_mapping(BASE / mapping)
    _, _, document_type = (loaded.target or "").partition("/")
    return contracts.convert("v1", document_type, loaded.apply(tree))


@needs_samples
def test_943_sample_is_a_warehouse_shipment_to_the_warehouse() -> None:
    xset = _set(X12 / "943" / "stupidedi_943.edi")
    assert xset.accepted
    shipment = _map("x12-943-transfer-shipment.yaml", xset.tree)
    assert isinstance(shipment, WarehouseShipment)
    assert (shipment.warehouse_order_number, shipment.ship_date) == (
        "DO12345",
        dt.date(2026, 7, 14),
    )
    assert (shipment.carrier, shipment.service_level) == ("SCAC", "RTE")
    (line,) = shipment.lines
    assert (line.item.sku, line.quantity_shipped.value, line.quantity_shipped.uom) == (
        "ITEM123",
        Decimal(100),
        "EA",
    )
    assert [(str(p.role), p.name) for p in shipment.parties] == [("warehouse", "ACME WAREHOUSE")]


@needs_samples
def test_944_sample_is_an_increase_by_transfer_and_keeps_a_non_gtin_uk_id() -> None:
    xset = _set(X12 / "944" / "stupidedi_944.edi")
    assert xset.accepted
    receipt = _map("x12-944-transfer-receipt.yaml", xset.tree)
    assert isinstance(receipt, InventoryAdjustment)
    assert receipt.adjustment_id == "WR12345"
    assert receipt.occurred_at == dt.datetime(2026, 7, 14, tzinfo=dt.UTC)
    (line,) = receipt.lines
    # W0704 says UK (GTIN-14) but ITEM123 is not a GTIN: kept as the partner's id, not dropped
    assert (line.item.gtin, line.item.partner_item_id) == (None, "ITEM123")
    assert (str(line.direction), str(line.reason), str(line.status)) == (
        "increase",
        "transfer",
        "available",
    )
    assert (line.quantity.value, line.lot_number) == (Decimal(100), "LOT456")
    assert receipt.references is not None and receipt.references.order_number == "DO12345"


@needs_samples
def test_812_sample_is_rejected_for_its_envelope_but_its_set_maps() -> None:
    xset = _set(X12 / "812" / "machete_812_cs_1.edi")
    assert not xset.accepted  # IEA02 000000025 is not ISA13 000003438: never mapped in the gateway
    assert [i.code for i in xset.envelope_issues] == ["iea02"]
    memo = _map("x12-812-credit-memo.yaml", xset.tree)  # the ST..SE content is well-formed
    assert isinstance(memo, CreditMemo)
    assert memo.total.amount == Decimal("18005.15")  # BCD04 1800515, 2 implied decimals
    assert (memo.original_invoice_number, str(memo.reason)) == ("D8778ND", "pricing_adjustment")
    (line,) = memo.lines
    assert line.amount.amount == Decimal("19793249.06")
    assert line.quantity is None  # CDD08 "01" is no unit uom.yaml knows: quantity left out


def test_180_document_maps_dispositions_and_reasons_and_drops_the_denied_line() -> None:
    rma = _map("x12-180-return-authorization.yaml", _set(DATA / "rma_180.edi").tree)
    assert isinstance(rma, ReturnAuthorization)
    assert (rma.rma_number, rma.issued_date, rma.expires_on) == (
        "RMA-77120",
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
    )
    assert [(ln.item.sku, str(ln.reason), str(ln.disposition)) for ln in rma.lines] == [
        ("SKU-1001", "damaged", "inspect"),  # RDR RA/DA on the line
        ("SKU-2002", "expired", "destroy"),  # SD short-dated / SD ship for disposal
        ("SKU-3003", "damaged", "inspect"),  # no RDR: the header's RA/DA
    ]  # SKU-4004 is RD (request denied): not authorized, not listed
    assert rma.lines[0].notes == ("Crushed cartons",)
    assert rma.lines[1].serial_numbers == ("SN-0001", "SN-0002")
    assert rma.lines[0].unit_credit is not None and rma.lines[0].unit_credit.amount == Decimal(
        "12.50"
    )


def test_947_document_signs_directions_from_w1902_and_the_reason_code() -> None:
    adj = _map("x12-947-inventory-adjustment.yaml", _set(DATA / "adjustment_947.edi").tree)
    assert isinstance(adj, InventoryAdjustment)
    assert adj.occurred_at == dt.datetime(2026, 11, 5, 14, 30, tzinfo=dt.UTC)
    assert [
        (
            ln.item.sku,
            ln.quantity.value,
            str(ln.direction),
            str(ln.reason),
            ln.status and str(ln.status),
        )
        for ln in adj.lines
    ] == [
        ("SKU-1001", Decimal(3), "decrease", "cycle_count", None),  # W1902 -3
        ("SKU-2002", Decimal(2), "decrease", "damaged", "damaged"),  # AU implies a decrease
        ("SKU-3003", Decimal(10), "increase", "quality_release", "available"),
    ]
    assert (adj.lines[0].location, adj.lines[0].lot_number) == ("A-01-03", "LOT-A")


def test_846_document_takes_on_hand_from_17_and_falls_back_to_33() -> None:
    snap = _map("x12-846-inventory-snapshot.yaml", _set(DATA / "inventory_846.edi").tree)
    assert isinstance(snap, InventorySnapshot)
    assert snap.as_of == dt.datetime(2026, 11, 6, 6, 0, tzinfo=dt.UTC)
    got = [
        (ln.item.sku, ln.on_hand.value, ln.available and ln.available.value) for ln in snap.lines
    ]
    assert got == [
        ("SKU-1001", Decimal(120), Decimal(95)),
        ("SKU-2002", Decimal(0), Decimal(0)),  # only QTY*33: on hand is what is available
        ("SKU-3003", Decimal(40), None),
    ]


def test_812_debit_adjustment_is_refused_at_total_rather_than_booked_as_a_credit() -> None:
    tree = _set(DATA / "credit_memo_812.edi").tree
    tree["BCD"]["BCD05"] = "D"
    mapped = load_mapping(BASE / "x12-812-credit-memo.yaml").apply(tree)
    assert "total" not in mapped
    with pytest.raises(Exception, match="total"):
        contracts.convert("v1", "credit_memo", mapped)


def test_947_line_without_a_quantity_names_the_field_and_line() -> None:
    tree = _set(DATA / "adjustment_947.edi").tree
    del tree["W19_loop"][1]["W19"]["W1902"]
    with pytest.raises(DocumentMapError) as caught:
        load_mapping(BASE / "x12-947-inventory-adjustment.yaml").apply(tree)
    assert caught.value.path == "lines[1].quantity.value"


# -- X12 files as example inputs and in dry runs ---------------------------------------------------
def _partner_dir(tmp_path: Path) -> Path:
    root = tmp_path / "mappings"
    for folder in ("_base", "_codelists"):
        shutil.copytree(BASE.parent / folder, root / folder)
    (root / "acme-3pl").mkdir()
    (root / "acme-3pl" / "x12.944.yaml").write_text(
        "extends: ../_base/x12-944-transfer-receipt.yaml\n"
    )
    return root


def test_an_edi_file_is_read_as_its_sets_tree() -> None:
    tree = read_sample(DATA / "rma_180.edi")
    assert tree["BGN"]["BGN02"] == "RMA-77120"


def test_an_edi_example_with_two_sets_or_a_rejected_set_is_a_read_error(tmp_path: Path) -> None:
    raw = (DATA / "rma_180.edi").read_text()
    head, rest = raw.split("ST*180", 1)
    body, tail = ("ST*180" + rest).split("GE*1*180", 1)
    two = tmp_path / "two.edi"
    two.write_text(head + body + body.replace("0001", "0002") + "GE*2*180" + tail)
    with pytest.raises(DecodeError, match="one transaction set expected, the interchange has 2"):
        read_sample(two)
    bad = tmp_path / "bad.edi"
    bad.write_text(raw.replace("IEA*1*000000180", "IEA*1*000000181"))
    with pytest.raises(DecodeError, match="IEA02") as caught:
        read_sample(bad)
    assert caught.value.code == "iea02"


def test_dry_run_maps_an_x12_set_through_the_partner_file(tmp_path: Path) -> None:
    registry = MappingRegistry(_partner_dir(tmp_path))
    raw = (DATA / "transfer_receipt_944.edi").read_bytes()
    result = dry_run(registry, "acme-3pl", "x12.944", raw)
    assert (result.mapping, result.contract) == ("acme-3pl/x12.944.yaml", "v1/inventory_adjustment")
    assert json.loads(result.canonical)["adjustment_id"] == "WR-3001"


def test_dry_run_of_a_rejected_x12_set_fails_at_decode_with_the_position(tmp_path: Path) -> None:
    registry = MappingRegistry(_partner_dir(tmp_path))
    raw = (DATA / "transfer_receipt_944.edi").read_text().replace("SE*10*0001", "SE*11*0001")
    with pytest.raises(DryRunError) as caught:
        dry_run(registry, "acme-3pl", "x12.944", raw.encode())
    detail = caught.value.as_dict()
    assert (caught.value.stage, detail["code"]) == ("decode", "se01")
    assert "SE01" in detail["message"] and "segment 12" in detail["message"]


def test_lint_points_a_top_level_segment_read_inside_a_loop_to_root(tmp_path: Path) -> None:
    root = _partner_dir(tmp_path)
    partner = root / "acme-3pl" / "x12.944.yaml"
    partner.write_text(
        partner.read_text() + 'fields:\n  references:\n    shipment_id: "W07_loop[0].W17.W1705"\n'
    )
    [finding] = [f for f in lint_file(partner) if f.check == "source"]
    assert (finding.line, finding.severity) == (4, "error")
    assert "`W17` is at the top of the set: read it with root().W17" in finding.problem
