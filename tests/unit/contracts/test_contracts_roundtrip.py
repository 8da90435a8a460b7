"""Every document type decodes from a realistic payload and encodes back to the same JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

import contracts
from contracts import v1

DOCUMENT_TYPES = sorted(v1.DOCUMENT_TYPES)
LoadExample = Callable[[str], dict[str, Any]]


def test_every_document_type_has_an_example(examples_dir: Path) -> None:
    assert sorted(p.stem for p in examples_dir.glob("*.json")) == DOCUMENT_TYPES


def test_registry_names_the_documents() -> None:
    assert set(v1.DOCUMENT_TYPES) == {
        "order",
        "order_ack",
        "shipment",
        "invoice",
        "return_authorization",
        "credit_memo",
        "inventory_adjustment",
        "inventory_snapshot",
        "warehouse_order",
        "warehouse_shipment",
        "carrier_event",
        "order_exception",
    }
    assert contracts.VERSIONS["v1"] is v1.DOCUMENT_TYPES
    assert set(contracts.VERSIONS) == {"v1", "v2"}
    for struct_type in v1.DOCUMENT_TYPES.values():
        assert struct_type.__name__ in v1.__all__


@pytest.mark.parametrize("document_type", DOCUMENT_TYPES)
def test_json_round_trip(document_type: str, load_example: LoadExample) -> None:
    example = load_example(document_type)
    raw = json.dumps(example).encode()

    document = contracts.decoder("v1", document_type).decode(raw)

    assert type(document) is v1.DOCUMENT_TYPES[document_type]
    encoded = msgspec.json.encode(document)
    assert json.loads(encoded) == example  # nothing dropped, nothing invented
    assert contracts.decoder("v1", document_type).decode(encoded) == document


@pytest.mark.parametrize("document_type", DOCUMENT_TYPES)
def test_convert_from_json_shaped_dict_matches_decode(
    document_type: str, load_example: LoadExample
) -> None:
    example = load_example(document_type)

    converted = contracts.convert("v1", document_type, example)

    assert converted == contracts.decoder("v1", document_type).decode(json.dumps(example))


@pytest.mark.parametrize("document_type", DOCUMENT_TYPES)
def test_python_object_round_trip(document_type: str, load_example: LoadExample) -> None:
    """convert() also accepts already-typed values (Decimal, date), e.g. from to_builtins."""
    document = contracts.convert("v1", document_type, load_example(document_type))
    builtins = msgspec.to_builtins(document, builtin_types=(Decimal,))

    assert contracts.convert("v1", document_type, builtins) == document


def test_decoded_values_have_their_python_types(load_example: LoadExample) -> None:
    order = contracts.decoder("v1", "order").decode(json.dumps(load_example("order")))
    assert isinstance(order, v1.Order)

    line = order.lines[1]
    assert line.quantity == v1.Quantity(value=Decimal("12.5"), uom=v1.UnitOfMeasure.POUND)
    assert line.unit_price == v1.Money(amount=Decimal("3.1250"), currency="USD")
    assert str(line.unit_price.amount) == "3.1250"  # scale survives, no float on the way
    assert order.parties[0].role is v1.PartyRole.BUYER


def test_pack_hierarchy_nests(load_example: LoadExample) -> None:
    shipment = contracts.decoder("v1", "shipment").decode(json.dumps(load_example("shipment")))
    assert isinstance(shipment, v1.Shipment)

    pallet = shipment.orders[0].packs[0]
    assert pallet.level is v1.PackLevel.PALLET
    assert [carton.sscc for carton in pallet.packs] == ["006141411234567906", "006141411234567913"]
    assert pallet.packs[0].items[0].lot_number == "L2503A"
    assert shipment.orders[0].items[0].quantity.value == Decimal(10)


def test_unset_optional_fields_stay_off_the_wire() -> None:
    event = v1.CarrierEvent(
        carrier="UPSN",
        tracking_number="1Z999AA10123456784",
        status=v1.CarrierStatus.UNKNOWN,
        carrier_code="ZZ",
        occurred_at=msgspec.json.decode(b'"2025-03-20T17:05:00Z"', type=v1.AwareDatetime),
    )
    assert json.loads(msgspec.json.encode(event)) == {
        "carrier": "UPSN",
        "tracking_number": "1Z999AA10123456784",
        "status": "unknown",
        "carrier_code": "ZZ",
        "occurred_at": "2025-03-20T17:05:00Z",
    }


def test_documents_are_frozen(load_example: LoadExample) -> None:
    order = contracts.convert("v1", "order", load_example("order"))
    assert isinstance(order, v1.Order)
    with pytest.raises(AttributeError):
        order.po_number = "other"  # type: ignore[misc]
