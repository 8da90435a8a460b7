"""The RFC 9745 / RFC 8594 header values a deprecation notice becomes."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

from gateway.api.versioning import notice_headers
from gateway.config.versions import DeprecationNotice


def test_every_header_of_a_full_notice() -> None:
    notice = DeprecationNotice(
        version="v1",
        deprecation=dt.date(2026, 11, 1),
        sunset=dt.date(2027, 3, 31),
        link="https://partners.example.com/v2",
        sunset_link="https://partners.example.com/sunset",
    )
    assert notice_headers(notice) == [
        ("deprecation", "@1793491200"),  # 2026-11-01T00:00:00Z as a structured-field Date
        ("sunset", "Wed, 31 Mar 2027 00:00:00 GMT"),  # IMF-fixdate
        ("link", '<https://partners.example.com/v2>; rel="deprecation"'),
        ("link", '<https://partners.example.com/sunset>; rel="sunset"'),
    ]


def test_a_bare_notice_is_only_the_deprecation() -> None:
    assert notice_headers(DeprecationNotice(version="v1", deprecation=dt.date(1970, 1, 2))) == [
        ("deprecation", "@86400")
    ]


def test_sunset_parses_back_to_the_day() -> None:
    notice = DeprecationNotice(
        version="v1", deprecation=dt.date(2026, 1, 1), sunset=dt.date(2026, 2, 28)
    )
    sunset = dict(notice_headers(notice))["sunset"]
    assert parsedate_to_datetime(sunset) == dt.datetime(2026, 2, 28, tzinfo=dt.UTC)


def test_an_exempt_entry_says_nothing() -> None:
    assert notice_headers(DeprecationNotice(version="v1", partners=["acme"], exempt=True)) == []
