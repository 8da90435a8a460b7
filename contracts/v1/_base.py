"""The one Struct configuration every canonical v1 type shares.

Kept in a private module so the public surface is the document types themselves; the settings
live in one place so no struct can quietly drift to a laxer configuration.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Contract(
    msgspec.Struct,
    forbid_unknown_fields=True,
    kw_only=True,
    frozen=True,
    omit_defaults=True,
    gc=False,
):
    """Base of every v1 struct.

    - ``forbid_unknown_fields``: a misspelt or unmapped field is a mapping bug, and the validate
      stage must say so instead of silently dropping data.
    - ``kw_only``: documents have many optional fields; positional construction would make
      adding one a breaking change for Python callers.
    - ``frozen``: a validated document is a fact about a message; stages pass it on, never edit it.
    - ``omit_defaults``: unset optional fields stay off the wire, so payloads stay small and a
      field added later in v1 is invisible to consumers that never see it set.
    - ``gc=False``: the cyclic garbage collector does not track these structs. A frozen document
      of strings, numbers, dates and tuples cannot be part of a reference cycle, and a decoded
      order makes some 25 of them: untracked, each is cheaper to make and every collection has
      fewer objects to walk (about 3 % of a strict order decode, measured in instructions).

    msgspec inherits these settings, but type checkers do not (``dataclass_transform`` reads
    class keywords per class), so subclasses repeat ``frozen=True, kw_only=True``.
    """


def ensure_finite(value: Decimal | None, field: str, *, non_negative: bool = False) -> None:
    """Reject NaN/Infinity (and negatives if asked), which JSON Schema cannot express for decimals.

    msgspec turns the ValueError into a ValidationError carrying the struct's path.
    """
    if value is None:
        return
    if not value.is_finite():
        msg = f"`{field}` must be a finite decimal, got {value}"
        raise ValueError(msg)
    if non_negative and value < 0:
        msg = f"`{field}` must be >= 0, got {value}"
        raise ValueError(msg)
