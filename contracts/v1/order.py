"""Purchase orders and their acknowledgements (X12 850/855, web-shop orders, ERP sales orders)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import msgspec

from contracts.v1._base import Contract
from contracts.v1.common import (
    BusinessKeys,
    CurrencyCode,
    Identifier,
    ItemIds,
    LineNumber,
    Money,
    NonEmptyStr,
    Party,
    Quantity,
)

__all__ = [
    "AckStatus",
    "LineAckStatus",
    "Order",
    "OrderAck",
    "OrderAckLine",
    "OrderLine",
    "OrderType",
]


class OrderType(enum.StrEnum):
    """Why the order exists; drives fulfilment rules (a drop ship skips our warehouse)."""

    STANDARD = "standard"
    RUSH = "rush"
    DROP_SHIP = "drop_ship"
    BLANKET = "blanket"
    RELEASE = "release"
    REPLENISHMENT = "replenishment"
    CONSIGNMENT = "consignment"
    SAMPLE = "sample"


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


class AckStatus(enum.StrEnum):
    """The seller's answer to the whole order (X12 BAK02 AT/AC/RJ)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_CHANGES = "accepted_with_changes"
    REJECTED = "rejected"


class LineAckStatus(enum.StrEnum):
    """The seller's answer per line; finer than the header so changes can be routed precisely."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_CHANGES = "accepted_with_changes"
    QUANTITY_CHANGED = "quantity_changed"
    PRICE_CHANGED = "price_changed"
    DATE_CHANGED = "date_changed"
    SUBSTITUTED = "substituted"
    BACKORDERED = "backordered"
    REJECTED = "rejected"


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
