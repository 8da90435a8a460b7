"""``mappings check``: compile errors, target fields against the contract, source-path warnings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.mapping import Finding, lint_dir, lint_file

Write = Callable[[str, str], Path]
MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"

GOOD = """
source: json
target: v1/order
fields:
  po_number: "po"
  order_date: "day"
  parties:
    - role: {const: buyer}
      name: "buyer"
      identifiers: {duns: "duns", anything_goes: "x"}
  lines:
    each: "items"
    fields:
      line_number: "pos()"
      item: {sku: "sku"}
      quantity: {value: "dec(qty)", uom: {const: EA}}
"""


def _lint(write: Write, text: str) -> list[Finding]:
    return lint_file(write("m.yaml", text))


def test_the_shipped_mappings_have_no_errors_or_warnings() -> None:
    assert lint_dir(MAPPINGS) == []


def test_a_good_file_is_clean(write: Write) -> None:
    assert _lint(write, GOOD) == []


def test_a_compile_error_is_reported_with_file_line_and_expression(write: Write) -> None:
    [finding] = _lint(write, GOOD.replace('"dec(qty)"', '"decimal(qty)"'))
    assert (finding.severity, finding.check, finding.line) == ("error", "compile", 15)
    assert "unknown function decimal()" in finding.problem
    assert finding.expression == "decimal(qty)"
    assert str(finding).startswith(f"{finding.file}:15: error: unknown function decimal()")


TARGET_CASES = [
    ('  po_number: "po"', '  po_numbr: "po"', 4,
     "`po_numbr` is not in the contract (Order); did you mean `po_number`?"),
    ('      name: "buyer"', '      nam: "buyer"', 8,
     "`parties[].nam` is not in the contract (Party)"),
    ('      item: {sku: "sku"}', '      item: {skew: "sku"}', 14,
     "`lines[].item.skew` is not in the contract (ItemIds)"),
    ("uom: {const: EA}}", "uom: {const: EA}, unit: {const: x}}", 15,
     "`lines[].quantity.unit` is not in the contract (Quantity)"),
    ("role: {const: buyer}", "role: {const: buyr}", 7,
     "constant 'buyr' for `parties[].role` is not one of"),
    ('  order_date: "day"', '  order_date: {fields: {day: "day"}}', 5,
     "`order_date` is an object in the mapping; v1/order expects date"),
    ('  po_number: "po"', '  po_number: ["po"]', 4, "`po_number` is a list in the mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "line", "problem"), TARGET_CASES)
def test_target_fields_not_in_the_contract(
    write: Write, old: str, new: str, line: int, problem: str
) -> None:
    assert old in GOOD
    findings = _lint(write, GOOD.replace(old, new))
    assert [(f.severity, f.check, f.line) for f in findings] == [("error", "target", line)]
    assert problem in findings[0].problem


def test_an_unknown_target(write: Write) -> None:
    [finding] = _lint(write, GOOD.replace("v1/order", "v1/orders"))
    assert finding.check == "target"
    assert "unknown target 'v1/orders'" in finding.problem


def test_inherited_fields_are_checked_at_the_base_file_line(write: Write) -> None:
    base = write("base.yaml", GOOD.replace('  order_date: "day"', '  order_dat: "day"'))
    findings = lint_file(
        write("child.yaml", "extends: base.yaml\nfields:\n  currency: \"'USD'\"\n")
    )
    assert [(Path(f.file).name, f.line) for f in findings] == [("base.yaml", 5)]
    assert base.exists()


WITH_EXAMPLES = GOOD.replace(
    "fields:\n", "examples:\n  - {input: a.json, expected: a.out.json}\nfields:\n", 1
)


def _with_sample(write: Write, text: str, sample: object) -> list[Finding]:
    write("a.json", json.dumps(sample))
    write("a.out.json", "{}")
    return _lint(write, text)


SAMPLE = {
    "x": "y",
    "po": "1",
    "day": "2026-01-01",
    "buyer": "B",
    "duns": "1",
    "items": [{"sku": "A", "qty": 1}],
}


def test_paths_that_resolve_in_an_example_are_clean(write: Write) -> None:
    assert _with_sample(write, WITH_EXAMPLES, SAMPLE) == []


def test_a_typo_in_a_source_path_is_a_warning_with_line_and_expression(write: Write) -> None:
    text = WITH_EXAMPLES.replace('item: {sku: "sku"}', 'item: {sku: "skuu"}')
    [finding] = _with_sample(write, text, SAMPLE)
    assert (finding.severity, finding.check, finding.line) == ("warning", "source", 16)
    assert "source path `skuu` resolves in none of the 1 example input(s)" in finding.problem
    assert finding.expression == "skuu"


def test_only_the_first_missing_step_is_reported(write: Write) -> None:
    text = WITH_EXAMPLES.replace('po_number: "po"', 'po_number: "header.po.number"')
    [finding] = _with_sample(write, text, SAMPLE)
    assert "`header`" in finding.problem


def test_qualifier_filters_each_and_root_are_followed(write: Write) -> None:
    text = WITH_EXAMPLES.replace(
        'name: "buyer"', "name: \"qual(N1_loop, 'N1.N101', 'BY').N1.N102\""
    ).replace('item: {sku: "sku"}', 'item: {sku: "sku", description: "root().descr"}')
    sample = {**SAMPLE, "N1_loop": [{"N1": {"N101": "BY", "N103": "x"}}], "descr": "d"}
    [finding] = _with_sample(write, text, sample)
    assert "`N1_loop[].N1.N102`" in finding.problem
    assert finding.line == 10


def test_a_path_present_in_any_example_is_enough(write: Write) -> None:
    text = WITH_EXAMPLES.replace(
        "  - {input: a.json, expected: a.out.json}",
        "  - {input: a.json, expected: a.out.json}\n  - {input: b.json, expected: a.out.json}",
    ).replace('po_number: "po"', 'po_number: "po || alt_po"')
    write("b.json", json.dumps({**SAMPLE, "alt_po": "2"}))
    assert _with_sample(write, text, SAMPLE) == []
    write("b.json", json.dumps(SAMPLE))
    [finding] = _lint(write, text)
    assert "`alt_po`" in finding.problem


def test_without_examples_there_are_no_source_warnings(write: Write) -> None:
    assert _lint(write, GOOD.replace('"sku"}', '"nonsense.path"}')) == []
