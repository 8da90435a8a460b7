"""Documented examples run as tests: every mapping file's ``examples:`` cases, one test per case
(named by file and case), mapped, validated against the contract and compared with the expected
JSON, exactly as ``crossdock mappings test`` runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from contracts.v1.order import Order
from gateway.mapping import (
    Example,
    Mapping,
    MappingFileError,
    load_mapping,
    mapping_files,
    run_examples,
)
from gateway.mapping._examples import run_example

Write = Callable[[str, str], Path]

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"


def _cases() -> list[tuple[Path, str]]:
    return [
        (path, example.name)
        for path in mapping_files(MAPPINGS)
        for example in load_mapping(path).examples
    ]


CASES = _cases()


def test_the_shipped_examples_are_collected() -> None:
    names = {(str(path.relative_to(MAPPINGS)), name) for path, name in CASES}
    assert ("demo-shop/order.yaml", "order-1") in names
    assert ("_base/x12-850-order.yaml", "three-lines") in names
    assert ("northwind/order.yaml", "order-1") in names


@pytest.mark.parametrize(
    ("path", "name"), CASES, ids=[f"{p.relative_to(MAPPINGS)}::{n}" for p, n in CASES]
)
def test_example_case(path: Path, name: str) -> None:
    mapping = load_mapping(path)
    [example] = [e for e in mapping.examples if e.name == name]
    result = run_example(mapping, example)
    assert result.ok, result.describe()


def test_demo_order_satisfies_the_order_contract() -> None:
    example = MAPPINGS / "demo-shop/examples/order-1.json"
    mapping = load_mapping(MAPPINGS / "demo-shop/order.yaml")
    order = msgspec.convert(mapping.apply(json.loads(example.read_text("utf-8"))), Order)
    assert order.po_number == "SO-1001"
    assert [line.quantity.uom for line in order.lines] == ["EA", "BX", "EA"]


def test_a_partner_file_inherits_the_base_and_overrides_a_few_fields() -> None:
    base = load_mapping(MAPPINGS / "_base/x12-850-order.yaml")
    partner = load_mapping(MAPPINGS / "northwind/order.yaml")
    doc = json.loads((MAPPINGS / "northwind/examples/order-1.json").read_text("utf-8"))
    from_base, from_partner = base.apply(doc), partner.apply(doc)
    assert from_base["cancel_after"] == "2026-11-30"
    assert "cancel_after" not in from_partner  # `cancel_after: ~` removes the base field
    assert from_base["order_type"] == "standard"
    assert from_partner["order_type"] == "replenishment"
    assert from_partner["lines"] == from_base["lines"]  # untouched fields come from the base
    assert len(partner.examples) == 1  # examples are the file's own, not inherited


# -- the runner itself ----------------------------------------------------------------------------
MAPPING = """
source: json
target: v1/order
examples:
  - input: in.json
    expected: out.json
fields:
  po_number: "po"
  order_date: "day"
  lines:
    each: "items"
    fields:
      line_number: "pos()"
      item: {sku: "sku"}
      quantity: {value: "dec(qty)", uom: {const: EA}}
