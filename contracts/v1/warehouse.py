"""Orders to a warehouse or 3PL (X12 940) and its confirmation of what shipped (X12 945)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from contracts.v1._base import Contract
from contracts.v1.common import (
    AwareDatetime,
    BusinessKeys,
    CarrierId,
    Identifier,
    ItemIds,
    LineNumber,
    NonEmptyStr,
    Party,
    Quantity,
)
from contracts.v1.shipment import Pack

__all__ = [
    "WarehouseOrder",
    "WarehouseOrderLine",
    "WarehouseShipment",
    "WarehouseShipmentLine",
]


class WarehouseOrderLine(Contract, frozen=True, kw_only=True):
    """One item to pick; lot is set only when the customer or a recall pins a specific lot."""

    line_number: LineNumber
    item: ItemIds
    quantity: Quantity
    lot_number: Identifier | None = None
    notes: tuple[NonEmptyStr, ...] = ()


class WarehouseOrder(Contract, frozen=True, kw_only=True):
    """An instruction to a warehouse to pick, pack and ship. Parties should include ship_to."""

    warehouse_order_number: Identifier
    order_date: dt.date
    lines: Annotated[tuple[WarehouseOrderLine, ...], msgspec.Meta(min_length=1)]
    po_number: Identifier | None = None
    parties: tuple[Party, ...] = ()
    requested_ship_date: dt.date | None = None
    requested_delivery_date: dt.date | None = None
    carrier: CarrierId | None = None
    service_level: NonEmptyStr | None = None
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None


class WarehouseShipmentLine(Contract, frozen=True, kw_only=True):
    """What shipped for one warehouse order line; ordered vs shipped reveals short shipments."""

    line_number: LineNumber
    item: ItemIds
    quantity_shipped: Quantity
    quantity_ordered: Quantity | None = None
    lot_number: Identifier | None = None
    serial_numbers: tuple[NonEmptyStr, ...] = ()


class WarehouseShipment(Contract, frozen=True, kw_only=True):
    """The warehouse's confirmation that an order shipped; packs reuse the ASN hierarchy."""

    warehouse_order_number: Identifier
    ship_date: dt.date
    lines: Annotated[tuple[WarehouseShipmentLine, ...], msgspec.Meta(min_length=1)]
    shipped_at: AwareDatetime | None = None
    shipment_id: Identifier | None = None
    po_number: Identifier | None = None
    parties: tuple[Party, ...] = ()
    carrier: CarrierId | None = None
    service_level: NonEmptyStr | None = None
    tracking_number: Identifier | None = None
    bol_number: Identifier | None = None
    packs: tuple[Pack, ...] = ()
    references: BusinessKeys | None = None
