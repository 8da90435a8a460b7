"""Which canonical document type an X12 transaction set is: one rule, used everywhere.

The canonical (contracts v1) type when X12 has one, so mapping selection, validation and routing
work as for any other channel; ``x12.<set id>`` for sets without a canonical counterpart.
"""

from __future__ import annotations

#: X12 transaction set id -> canonical (contracts v1) document type.
DOCUMENT_TYPES: dict[str, str] = {
    "850": "order",
    "855": "order_ack",
    "856": "shipment",
    "810": "invoice",
    "180": "return_authorization",
    "812": "credit_memo",
    "846": "inventory_snapshot",
    "947": "inventory_adjustment",
    "940": "warehouse_order",
    "945": "warehouse_shipment",
    "214": "carrier_event",
}


def document_type(set_id: str) -> str:
    """The canonical document type of a set id, or ``x12.<set id>``."""
    return DOCUMENT_TYPES.get(set_id) or f"x12.{set_id}"
