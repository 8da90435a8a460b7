"""Converters between contract v1 and v2, both ways, exact or refused.

The documents differ only in :class:`Money`, so one walk serves every document type: it turns a
document into JSON-shaped builtins (one ``msgspec.to_builtins`` call), rewrites each Money in
place (``amount`` as a decimal string <-> ``amount_minor`` as an integer, by the currency's ISO
4217 exponent), visiting only the fields whose types can hold money, and validates the result
strictly into the other version's Struct. A 50-line order converts in about 0.2 ms either way.

- **v2 -> v1** always succeeds and is exact: ``999`` USD becomes ``"9.99"``, always written with
  the currency's number of decimals (``1000`` -> ``"10.00"``, ``5`` JPY -> ``"5"``).
- **v1 -> v2** is exact or refused, never rounded. :class:`ConversionError` names the field path
  when an amount has more decimals than the currency's minor unit (``"9.999"`` USD), when the
  currency has no minor unit (XAU, or a code ISO 4217 does not know), or when the amount is
  beyond ``MAX_MINOR`` minor units. Trailing zeros are not precision: ``"9.990"`` is 999 cents.

So v2 -> v1 -> v2 is the identity, and v1 -> v2 -> v1 gives an equal document (equal decimals;
the text of an amount is normalised to the currency's decimals, ``"9.9"`` -> ``"9.90"``).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import msgspec

from contracts import v1, v2
from contracts.currencies import minor_unit
from contracts.v2.money import MAX_MINOR

__all__ = ["ConversionError", "from_minor", "to_minor", "v1_to_v2", "v2_to_v1"]

_ROOT: Final = "$"


class ConversionError(msgspec.ValidationError):
    """A document cannot be said exactly in the target version.

    A ``msgspec.ValidationError`` whose message ends in the field path like msgspec's own (``...
    - at `$.lines[0].unit_price.amount` ``), so code that reports validation errors reports this
    one the same way. ``path`` and ``reason`` hold the two parts.
    """

    def __init__(self, reason: str, path: str) -> None:
        super().__init__(f"{reason} - at `{path}`")
        self.reason = reason
        self.path = path


def to_minor(amount: Decimal, currency: str, path: str = _ROOT) -> int:
    """A decimal amount as an integer count of ``currency``'s minor units, exactly or refused.

    Works on the decimal's digits and exponent, not through a decimal context, so no precision
    setting can round the result.
    """
    exponent = minor_unit(currency)
    if exponent is None:
        raise ConversionError(
            f"currency {currency!r} has no ISO 4217 minor unit, so v2 cannot count it in minor "
            "units",
            f"{path}.currency",
        )
    if not amount.is_finite():
        raise ConversionError(f"amount {amount} is not a finite number", f"{path}.amount")
    if amount.is_zero():
        return 0
    if amount.adjusted() + exponent > 16:  # |amount| >= 10**17 minor units: beyond MAX_MINOR
        raise ConversionError(_too_large(amount, currency), f"{path}.amount")
    sign, digits, power = amount.as_tuple()
    assert isinstance(power, int)  # finite decimals have an integer exponent
    coefficient = int("".join(map(str, digits)))
    shift = power + exponent
    if shift >= 0:
        minor = coefficient * int(10**shift)
    else:
        minor, rest = divmod(coefficient, int(10**-shift))
        if rest:
            raise ConversionError(
                f"amount {amount} {currency} has more decimals than {currency}'s minor unit "
                f"({exponent}); v1 -> v2 refuses to round money",
                f"{path}.amount",
            )
    minor = -minor if sign else minor
    if abs(minor) > MAX_MINOR:
        raise ConversionError(_too_large(amount, currency), f"{path}.amount")
    return minor


def _too_large(amount: Decimal, currency: str) -> str:
    return f"amount {amount} {currency} is beyond the {MAX_MINOR} minor units v2 can carry"


def from_minor(minor: int, currency: str) -> Decimal:
    """An integer count of minor units as an exact decimal with the currency's decimals."""
    exponent = minor_unit(currency)
    if exponent is None:
        msg = f"currency {currency!r} has no ISO 4217 minor unit"
        raise ValueError(msg)
    return Decimal((0 if minor >= 0 else 1, tuple(int(d) for d in str(abs(minor))), -exponent))


