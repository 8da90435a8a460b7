"""Property tests: any valid document survives JSON and convert() round trips unchanged."""

from __future__ import annotations

import datetime as dt
import json
import string
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

import contracts
from contracts import compat, schema, v1

DIGITS = "0123456789"

text = st.text(min_size=1, max_size=24)
identifiers = st.text(min_size=1, max_size=128)
optional_text = st.none() | text
currencies = st.text(string.ascii_uppercase, min_size=3, max_size=3)
countries = st.text(string.ascii_uppercase, min_size=2, max_size=2)
gtins = st.sampled_from([8, 12, 13, 14]).flatmap(
    lambda size: st.text(DIGITS, min_size=size, max_size=size)
)
upcs = st.text(DIGITS, min_size=12, max_size=12)
quantities_values = st.decimals(min_value=0, allow_nan=False, allow_infinity=False)
amounts = st.decimals(allow_nan=False, allow_infinity=False)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(timezones=offsets)


@st.composite
def item_ids(draw: st.DrawFn) -> v1.ItemIds:
    sku = draw(st.none() | identifiers)
    gtin = draw(st.none() | gtins)
    upc = draw(st.none() | upcs)
    partner_item_id = draw(st.none() | identifiers)
    if sku is gtin is upc is partner_item_id is None:
        sku = draw(identifiers)
    return v1.ItemIds(
        sku=sku,
        gtin=gtin,
        upc=upc,
        partner_item_id=partner_item_id,
        description=draw(optional_text),
    )


addresses = st.builds(
    v1.Address,
    lines=st.lists(text, min_size=1, max_size=4).map(tuple),
    city=text,
    country=countries,
    region=optional_text,
    postal_code=optional_text,
)


@st.composite
def parties(draw: st.DrawFn) -> v1.Party:
    name = draw(optional_text)
    ids = draw(st.dictionaries(text, text, max_size=3))
    if name is None and not ids:
        name = draw(text)
    return v1.Party(
        role=draw(st.sampled_from(v1.PartyRole)),
        name=name,
        identifiers=ids,
        address=draw(st.none() | addresses),
        contact=draw(st.none() | st.builds(v1.Contact, name=optional_text, phone=optional_text)),
    )


quantities = st.builds(v1.Quantity, value=quantities_values, uom=st.sampled_from(v1.UnitOfMeasure))
money = st.builds(v1.Money, amount=amounts, currency=currencies)
line_numbers = st.integers(min_value=1, max_value=2**63 - 1)
notes = st.lists(text, max_size=2).map(tuple)

order_lines = st.builds(
    v1.OrderLine,
    line_number=line_numbers,
    item=item_ids(),
    quantity=quantities,
    unit_price=st.none() | money,
    partner_line_id=st.none() | identifiers,
    requested_ship_date=st.none() | st.dates(),
    requested_delivery_date=st.none() | st.dates(),
    notes=notes,
)

business_keys = st.builds(
    v1.BusinessKeys,
    po_number=st.none() | identifiers,
    asn_number=st.none() | identifiers,
    sscc=st.none() | st.text(DIGITS, min_size=18, max_size=18),
    tracking_number=st.none() | identifiers,
)

orders = st.builds(
    v1.Order,
    po_number=identifiers,
    order_date=st.dates(),
    lines=st.lists(order_lines, min_size=1, max_size=3).map(tuple),
    order_type=st.none() | st.sampled_from(v1.OrderType),
    currency=st.none() | currencies,
    parties=st.lists(parties(), max_size=3).map(tuple),
    requested_ship_date=st.none() | st.dates(),
    cancel_after=st.none() | st.dates(),
    ship_method=optional_text,
    notes=notes,
    references=st.none() | business_keys,
)

carrier_events = st.builds(
    v1.CarrierEvent,
    carrier=st.text(min_size=1, max_size=64),
    tracking_number=identifiers,
    status=st.sampled_from(v1.CarrierStatus),
    carrier_code=text,
    occurred_at=aware_datetimes,
    carrier_reason=optional_text,
    location=st.none() | st.builds(v1.Location, city=optional_text, country=st.none() | countries),
)


@settings(max_examples=200)
@given(orders)
def test_order_json_round_trip(order: v1.Order) -> None:
    encoded = msgspec.json.encode(order)

    assert contracts.decoder("v1", "order").decode(encoded) == order


@given(orders)
def test_order_convert_round_trip(order: v1.Order) -> None:
    """What a mapping would hand over: plain JSON-shaped dicts, lists and strings."""
    json_shaped: Any = json.loads(msgspec.json.encode(order))

    assert contracts.convert("v1", "order", json_shaped) == order


@given(orders)
def test_decimals_keep_their_exact_digits(order: v1.Order) -> None:
    decoded = contracts.decoder("v1", "order").decode(msgspec.json.encode(order))
    assert isinstance(decoded, v1.Order)
    for before, after in zip(order.lines, decoded.lines, strict=True):
        assert str(after.quantity.value) == str(before.quantity.value)
        assert isinstance(after.quantity.value, Decimal)


@given(carrier_events)
def test_carrier_event_round_trip_keeps_the_instant(event: v1.CarrierEvent) -> None:
    decoded = contracts.decoder("v1", "carrier_event").decode(msgspec.json.encode(event))

    assert decoded == event
    assert isinstance(decoded, v1.CarrierEvent)
    assert decoded.occurred_at.utcoffset() == event.occurred_at.utcoffset()


@given(st.sampled_from(sorted(v1.DOCUMENT_TYPES)))
def test_a_schema_is_compatible_with_itself(name: str) -> None:
    rendered = json.loads(schema.render(v1.DOCUMENT_TYPES[name]))
    assert compat.breaking_changes(rendered, rendered) == []
