"""Field shapes: nesting, iteration, conditionals, defaults, constants, required, extends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.errors import MapError
from gateway.mapping import Mapping, MappingFileError, load_mapping

Compile = Callable[..., Mapping]
Write = Callable[[str, str], Path]


def test_nested_objects_and_absent_fields(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        number: "order.number"
        missing: "order.nope"
        ship_to:
          name: "order.shipping.name"
          address:
            city: "order.shipping.city"
        bill_to:
          name: "order.billing.name"
        """
    )
    data = {"order": {"number": "SO-1", "shipping": {"name": "Ann", "city": "Linz"}}}
    out = mapping.apply(data)
    assert out == {"number": "SO-1", "ship_to": {"name": "Ann", "address": {"city": "Linz"}}}
    assert list(out) == ["number", "ship_to"]  # file order
    assert mapping.apply({}) == {}


def test_falsy_values_other_than_null_are_kept(compile_fields: Compile) -> None:
    mapping = compile_fields('a: "a"\nb: "b"\nc: "c"\nd: "d"')
    assert mapping.apply({"a": 0, "b": False, "c": "", "d": []}) == {
        "a": 0,
        "b": False,
        "c": "",
        "d": [],
    }


def test_each_iterates_with_index_and_item_relative_paths(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        lines:
          each: "order.items"
          fields:
            line_number: "pos()"
            index: "to_string(idx())"
            sku: "sku"
            total: "dmul(qty, price)"
        """
    )
    data = {"order": {"items": [{"sku": "A", "qty": 2, "price": "1.25"}, {"sku": "B"}]}}
    assert mapping.apply(data) == {
        "lines": [
            {"line_number": 1, "index": "0", "sku": "A", "total": "2.50"},
            {"line_number": 2, "index": "1", "sku": "B"},
        ]
    }


def test_each_edge_cases(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        lines: {each: "items", fields: {sku: "sku"}}
        skus: {each: "items", value: "sku"}
        """
    )
    assert mapping.apply({}) == {}
    assert mapping.apply({"items": []}) == {}
    assert mapping.apply({"items": [{}, {}]}) == {}  # empty items are absent, list too
    # a repeatable segment that occurred once may arrive as one object
    assert mapping.apply({"items": {"sku": "A"}}) == {"lines": [{"sku": "A"}], "skus": ["A"]}
    assert mapping.apply({"items": [{"sku": "A"}, {}, {"sku": "C"}]})["skus"] == ["A", "C"]
    with pytest.raises(MapError, match="`each` needs a list") as caught:
        mapping.apply({"items": "oops"})
    assert caught.value.path == "lines"
    assert caught.value.found == '"oops"'


def test_each_can_filter_and_project(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        big: {each: "items[?qty > `1`]", value: "sku"}
        skus: "items[].sku"
        total_qty: "dsum(items[].qty)"
        """
    )
    data = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 5}]}
    assert mapping.apply(data) == {"big": ["B"], "skus": ["A", "B"], "total_qty": "6"}


def test_when_on_values_objects_lists_and_items(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        notes: {when: "order.note != null", value: "[order.note]"}
        rush: {when: "order.priority == 'high'", const: true}
        ship_to:
          when: "order.shipping"
          fields:
            role: {const: ship_to}
        parties:
          - {when: "order.buyer", fields: {role: {const: buyer}, name: "order.buyer"}}
          - role: {const: seller}
            name: "'Crossdock Demo GmbH'"
        """
    )
    assert mapping.apply({"order": {}}) == {
        "parties": [{"role": "seller", "name": "Crossdock Demo GmbH"}]
    }
    shipping = {"name": "S"}
    full = {"order": {"note": "x", "priority": "high", "shipping": shipping, "buyer": "Bo"}}
    assert mapping.apply(full) == {
        "notes": ["x"],
        "rush": True,
        "ship_to": {"role": "ship_to"},
        "parties": [
            {"role": "buyer", "name": "Bo"},
            {"role": "seller", "name": "Crossdock Demo GmbH"},
        ],
    }


def test_defaults(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        currency: "order.currency || 'USD'"
        uom: {value: "unit", default: EA}
        flags: {value: "flags", default: [a, b]}
        """
    )
    assert mapping.apply({"order": {}}) == {"currency": "USD", "uom": "EA", "flags": ["a", "b"]}
    assert mapping.apply({"order": {"currency": "EUR"}, "unit": "BX", "flags": []}) == {
        "currency": "EUR",
        "uom": "BX",
        "flags": [],
    }


def test_constants_are_json_like_and_not_shared(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        meta: {const: {version: 1, tags: [a], date: 2026-11-20, code: "01"}}
        """
    )
    first = mapping.apply({})
    assert first == {"meta": {"version": 1, "tags": ["a"], "date": "2026-11-20", "code": "01"}}
    first["meta"]["tags"].append("mutated")
    assert mapping.apply({})["meta"]["tags"] == ["a"]


