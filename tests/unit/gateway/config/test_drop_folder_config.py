"""``drop_folder`` on a channel: resolved against the config folder, checked at load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from gateway.config import ConfigError, load_config


def _config(root: Path, *channels: dict[str, object]) -> Path:
    cfg = root / "config"
    cfg.mkdir(parents=True)
    (cfg / "partners.yaml").write_text("- name: acme\n")
    (cfg / "channels.yaml").write_text(yaml.safe_dump(list(channels)))
    return cfg


def _problems(cfg: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    found: dict[str, str] = {}
    for p in info.value.problems:
        found[p.path] = f"{found.get(p.path, '')}{p.message}\n"
    return found


def test_a_relative_folder_is_resolved_against_the_config_folder_and_not_created(
    tmp_path: Path,
) -> None:
    cfg = _config(
        tmp_path, {"name": "edi", "partner": "acme", "format": "x12", "drop_folder": "../in/acme"}
    )
    config = load_config(cfg)
    assert config.channels["edi"].drop_folder == str(tmp_path / "in" / "acme")
    assert not (tmp_path / "in").exists()  # crossdock check has no side effects


def test_two_channels_may_not_share_or_nest_folders(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path,
        {"name": "a", "partner": "acme", "format": "x12", "drop_folder": str(tmp_path / "d")},
        {"name": "b", "partner": "acme", "format": "x12", "drop_folder": "../d"},
        {"name": "c", "partner": "acme", "format": "x12", "drop_folder": "../d/inner"},
        {"name": "e", "partner": "acme", "format": "x12", "drop_folder": "../e"},
    )
    problems = _problems(cfg)
    assert "overlaps channel 'a'" in problems["$[1].drop_folder"]
    assert "overlaps channel 'a'" in problems["$[2].drop_folder"]
    assert "$[3].drop_folder" not in problems
    assert "$[0].drop_folder" not in problems


def test_only_an_x12_channel_has_a_drop_folder(tmp_path: Path) -> None:
    cfg = _config(tmp_path, {"name": "j", "partner": "acme", "drop_folder": "../j"})
    assert "only an x12 channel" in _problems(cfg)["$[0].drop_folder"]


def test_a_folder_under_a_file_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a folder")
    cfg = _config(
        tmp_path, {"name": "edi", "partner": "acme", "format": "x12", "drop_folder": "../plain/x"}
    )
    message = _problems(cfg)["$[0].drop_folder"]
    assert "is not a folder" in message
    assert "exists or can be created" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    cfg = _config(
        tmp_path, {"name": "edi", "partner": "acme", "format": "x12", "drop_folder": "../ro"}
    )
    assert "not writable" in _problems(cfg)["$[0].drop_folder"]
