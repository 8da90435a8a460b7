"""Inventory movements (X12 947) and stock positions (X12 846) as warehouses report them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import msgspec

from contracts.v1._base import Contract
from contracts.v1.common import (
    AwareDatetime,
    BusinessKeys,
    Identifier,
    ItemIds,
    NonEmptyStr,
    Party,
    Quantity,
)

__all__ = [
    "AdjustmentDirection",
    "AdjustmentReason",
    "InventoryAdjustment",
    "InventoryAdjustmentLine",
    "InventorySnapshot",
    "InventorySnapshotLine",
    "InventoryStatus",
]


class InventoryStatus(enum.StrEnum):
    """Which bucket stock sits in; only ``available`` can be promised to orders."""

    AVAILABLE = "available"
    ALLOCATED = "allocated"
    ON_HOLD = "on_hold"
    QUARANTINE = "quarantine"
    DAMAGED = "damaged"
    IN_TRANSIT = "in_transit"


class AdjustmentDirection(enum.StrEnum):
    """Increase or decrease; quantities are never signed, so the direction is always explicit."""

    INCREASE = "increase"
    DECREASE = "decrease"


class AdjustmentReason(enum.StrEnum):
    """Why stock changed outside normal receipts and shipments."""

    CYCLE_COUNT = "cycle_count"
    DAMAGED = "damaged"
    EXPIRED = "expired"
    FOUND = "found"
    LOST = "lost"
    SHRINKAGE = "shrinkage"
    QUALITY_HOLD = "quality_hold"
    QUALITY_RELEASE = "quality_release"
    RECEIPT_CORRECTION = "receipt_correction"
    STATUS_CHANGE = "status_change"
    TRANSFER = "transfer"
    OTHER = "other"


class InventoryAdjustmentLine(Contract, frozen=True, kw_only=True):
    """One item's change; a status move is a decrease in one status and an increase in another."""

    item: ItemIds
    quantity: Quantity
    direction: AdjustmentDirection
    reason: AdjustmentReason
    status: InventoryStatus | None = None
    lot_number: Identifier | None = None
    expiration_date: dt.date | None = None
    location: NonEmptyStr | None = None
    notes: tuple[NonEmptyStr, ...] = ()


class InventoryAdjustment(Contract, frozen=True, kw_only=True):
    """A warehouse's report that stock changed, e.g. after a cycle count or damage."""

    adjustment_id: Identifier
    occurred_at: AwareDatetime
    lines: Annotated[tuple[InventoryAdjustmentLine, ...], msgspec.Meta(min_length=1)]
    warehouse: Party | None = None
    references: BusinessKeys | None = None


class InventorySnapshotLine(Contract, frozen=True, kw_only=True):
    """One item's position at the snapshot time, split by bucket where the source reports it."""

    item: ItemIds
    on_hand: Quantity
    available: Quantity | None = None
    allocated: Quantity | None = None
    on_order: Quantity | None = None
    status: InventoryStatus | None = None
    lot_number: Identifier | None = None
    expiration_date: dt.date | None = None
    location: NonEmptyStr | None = None


class InventorySnapshot(Contract, frozen=True, kw_only=True):
    """Stock on hand as of one moment.

    ``lines`` is required but may be empty: an explicit empty snapshot says "nothing in stock",
    which is different from a source that forgot to send its lines.
    """

    as_of: AwareDatetime
    lines: tuple[InventorySnapshotLine, ...]
    snapshot_id: Identifier | None = None
    warehouse: Party | None = None
    references: BusinessKeys | None = None
