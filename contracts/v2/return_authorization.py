"""Return authorizations in v2: v1's document with integer-minor-unit money."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from contracts.v1._base import Contract
from contracts.v1.common import (
    BusinessKeys,
    Identifier,
    ItemIds,
    LineNumber,
    NonEmptyStr,
    Party,
    Quantity,
)
from contracts.v1.return_authorization import ReturnDisposition, ReturnReason
from contracts.v2.money import Money

__all__ = ["ReturnAuthorization", "ReturnLine"]


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
