"""The shipped mapping library on real documents, and the one carrier-status vocabulary.

The mappings' own ``examples:`` are written for the repo (test_mapping_examples.py runs them);
here every real sample in ../shared/samples of a supported type is mapped through the shipped
mapping and validated into the contract, and the carrier-status code lists are checked against
the ``CarrierStatus`` enum. The samples live outside the repo and are never copied into it: when
the folder is absent the sample tests are skipped, the rest still run.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import contracts
from contracts.v1.carrier_event import CarrierEvent, CarrierStatus
from contracts.v1.order import Order
from gateway.mapping import DocumentMapError, MappingRegistry, load_mapping

Write = Callable[[str, str], Path]

ROOT = Path(__file__).resolve().parents[4]
MAPPINGS = ROOT / "mappings"
CODELISTS = MAPPINGS / "_codelists"
SAMPLES = ROOT.parent / "shared" / "samples"

needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"the shared samples are not at {SAMPLES}"
)


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(MAPPINGS)


def _sample(relative: str) -> Any:
    return json.loads((SAMPLES / relative).read_text("utf-8"))


def _order(registry: MappingRegistry, name: str, doc: Any) -> Order:
    order = contracts.convert("v1", "order", registry.get(name).apply(doc))
    assert isinstance(order, Order)
    return order


def _event(registry: MappingRegistry, name: str, doc: Any) -> CarrierEvent:
    event = contracts.convert("v1", "carrier_event", registry.get(name).apply(doc))
    assert isinstance(event, CarrierEvent)
    return event


# -- real samples -> valid canonical documents ---------------------------------------------------
@needs_samples
def test_shopify_orders_create_webhook_sample(registry: MappingRegistry) -> None:
    order = _order(registry, "shopify/order", _sample("webhooks/shopify_orders_create_sample.json"))
    assert order.po_number == "#9999"  # no B2B po_number: the order name
    assert order.order_date == dt.date(2017, 7, 17)
    assert order.currency == "USD"
    assert [line.item.sku for line in order.lines] == ["706405908216", "706405907431"]
    assert [line.quantity.value for line in order.lines] == [Decimal(1), Decimal(1)]
    assert {line.quantity.uom for line in order.lines} == {"EA"}
    assert [line.unit_price and line.unit_price.amount for line in order.lines] == [
        Decimal("24.99"),
        Decimal("27.99"),
    ]
    roles = {str(party.role): party for party in order.parties}
    assert set(roles) == {"buyer", "ship_to", "bill_to"}
    ship_to = roles["ship_to"]
    assert ship_to.address is not None
    assert (ship_to.address.city, ship_to.address.country) == ("Shippington", "US")
    assert order.ship_method == "Generic Shipping"


@needs_samples
def test_shopify_rest_2025_10_order_sample(registry: MappingRegistry) -> None:
    order = _order(
        registry, "shopify/order-rest", _sample("rest/shopify_rest_2025-10_order_get.json")
    )
    assert order.po_number == "ABC123"  # the order's B2B po_number wins over its name
    assert order.references is not None
    assert order.references.order_number == "#1001"
    assert order.order_date == dt.date(2008, 1, 10)
    assert order.currency == "USD"
    assert [line.item.sku for line in order.lines] == [
        "IPOD2008GREEN",
        "IPOD2008RED",
        "IPOD2008BLACK",
    ]
    assert [line.quantity.value for line in order.lines] == [Decimal(1)] * 3
    assert all(line.unit_price and line.unit_price.amount == Decimal(199) for line in order.lines)


@needs_samples
def test_the_webhook_and_rest_mappings_agree_on_the_same_order(registry: MappingRegistry) -> None:
    """order-rest.yaml is order.yaml under `order.`: one object, one canonical order."""
    body = _sample("rest/shopify_rest_2025-10_order_get.json")
    rest = registry.get("shopify/order-rest").apply(body)
    assert registry.get("shopify/order").apply(body["order"]) == rest


@needs_samples
def test_woocommerce_order_sample(registry: MappingRegistry) -> None:
    order = _order(registry, "woocommerce/order", _sample("webhooks/woocommerce_order_v3.json"))
    assert order.po_number == "727"
    assert order.order_date == dt.date(2017, 3, 22)
    assert order.currency == "USD"
    assert len(order.lines) == 2
    assert [line.quantity.value for line in order.lines] == [Decimal(2), Decimal(1)]
    first, second = order.lines
    assert first.item.sku is None  # "" in the sample
    assert first.item.partner_item_id == "93"  # the product, no variation
    assert (second.item.sku, second.item.partner_item_id) == ("Bar3", "23")  # the variation
    assert [line.unit_price and line.unit_price.amount for line in order.lines] == [
        Decimal(3),
        Decimal(12),
    ]
    assert order.ship_method == "Flat Rate"
    assert order.notes == ()  # customer_note ""


SALES_ORDER_LINES = [  # BC v2.0 salesOrderLine shape, as GET ...?$expand=salesOrderLines adds it
    {
        "sequence": 10000,
        "lineType": "Item",
        "lineObjectNumber": "1896-S",
        "description": "ATHENS Desk",
        "description2": "",
        "unitOfMeasureCode": "PCS",
        "quantity": 4,
        "unitPrice": 649.4,
        "shipmentDate": "0001-01-01",
    },
    {"sequence": 20000, "lineType": "Comment", "description": "Call first", "quantity": 0},
]


@needs_samples
def test_business_central_sales_order_sample(registry: MappingRegistry) -> None:
    """The documented GET answer is the header only; with `$expand=salesOrderLines` it maps."""
    header = _sample("rest/bc_v2_salesorder_get.json")
    with pytest.raises(DocumentMapError) as caught:
        registry.get("business-central/order").apply(header)
    assert (caught.value.code, caught.value.path) == ("map_required_missing", "lines")

    order = _order(
        registry,
        "business-central/order",
        {**copy.deepcopy(header), "salesOrderLines": SALES_ORDER_LINES},
    )
    assert order.po_number == "101005"  # externalDocumentNumber is "": BC's order number
    assert order.order_date == dt.date(2015, 12, 31)
    assert order.currency == "GBP"
    [line] = order.lines  # the comment line is not an order line
    assert (line.item.sku, line.quantity.value) == ("1896-S", Decimal(4))
    assert line.quantity.uom == "EA"
    assert line.unit_price is not None
    assert (line.unit_price.amount, line.unit_price.currency) == (Decimal("649.4"), "GBP")
    assert line.requested_ship_date is None  # 0001-01-01 is BC's empty date
    roles = {str(party.role): party for party in order.parties}
    assert roles["buyer"].name == "Adatum Corporation"
    assert roles["buyer"].identifiers == {"bc_customer_number": "10000"}
    ship_to = roles["ship_to"]
    assert ship_to.contact is not None
    assert ship_to.contact.name == "Robert Townes"
    assert ship_to.address is not None
    assert (ship_to.address.city, ship_to.address.country) == ("Cambridge", "GB")


@needs_samples
def test_easypost_tracker_updated_sample(registry: MappingRegistry) -> None:
    event = _event(registry, "easypost/carrier_event", _sample("webhooks/easypost_event-body.json"))
    assert (event.carrier, event.tracking_number) == ("FEDEX", "1")
    # the latest of the 7 tracking details: "Arrived at FedEx location", EDISON NJ
    assert event.occurred_at == dt.datetime(2024, 8, 2, 18, 50, tzinfo=dt.UTC)
    assert event.status is CarrierStatus.IN_TRANSIT
    assert (event.carrier_code, event.carrier_reason) == ("AR", "arrived_at_facility")
    assert event.location is not None
    assert (event.location.city, event.location.region, event.location.country) == (
        "EDISON",
        "NJ",
        "US",
    )
    assert event.estimated_delivery_date == dt.date(2024, 8, 5)


@needs_samples
def test_the_signed_easypost_body_maps_the_same(registry: MappingRegistry) -> None:
    mapping = registry.get("easypost/carrier_event")
    assert mapping.apply(_sample("webhooks/easypost_signed_body_minified.json")) == mapping.apply(
        _sample("webhooks/easypost_event-body.json")
    )


@needs_samples
def test_fedex_track_api_response_sample(registry: MappingRegistry) -> None:
    event = _event(registry, "fedex/carrier_event", _sample("rest/fedex_track_api_response.json"))
    assert (event.carrier, event.tracking_number) == ("FEDEX", "128667043726")
    assert event.status is CarrierStatus.PICKED_UP
    assert (event.carrier_code, event.carrier_reason) == ("PU", "A25")
    assert event.occurred_at == dt.datetime(
        2018, 2, 2, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=-7))
    )
    assert event.location is not None
    assert (event.location.facility, event.location.city) == ("SEA", "SEATTLE")
    assert event.signed_by is None  # a pickup scan: deliveryDetails' signature is not its own


# -- unknown carrier codes flow as `unknown`, with the raw code ----------------------------------
def _easypost_event(status: str, detail: str | None, carrier_code: str | None) -> dict[str, Any]:
    tracking_detail = {
        "message": "Status update",
        "status": status,
        "status_detail": detail,
        "datetime": "2026-11-21T10:00:00Z",
        "carrier_code": carrier_code,
        "tracking_location": {"city": None, "state": None, "country": None, "zip": None},
    }
    return {
        "description": "tracker.updated",
        "result": {
            "tracking_code": "TRK1",
            "carrier": "SomeNewCarrier",
            "status": status,
            "updated_at": "2026-11-21T10:00:05Z",
            "tracking_details": [tracking_detail],
        },
    }


@pytest.mark.parametrize(
    ("status", "detail", "carrier_code", "want_status", "want_code"),
    [
        ("teleported", "quantum_tunnel", None, "unknown", "teleported"),
        ("teleported", None, "Q7", "unknown", "Q7"),
        ("in_transit", "weather_delay", "DY", "delayed", "DY"),
        ("failure", "damaged", None, "damaged", "failure"),
        ("Delivered", None, "", "delivered", "Delivered"),  # case ignored; blank code skipped
    ],
)
def test_easypost_statuses(
    registry: MappingRegistry,
    status: str,
    detail: str | None,
    carrier_code: str | None,
    want_status: str,
    want_code: str,
) -> None:
    doc = _easypost_event(status, detail, carrier_code)
    event = _event(registry, "easypost/carrier_event", doc)
    assert (event.status, event.carrier_code) == (want_status, want_code)
    assert event.carrier == "SomeNewCarrier"  # an unlisted carrier passes through as sent


def _fedex_response(event_type: str, derived: str) -> dict[str, Any]:
    scan = {
        "date": "2026-11-21T06:30:00-08:00",
        "eventType": event_type,
        "derivedStatusCode": derived,
        "eventDescription": "Status update",
        "exceptionCode": "",
        "scanLocation": {"city": "OAKLAND", "countryCode": "US"},
    }
    result = {
        "trackingNumberInfo": {"trackingNumber": "770011223344", "carrierCode": "FDXG"},
        "scanEvents": [scan],
    }
    return {"output": {"completeTrackResults": [{"trackResults": [result]}]}}


@pytest.mark.parametrize(
    ("event_type", "derived", "want_status", "want_code"),
    [
        ("Q9", "Q9", "unknown", "Q9"),  # neither is known
        ("Q9", "IT", "in_transit", "Q9"),  # FedEx's derived status still helps
        ("", "", "unknown", "unknown"),  # no code at all: still an event
        ("OD", "IT", "out_for_delivery", "OD"),  # the scan type is finer than the derived one
        ("RS", "", "returned_to_sender", "RS"),
    ],
)
def test_fedex_codes(
    registry: MappingRegistry, event_type: str, derived: str, want_status: str, want_code: str
) -> None:
    event = _event(registry, "fedex/carrier_event", _fedex_response(event_type, derived))
    assert (event.status, event.carrier_code) == (want_status, want_code)


# -- the code lists: one vocabulary -----------------------------------------------------------
STATUS_LISTS = sorted(CODELISTS.glob("carrier-status-*.yaml"))


def _codes(path: Path) -> dict[str, str]:
    # BaseLoader: every key and value a string, as the gateway reads them ("NO" stays "NO")
    data = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)
    return dict(data["codes"])


def test_every_source_has_a_status_list() -> None:
    names = {path.stem for path in STATUS_LISTS}
    assert {
        "carrier-status-x12-at701",
        "carrier-status-x12-at702",
        "carrier-status-easypost",
        "carrier-status-easypost-detail",
        "carrier-status-fedex",
        "carrier-status-ups",
    } <= names


@pytest.mark.parametrize("path", STATUS_LISTS, ids=[p.stem for p in STATUS_LISTS])
def test_status_list_targets_are_carrier_statuses(path: Path) -> None:
    valid = {status.value for status in CarrierStatus}
    codes = _codes(path)
    assert codes
    bad = {raw: target for raw, target in codes.items() if target not in valid}
    assert not bad, f"{path.name}: not CarrierStatus values: {bad}"


def test_the_carrier_keys_are_carrier_ids() -> None:
    for raw, key in _codes(CODELISTS / "carrier.yaml").items():
        assert 1 <= len(key) <= 64, raw
        assert key == key.upper(), raw


def test_status_lists_cover_the_documented_statuses() -> None:
    assert set(_codes(CODELISTS / "carrier-status-easypost.yaml")) >= {
        "pre_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "available_for_pickup",
        "return_to_sender",
        "failure",
        "cancelled",
        "error",
        "unknown",
    }
    assert set(_codes(CODELISTS / "carrier-status-ups.yaml")) >= {"I", "D", "X", "P", "M", "RS"}
    fedex = _codes(CODELISTS / "carrier-status-fedex.yaml")
    assert {code: fedex[code] for code in ("PU", "IT", "OD", "DL", "OC", "RS")} == {
        "PU": "picked_up",
        "IT": "in_transit",
        "OD": "out_for_delivery",
        "DL": "delivered",
        "OC": "label_created",
        "RS": "returned_to_sender",
    }


X12_214 = """
source: json
target: v1/carrier_event
codelists:
  at701: {at701}
  at702: {at702}
