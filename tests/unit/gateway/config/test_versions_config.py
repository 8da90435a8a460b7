"""versions.yaml: per-partner deprecation notices, checked at load like every config file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import ConfigError, load_config
from gateway.config.versions import DeprecationNotice, VersionsSpec
from tests.support import write_config


def _load(tmp_path: Path, deprecations: list[dict[str, Any]]) -> VersionsSpec:
    cfg = write_config(tmp_path, {})
    (cfg / "versions.yaml").write_text(yaml.safe_dump({"deprecations": deprecations}))
    return load_config(cfg).versions


def test_without_the_file_nobody_is_told_anything(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, {}))
    assert config.versions == VersionsSpec()
    assert config.versions.notice("v1", "acme") is None


def test_partner_notice_overrides_the_default_and_exempt_silences(tmp_path: Path) -> None:
    spec = _load(
        tmp_path,
        [
            {"version": "v1", "deprecation": dt.date(2026, 12, 1), "sunset": "2027-06-30"},
            {
                "version": "v1",
                "partners": ["acme"],
                "deprecation": "2026-11-01",
                "sunset": "2027-03-31",
                "link": "https://partners.example.com/v2",
                "sunset_link": "https://partners.example.com/sunset",
            },
            {"version": "v1", "partners": ["shop"], "exempt": True},
        ],
    )
    assert spec.notice("v1", "acme") == DeprecationNotice(
        version="v1",
        partners=["acme"],
        deprecation=dt.date(2026, 11, 1),
        sunset=dt.date(2027, 3, 31),
        link="https://partners.example.com/v2",
        sunset_link="https://partners.example.com/sunset",
    )
    assert spec.notice("v1", "shop") is None
    assert spec.notice("v1", "other") == DeprecationNotice(
        version="v1", deprecation=dt.date(2026, 12, 1), sunset=dt.date(2027, 6, 30)
    )
    assert spec.notice("v2", "acme") is None


@pytest.mark.parametrize(
    ("entry", "where", "expected"),
    [
        (
            {"version": "v1", "deprecation": "2027-01-01", "sunset": "2026-12-31"},
            "$.deprecations[0]",
            "is before `deprecation`",
        ),
        (
            {"version": "v1", "deprecation": "2027-01-01", "link": "partners.example.com/v2"},
            "$.deprecations[0]",
            "`link` must be an http:// or https:// URL",
        ),
        (
            {"version": "v1", "deprecation": "first of May"},
            "$.deprecations[0].deprecation",
            "date",
        ),
        ({"version": "v1", "sunset": "2027-01-01"}, "$.deprecations[0]", "`deprecation` is"),
        ({"version": "1", "deprecation": "2027-01-01"}, "$.deprecations[0].version", "v[0-9]"),
        ({"version": "v1", "exempt": True}, "$.deprecations[0]", "`exempt` needs `partners`"),
        (
            {"version": "v1", "partners": ["acme"], "exempt": True, "deprecation": "2027-01-01"},
            "$.deprecations[0]",
            "takes no dates",
        ),
    ],
)
def test_bad_notices_are_refused_with_file_path_and_line(
    tmp_path: Path, entry: dict[str, Any], where: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, [entry])
    [problem] = caught.value.problems
    assert problem.file == "versions.yaml"
    assert problem.path == where
    assert expected in problem.message
    assert problem.line is not None
    assert problem.line >= 2  # `deprecations:` is line 1; the entry (or its field) is below


def test_unknown_partner_and_duplicates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(
            tmp_path,
            [
                {"version": "v1", "partners": ["acme", "nobody"], "deprecation": "2027-01-01"},
                {"version": "v1", "partners": ["acme"], "exempt": True},
                {"version": "v1", "deprecation": "2027-01-01"},
                {"version": "v1", "deprecation": "2027-02-01"},
            ],
        )
    found = [(p.file, p.path, p.message) for p in caught.value.problems]
    assert found == [
        ("versions.yaml", "$.deprecations[0].partners[1]", "unknown partner 'nobody'"),
        (
            "versions.yaml",
            "$.deprecations[1]",
            "partner 'acme' already has a v1 notice at $.deprecations[0]",
        ),
        (
            "versions.yaml",
            "$.deprecations[3]",
            "the default already has a v1 notice at $.deprecations[2]",
        ),
    ]
