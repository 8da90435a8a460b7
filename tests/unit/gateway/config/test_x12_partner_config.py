"""``x12:`` under a partner: acknowledgement settings, checked at load with file, path and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import ConfigError, load_config


def _folder(root: Path, x12: dict[str, Any]) -> Path:
    cfg = root / "config"
    cfg.mkdir(parents=True)
    (root / "mappings").mkdir()
    (cfg / "gateway.yaml").write_text(yaml.safe_dump({"mappings_dir": str(root / "mappings")}))
    (cfg / "partners.yaml").write_text(yaml.safe_dump([{"name": "acme", "x12": x12}]))
    (cfg / "destinations.yaml").write_text(
        yaml.safe_dump([{"name": "acme-as2", "url": "http://127.0.0.1:9/as2"}])
    )
    return cfg


def _problems(root: Path, x12: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(_folder(root, x12))
    return [str(p) for p in caught.value.problems]


def test_settings_load_with_defaults(tmp_path: Path) -> None:
    config = load_config(_folder(tmp_path, {"ack": "999", "ack_destination": "acme-as2"}))
    settings = config.partners["acme"].x12
    assert settings is not None
    assert (settings.ack, settings.ta1, settings.ack_overdue_after) == ("999", "on_error", 86400)
    assert settings.separators.element == "*"
    assert settings.sends_acks


def test_acks_need_a_known_destination(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path / "a", {"ack": "997"})
    assert "partners.yaml" in problem
    assert "$[0].x12.ack_destination" in problem
    assert "name the destination" in problem
    [problem] = _problems(tmp_path / "b", {"ack": "997", "ack_destination": "nowhere"})
    assert "unknown destination 'nowhere'" in problem
    assert "acme-as2" in problem


def test_no_acks_need_no_destination(tmp_path: Path) -> None:
    config = load_config(_folder(tmp_path, {"ack": "none", "ta1": "never"}))
    settings = config.partners["acme"].x12
    assert settings is not None and not settings.sends_acks


@pytest.mark.parametrize(
    ("x12", "expected"),
    [
        ({"ack": "998"}, "x12.ack: Invalid enum value '998'"),
        ({"ta1": "sometimes"}, "x12.ta1: Invalid enum value"),
        ({"sender_qualifier": "Z"}, "x12.sender_qualifier"),
        ({"sender_id": "X" * 16}, "x12.sender_id"),
        ({"separators": {"element": "**"}}, "x12.separators.element"),
        ({"acks": "997"}, "unknown field `acks`"),
    ],
)
def test_type_errors_name_the_path(tmp_path: Path, x12: dict[str, Any], expected: str) -> None:
    problems = _problems(tmp_path, {"ack_destination": "acme-as2", **x12})
    assert any(expected in p for p in problems), problems


def test_separators_must_differ(tmp_path: Path) -> None:
    x12 = {"ack_destination": "acme-as2", "separators": {"element": "~", "segment": "~"}}
    [problem] = _problems(tmp_path, x12)
    assert "$[0].x12.separators" in problem
    assert "four different characters" in problem


def test_acks_go_to_a_rest_destination(tmp_path: Path) -> None:
    cfg = _folder(tmp_path, {"ack": "997", "ack_destination": "erp-soap"})
    dests = yaml.safe_load((cfg / "destinations.yaml").read_text())
    dests.append({"name": "erp-soap", "type": "soap", "url": "http://127.0.0.1:9/soap"})
    (cfg / "destinations.yaml").write_text(yaml.safe_dump(dests))
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    assert any(
        "x12.ack_destination" in str(p) and "name a rest destination" in str(p)
        for p in caught.value.problems
    ), caught.value.problems
