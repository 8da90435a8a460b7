"""Order exceptions: problems the gateway detects across documents, for a human to resolve."""

from __future__ import annotations

import enum

from contracts.v1._base import Contract
from contracts.v1.common import AwareDatetime, BusinessKeys, Identifier, NonEmptyStr

__all__ = ["Evidence", "ExceptionType", "OrderException", "OwnerRole", "Severity"]


class ExceptionType(enum.StrEnum):
    """The one exception taxonomy; detectors, dashboards and SLAs all key on these values."""

    SHORT_SHIPMENT = "short_shipment"
    DAMAGED_GOODS = "damaged_goods"
    PRICING_MISMATCH = "pricing_mismatch"
    DUPLICATE_ORDER = "duplicate_order"
    ADDRESS_INVALID = "address_invalid"
    CREDIT_HOLD = "credit_hold"
    ASN_DISCREPANCY = "asn_discrepancy"
    UNAUTHORIZED_RETURN = "unauthorized_return"
    INVENTORY_SHORTAGE = "inventory_shortage"
    SHIPMENT_DELAY = "shipment_delay"


class Severity(enum.StrEnum):
    """How urgent; decides the SLA and who is paged."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class OwnerRole(enum.StrEnum):
    """The team expected to resolve the exception; a role, not a person, so rotas can change."""

    CUSTOMER_SERVICE = "customer_service"
    SALES = "sales"
    PURCHASING = "purchasing"
    CREDIT = "credit"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    ACCOUNTS_PAYABLE = "accounts_payable"
    WAREHOUSE = "warehouse"
    TRANSPORTATION = "transportation"
    RETURNS = "returns"
    INTEGRATION = "integration"


class Evidence(Contract, frozen=True, kw_only=True):
    """One observation behind the exception: which document, which field, expected vs actual.

    Values are strings because they come from any document and any type; they are for people to
    read, not for arithmetic.
    """

    description: NonEmptyStr
    document_type: NonEmptyStr | None = None
    document_id: Identifier | None = None
    field: NonEmptyStr | None = None
    expected: str | None = None
    actual: str | None = None


class OrderException(Contract, frozen=True, kw_only=True):
    """A detected problem with an order's flow, with enough context to act without digging."""

    exception_id: Identifier
    exception_type: ExceptionType
    severity: Severity
    summary: NonEmptyStr
    detected_at: AwareDatetime
    keys: BusinessKeys
    owner_role: OwnerRole
    evidence: tuple[Evidence, ...] = ()
    sla_due_at: AwareDatetime | None = None
