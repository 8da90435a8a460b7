"""X12 destinations (``x12:`` on a destination, destinations.yaml): send documents as X12.

A destination with an ``x12:`` section still speaks HTTP (its ``type``'s deliverer sends the
bytes), but what it sends is X12: the canonical payload is mapped by a reverse mapping
(``source: v1/<document>``, ``target: x12/<set>``), written as one interchange and POSTed with
``Content-Type: application/edi-x12``::

    - name: acme-edi
      url: https://edi.acme.example/inbound
      x12:
        partner: acme                           # partners.yaml: ids, separators, usage, acks
        mapping: _base/x12-855-from-order.yaml  # under the mappings folder
        version: "00401"                        # ISA12; GS08 follows (004010 / 005010)
        newline: false                          # a line break after every segment terminator

The partner's ``x12:`` settings (``sender_id``, ``receiver_id``, qualifiers, ``separators``,
``usage``, ``expect_ack``, ``ack_overdue_after``) address the interchange, and its control
numbers count per partner (one ISA13/GS06/ST02 per delivery, the same on every retry).
Checked at load: the partner has ids, the mapping compiles and is a reverse mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from gateway.config.model import Destination, Partner


class X12Outbound(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """How a destination's deliveries become X12: whose interchange, which mapping, version."""

    partner: str
    mapping: str
    version: Literal["00401", "00501"] = "00401"
    newline: bool = False


def check_x12_destinations(
    destinations: list[Destination], partners: list[Partner], mappings_dir: Path
) -> list[tuple[str, str]]:
    """(path in destinations.yaml, message) for every X12 destination that cannot work."""
    from gateway.mapping import MappingFileError, load_mapping

    by_name = {p.name: p for p in partners}
    found: list[tuple[str, str]] = []
    for i, dest in enumerate(destinations):
        spec = dest.x12
        if spec is None:
            continue
        at = f"$[{i}].x12"
        partner = by_name.get(spec.partner)
        if partner is None:
            found.append((f"{at}.partner", f"unknown partner {spec.partner!r}"))
        elif partner.x12 is None or not partner.x12.sender_id or not partner.x12.receiver_id:
            found.append(
                (
                    f"{at}.partner",
                    f"partner {spec.partner!r} needs x12.sender_id and x12.receiver_id in "
                    "partners.yaml: they address the interchanges this destination sends",
                )
            )
        path = mappings_dir / spec.mapping
        if not path.is_file():
            found.append((f"{at}.mapping", f"no mapping file {path}"))
            continue
        try:
            mapping = load_mapping(path)
        except MappingFileError as exc:
            found.append((f"{at}.mapping", exc.message))
            continue
        kind, _, set_id = (mapping.target or "").partition("/")
        if kind != "x12" or not set_id or "/" not in (mapping.source or ""):
            found.append(
                (
                    f"{at}.mapping",
                    f"{spec.mapping} maps {mapping.source!r} to {mapping.target!r}; an X12 "
                    "destination needs a reverse mapping (source: v1/<document>, target: "
                    "x12/<set>)",
                )
            )
    return found


__all__ = ["X12Outbound", "check_x12_destinations"]
