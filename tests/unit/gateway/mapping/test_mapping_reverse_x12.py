"""Reverse mappings (canonical -> X12 tree): the output functions, lint against the set
structure, example cases, and the base mappings read back by the inbound base mappings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

import contracts
from connectors.errors import MapError
from connectors.x12 import decode
from connectors.x12.encode import Envelope, encode
from gateway.mapping import (
    MappingFileError,
    canonical_input,
    lint_file,
    load_mapping,
    map_to_tree,
    run_examples,
    wire_tree,
)

Write = Callable[[str, str], Path]
BASE = Path(__file__).resolve().parents[4] / "mappings" / "_base"
EXAMPLES = BASE / "examples"


# -- functions -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("to_x12date(d)", {"d": "2026-11-22"}, "20261122"),
        ("to_x12date(d)", {"d": "2026-11-22T23:30:00-05:00"}, "20261122"),  # the date as written
        ("to_x12date(d)", {}, None),
        ("to_x12time(t)", {"t": "2026-11-22T14:05:09Z"}, "1405"),
        ("to_x12time(t)", {"t": "07:45"}, "0745"),
        ("to_x12time(t)", {}, None),
        ("to_implied(x, `2`)", {"x": "12.5"}, "1250"),
        ("to_implied(x, `2`)", {"x": "-3.10"}, "-310"),
        ("to_implied(x, `2`)", {"x": "0.125"}, "12"),  # half-even
        ("to_implied(x, `2`)", {"x": 7}, "700"),
        ("to_implied(x, `0`)", {"x": "2.5"}, "2"),
        ("to_implied(x, `2`)", {}, None),
        ("to_x12num(x)", {"x": "10.00"}, "10"),
        ("to_x12num(x)", {"x": "2.50"}, "2.5"),
        ("to_x12num(x)", {"x": "-0.0"}, "0"),
        ("to_x12num(x)", {"x": "1E+3"}, "1000"),
        ("to_x12num(x)", {"x": 3}, "3"),
        ("to_x12num(x)", {}, None),
    ],
)
def test_output_functions(
    evaluate: Callable[[str, Any], Any], expression: str, data: Any, expected: Any
) -> None:
    assert evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data", "words"),
    [
        ("to_x12date(d)", {"d": "22/11/2026"}, "not an ISO 8601"),
        ("to_x12time(t)", {"t": "2026-11-22"}, "a date has no time"),
        ("to_x12time(t)", {"t": "25:00"}, "not an ISO 8601 time"),
        ("to_implied(x, `2`)", {"x": "ten"}, "not a decimal"),
        ("to_x12num(x)", {"x": True}, "boolean"),
    ],
)
def test_output_functions_refuse_bad_input(
    evaluate: Callable[[str, Any], Any], expression: str, data: Any, words: str
) -> None:
    with pytest.raises(MapError, match=words):
        evaluate(expression, data)


# -- files, lint and examples --------------------------------------------------------------------
REVERSE = """
source: v1/order
target: x12/855
fields:
  BAK: {BAK01: "'00'", BAK02: "'AD'", BAK03: "po_number", BAK04: "to_x12date(order_date)"}
  PO1_loop:
    each: "lines"
    fields:
      PO1: {PO101: "to_string(line_number)", PO102: "to_x12num(quantity.value)"}
      ACK: [{ACK01: "'IA'"}]
