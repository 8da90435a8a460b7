"""Shipment notices (ASN, X12 856) with the pack hierarchy, shared with warehouse shipments.

The hierarchy is shipment -> orders -> packs -> items, where packs nest (a pallet holds
cartons, a carton may hold inner packs). Items may also sit directly under an order for loose,
unlabelled freight. Nesting is recursive rather than fixed at pallet/carton so that every
partner's HL structure (SOTPI, SOPI, SOI) maps without loss.
"""

from __future__ import annotations

import datetime as dt
import enum
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
    Sscc,
)

__all__ = ["Pack", "PackItem", "PackLevel", "Shipment", "ShipmentOrder"]


class PackLevel(enum.StrEnum):
    """What a pack physically is; labels and receiving differ for a pallet and a carton."""

    PALLET = "pallet"
    TARE = "tare"
    CARTON = "carton"
    INNER_PACK = "inner_pack"


class PackItem(Contract, frozen=True, kw_only=True):
    """Units of one item in a pack, with the lot/serial data receiving and recalls need."""

    item: ItemIds
    quantity: Quantity
    line_number: LineNumber | None = None
    lot_number: Identifier | None = None
    expiration_date: dt.date | None = None
    serial_numbers: tuple[NonEmptyStr, ...] = ()


class Pack(Contract, frozen=True, kw_only=True):
    """A pallet, carton or inner pack; holds child packs and/or items.

    The SSCC is optional because small parcels often travel on a tracking number alone, but a
    labelled pack should always carry it: it is what the receiver scans.
    """

    level: PackLevel
    sscc: Sscc | None = None
    tracking_number: Identifier | None = None
    packaging_code: NonEmptyStr | None = None
    weight: Quantity | None = None
    packs: tuple[Pack, ...] = ()
    items: tuple[PackItem, ...] = ()


class ShipmentOrder(Contract, frozen=True, kw_only=True):
    """The part of a shipment that fills one purchase order."""

    po_number: Identifier
    order_date: dt.date | None = None
    packs: tuple[Pack, ...] = ()
    items: tuple[PackItem, ...] = ()
    references: BusinessKeys | None = None


class Shipment(Contract, frozen=True, kw_only=True):
    """An advance ship notice: what left, when, with whom, and exactly how it is packed."""

    shipment_id: Identifier
    ship_date: dt.date
    orders: Annotated[tuple[ShipmentOrder, ...], msgspec.Meta(min_length=1)]
    shipped_at: AwareDatetime | None = None
    estimated_delivery_date: dt.date | None = None
    parties: tuple[Party, ...] = ()
    carrier: CarrierId | None = None
    service_level: NonEmptyStr | None = None
    tracking_number: Identifier | None = None
    bol_number: Identifier | None = None
    pro_number: Identifier | None = None
    total_weight: Quantity | None = None
    package_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None
