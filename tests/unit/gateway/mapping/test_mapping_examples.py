"""Documented examples run as tests: every mappings/**/examples/<doctype>-N.json input must map
to its <doctype>-N.expected.json, with the mapping file <doctype>.yaml beside examples/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest

from contracts.v1.order import Order
from gateway.mapping import MappingRegistry

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"
EXAMPLES = sorted(
    path for path in MAPPINGS.glob("**/examples/*.json") if not path.name.endswith(".expected.json")
)


def _mapping_name(example: Path) -> str:
    doctype = re.sub(r"-\d+$", "", example.stem)
    return str(example.parent.parent.relative_to(MAPPINGS) / doctype)


def test_the_demo_example_is_collected() -> None:
    assert MAPPINGS / "demo-shop/examples/order-1.json" in EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(MAPPINGS)))
def test_example_maps_to_expected_output(example: Path) -> None:
    mapping = MappingRegistry(MAPPINGS).get(_mapping_name(example))
    expected_path = example.with_name(example.stem + ".expected.json")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    actual = mapping.apply(json.loads(example.read_text(encoding="utf-8")))
    assert actual == expected
    assert list(actual) == list(expected)  # key order too: what operators see in the journal


def test_demo_order_satisfies_the_order_contract() -> None:
    example = MAPPINGS / "demo-shop/examples/order-1.json"
    mapping = MappingRegistry(MAPPINGS).get("demo-shop/order")
    order = msgspec.convert(mapping.apply(json.loads(example.read_text("utf-8"))), Order)
    assert order.po_number == "SO-1001"
    assert [line.quantity.uom for line in order.lines] == ["EA", "BX", "EA"]