"""


def test_a_reverse_mapping_file_compiles_and_lints_clean(write: Write) -> None:
    path = write("m.yaml", REVERSE)
    assert lint_file(path) == []
    mapping = load_mapping(path)
    tree = map_to_tree(mapping, canonical_input(mapping, ORDER))
    assert tree["BAK"]["BAK03"] == "PO-1"
    assert tree["PO1_loop"] == [{"PO1": {"PO101": "1", "PO102": "2"}, "ACK": [{"ACK01": "IA"}]}]


@pytest.mark.parametrize(
    ("bad", "line", "words"),
    [
        ("  BEG: {BEG01: \"'00'\"}\n", 10, ["'BEG' is not in the top level of an X12 855"]),
        ("  PO1: {PO101: \"'1'\"}\n", 10, ["'PO1' is not in the top level", "PO1_loop"]),
        ("  CTT: {CTT09: \"'1'\"}\n", 10, ["`CTT.CTT09`: CTT has 7 elements"]),
        ("  CTT: {CT01: \"'1'\"}\n", 10, ["`CTT.CT01`: expected an element of CTT"]),
        (
            "  N1_loop: [{N1: {N101: \"'BY'\"}, ACK: [{ACK01: \"'IA'\"}]}]\n",
            10,
            ["'ACK' is not in the N1 loop"],
        ),
    ],
)
def test_keys_the_set_cannot_have_are_lint_errors_with_their_line(
    write: Write, bad: str, line: int, words: list[str]
) -> None:
    findings = lint_file(write("m.yaml", REVERSE + bad))
    assert [(f.severity, f.check, f.line) for f in findings] == [("error", "target", line)]
    for word in words:
        assert word in findings[0].problem, findings[0].problem


def test_an_unknown_element_inside_a_loop_names_the_loop_path(write: Write) -> None:
    text = REVERSE.replace("PO102:", "PO126: \"'x'\", PO102:")
    (finding,) = lint_file(write("m.yaml", text))
    assert finding.line == 8
    assert "`PO1_loop[].PO1.PO126`: PO1 has 25 elements" in finding.problem


def test_a_source_that_is_no_contract_is_a_compile_error(write: Write) -> None:
    with pytest.raises(MappingFileError, match="`source` must be one of"):
        load_mapping(write("m.yaml", REVERSE.replace("v1/order", "v1/nope")))


ORDER = {
    "po_number": "PO-1",
    "order_date": "2026-11-22",
    "lines": [{"line_number": 1, "item": {"sku": "S"}, "quantity": {"value": "2", "uom": "EA"}}],
}


def _with_example(write: Write, mapping: str, document: Any, expected: Any) -> Path:
    write("in.json", json.dumps(document))
    write("out.json", json.dumps(expected))
    return write("m.yaml", mapping + "examples:\n  - {input: in.json, expected: out.json}\n")


def test_an_example_compares_what_the_partner_reads(write: Write) -> None:
    expected = {
        "BAK": {"BAK01": "00", "BAK02": "AD", "BAK03": "PO-1", "BAK04": "20261122"},
        "PO1_loop": [{"PO1": {"PO101": 1, "PO102": "2"}, "ACK": [{"ACK01": "IA"}]}],
    }  # PO101 as a number: the same element text once written
    (result,) = run_examples(load_mapping(_with_example(write, REVERSE, ORDER, expected)))
    assert result.ok, result.describe()


@pytest.mark.parametrize(
    ("document", "expected", "step", "words"),
    [
        ({**ORDER, "lines": []}, {}, "read", "not a valid v1/order"),
        ({**ORDER, "po_number": "PO*1"}, {}, "validate", "BAK.BAK03 contains the separator"),
        (ORDER, {"BAK": {"BAK03": "PO-2"}}, "compare", "differs"),
        (ORDER, {"BEG": {}}, "read", "not a writable 855"),
    ],
)
def test_example_failures_say_the_step(
    write: Write, document: Any, expected: Any, step: str, words: str
) -> None:
    (result,) = run_examples(load_mapping(_with_example(write, REVERSE, document, expected)))
    assert (result.ok, result.step) == (False, step)
    assert words in result.problem
    if step == "compare":
        assert '-    "BAK03": "PO-2"' in result.diff


# -- the base reverse mappings, read back by the inbound ones ------------------------------------
def _reverse(name: str, example: str) -> tuple[Any, dict[str, Any]]:
    mapping = load_mapping(BASE / name)
    document = json.loads((EXAMPLES / example).read_text())
    tree = map_to_tree(mapping, canonical_input(mapping, document))
    raw = encode(
        mapping.target.split("/")[1],  # type: ignore[union-attr]
        tree,
        envelope=Envelope(sender_id="ACME", receiver_id="NORTHWIND", at=_AT),
        interchange_control=17,
        group_control=17,
    )
    (xset,) = decode(raw)
    assert xset.accepted, [i.message for i in (*xset.issues, *xset.envelope_issues)]
    return document, xset.tree


_AT = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


def _contract(document_type: str, value: Any) -> Any:
    return msgspec.to_builtins(contracts.convert("v1", document_type, value))


def _same(document_type: str, a: Any, b: Any) -> bool:
    """Equal as documents: "3.10" and "3.1" are the same Decimal."""
    return contracts.convert("v1", document_type, a) == contracts.convert("v1", document_type, b)


# example 2 of each is lossy on purpose: the inbound 810 derives extended amounts the invoice did
# not state, and X12 has one level (T) for a pallet and a tare
@pytest.mark.parametrize("n", [1])
def test_810_round_trips_through_the_inbound_810_mapping(n: int) -> None:
    document, tree = _reverse("x12-810-from-invoice.yaml", f"x12-810-from-invoice-{n}.json")
    back = load_mapping(BASE / "x12-810-invoice.yaml").apply(tree)
    assert _same("invoice", back, document)


def _tracking(orders: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(packs: list[dict[str, Any]]) -> None:
        for pack in packs:
            if "tracking_number" in pack:
                found.append(pack["tracking_number"])
            walk(pack.get("packs", []))

    for order in orders:
        walk(order.get("packs", []))
    return found


@pytest.mark.parametrize("n", [1])
def test_856_round_trips_through_the_inbound_856_mapping(n: int) -> None:
    document, tree = _reverse("x12-856-from-shipment.yaml", f"x12-856-from-shipment-{n}.json")
    back = _contract("shipment", load_mapping(BASE / "x12-856-shipment.yaml").apply(tree))
    want = _contract("shipment", document)
    want.setdefault("references", {})["asn_number"] = want["shipment_id"]
    # pack tracking goes out as REF*2I, which the inbound mapping reads back
    assert _tracking(back["orders"]) == _tracking(want["orders"]) != []
    assert _same("shipment", back, want)


def test_855_is_read_back_as_an_acknowledgement_of_every_line() -> None:
    document, tree = _reverse("x12-855-from-order.yaml", "x12-855-from-order-1.json")
    ack = _contract("order_ack", load_mapping(BASE / "x12-855-order-ack.yaml").apply(tree))
    assert ack["po_number"] == document["po_number"]
    assert ack["status"] == "accepted"
    assert [(line["status"], line["quantity"]) for line in ack["lines"]] == [
        ("accepted", line["quantity"]) for line in document["lines"]
    ]
    assert ack["lines"][1]["scheduled_ship_date"] == "2026-11-26"


def test_180_lines_carry_disposition_and_reason_codes() -> None:
    _, tree = _reverse(
        "x12-180-from-return-authorization.yaml", "x12-180-from-return-authorization-1.json"
    )
    assert [(b["RDR"]["RDR01"], b["RDR"]["RDR02"]) for b in tree["BLI_loop"]] == [
        ("RA", "DA"),
        ("DI", "BC"),
    ]


def test_wire_tree_fills_hl_numbers_and_writes_numbers_as_text() -> None:
    tree = {
        "BSN": {"BSN01": "00", "BSN02": "A", "BSN03": "20261122", "BSN04": "1200"},
        "HL_loop": [
            {"HL": {"HL03": "S"}, "TD1": [{"TD102": 3}], "HL_loop": [{"HL": {"HL03": "O"}}]}
        ],
    }
    assert wire_tree("856", tree)["HL_loop"] == [
        {
            "HL": {"HL01": "1", "HL03": "S"},
            "TD1": [{"TD102": "3"}],
            "HL_loop": [{"HL": {"HL01": "2", "HL02": "1", "HL03": "O"}}],
        }
    ]


def test_180_round_trips_through_the_inbound_180_mapping_but_for_lossy_codes() -> None:
    document, tree = _reverse(
        "x12-180-from-return-authorization.yaml", "x12-180-from-return-authorization-1.json"
    )
    back = _contract(
        "return_authorization", load_mapping(BASE / "x12-180-return-authorization.yaml").apply(tree)
    )
    want = _contract("return_authorization", document)
    # RA (return with authorization) reads back as inspect: X12 has no "restock"; the inbound
    # 180 mapping keeps the parties it knows (buyer, seller...), not return_to
    want["lines"][0]["disposition"] = "inspect"
    want["parties"] = [p for p in want["parties"] if p["role"] != "return_to"]
    assert _same("return_authorization", back, want)
