"""Return authorizations (RMA, X12 180): which goods may come back, why, and what then."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import msgspec

from contracts.v1._base import Contract
from contracts.v1.common import (
    BusinessKeys,
    Identifier,
    ItemIds,
    LineNumber,
    Money,
    NonEmptyStr,
    Party,
    Quantity,
)

__all__ = ["ReturnAuthorization", "ReturnDisposition", "ReturnLine", "ReturnReason"]


class ReturnReason(enum.StrEnum):
    """Why the customer returns the goods; decides who pays and whether a credit follows."""

    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_ORDERED = "not_ordered"
    OVERSHIPPED = "overshipped"
    OVERSTOCK = "overstock"
    EXPIRED = "expired"
    RECALLED = "recalled"
    WARRANTY = "warranty"
    CUSTOMER_PREFERENCE = "customer_preference"
    OTHER = "other"


class ReturnDisposition(enum.StrEnum):
    """What the warehouse must do with the goods when they arrive."""

    RESTOCK = "restock"
    INSPECT = "inspect"
    QUARANTINE = "quarantine"
    REFURBISH = "refurbish"
    RETURN_TO_VENDOR = "return_to_vendor"
    DESTROY = "destroy"
    DONATE = "donate"


class ReturnLine(Contract, frozen=True, kw_only=True):
    """One authorized item, with the reason and the intended disposition."""

    line_number: LineNumber
    item: ItemIds
    quantity: Quantity
    reason: ReturnReason
    disposition: ReturnDisposition
    unit_credit: Money | None = None
    lot_number: Identifier | None = None
    serial_numbers: tuple[NonEmptyStr, ...] = ()
    original_po_number: Identifier | None = None
    original_invoice_number: Identifier | None = None
    notes: tuple[NonEmptyStr, ...] = ()


class ReturnAuthorization(Contract, frozen=True, kw_only=True):
    """Permission to return goods. Receipts without a matching RMA raise unauthorized_return."""

    rma_number: Identifier
    issued_date: dt.date
    lines: Annotated[tuple[ReturnLine, ...], msgspec.Meta(min_length=1)]
    expires_on: dt.date | None = None
    parties: tuple[Party, ...] = ()
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None
