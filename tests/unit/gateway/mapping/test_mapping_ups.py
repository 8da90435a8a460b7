"""The UPS Track API mapping: status vocabulary, local scan times, and what is never an error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import contracts
from contracts.v1.carrier_event import CarrierEvent, CarrierStatus
from gateway.mapping import DocumentMapError, MappingRegistry

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(MAPPINGS)


def _response(activity: dict[str, Any], **package: Any) -> dict[str, Any]:
    pkg = {"trackingNumber": "1Z0000000000000001", "activity": [activity], **package}
    return {"trackResponse": {"shipment": [{"inquiryNumber": "1Z0", "package": [pkg]}]}}


def _activity(kind: str, address: dict[str, str] | None, date: str = "20261122") -> dict[str, Any]:
    out: dict[str, Any] = {"status": {"type": kind, "description": "x"}, "date": date}
    out["time"] = "120000"
    if address is not None:
        out["location"] = {"address": address}
    return out


def _event(registry: MappingRegistry, doc: dict[str, Any]) -> CarrierEvent:
    event = contracts.convert("v1", "carrier_event", registry.get("ups/carrier_event").apply(doc))
    assert isinstance(event, CarrierEvent)
    return event


@pytest.mark.parametrize(
    ("kind", "want"),
    [
        ("M", CarrierStatus.LABEL_CREATED),
        ("P", CarrierStatus.PICKED_UP),
        ("I", CarrierStatus.IN_TRANSIT),
        ("O", CarrierStatus.OUT_FOR_DELIVERY),
        ("D", CarrierStatus.DELIVERED),
        ("X", CarrierStatus.EXCEPTION),
        ("RS", CarrierStatus.RETURNED_TO_SENDER),
        ("NA", CarrierStatus.UNKNOWN),  # "not available": unlisted, kept raw
        ("q7", CarrierStatus.UNKNOWN),
    ],
)
def test_status_type_maps_onto_the_one_vocabulary(
    registry: MappingRegistry, kind: str, want: CarrierStatus
) -> None:
    where = {"countryCode": "US", "stateProvince": "NY"}
    event = _event(registry, _response(_activity(kind, where)))
    assert event.status is want
    assert event.carrier_code == kind


@pytest.mark.parametrize(
    ("address", "offset_hours"),
    [
        ({"countryCode": "US", "stateProvince": "CA"}, -8),  # November: PST
        ({"countryCode": "us", "stateProvince": "ny"}, -5),  # codes are read case-blind
        ({"countryCode": "CA", "stateProvince": "BC"}, -8),
        ({"countryCode": "GB"}, 0),
        ({"countryCode": "NL"}, 1),
        ({"countryCode": "BR", "stateProvince": "SP"}, 0),  # several zones, none listed: UTC
        (None, 0),  # no location at all: UTC, and no location in the event
    ],
)
def test_local_scan_time_is_read_in_the_locations_zone(
    registry: MappingRegistry, address: dict[str, str] | None, offset_hours: int
) -> None:
    event = _event(registry, _response(_activity("I", address)))
    assert event.occurred_at.utcoffset() == dt.timedelta(hours=offset_hours)
    assert event.occurred_at.isoformat().startswith("2026-11-22T12:00:00")
    assert (event.location is None) == (address is None)


def test_signature_only_on_a_delivery(registry: MappingRegistry) -> None:
    info = {"deliveryInformation": {"receivedBy": "LEE"}}
    delivered = _event(registry, _response(_activity("D", None), **info))
    in_transit = _event(registry, _response(_activity("I", None), **info))
    assert (delivered.signed_by, in_transit.signed_by) == ("LEE", None)


def test_a_response_without_activity_is_a_mapping_error_naming_the_field(
    registry: MappingRegistry,
) -> None:
    doc = {"trackResponse": {"shipment": [{"package": [{"trackingNumber": "1Z1"}]}]}}
    with pytest.raises(DocumentMapError, match="occurred_at"):
        registry.get("ups/carrier_event").apply(doc)
