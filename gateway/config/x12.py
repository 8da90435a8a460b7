"""Per-partner X12 settings (``partners.yaml``: ``x12:`` under a partner).

Acknowledgements are a contract with each trading partner, not a property of a channel: one
partner wants a 997 for everything, another a 999 (5010 health-care style) and a TA1 on every
interchange, a third nothing at all. So the settings live on the partner, and every channel of
that partner follows them::

    - name: acme
      x12:
        ack: "997"                  # none | 997 | 999: functional acks of what they send us
        ta1: on_error               # never | on_error | always
        ack_destination: acme-as2   # the destination our acks are delivered to (required
                                    # unless ack is none and ta1 is never)
        ack_overdue_after: 86400    # seconds we wait for their 997/999 of what we send them
        sender_id: CROSSDOCK        # our ISA06/ISA08 and qualifier, for interchanges we start
        sender_qualifier: ZZ
        receiver_id: ACME
        receiver_qualifier: "01"
        separators: {element: "*", component: ">", segment: "~", repetition: "^"}

``separators`` is for interchanges we originate; an acknowledgement echoes the separators of
the interchange it answers unless ``ack_separators: ours`` says to use ``separators``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

_Qualifier = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2}$")]
_Id = Annotated[str, msgspec.Meta(max_length=15, pattern=r"^[ -~]*$")]
_Char = Annotated[str, msgspec.Meta(min_length=1, max_length=1)]


class X12Separators(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Delimiters for interchanges we write: four distinct single characters."""

    element: _Char = "*"
    component: _Char = ">"
    segment: _Char = "~"
    repetition: _Char = "^"

    def problem(self) -> str | None:
        """Why these separators cannot work, or None."""
        chars = [self.element, self.component, self.segment, self.repetition]
        if len(set(chars)) != len(chars):
            return f"separators must be four different characters, got {chars}"
        if any(c.isalnum() or c == " " for c in chars):
            return f"separators cannot be letters, digits or spaces, got {chars}"
        return None


class X12PartnerSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """How we acknowledge a partner's X12 and how we address the interchanges we send them."""

    ack: Literal["none", "997", "999"] = "none"
    ta1: Literal["never", "on_error", "always"] = "on_error"
    ack_destination: str | None = None
    ack_overdue_after: Annotated[float, msgspec.Meta(gt=0)] | None = 86400.0
    expect_ack: bool = True
    sender_id: _Id = ""
    sender_qualifier: _Qualifier = "ZZ"
    receiver_id: _Id = ""
    receiver_qualifier: _Qualifier = "ZZ"
    separators: X12Separators = X12Separators()
    ack_separators: Literal["theirs", "ours"] = "theirs"
    usage: Literal["P", "T"] | None = None  # ISA15 of what we send; None echoes theirs on acks

    @property
    def sends_acks(self) -> bool:
        """True when anything (997/999 or TA1) may go back for an inbound interchange."""
        return self.ack != "none" or self.ta1 != "never"


def check_x12(
    settings: X12PartnerSettings, destinations: Mapping[str, str] | None
) -> list[tuple[str, str]]:
    """(path under ``x12``, message) for every inconsistency the types alone cannot catch.

    ``destinations`` maps each destination name to its type (None when destinations.yaml did
    not load): acknowledgements are X12 bytes posted as they are, so only a ``rest`` one fits.
    """
    found: list[tuple[str, str]] = []
    if settings.sends_acks and settings.ack_destination is None:
        found.append(
            (
                "ack_destination",
                f"ack {settings.ack!r} / ta1 {settings.ta1!r} send acknowledgements: name the "
                "destination they are delivered to (or set ack: none and ta1: never)",
            )
        )
    if (
        settings.ack_destination is not None
        and destinations is not None
        and settings.ack_destination not in destinations
    ):
        found.append(
            (
                "ack_destination",
                f"unknown destination {settings.ack_destination!r}; expected one of "
                f"{sorted(destinations)}",
            )
        )
    elif destinations is not None and settings.ack_destination is not None:
        kind = destinations[settings.ack_destination]
        if kind != "rest":
            found.append(
                (
                    "ack_destination",
                    f"destination {settings.ack_destination!r} is a {kind} destination; "
                    "acknowledgements are X12 bytes posted as they are: name a rest destination",
                )
            )
    problem = settings.separators.problem()
    if problem is not None:
        found.append(("separators", problem))
    return found


__all__ = ["X12PartnerSettings", "X12Separators", "check_x12"]