def test_defaults_and_literals_are_not_shared(compile_fields: Compile) -> None:
    mapping = compile_fields('tags: {value: "tags", default: [a]}\nlit: "`[1, 2]`"')
    first = mapping.apply({})
    first["tags"].append("mutated")
    first["lit"].append(3)
    assert mapping.apply({}) == {"tags": ["a"], "lit": [1, 2]}


def test_directive_or_object(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        quantity:
          value: "dec(qty)"
          uom: "unit"
        only_value: {fields: {value: "qty"}}
        plain: {value: "qty"}
        """
    )
    assert mapping.apply({"qty": 2, "unit": "EA"}) == {
        "quantity": {"value": "2", "uom": "EA"},
        "only_value": {"value": 2},
        "plain": 2,
    }


def test_required_fields(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        po_number: {value: "order.number", required: true}
        lines:
          required: true
          each: "order.items"
          fields:
            quantity:
              value: {value: "dec(qty)", required: true}
        """
    )
    with pytest.raises(MapError) as caught:
        mapping.apply({"order": {"items": [{"qty": 1}]}})
    assert caught.value.code == "map_required_missing"
    assert caught.value.path == "po_number"
    with pytest.raises(MapError) as caught:
        mapping.apply({"order": {"number": "1", "items": [{"qty": 1}, {"qty": 2}, {}]}})
    assert caught.value.path == "lines[2].quantity.value"
    assert "m.yaml:8:" in caught.value.message  # the `value:` line
    assert "dec(qty)" in caught.value.message
    with pytest.raises(MapError, match="required") as caught:
        mapping.apply({"order": {"number": "1", "items": []}})
    assert caught.value.path == "lines"


def test_constant_keys_must_be_strings(compile_fields: Compile) -> None:
    with pytest.raises(MappingFileError, match="quote keys such as 'on'"):
        compile_fields("flags: {const: {on: 1}}")


def test_required_is_not_checked_when_the_condition_is_false(compile_fields: Compile) -> None:
    mapping = compile_fields('x: {when: "flag", value: "x", required: true}')
    assert mapping.apply({}) == {}
    with pytest.raises(MapError):
        mapping.apply({"flag": True})


def test_extends_overrides_merges_adds_and_removes(write: Write) -> None:
    write("_codelists/uom.yaml", "codes: {pcs: EA, box: BX}\n")
    write("_codelists/uom-partner.yaml", "codes: {pcs: PK}\n")
    write(
        "_base/order.yaml",
        """
        source: x12
        target: v1/order
        codelists:
          uom: ../_codelists/uom.yaml
        fields:
          po_number: "BEG.BEG03"
          currency: "'USD'"
          ship_to:
            name: "ship.name"
            city: "ship.city"
          notes: "[note]"
          lines:
            each: "items"
            fields:
              uom: "code('uom', unit)"
        """,
    )
    child = write(
        "acme/order.yaml",
        """
        extends: ../_base/order.yaml
        fields:
          currency: "cur || 'CAD'"
          ship_to:
            city: "upper(ship.city)"
            country: "'CA'"
          notes: ~
          lines:
            each: "items"
            fields:
              uom: "code('uom', unit)"
              sku: "sku"
          extra: "'yes'"
        """,
    )
    mapping = load_mapping(child)
    assert (mapping.source, mapping.target) == ("x12", "v1/order")
    data = {
        "BEG": {"BEG03": "PO-9"},
        "ship": {"name": "Dock", "city": "Oslo"},
        "note": "n",
        "items": [{"unit": "pcs", "sku": "S"}],
    }
    out = mapping.apply(data)
    assert out == {
        "po_number": "PO-9",
        "currency": "CAD",
        "ship_to": {"name": "Dock", "city": "OSLO", "country": "CA"},
        "lines": [{"uom": "EA", "sku": "S"}],
        "extra": "yes",
    }
    assert list(out) == ["po_number", "currency", "ship_to", "lines", "extra"]

    override = write(
        "beta/order.yaml",
        """
        extends: ../acme/order.yaml
        target: v2/order
        codelists:
          uom: ../_codelists/uom-partner.yaml
        """,
    )
    mapping = load_mapping(override)
    assert mapping.target == "v2/order"
    assert mapping.apply(data)["lines"] == [{"uom": "PK", "sku": "S"}]
    assert {p.name for p, _ in mapping.files} >= {"order.yaml", "uom-partner.yaml"}


def test_extends_errors(write: Write) -> None:
    missing = write("a.yaml", "extends: nowhere/base.yaml\n")
    with pytest.raises(MappingFileError, match=r"a\.yaml:1: file not found: .*nowhere/base\.yaml"):
        load_mapping(missing)
    write("x.yaml", "extends: y.yaml\nfields: {a: a}\n")
    loop = write("y.yaml", "extends: x.yaml\nfields: {b: b}\n")
    with pytest.raises(MappingFileError, match="loops back"):
        load_mapping(loop)


def test_compiled_mapping_is_reused_across_documents(compile_fields: Compile) -> None:
    mapping = compile_fields('n: "n"')
    assert [mapping.apply({"n": i}) for i in range(3)] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert "m.yaml" in repr(mapping)
