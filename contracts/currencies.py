"""ISO 4217 minor units: how many decimal digits each currency's smallest unit has.

Contract v2 carries money as an integer count of minor units (cents, fils, yen), so turning an
amount into text, or text into an amount, needs the currency's exponent: 999 USD minor units are
9.99 USD, 999 JPY are 999 JPY, 999 KWD are 0.999 KWD. The table is data in ``contracts`` rather
than a dependency because the contracts package imports only msgspec and the standard library.

Only currencies that ISO 4217 gives a minor unit are listed; precious metals, testing codes and
units of account such as XAU, XDR and XXX have none ("N.A." in the standard) and cannot be said
in minor units. When ISO 4217 changes (a new currency, a redenomination), add or edit the entry
here; adding one is an additive change to v2.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["MINOR_UNITS", "minor_unit"]

_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
)
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"

MINOR_UNITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        code: exponent
        for codes, exponent in ((_ZERO, 0), (_TWO, 2), (_THREE, 3), (_FOUR, 4))
        for code in codes.split()
    }
)
"""Currency code -> ISO 4217 minor unit (decimal digits after the point), e.g. JPY 0, USD 2."""


def minor_unit(currency: str) -> int | None:
    """The currency's exponent, or None when ISO 4217 gives it no minor unit (or it is unknown)."""
    return MINOR_UNITS.get(currency)
