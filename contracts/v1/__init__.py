"""Canonical model, version 1: every document type and the parts they share.

``DOCUMENT_TYPES`` is the explicit registry of top-level documents, keyed by the snake_case
name used in routes, journal entries and schema file names. Nothing registers itself on import.
"""

from __future__ import annotations

from typing import Final

import msgspec

from contracts.v1.carrier_event import CarrierEvent, CarrierStatus
from contracts.v1.common import (
    Address,
    AwareDatetime,
    BusinessKeys,
    CarrierId,
    Contact,
    CountryCode,
    CurrencyCode,
    Gtin,
    Identifier,
    ItemIds,
    LineNumber,
    Location,
    Money,
    NonEmptyStr,
    Party,
    PartyRole,
    Quantity,
    Sscc,
    UnitOfMeasure,
    Upc,
)
from contracts.v1.inventory import (
    AdjustmentDirection,
    AdjustmentReason,
    InventoryAdjustment,
    InventoryAdjustmentLine,
    InventorySnapshot,
    InventorySnapshotLine,
    InventoryStatus,
)
from contracts.v1.invoice import (
    AllowanceCharge,
    AllowanceChargeKind,
    CreditMemo,
    CreditMemoLine,
    CreditReason,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    PaymentTerms,
)
from contracts.v1.order import (
    AckStatus,
    LineAckStatus,
    Order,
    OrderAck,
    OrderAckLine,
    OrderLine,
    OrderType,
)
from contracts.v1.order_exception import (
    Evidence,
    ExceptionType,
    OrderException,
    OwnerRole,
    Severity,
)
from contracts.v1.return_authorization import (
    ReturnAuthorization,
    ReturnDisposition,
    ReturnLine,
    ReturnReason,
)
from contracts.v1.shipment import Pack, PackItem, PackLevel, Shipment, ShipmentOrder
from contracts.v1.warehouse import (
    WarehouseOrder,
    WarehouseOrderLine,
    WarehouseShipment,
    WarehouseShipmentLine,
)

__all__ = [
    "DOCUMENT_TYPES",
    "AckStatus",
    "Address",
    "AdjustmentDirection",
    "AdjustmentReason",
    "AllowanceCharge",
    "AllowanceChargeKind",
    "AwareDatetime",
    "BusinessKeys",
    "CarrierEvent",
    "CarrierId",
    "CarrierStatus",
    "Contact",
    "CountryCode",
    "CreditMemo",
    "CreditMemoLine",
    "CreditReason",
    "CurrencyCode",
    "Evidence",
    "ExceptionType",
    "Gtin",
    "Identifier",
    "InventoryAdjustment",
    "InventoryAdjustmentLine",
    "InventorySnapshot",
    "InventorySnapshotLine",
    "InventoryStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceTotals",
    "ItemIds",
    "LineAckStatus",
    "LineNumber",
    "Location",
    "Money",
    "NonEmptyStr",
    "Order",
    "OrderAck",
    "OrderAckLine",
    "OrderException",
    "OrderLine",
    "OrderType",
    "OwnerRole",
    "Pack",
    "PackItem",
    "PackLevel",
    "Party",
    "PartyRole",
    "PaymentTerms",
    "Quantity",
    "ReturnAuthorization",
    "ReturnDisposition",
    "ReturnLine",
    "ReturnReason",
    "Severity",
    "Shipment",
    "ShipmentOrder",
    "Sscc",
    "UnitOfMeasure",
    "Upc",
    "WarehouseOrder",
    "WarehouseOrderLine",
    "WarehouseShipment",
    "WarehouseShipmentLine",
]

DOCUMENT_TYPES: Final[dict[str, type[msgspec.Struct]]] = {
    "order": Order,
    "order_ack": OrderAck,
    "shipment": Shipment,
    "invoice": Invoice,
    "return_authorization": ReturnAuthorization,
    "credit_memo": CreditMemo,
    "inventory_adjustment": InventoryAdjustment,
    "inventory_snapshot": InventorySnapshot,
    "warehouse_order": WarehouseOrder,
    "warehouse_shipment": WarehouseShipment,
    "carrier_event": CarrierEvent,
    "order_exception": OrderException,
}
