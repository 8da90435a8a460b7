"""Mapped+validated 850 orders/s: the mapping engine against a hand-written Python function.

Ours: ``mappings/_base/x12-850-order.yaml`` (the base 850 mapping the X12 connector will feed),
compiled once, applied to a decoded 850 tree with 50 PO1 lines, then ``contracts.convert`` into
a validated v1 ``Order``. Baseline: a hand-written Python function producing the same dict from
the same tree (checked equal before timing), then the same ``contracts.convert``. Both run in this
process, in alternating rounds, so the ratio is what to compare across machines.

The tree is the JSON shape of an X12 850 keyed by reference designators (defined here until the
X12 decoder lands): ``{"BEG": {"BEG03": ...}, "N1_loop": [{"N1": {...}, "N3": [...]}],
"PO1_loop": [{"PO1": {...}, "PID_loop": [...]}]}``; repeatable segments are always lists.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import contracts
from bench._harness import Result, median
from gateway.mapping import load_mapping

NAME = "mapping"
GOAL = 0.5
LINES = 50
ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "mappings" / "_base" / "x12-850-order.yaml"

_PRODUCTS = [
    ("ACM-COF-1KG", "00614141123452", "Coffee beans, dark roast, 1 kg", "CA", "86.40"),
    ("ACM-FLT-004", "00614141000036", "Filter papers #4, unbleached", "BX", "3.1250"),
    ("ACM-CUP-12", "00614141000043", "Paper cups 12 oz, sleeve of 50", "CS", "18.75"),
    ("ACM-SUG-STK", "00614141000050", "Sugar sticks, 1000 count", "EA", "21.10"),
    ("ACM-LID-12", "00614141000067", "Lids for 12 oz cups, sleeve", "PK", "9.95"),
]


def x12_850(lines: int = LINES) -> dict[str, Any]:
    """A decoded 850 as the X12 decoder will hand it over: reference designators, loops as lists."""
    po1_loop = []
    for i in range(lines):
        sku, gtin, text, uom, price = _PRODUCTS[i % len(_PRODUCTS)]
        line: dict[str, Any] = {
            "PO1": {
                "PO101": f"{i + 1:03d}",
                "PO102": str(5 + i % 40),
                "PO103": uom,
                "PO104": price,
                "PO105": "PE",
                "PO106": "VN",
                "PO107": sku,
                "PO108": "UK",
                "PO109": gtin,
            },
            "PID_loop": [{"PID": {"PID01": "F", "PID05": text}}],
        }
        if i % 10 == 0:
            line["DTM"] = [{"DTM01": "002", "DTM02": "20261201"}]
        po1_loop.append(line)
    return {
        "ST": {"ST01": "850", "ST02": "0001"},
        "BEG": {"BEG01": "00", "BEG02": "SA", "BEG03": "PO-4500012345", "BEG05": "20261120"},
        "CUR": {"CUR01": "BY", "CUR02": "USD"},
        "REF": [{"REF01": "DP", "REF02": "042"}, {"REF01": "IA", "REF02": "ACME01"}],
        "DTM": [
            {"DTM01": "010", "DTM02": "20261124"},
            {"DTM01": "002", "DTM02": "20261127"},
            {"DTM01": "001", "DTM02": "20261204"},
        ],
        "NTE": [{"NTE01": "GEN", "NTE02": "Deliver between 06:00 and 14:00"}],
        "N1_loop": [
            {"N1": {"N101": "BY", "N102": "Northwind Grocers", "N103": "1", "N104": "123456789"}},
            {"N1": {"N101": "SE", "N102": "Acme Distribution", "N103": "92", "N104": "ACME01"}},
            {
                "N1": {"N101": "ST", "N102": "Northwind DC 7", "N103": "92", "N104": "0007"},
                "N3": [{"N301": "4100 Commerce Pkwy", "N302": "Dock 12"}],
                "N4": [{"N401": "Columbus", "N402": "OH", "N403": "43219", "N404": "US"}],
                "PER": [{"PER01": "RE", "PER02": "Receiving", "PER03": "TE", "PER04": "+1-614"}],
            },
        ],
        "PO1_loop": po1_loop,
        "CTT_loop": [{"CTT": {"CTT01": str(lines)}}],
        "SE": {"SE01": str(12 + 3 * lines), "SE02": "0001"},
    }


# -- the hand-written baseline: what a developer would write for this one partner ----------------
_UOM = {"CA": "CS", "BX": "BX", "CS": "CS", "EA": "EA", "PK": "PK"}
_ROLE = {"BY": "buyer", "SE": "seller", "SO": "sold_to", "BT": "bill_to", "RI": "remit_to",
         "ST": "ship_to", "SF": "ship_from", "SU": "supplier", "VN": "supplier"}  # fmt: skip
_ORDER_TYPE = {"SA": "standard", "NE": "standard", "DS": "drop_ship", "BK": "blanket"}
_ID_FIELDS = {"VN": "sku", "UK": "gtin", "UP": "upc", "BP": "partner_item_id"}


def _date(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 69 else "19") + value
    return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()


def _dec(value: str) -> str:
    return format(Decimal(value), "f")


def _dtm(segments: list[dict[str, str]] | None, qualifier: str) -> str | None:
    for segment in segments or ():
        if segment.get("DTM01") == qualifier:
            return _date(segment.get("DTM02"))
    return None


def _party(loop: dict[str, Any]) -> dict[str, Any]:
    n1 = loop["N1"]
    party: dict[str, Any] = {"role": _ROLE[n1["N101"]]}
    if n1.get("N102"):
        party["name"] = n1["N102"]
    scheme = {"1": "duns", "UL": "gln", "92": "partner"}.get(n1.get("N103", ""))
    if scheme and n1.get("N104"):
        party["identifiers"] = {scheme: n1["N104"]}
    n4 = (loop.get("N4") or [None])[0]  # N4 repeats in the N1 loop: the decoder gives a list
    if n4:
        address: dict[str, Any] = {}
        lines = [v for n3 in loop.get("N3", ()) for v in (n3.get("N301"), n3.get("N302")) if v]
        if lines:
            address["lines"] = lines
        for key, element in (("city", "N401"), ("region", "N402"), ("postal_code", "N403")):
            if n4.get(element):
                address[key] = n4[element]
        address["country"] = n4.get("N404") or "US"
        party["address"] = address
    per = loop.get("PER")
    if per:
        contact = {"name": per[0].get("PER02")}
        if per[0].get("PER03") == "TE":
            contact["phone"] = per[0].get("PER04")
        elif per[0].get("PER03") == "EM":
            contact["email"] = per[0].get("PER04")
        party["contact"] = {k: v for k, v in contact.items() if v}
    return party


def hand_map(tree: dict[str, Any]) -> dict[str, Any]:
    """The base 850 mapping written out in Python for this tree shape."""
    beg, currency = tree["BEG"], (tree.get("CUR") or {}).get("CUR02") or "USD"
    order: dict[str, Any] = {"po_number": beg["BEG03"], "order_date": _date(beg["BEG05"])}
    if beg.get("BEG02") in _ORDER_TYPE:
        order["order_type"] = _ORDER_TYPE[beg["BEG02"]]
    order["currency"] = currency
    for key, qualifier in (
        ("requested_ship_date", "010"),
        ("requested_delivery_date", "002"),
        ("cancel_after", "001"),
    ):
        value = _dtm(tree.get("DTM"), qualifier)
        if value:
            order[key] = value
    notes = [n["NTE02"] for n in tree.get("NTE", ()) if n.get("NTE02")]
    if notes:
        order["notes"] = notes
    parties = [_party(loop) for loop in tree.get("N1_loop", ()) if loop["N1"]["N101"] in _ROLE]
    if parties:
        order["parties"] = parties
    lines = []
    for i, loop in enumerate(tree["PO1_loop"]):
        po1 = loop["PO1"]
        item: dict[str, Any] = {}
        pairs = ((po1.get("PO106"), po1.get("PO107")), (po1.get("PO108"), po1.get("PO109")))
        for qualifier, value in pairs:
            if qualifier in _ID_FIELDS and value:
                item[_ID_FIELDS[qualifier]] = value
        for pid in loop.get("PID_loop", ()):
            if pid["PID"].get("PID01") == "F":
                item["description"] = pid["PID"]["PID05"]
                break
        line: dict[str, Any] = {
            "line_number": i + 1,
            "partner_line_id": po1["PO101"],
            "item": item,
            "quantity": {"value": _dec(po1["PO102"]), "uom": _UOM[po1.get("PO103") or "EA"]},
        }
        if po1.get("PO104"):
            line["unit_price"] = {"amount": _dec(po1["PO104"]), "currency": currency}
        delivery = _dtm(loop.get("DTM"), "002")
        if delivery:
            line["requested_delivery_date"] = delivery
        lines.append(line)
    order["lines"] = lines
    return order


# -- measurement ---------------------------------------------------------------------------------
def _rate(fn: Callable[[Any], Any], doc: Any, seconds: float) -> float:
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(20):
            fn(doc)
        done += 20
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - started)


def _us(fn: Callable[[Any], Any], doc: Any, seconds: float) -> float:
    return 1e6 / _rate(fn, doc, seconds)


def run(quick: bool = False) -> list[Result]:
    seconds, rounds = (0.3, 1) if quick else (2.0, 5)
    mapping = load_mapping(MAPPING)
    doc = x12_850()

    def ours(tree: Any) -> Any:
        return contracts.convert("v1", "order", mapping.apply(tree))

    def hand(tree: Any) -> Any:
        return contracts.convert("v1", "order", hand_map(tree))

    if mapping.apply(doc) != hand_map(doc) or ours(doc) != hand(doc):
        raise AssertionError("the hand-written baseline and the mapping disagree")
    _rate(ours, doc, seconds / 4)  # warm-up
    _rate(hand, doc, seconds / 4)
    runs: dict[str, list[float]] = {"ours": [], "hand": []}
    for _ in range(rounds):
        runs["ours"].append(_rate(ours, doc, seconds))
        runs["hand"].append(_rate(hand, doc, seconds))
    split = seconds / 2
    apply_us = _us(mapping.apply, doc, split)
    hand_us = _us(hand_map, doc, split)
    mapped = mapping.apply(doc)
    convert_us = _us(lambda m: contracts.convert("v1", "order", m), mapped, split)
    return [
        Result(
            name=f"850 -> validated Order ({LINES} lines)",
            unit="docs/s",
            ours=median(runs["ours"]),
            baseline=median(runs["hand"]),
            baseline_name="hand-written Python + same convert",
            goal=GOAL,
            notes=[
                f"{rounds} x {seconds:.1f} s per side, alternating, median; one process",
                f"per document: mapping.apply {apply_us:.0f} us, hand_map {hand_us:.0f} us, "
                f"contracts.convert {convert_us:.0f} us (the same in both)",
                f"mapping only (apply vs hand_map): ratio {hand_us / apply_us:.2f}",
            ],
        )
    ]
