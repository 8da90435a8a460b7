"""Choosing a mapping by partner and document type, and the shared dry run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.mapping import (
    NO_MAPPING,
    DocumentMapError,
    DryRunError,
    MappingFileError,
    MappingRegistry,
    dry_run,
    mapping_files,
    selected_name,
)

Write = Callable[[str, str], Path]

MAPPING = """
target: v1/order
fields:
  po_number: {value: "po", required: true}
  order_date: "day"
  lines:
    each: "items"
    fields:
      line_number: "pos()"
      item: {sku: "sku"}
      quantity: {value: "dec(qty)", uom: {const: EA}}
"""
DOC = {"po": "P1", "day": "2026-11-20", "items": [{"sku": "A", "qty": 2}]}


def test_selected_name(tmp_path: Path, write: Write) -> None:
    assert selected_name(tmp_path, "shop", "order") is None
    write("shop/order.yaml", MAPPING)
    assert selected_name(tmp_path, "shop", "order") == "shop/order.yaml"
    assert selected_name(tmp_path, "shop", "invoice") is None
    assert selected_name(tmp_path, "shop", "order", "other/x.yaml") == "other/x.yaml"
    write("acme/order.yml", MAPPING)
    assert selected_name(tmp_path, "acme", "order") == "acme/order.yml"


def test_registry_select(tmp_path: Path, write: Write) -> None:
    registry = MappingRegistry(tmp_path)
    assert registry.select("shop", "order") is None
    write("shop/order.yaml", MAPPING)
    selected = registry.select("shop", "order")
    assert selected is not None
    assert selected[0] == "shop/order.yaml"
    write("shop/order.yaml", MAPPING.replace("pos()", "position()"))
    with pytest.raises(MappingFileError, match="position"):
        registry.select("shop", "order")  # a broken partner file is never skipped


def test_mapping_files_skip_tables_and_samples(tmp_path: Path, write: Write) -> None:
    write("shop/order.yaml", MAPPING)
    write("_base/x.yaml", MAPPING)
    write("_codelists/uom.yaml", "codes: {}")
    write("shop/examples/e.yaml", "")
    write("shop/crosswalks/c.yaml", "")
    names = [p.relative_to(tmp_path).as_posix() for p in mapping_files(tmp_path)]
    assert names == ["_base/x.yaml", "shop/order.yaml"]


def test_dry_run_maps_and_validates(tmp_path: Path, write: Write) -> None:
    write("shop/order.yaml", MAPPING)
    result = dry_run(MappingRegistry(tmp_path), "shop", "order", json.dumps(DOC).encode())
    assert result.mapping == "shop/order.yaml"
    assert result.contract == "v1/order"
    body = json.loads(result.canonical)
    assert body["lines"][0]["quantity"] == {"value": "2", "uom": "EA"}


def test_dry_run_map_failure_carries_where(tmp_path: Path, write: Write) -> None:
    write("shop/order.yaml", MAPPING)
    doc = {**DOC, "items": [{"sku": "A", "qty": "x"}]}
    with pytest.raises(DryRunError) as caught:
        dry_run(MappingRegistry(tmp_path), "shop", "order", json.dumps(doc).encode())
    assert isinstance(caught.value.error, DocumentMapError)
    detail = caught.value.as_dict()
    assert detail["stage"] == "map"
    assert detail["mapping"] == "shop/order.yaml"
    assert detail["file"].endswith("shop/order.yaml")
    assert detail["line"] == 10
    assert detail["expression"] == "dec(qty)"
    assert detail["path"] == "lines[0].quantity.value"
    assert detail["found"] == '"x"'


def test_dry_run_compile_validate_and_decode_failures(tmp_path: Path, write: Write) -> None:
    registry = MappingRegistry(tmp_path)
    write("shop/order.yaml", MAPPING.replace("pos()", "position()"))
    with pytest.raises(DryRunError) as caught:
        dry_run(registry, "shop", "order", json.dumps(DOC).encode())
    assert caught.value.as_dict()["code"] == "map_file_invalid"
    assert caught.value.as_dict()["line"] == 8
    write("shop/order.yaml", MAPPING)
    with pytest.raises(DryRunError) as caught:
        dry_run(registry, "shop", "order", json.dumps({**DOC, "day": "soon"}).encode())
    assert (caught.value.stage, caught.value.as_dict()["path"]) == ("validate", "$.order_date")
    with pytest.raises(DryRunError) as caught:
        dry_run(registry, "shop", "order", b"{")
    assert caught.value.stage == "decode"


def test_dry_run_without_a_mapping_validates_canonical_json(tmp_path: Path) -> None:
    canonical = {
        "po_number": "P1",
        "order_date": "2026-11-20",
        "lines": [
            {"line_number": 1, "item": {"sku": "A"}, "quantity": {"value": "2", "uom": "EA"}}
        ],
    }
    result = dry_run(MappingRegistry(tmp_path), "acme", "order", json.dumps(canonical).encode())
    assert result.mapping == NO_MAPPING
    assert json.loads(result.canonical) == canonical


def test_dry_run_refuses_names_that_are_not_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="partner"):
        dry_run(MappingRegistry(tmp_path), "../x", "order", b"{}")
    with pytest.raises(ValueError, match="document type"):
        dry_run(MappingRegistry(tmp_path), "shop", "a/b", b"{}")


def test_dry_run_refuses_a_mapping_for_another_document_type(tmp_path: Path, write: Write) -> None:
    write("shop/invoice.yaml", MAPPING)  # targets v1/order
    with pytest.raises(DryRunError, match="targets v1/order"):
        dry_run(MappingRegistry(tmp_path), "shop", "invoice", b"{}")
