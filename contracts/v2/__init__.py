"""Canonical model, version 2: v1 with money as integer minor units (ISO 4217 exponents).

The one breaking change from v1 is :class:`Money`: ``{"amount_minor": 999, "currency": "USD"}``
instead of ``{"amount": "9.99", "currency": "USD"}``. The documents that carry money (order,
order_ack, invoice, credit_memo, return_authorization) are redefined around it; the others are
v1's own types, registered here under the same names, because nothing in them changed. Addresses
were already structured in v1 (``lines``: up to four strings), so they stay as they are.

``contracts.v2.convert`` turns documents into the other version and back.
"""

from __future__ import annotations

from typing import Final

import msgspec

from contracts.v1 import (
    CarrierEvent,
    InventoryAdjustment,
    InventorySnapshot,
    OrderException,
    Shipment,
    WarehouseOrder,
    WarehouseShipment,
)
from contracts.v2.invoice import (
    AllowanceCharge,
    CreditMemo,
    CreditMemoLine,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
)
from contracts.v2.money import MAX_MINOR, MinorAmount, Money
from contracts.v2.order import Order, OrderAck, OrderAckLine, OrderLine
from contracts.v2.return_authorization import ReturnAuthorization, ReturnLine

__all__ = [
    "DOCUMENT_TYPES",
    "MAX_MINOR",
    "AllowanceCharge",
    "CarrierEvent",
    "CreditMemo",
    "CreditMemoLine",
    "InventoryAdjustment",
    "InventorySnapshot",
    "Invoice",
    "InvoiceLine",
    "InvoiceTotals",
    "MinorAmount",
    "Money",
    "Order",
    "OrderAck",
    "OrderAckLine",
    "OrderException",
    "OrderLine",
    "ReturnAuthorization",
    "ReturnLine",
    "Shipment",
    "WarehouseOrder",
    "WarehouseShipment",
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
