"""MappingRegistry: compile once, recompile when the file or anything it uses changes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.mapping import MappingFileError, MappingRegistry

Write = Callable[[str, str], Path]


@pytest.fixture
def registry(tmp_path: Path, write: Write) -> MappingRegistry:
    write("_codelists/uom.yaml", "codes: {pcs: EA}\n")
    write("_base/order.yaml", 'fields:\n  po: "number"\n')
    write(
        "acme/order.yaml",
        """
        extends: ../_base/order.yaml
        codelists: {uom: ../_codelists/uom.yaml}
        crosswalks: {sku: sku.csv}
        fields:
          uom: "code('uom', unit)"
          sku: "lookup('sku', sku)"
        """,
    )
    write("acme/sku.csv", "from,to\nA,1\n")
    return MappingRegistry(tmp_path)


DOC = {"number": "P1", "unit": "pcs", "sku": "A"}


def test_get_compiles_once(registry: MappingRegistry) -> None:
    first = registry.get("acme/order")
    assert first.apply(DOC) == {"po": "P1", "uom": "EA", "sku": "1"}
    assert registry.get("acme/order") is first
    assert registry.get("acme/order.yaml") is not None


def test_reload_when_the_mapping_changes(registry: MappingRegistry, write: Write) -> None:
    first = registry.get("acme/order")
    write("acme/order.yaml", 'fields:\n  po: "upper(number)"\n  extra: "\'x\'"\n')
    second = registry.get("acme/order")
    assert second is not first
    assert second.apply({"number": "p1"}) == {"po": "P1", "extra": "x"}


@pytest.mark.parametrize(
    ("relative", "content", "expected"),
    [
        ("_base/order.yaml", "fields:\n  po: \"concat('#', number)\"\n", {"po": "#P1"}),
        ("_codelists/uom.yaml", "codes: {pcs: PK, box: BX}\n", {"uom": "PK"}),
        ("acme/sku.csv", "from,to\nA,22\n", {"sku": "22"}),
    ],
)
def test_reload_when_a_dependency_changes(
    registry: MappingRegistry, write: Write, relative: str, content: str, expected: dict[str, str]
) -> None:
    first = registry.get("acme/order")
    write(relative, content)
    second = registry.get("acme/order")
    assert second is not first
    assert expected.items() <= second.apply(DOC).items()


def test_same_size_edit_is_seen_through_mtime(registry: MappingRegistry, write: Write) -> None:
    first = registry.get("acme/order")
    path = write("acme/sku.csv", "from,to\nA,9\n")  # same size as before
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert registry.get("acme/order").apply(DOC)["sku"] == "9"
    assert registry.get("acme/order") is not first


def test_broken_edit_raises_until_fixed(registry: MappingRegistry, write: Write) -> None:
    registry.get("acme/order")
    write("acme/order.yaml", 'fields:\n  po: "nope(number)"\n')
    for _ in range(2):  # remembered, not recompiled, and not the stale good version
        with pytest.raises(MappingFileError, match="unknown function nope"):
            registry.get("acme/order")
    write("acme/order.yaml", 'fields:\n  po: "lower(number)"\n')
    assert registry.get("acme/order").apply(DOC) == {"po": "p1"}


def test_deleted_dependency_is_an_error(registry: MappingRegistry, tmp_path: Path) -> None:
    registry.get("acme/order")
    (tmp_path / "acme/sku.csv").unlink()
    with pytest.raises(MappingFileError, match="file not found"):
        registry.get("acme/order")


def test_missing_base_appearing_later_is_picked_up(registry: MappingRegistry, write: Write) -> None:
    write("beta/order.yaml", "extends: ../_base/other.yaml\n")
    with pytest.raises(MappingFileError, match="file not found"):
        registry.get("beta/order")
    write("_base/other.yaml", 'fields:\n  o: "number"\n')
    assert registry.get("beta/order").apply(DOC) == {"o": "P1"}


def test_names_stay_inside_the_folder(registry: MappingRegistry) -> None:
    with pytest.raises(MappingFileError, match="inside the mappings folder"):
        registry.get("../outside")
    with pytest.raises(MappingFileError, match="file not found"):
        registry.get("acme/unknown")
