"""Parts shared by every v1 document: parties, addresses, item ids, quantities, money, keys.

Constraints are declared with ``Annotated[..., msgspec.Meta(...)]`` so that one declaration
drives both decoding and the published JSON Schema. Rules that cannot be said that way are
checked in ``__post_init__`` (msgspec reports them with the field's path like any other error):
a decimal must be finite (a quantity also non-negative), a party needs a name or an id, and an
item needs at least one identifier.

Patterns are anchored with ``^...$``. Python's ``$`` also matches before a trailing newline, so
fixed-length codes also carry ``min_length``/``max_length`` and variable-length ones end in a
negative lookahead for a newline: "USD" plus a newline is rejected by the decoder as it is by a
JSON Schema validator.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated

import msgspec

from contracts.v1._base import Contract, ensure_finite

__all__ = [
    "Address",
    "AwareDatetime",
    "BusinessKeys",
    "CarrierId",
    "Contact",
    "CountryCode",
    "CurrencyCode",
    "Gtin",
    "Identifier",
    "ItemIds",
    "LineNumber",
    "Location",
    "Money",
    "NonEmptyStr",
    "Party",
    "PartyRole",
    "Quantity",
    "Sscc",
    "UnitOfMeasure",
    "Upc",
]

NonEmptyStr = Annotated[str, msgspec.Meta(min_length=1)]
"""Free text that must say something; an empty string is a mapping that found nothing."""

Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
"""A business number (PO, ASN, BOL...). Bounded so a mis-mapped blob cannot pose as a key."""

LineNumber = Annotated[int, msgspec.Meta(ge=1)]
"""1-based line number; partners' alphanumeric line ids are kept in ``partner_line_id``."""

CurrencyCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$", min_length=3, max_length=3)]
"""ISO 4217 alphabetic code, e.g. USD."""

CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$", min_length=2, max_length=2)]
"""ISO 3166-1 alpha-2 code, e.g. US."""

Gtin = Annotated[
    str, msgspec.Meta(pattern="^(?:[0-9]{8}|[0-9]{12,14})$(?!\\n)", min_length=8, max_length=14)
]
"""GTIN-8/12/13/14 as digits. The check digit is not verified here: a wrong one is a data-quality
exception for the partner, not a reason to refuse the whole order."""

Upc = Annotated[str, msgspec.Meta(pattern="^[0-9]{12}$", min_length=12, max_length=12)]
"""UPC-A, 12 digits."""

Sscc = Annotated[str, msgspec.Meta(pattern="^[0-9]{18}$", min_length=18, max_length=18)]
"""GS1 Serial Shipping Container Code, 18 digits (without the "00" application identifier)."""

CarrierId = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=64, description="SCAC or the gateway's carrier key, e.g. UPSN"
    ),
]
"""Which carrier; SCAC where the carrier has one, so routes and crosswalks agree on a key."""

AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
"""A timestamp with a UTC offset; a naive time is ambiguous across partners' time zones."""


class PartyRole(enum.StrEnum):
    """What a party does in a document; one closed list so routing rules can rely on it."""

    BUYER = "buyer"
    SELLER = "seller"
    SOLD_TO = "sold_to"
    BILL_TO = "bill_to"
    REMIT_TO = "remit_to"
    SHIP_TO = "ship_to"
    SHIP_FROM = "ship_from"
    RETURN_TO = "return_to"
    CARRIER = "carrier"
    WAREHOUSE = "warehouse"
    SUPPLIER = "supplier"
    MANUFACTURER = "manufacturer"
    FREIGHT_PAYER = "freight_payer"


class UnitOfMeasure(enum.StrEnum):
    """Canonical unit codes; mappings crosswalk partner codes (e.g. X12 ``CA``) onto these."""

    EACH = "EA"
    PAIR = "PR"
    DOZEN = "DZ"
    PACK = "PK"
    BOX = "BX"
    CASE = "CS"
    CARTON = "CT"
    BAG = "BG"
    ROLL = "RL"
    PALLET = "PL"
    POUND = "LB"
    OUNCE = "OZ"
    KILOGRAM = "KG"
    GRAM = "GR"
    GALLON = "GA"
    LITER = "LT"
    FOOT = "FT"
    INCH = "IN"
    METER = "MR"
    CENTIMETER = "CM"


