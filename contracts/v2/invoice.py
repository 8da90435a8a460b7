"""Invoices and credit memos in v2: v1's documents with integer-minor-unit money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import msgspec

from contracts.v1._base import Contract, ensure_finite
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
from contracts.v1.invoice import AllowanceChargeKind, CreditReason, PaymentTerms
from contracts.v2.money import Money

__all__ = [
    "AllowanceCharge",
    "CreditMemo",
    "CreditMemoLine",
    "Invoice",
    "InvoiceLine",
    "InvoiceTotals",
]


def _non_negative(money: Money, field: str) -> None:
    if money.amount_minor < 0:
        msg = f"`{field}` must be >= 0, got {money.amount_minor} minor units"
        raise ValueError(msg)


class AllowanceCharge(Contract, frozen=True, kw_only=True):
    """A discount or a fee (freight, handling, promotion).

    ``amount`` is never negative; ``kind`` says which way it goes, so nobody has to guess what a
    negative charge means.
    """

    kind: AllowanceChargeKind
    amount: Money
    code: NonEmptyStr | None = None
    description: NonEmptyStr | None = None
    percent: Annotated[Decimal, msgspec.Meta(description="finite, e.g. 2.5 for 2.5%")] | None = None

    def __post_init__(self) -> None:
        _non_negative(self.amount, "amount")
        ensure_finite(self.percent, "percent")


class InvoiceLine(Contract, frozen=True, kw_only=True):
    """One billed item. The unit price is required: a line without a price bills nothing."""

    line_number: LineNumber
    item: ItemIds
    quantity: Quantity
    unit_price: Money
    extended_amount: Money | None = None
    tax_amount: Money | None = None
    po_line_number: LineNumber | None = None
    allowances_charges: tuple[AllowanceCharge, ...] = ()


class InvoiceTotals(Contract, frozen=True, kw_only=True):
    """Header totals as the biller states them.

    Checking them against the lines is the exception detector's job (pricing_mismatch), not the
    contract's: a document that does not add up is still a document someone must see.
    """

    total: Money
    subtotal: Money | None = None
    allowance_total: Money | None = None
    charge_total: Money | None = None
    tax_total: Money | None = None
    amount_due: Money | None = None


class Invoice(Contract, frozen=True, kw_only=True):
    """A bill for goods shipped against an order."""

    invoice_number: Identifier
    invoice_date: dt.date
    currency: CurrencyCode
    lines: Annotated[tuple[InvoiceLine, ...], msgspec.Meta(min_length=1)]
    totals: InvoiceTotals
    po_number: Identifier | None = None
    parties: tuple[Party, ...] = ()
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    terms: PaymentTerms | None = None
    ship_date: dt.date | None = None
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None


class CreditMemoLine(Contract, frozen=True, kw_only=True):
    """One credited amount, optionally tied to an item and quantity."""

    line_number: LineNumber
    amount: Money
    item: ItemIds | None = None
    quantity: Quantity | None = None
    unit_price: Money | None = None
    reason: CreditReason | None = None


class CreditMemo(Contract, frozen=True, kw_only=True):
    """A credit against an earlier invoice, e.g. after a return or a pricing dispute.

    ``total`` is the positive amount credited; the document type says the direction.
    """

    credit_memo_number: Identifier
    credit_date: dt.date
    currency: CurrencyCode
    total: Money
    reason: CreditReason
    original_invoice_number: Identifier | None = None
    lines: tuple[CreditMemoLine, ...] = ()
    parties: tuple[Party, ...] = ()
    notes: tuple[NonEmptyStr, ...] = ()
    references: BusinessKeys | None = None

    def __post_init__(self) -> None:
        _non_negative(self.total, "total")
