"""The model refuses what a mapping bug would produce, and says where (msgspec's ``$`` path)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

import contracts
from contracts import v1

LoadExample = Callable[[str], dict[str, Any]]


def _decode_json(document_type: str, document: Any) -> Any:
    return contracts.decoder("v1", document_type).decode(json.dumps(document))


def _both_ways(document_type: str, document: Any, message: str) -> None:
    """The JSON decoder and convert() must agree on what is invalid and where."""
    with pytest.raises(msgspec.ValidationError, match=message):
        _decode_json(document_type, document)
    with pytest.raises(msgspec.ValidationError, match=message):
        contracts.convert("v1", document_type, document)


def _order_with(load_example: LoadExample, change: Callable[[dict[str, Any]], None]) -> Any:
    order = copy.deepcopy(load_example("order"))
    change(order)
    return order


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ((), r"^Object contains unknown field `priority`$"),  # msgspec omits the root path
        (("lines", 0), r"Object contains unknown field `priority` - at `\$\.lines\[0\]`$"),
        (("lines", 1, "item"), r"unknown field `priority` - at `\$\.lines\[1\]\.item`$"),
    ],
)
def test_unknown_field_is_rejected(
    load_example: LoadExample, path: tuple[str | int, ...], message: str
) -> None:
    def add_field(order: dict[str, Any]) -> None:
        target: Any = order
        for step in path:
            target = target[step]
        target["priority"] = "high"

    _both_ways("order", _order_with(load_example, add_field), message)


def test_string_for_int_is_rejected(load_example: LoadExample) -> None:
    """Strict convert: "2" is not 2. Lax mode would coerce it and hide a mapping bug."""

    def stringly(order: dict[str, Any]) -> None:
        order["lines"][1]["line_number"] = "2"

    _both_ways(
        "order",
        _order_with(load_example, stringly),
        r"Expected `int`, got `str` - at `\$\.lines\[1\]\.line_number`$",
    )


def test_strings_still_convert_to_decimal_date_and_datetime() -> None:
    """The reason strict=True is enough: these types are string-encoded in JSON-shaped dicts."""
    ack = contracts.convert(
        "v1",
        "order_ack",
        {
            "po_number": "PO-1",
            "ack_date": "2025-03-14",
            "status": "accepted_with_changes",
            "lines": [
                {
                    "line_number": 1,
                    "status": "price_changed",
                    "unit_price": {"amount": "9.990", "currency": "EUR"},
                }
            ],
        },
    )
    assert isinstance(ack, v1.OrderAck)
    assert ack.ack_date == dt.date(2025, 3, 14)
    assert ack.lines[0].unit_price == v1.Money(amount=Decimal("9.990"), currency="EUR")

    snapshot = contracts.convert(
        "v1", "inventory_snapshot", {"as_of": "2025-03-23T00:00:00+01:00", "lines": []}
    )
    assert isinstance(snapshot, v1.InventorySnapshot)
    assert snapshot.as_of == dt.datetime(2025, 3, 22, 23, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("field", "value", "message", "at"),
    [
        ("currency", "usd", r"matching regex '\^\[A-Z\]\{3\}\$'", ".currency"),
        ("currency", "US", r"length >= 3", ".currency"),
        ("currency", "USD\n", r"length <= 3", ".currency"),
        ("amount", "12,50", r"Invalid decimal string", ".amount"),
        # Finiteness is checked by Money itself, so the path names the Money.
        ("amount", "NaN", r"`amount` must be a finite decimal", ""),
        ("amount", "Infinity", r"`amount` must be a finite decimal", ""),
    ],
)
def test_bad_money_is_rejected_with_its_path(
    load_example: LoadExample, field: str, value: str, message: str, at: str
) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["lines"][0]["unit_price"][field] = value

    path = r"\$\.lines\[0\]\.unit_price" + re.escape(at)
    _both_ways("order", _order_with(load_example, spoil), rf"{message}.* - at `{path}`$")


@pytest.mark.parametrize(
    "gtin",
    [
        "1234567",  # too short
        "123456789",  # 9 digits: no such GTIN
        "00614141123",  # 11 digits
        "006141411234520",  # too long
        "0061414112345X",  # not a digit
        "0061414112345\n",  # Python's `$` would let this through without the lookahead
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",  # Arabic-Indic digits are not [0-9]
    ],
)
def test_bad_gtin_is_rejected_with_its_path(load_example: LoadExample, gtin: str) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["lines"][0]["item"]["gtin"] = gtin

    _both_ways("order", _order_with(load_example, spoil), r" - at `\$\.lines\[0\]\.item\.gtin`$")


@pytest.mark.parametrize("gtin", ["12345670", "614141000036", "0614141000036", "00614141123452"])
def test_valid_gtin_lengths_are_accepted(load_example: LoadExample, gtin: str) -> None:
    def change(order: dict[str, Any]) -> None:
        order["lines"][0]["item"]["gtin"] = gtin

    order = contracts.convert("v1", "order", _order_with(load_example, change))
    assert isinstance(order, v1.Order)
    assert order.lines[0].item.gtin == gtin


@pytest.mark.parametrize(
    "sscc",
    ["00614141123456789", "0061414112345678901", "00614141123456789A", "00614141123456789\n"],
)
def test_bad_sscc_is_rejected_with_its_path(load_example: LoadExample, sscc: str) -> None:
    shipment = copy.deepcopy(load_example("shipment"))
    shipment["orders"][0]["packs"][0]["packs"][1]["sscc"] = sscc

    _both_ways("shipment", shipment, r" - at `\$\.orders\[0\]\.packs\[0\]\.packs\[1\]\.sscc`$")


def test_bad_country_is_rejected_with_its_path(load_example: LoadExample) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["parties"][2]["address"]["country"] = "USA"

    _both_ways(
        "order",
        _order_with(load_example, spoil),
        r"length <= 2 - at `\$\.parties\[2\]\.address\.country`$",
    )


def test_unknown_enum_value_is_rejected(load_example: LoadExample) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["lines"][0]["quantity"]["uom"] = "CA"

    _both_ways(
        "order",
        _order_with(load_example, spoil),
        r"Invalid enum value 'CA' - at `\$\.lines\[0\]\.quantity\.uom`$",
    )


def test_negative_quantity_is_rejected(load_example: LoadExample) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["lines"][0]["quantity"]["value"] = "-1"

    _both_ways(
        "order",
        _order_with(load_example, spoil),
        r"`value` must be >= 0, got -1 - at `\$\.lines\[0\]\.quantity`$",
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({}, "an item needs at least one of"),
        ({"description": "mystery box"}, "an item needs at least one of"),
    ],
)
def test_item_needs_an_identifier(
    load_example: LoadExample, item: dict[str, Any], message: str
) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["lines"][0]["item"] = item

    _both_ways(
        "order", _order_with(load_example, spoil), rf"{message}.* - at `\$\.lines\[0\]\.item`$"
    )


def test_party_needs_a_name_or_an_identifier(load_example: LoadExample) -> None:
    def spoil(order: dict[str, Any]) -> None:
        order["parties"][1] = {"role": "seller"}

    _both_ways(
        "order",
        _order_with(load_example, spoil),
        r"a party needs a `name`.* - at `\$\.parties\[1\]`$",
    )


@pytest.mark.parametrize(
    ("document_type", "field", "value"),
    [
        ("order", "po_number", ""),
        ("order", "order_date", "2025-03-14T00:00:00Z"),
        ("order", "order_date", "14/03/2025"),
        ("order", "lines", []),
        ("shipment", "orders", []),
        ("invoice", "lines", []),
        ("order_exception", "exception_type", "late_delivery"),
        ("carrier_event", "status", "Delivered"),
    ],
)
def test_required_content_is_checked(
    load_example: LoadExample, document_type: str, field: str, value: Any
) -> None:
    document = copy.deepcopy(load_example(document_type))
    document[field] = value

    _both_ways(document_type, document, rf" - at `\$\.{field}`$")


@pytest.mark.parametrize(
    ("document_type", "field"),
    [
        ("carrier_event", "occurred_at"),
        ("order_exception", "detected_at"),
        ("order_exception", "sla_due_at"),
        ("inventory_adjustment", "occurred_at"),
        ("inventory_snapshot", "as_of"),
        ("shipment", "shipped_at"),
    ],
)
def test_naive_timestamp_is_rejected(
    load_example: LoadExample, document_type: str, field: str
) -> None:
    document = copy.deepcopy(load_example(document_type))
    document[field] = "2025-03-20T17:05:00"

    _both_ways(
        document_type,
        document,
        rf"Expected `datetime` with a timezone component - at `\$\.{re.escape(field)}`$",
    )


def test_missing_required_field_is_named(load_example: LoadExample) -> None:
    document = copy.deepcopy(load_example("invoice"))
    del document["totals"]

    _both_ways("invoice", document, r"Object missing required field `totals`$")


def test_lists_must_be_lists(load_example: LoadExample) -> None:
    document = copy.deepcopy(load_example("order"))
    document["notes"] = "one note"

    _both_ways("order", document, r"Expected `array`, got `str` - at `\$\.notes`$")


def _struct_types(root: type[msgspec.Struct]) -> set[type[msgspec.Struct]]:
    """``root`` and every Struct type its fields can hold, however nested."""
    found: set[type[msgspec.Struct]] = set()

    def walk(info: msgspec.inspect.Type) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in found:
                return
            found.add(info.cls)
            for field in info.fields:
                walk(field.type)
        for attr in ("item_type", "key_type", "value_type"):
            if isinstance(getattr(info, attr, None), msgspec.inspect.Type):
                walk(getattr(info, attr))
        for inner in getattr(info, "types", ()):
            walk(inner)
        for inner in getattr(info, "item_types", ()):
            walk(inner)

    walk(msgspec.inspect.type_info(root))
    return found


@pytest.mark.parametrize("version", sorted(contracts.VERSIONS))
def test_every_contract_struct_is_frozen_and_left_out_of_the_cyclic_collector(
    version: str,
) -> None:
    # gc=False is only sound for structs that cannot be part of a reference cycle: frozen ones
    kinds = set().union(*(_struct_types(t) for t in contracts.VERSIONS[version].values()))
    assert len(kinds) > 10
    assert [k.__name__ for k in kinds if not k.__struct_config__.frozen] == []
    assert [k.__name__ for k in kinds if k.__struct_config__.gc] == []


def test_a_decoded_order_is_not_tracked_by_the_collector(load_example: LoadExample) -> None:
    import gc

    order = _decode_json("order", load_example("order"))
    assert not gc.is_tracked(order)
    assert not gc.is_tracked(order.lines[0].quantity)
