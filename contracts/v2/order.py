"""Purchase orders and acknowledgements in v2: v1's documents with integer-minor-unit money.

Only the structs that hold money are redefined here; everything else (items, quantities,
parties, keys, enums) is v1's own type, so the two versions cannot drift apart by accident.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from contracts.v1._base import Contract
from contracts.v1.common import (
    BusinessKeys,
    CurrencyCode,
    Identifier,
    ItemIds,
    LineNumber,
    NonEmptyStr,
    Party,
    Quantity,
)
from contracts.v1.order import AckStatus, LineAckStatus, OrderType
from contracts.v2.money import Money

__all__ = ["Order", "OrderAck", "OrderAckLine", "OrderLine"]


class OrderLine(Contract, frozen=True, kw_only=True):
    """One ordered item. Price is optional: many replenishment orders are priced by contract."""

    line_number: LineNumber
    item: ItemIds
    quantity: Quantity
    unit_price: Money | None = None
    partner_line_id: Identifier | None = None
    requested_ship_date: dt.date | None = None
    requested_delivery_date: dt.date | None = None
    notes: tuple[NonEmptyStr, ...] = ()


class Order(Contract, frozen=True, kw_only=True):
    """A customer's purchase order, the document every other one refers back to by PO number."""

    po_number: Identifier
    order_date: dt.date
    lines: Annotated[tuple[OrderLine, ...], msgspec.Meta(min_length=1)]
    order_type: OrderType | None = None
    currency: CurrencyCode | None = None
    parties: tuple[Party, ...] = ()
    requested_ship_date: dt.date | None = None
    requested_delivery_date: dt.date | None = None
    cancel_after: dt.date | None = None
    ship_method: NonEmptyStr | None = None
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None


class OrderAckLine(Contract, frozen=True, kw_only=True):
    """The answer for one order line; the optional fields carry what the seller changed."""

    line_number: LineNumber
    status: LineAckStatus
    item: ItemIds | None = None
    quantity: Quantity | None = None
    unit_price: Money | None = None
    scheduled_ship_date: dt.date | None = None
    scheduled_delivery_date: dt.date | None = None
    partner_line_id: Identifier | None = None
    reason: NonEmptyStr | None = None


class OrderAck(Contract, frozen=True, kw_only=True):
    """The seller's acknowledgement of an order. Lines may be omitted when all were accepted."""

    po_number: Identifier
    ack_date: dt.date
    status: AckStatus
    order_number: Identifier | None = None
    lines: tuple[OrderAckLine, ...] = ()
    parties: tuple[Party, ...] = ()
    reason: NonEmptyStr | None = None
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None