fields:
  carrier: "B10.B1003"
  tracking_number: "B10.B1002"
  # a reason refines the status, except that a delivery stays a delivery
  status: >-
    code('at701', AT7.AT701) == 'delivered' && 'delivered'
    || code('at702', AT7.AT702) || code('at701', AT7.AT701, 'unknown')
  carrier_code: {{value: "AT7.AT701 || AT7.AT702", default: unknown}}
  carrier_reason: "AT7.AT702"
  occurred_at: "x12datetime(AT7.AT705, AT7.AT706, AT7.AT707)"
"""


@pytest.mark.parametrize(
    ("at701", "at702", "want"),
    [
        ("D1", "NS", "delivered"),
        ("D1", "S1", "delivered"),  # "delivery shortage" does not undo the delivery
        ("X6", "NS", "out_for_delivery"),
        ("AF", None, "picked_up"),
        ("P1", "AO", "delayed"),  # weather
        ("X1", "A1", "delivery_attempted"),  # missed delivery
        ("A3", "BT", "returned_to_sender"),
        ("ZZ", "NS", "unknown"),
        ("ZZ", None, "unknown"),
    ],
)
def test_x12_214_status_and_reason_lists_in_a_mapping(
    write: Write, at701: str, at702: str | None, want: str
) -> None:
    """How a 214 mapping combines AT701 and AT702 through the shared lists."""
    path = write(
        "m.yaml",
        X12_214.format(
            at701=CODELISTS / "carrier-status-x12-at701.yaml",
            at702=CODELISTS / "carrier-status-x12-at702.yaml",
        ),
    )
    doc = {
        "B10": {"B1002": "SHIP123", "B1003": "ABCD"},
        "AT7": {
            "AT701": at701,
            "AT702": at702,
            "AT705": "20261121",
            "AT706": "1430",
            "AT707": "ET",
        },
    }
    event = contracts.convert("v1", "carrier_event", load_mapping(path).apply(doc))
    assert isinstance(event, CarrierEvent)
    assert (event.status, event.carrier_code, event.carrier_reason) == (want, at701, at702)