"""
INPUT = {"po": "P1", "day": "2026-11-20", "items": [{"sku": "A", "qty": 2}]}
OUTPUT = {
    "po_number": "P1",
    "order_date": "2026-11-20",
    "lines": [{"line_number": 1, "item": {"sku": "A"}, "quantity": {"value": "2", "uom": "EA"}}],
}


def _mapping(write: Write, doc: object = INPUT, expected: object = OUTPUT) -> Mapping:
    write("in.json", json.dumps(doc))
    write("out.json", json.dumps(expected))
    return load_mapping(write("m.yaml", MAPPING))


def test_a_passing_case(write: Write) -> None:
    [result] = run_examples(_mapping(write))
    assert result.ok
    assert result.name == "in"
    assert result.line == 4


def test_key_order_does_not_matter(write: Write) -> None:
    [result] = run_examples(_mapping(write, expected=dict(reversed(OUTPUT.items()))))
    assert result.ok


def test_a_difference_is_a_readable_unified_diff(write: Write) -> None:
    wrong = json.loads(json.dumps(OUTPUT))
    wrong["lines"][0]["quantity"]["value"] = "3"
    [result] = run_examples(_mapping(write, expected=wrong))
    assert not result.ok
    assert result.step == "compare"
    assert '-        "value": "3"' in result.diff
    assert '+        "value": "2"' in result.diff
    assert result.diff.startswith("--- expected (out.json)\n+++ actual (mapped)\n")
    assert "m.yaml:4: example `in`: FAILED at compare" in result.describe()


def test_output_the_contract_refuses_fails_at_validate(write: Write) -> None:
    doc = {**INPUT, "day": "not a date"}
    [result] = run_examples(_mapping(write, doc=doc))
    assert not result.ok
    assert result.step == "validate"
    assert "order_date" in result.problem


def test_a_map_failure_and_a_missing_file(write: Write) -> None:
    doc = {**INPUT, "items": [{"sku": "A", "qty": "two"}]}
    [result] = run_examples(_mapping(write, doc=doc))
    assert (result.ok, result.step) == (False, "map")
    assert "lines[0].quantity.value" in result.problem
    mapping = _mapping(write)
    (mapping.path.parent / "out.json").unlink()
    [result] = run_examples(mapping)
    assert (result.ok, result.step) == (False, "read")


@pytest.mark.parametrize(
    ("examples", "problem"),
    [
        ("examples: in.json", "must be a list"),
        ("examples: [{input: in.json}]", "needs `input` and `expected`"),
        ("examples: [{input: a.json, expected: b.json, extra: 1}]", "needs `input` and `expected`"),
        (
            "examples: [{input: a.json, expected: b.json}, {input: a.json, expected: c.json}]",
            "two examples are named `a`",
        ),
    ],
)
def test_bad_examples_sections(write: Write, examples: str, problem: str) -> None:
    text = f"target: v1/order\n{examples}\nfields:\n  po_number: po\n"
    with pytest.raises(MappingFileError, match=problem) as caught:
        load_mapping(write("m.yaml", text))
    assert caught.value.line == 2


def test_a_case_can_say_when_its_input_was_received(write: Write) -> None:
    write("in.json", json.dumps(INPUT))
    write("out.json", json.dumps({**OUTPUT, "order_date": "2026-11-21"}))
    text = MAPPING.replace('order_date: "day"', 'order_date: "iso_date(received_at())"')
    text = text.replace(
        "expected: out.json", "expected: out.json\n    received_at: 2026-11-20T19:30:00-05:00"
    )
    mapping = load_mapping(write("m.yaml", text))
    [example] = mapping.examples
    assert example.received_at == 1795221000.0  # 2026-11-21T00:30:00Z: the UTC date is the 21st
    [result] = run_examples(mapping)
    assert result.ok, result.describe()


@pytest.mark.parametrize("value", ["yesterday", "2026-11-20T19:30:00", "[1, 2]"])
def test_a_received_at_needs_a_timestamp_with_an_offset(write: Write, value: str) -> None:
    text = f"examples: [{{input: a.json, expected: b.json, received_at: {value}}}]\nfields: {{}}\n"
    with pytest.raises(MappingFileError, match="ISO 8601 timestamp with an offset"):
        load_mapping(write("m.yaml", text))


def test_example_paths_are_relative_to_the_mapping_file(write: Write) -> None:
    path = write(
        "p/m.yaml", "examples: [{input: ex/a.json, expected: ex/a.out.json}]\nfields: {}\n"
    )
    [example] = load_mapping(path).examples
    assert isinstance(example, Example)
    assert example.input == path.parent / "ex" / "a.json"
    assert example.expected == path.parent / "ex" / "a.out.json"
