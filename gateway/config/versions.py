"""``versions.yaml``: which partners are told that an API version is deprecated, and until when.

Optional; without it no response carries deprecation headers. Example::

    deprecations:
      - version: v1                   # no partners: everyone without a notice of their own
        deprecation: 2026-12-01
        sunset: 2027-06-30
        link: https://partners.example.com/crossdock/v2-migration
      - version: v1                   # acme was told earlier and leaves earlier
        partners: [acme]
        deprecation: 2026-11-01
        sunset: 2027-03-31
        link: https://partners.example.com/crossdock/v2-migration
        sunset_link: https://partners.example.com/crossdock/v1-sunset
      - version: v1                   # contract terms: no notice for bigco yet
        partners: [bigco]
        exempt: true

Dates are days (UTC midnight); ``gateway.api.versioning`` turns them into the ``Deprecation``
(RFC 9745) and ``Sunset`` (RFC 8594) headers of that partner's responses on that version, with
``Link`` headers (``rel="deprecation"`` / ``rel="sunset"``) to the pages named. Notices are per
partner because a migration is negotiated partner by partner: one ERP moves in a month, another
needs a budget year. A list (not a mapping keyed by partner) so that every error names the
entry's index and line.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

__all__ = ["DeprecationNotice", "VersionsSpec", "check_versions"]

ApiVersion = Annotated[str, msgspec.Meta(pattern=r"^v[0-9]+$")]


def _check_link(value: str | None, field: str) -> None:
    if value is not None and not value.startswith(("https://", "http://")):
        msg = f"`{field}` must be an http:// or https:// URL, got {value!r}"
        raise ValueError(msg)


class DeprecationNotice(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the listed partners (or, with none listed, every other partner) are told.

    ``deprecation`` is the day the version is (or will be) deprecated; ``sunset`` the day from
    which it may stop answering (never before the deprecation, as RFC 9745 section 4 asks).
    ``link`` documents the deprecation (migration notes), ``sunset_link`` the sunset policy.
    ``exempt: true`` sends the listed partners no notice at all (and takes no dates).
    """

    version: ApiVersion
    partners: list[str] = []
    deprecation: dt.date | None = None
    sunset: dt.date | None = None
    link: str | None = None
    sunset_link: str | None = None
    exempt: bool = False

    def __post_init__(self) -> None:
        if self.exempt:
            if not self.partners:
                raise ValueError("`exempt` needs `partners`: whom to send no notice")
            if (self.deprecation, self.sunset, self.link, self.sunset_link) != (None,) * 4:
                raise ValueError("an `exempt` entry takes no dates or links")
            return
        if self.deprecation is None:
            raise ValueError("`deprecation` is required (the day the version is deprecated)")
        if self.sunset is not None and self.sunset < self.deprecation:
            msg = f"`sunset` {self.sunset} is before `deprecation` {self.deprecation}"
            raise ValueError(msg)
        _check_link(self.link, "link")
        _check_link(self.sunset_link, "sunset_link")


class VersionsSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``versions.yaml``: deprecation notices per API version and partner."""

    deprecations: list[DeprecationNotice] = []

    def notice(self, version: str, partner: str) -> DeprecationNotice | None:
        """What ``partner`` is told about ``version``: its own entry, else the version's default.

        An exempt entry answers None.
        """
        default = None
        for entry in self.deprecations:
            if entry.version != version:
                continue
            if partner in entry.partners:
                return None if entry.exempt else entry
            if not entry.partners:
                default = entry
        return default


def check_versions(spec: VersionsSpec, partner_names: set[str] | None) -> list[tuple[str, str]]:
    """``(path, problem)`` for unknown partners and for a partner or default given twice."""
    problems: list[tuple[str, str]] = []
    seen: dict[tuple[str, str | None], int] = {}
    for i, entry in enumerate(spec.deprecations):
        for j, name in enumerate(entry.partners):
            if partner_names is not None and name not in partner_names:
                problems.append((f"$.deprecations[{i}].partners[{j}]", f"unknown partner {name!r}"))
        keys: list[tuple[str, str | None]] = [(entry.version, p) for p in entry.partners]
        for key in keys or [(entry.version, None)]:
            if key in seen:
                who = "the default" if key[1] is None else f"partner {key[1]!r}"
                problems.append(
                    (
                        f"$.deprecations[{i}]",
                        f"{who} already has a {key[0]} notice at $.deprecations[{seen[key]}]",
                    )
                )
            seen.setdefault(key, i)
    return problems