class Address(Contract, frozen=True, kw_only=True):
    """A postal address. City and country are what carriers and tax engines cannot do without."""

    lines: Annotated[tuple[NonEmptyStr, ...], msgspec.Meta(min_length=1, max_length=4)]
    city: NonEmptyStr
    country: CountryCode
    region: NonEmptyStr | None = None
    postal_code: NonEmptyStr | None = None


class Location(Contract, frozen=True, kw_only=True):
    """A place as carriers report it: often just a city or a facility, never a full address."""

    facility: NonEmptyStr | None = None
    city: NonEmptyStr | None = None
    region: NonEmptyStr | None = None
    postal_code: NonEmptyStr | None = None
    country: CountryCode | None = None


class Contact(Contract, frozen=True, kw_only=True):
    """Who to call about a party's part of a document (drop-ship recipients, receiving docks)."""

    name: NonEmptyStr | None = None
    email: NonEmptyStr | None = None
    phone: NonEmptyStr | None = None


class Party(Contract, frozen=True, kw_only=True):
    """A participant in a document, by role.

    ``identifiers`` maps a qualifier (``duns``, ``gln``, ``partner``, ``vat`` ...) to the value,
    so partners' different id schemes survive without one field per scheme. A party needs a name
    or at least one identifier; otherwise nobody downstream can tell who it is.
    """

    role: PartyRole
    name: NonEmptyStr | None = None
    identifiers: dict[NonEmptyStr, NonEmptyStr] = msgspec.field(default_factory=dict)
    address: Address | None = None
    contact: Contact | None = None

    def __post_init__(self) -> None:
        if self.name is None and not self.identifiers:
            msg = "a party needs a `name` or at least one entry in `identifiers`"
            raise ValueError(msg)


class ItemIds(Contract, frozen=True, kw_only=True):
    """How the parties identify one item. At least one of sku, gtin, upc or partner_item_id.

    Several ids travel together because each system matches on a different one: the ERP on the
    SKU, the retailer on its own item id, the warehouse scanner on the GTIN.
    """

    sku: Identifier | None = None
    gtin: Gtin | None = None
    upc: Upc | None = None
    partner_item_id: Identifier | None = None
    description: NonEmptyStr | None = None

    def __post_init__(self) -> None:
        # a chain of ``is None``, not ``all(...)`` over a generator: this runs for every line
        # of every document, and the generator was its largest cost
        if (
            self.sku is None
            and self.gtin is None
            and self.upc is None
            and self.partner_item_id is None
        ):
            msg = "an item needs at least one of `sku`, `gtin`, `upc`, `partner_item_id`"
            raise ValueError(msg)


class Quantity(Contract, frozen=True, kw_only=True):
    """An amount of something in a unit, never negative.

    Decimal, because weights and split cases are fractional and a float would turn 0.1 kg into
    0.1000000000000000055 kg. A decrease is said by the document (an adjustment's direction),
    not by a sign.
    """

    value: Annotated[Decimal, msgspec.Meta(description="finite and >= 0")]
    uom: UnitOfMeasure

    def __post_init__(self) -> None:
        # the usual value passes on two C-level checks; ensure_finite says what is wrong
        if not self.value.is_finite() or self.value < 0:
            ensure_finite(self.value, "value", non_negative=True)


class Money(Contract, frozen=True, kw_only=True):
    """An amount in a currency. Decimal, never float, so totals add up to the cent.

    Negative amounts are allowed: credits and adjustments are money flowing back.
    """

    amount: Annotated[Decimal, msgspec.Meta(description="finite")]
    currency: CurrencyCode

    def __post_init__(self) -> None:
        if not self.amount.is_finite():  # every line has one: no further call when it passes
            ensure_finite(self.amount, "amount")


class BusinessKeys(Contract, frozen=True, kw_only=True):
    """Keys of related documents, so any document can be joined to the rest of its story.

    A document's own number is a top-level field of the document; these are the others
    (e.g. the PO and ASN an invoice bills for). Operators search and replay by these keys.
    """

    po_number: Identifier | None = None
    order_number: Identifier | None = None
    asn_number: Identifier | None = None
    bol_number: Identifier | None = None
    pro_number: Identifier | None = None
    sscc: Sscc | None = None
    invoice_number: Identifier | None = None
    credit_memo_number: Identifier | None = None
    rma_number: Identifier | None = None
    tracking_number: Identifier | None = None
    warehouse_order_number: Identifier | None = None
    shipment_id: Identifier | None = None