def _v1_money(money: Any, path: str) -> dict[str, Any]:
    assert isinstance(money, v1.Money)
    return {
        "amount_minor": to_minor(money.amount, money.currency, path),
        "currency": money.currency,
    }


def _v2_money(money: Any, path: str) -> dict[str, Any]:
    assert isinstance(money, v2.Money)
    return {
        "amount": str(from_minor(money.amount_minor, money.currency)),
        "currency": money.currency,
    }


_Rewrite = Callable[[Any, str], dict[str, Any]]


@functools.cache
def _money_fields(struct_type: type, money_type: type) -> tuple[str, ...]:
    """The fields of ``struct_type`` whose values can contain a ``money_type`` somewhere."""
    hints = typing.get_type_hints(struct_type, include_extras=True)
    return tuple(
        name
        for name in getattr(struct_type, "__struct_fields__", ())
        if _mentions(hints[name], money_type, {struct_type})
    )


def _mentions(tp: Any, money_type: type, seen: set[type]) -> bool:
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        if tp is money_type:
            return True
        if tp in seen:  # recursive types (a pack of packs): the other fields decide
            return False
        seen.add(tp)
        hints = typing.get_type_hints(tp, include_extras=True)
        return any(_mentions(hint, money_type, seen) for hint in hints.values())
    return any(_mentions(arg, money_type, seen) for arg in typing.get_args(tp))


def _rewrite_money(value: Any, tree: Any, path: str, money_type: type, rewrite: _Rewrite) -> Any:
    """Replace, in ``tree`` (``value`` as builtins), every ``money_type`` by its rewrite.

    Only the fields that can hold money are visited (``_money_fields``); everything else was
    turned into builtins by one ``msgspec.to_builtins`` call in C. Unset fields are absent from
    ``tree`` (the structs omit defaults) and are skipped.
    """
    if isinstance(value, money_type):
        return rewrite(value, path)
    if isinstance(value, msgspec.Struct):
        for name in _money_fields(type(value), money_type):
            if name in tree:
                tree[name] = _rewrite_money(
                    getattr(value, name), tree[name], f"{path}.{name}", money_type, rewrite
                )
    elif isinstance(value, tuple | list):
        tree = list(tree)  # to_builtins keeps tuples as tuples
        for index, item in enumerate(value):
            tree[index] = _rewrite_money(item, tree[index], f"{path}[{index}]", money_type, rewrite)
    elif isinstance(value, dict):
        for key, item in value.items():
            tree[key] = _rewrite_money(item, tree[key], f"{path}.{key}", money_type, rewrite)
    return tree


def _walk(value: msgspec.Struct, money_type: type, rewrite: _Rewrite) -> Any:
    """``value`` as JSON-shaped builtins, with every ``money_type`` rewritten."""
    return _rewrite_money(value, msgspec.to_builtins(value), _ROOT, money_type, rewrite)


def _target(versions: dict[str, type[msgspec.Struct]], document_type: str) -> type[msgspec.Struct]:
    try:
        return versions[document_type]
    except KeyError:
        msg = f"unknown document type {document_type!r}; known: {', '.join(sorted(versions))}"
        raise LookupError(msg) from None


def v1_to_v2(document_type: str, document: msgspec.Struct) -> msgspec.Struct:
    """A v1 document as v2; raises :class:`ConversionError` rather than lose or round money."""
    target = _target(v2.DOCUMENT_TYPES, document_type)
    tree = _walk(document, v1.Money, _v1_money)
    return msgspec.convert(tree, target, strict=True)


def v2_to_v1(document_type: str, document: msgspec.Struct) -> msgspec.Struct:
    """A v2 document as v1; exact, and never fails for a valid v2 document."""
    target = _target(v1.DOCUMENT_TYPES, document_type)
    tree = _walk(document, v2.Money, _v2_money)
    return msgspec.convert(tree, target, strict=True)
