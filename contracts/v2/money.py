"""Money in contract v2: an integer number of the currency's minor units.

Why the break from v1's decimal string: integer minor units are what payment systems, ERPs and
most partner APIs (Stripe, Adyen, Shopify's ``*_set`` amounts) exchange, they cannot carry more
precision than the currency has (``"9.999"`` USD is representable in v1 and means nothing), and
every JSON parser reads them exactly. The field is renamed as well as retyped (``amount`` ->
``amount_minor``) so that a v1 body sent to a v2 endpoint fails loudly on the unknown field
instead of being read as 100 times less money.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from contracts.currencies import MINOR_UNITS
from contracts.v1._base import Contract
from contracts.v1.common import CurrencyCode

__all__ = ["MAX_MINOR", "MinorAmount", "Money"]

MAX_MINOR: Final = 2**53 - 1
"""Largest magnitude of ``amount_minor``: beyond 2**53 JavaScript (and any JSON parser that
reads numbers as doubles) silently loses the last digits. That is 90 trillion in a 2-digit
currency, more than any document here will carry."""

MinorAmount = Annotated[
    int,
    msgspec.Meta(
        ge=-MAX_MINOR,
        le=MAX_MINOR,
        description="the amount in the currency's ISO 4217 minor units (999 USD = 9.99 USD)",
    ),
]


class Money(Contract, frozen=True, kw_only=True):
    """An amount as an integer count of the currency's minor units (cents for USD, yen for JPY).

    The currency must be an ISO 4217 code with a minor unit (``contracts.currencies``); without
    one the integer has no defined value. Negative amounts are allowed: credits and adjustments
    are money flowing back.
    """

    amount_minor: MinorAmount
    currency: CurrencyCode

    def __post_init__(self) -> None:
        if self.currency not in MINOR_UNITS:
            msg = (
                f"`currency` {self.currency!r} is not an ISO 4217 currency with a minor unit; "
                "v2 amounts are counted in minor units, so the currency must define one"
            )
            raise ValueError(msg)
