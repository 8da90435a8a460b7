from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config
from gateway.config.loader import expand_env, resolve_secret
from gateway.config.model import SecretRef


def _write(root: Path, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "partners.yaml").write_text("- name: acme\n")
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text)
    return root


def test_repo_config_loads() -> None:
    config = load_config(Path(__file__).resolve().parents[4] / "config")
    assert set(config.channels) == {"json", "demo-shop"}
    assert config.destinations["wms"].retry.max_attempts == 3


def test_every_problem_with_file_line_and_path(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "c",
        channels="- name: in\n  partner: acme\n- name: in\n  partner: zed\n  mapping: x.yaml\n",
        destinations="- name: erp\n  url: ftp://x\n  retry:\n    max_attempts: 0\n",
        routes="- name: r\n  destinations: [erp, nowhere]\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(root)
    found = {(p.file, p.path, p.line) for p in info.value.problems}
    assert ("channels.yaml", "$[2].name", None) not in found
    assert ("channels.yaml", "$[1].name", 3) in found  # duplicate
    assert ("channels.yaml", "$[1].partner", 4) in found
    assert ("channels.yaml", "$[1].mapping", 5) in found
    assert ("destinations.yaml", "$[0].retry.max_attempts", 4) in found
    text = str(info.value)
    assert "Expected `int` >= 1" in text
    assert "unknown partner 'zed'; expected one of ['acme']" in text


def test_cross_references(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "c",
        destinations="- name: erp\n  url: ftp://x\n",
        routes="- name: r\n  destinations: [erp, nowhere]\n  partners: [ghost]\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(root)
    messages = [str(p) for p in info.value.problems]
    assert any("destinations.yaml:2: $[0].url: expected an http" in m for m in messages)
    assert any(
        "routes.yaml:2: $[0].destinations[1]: unknown destination 'nowhere'" in m for m in messages
    )
    assert any("$[0].partners[0]: unknown partner 'ghost'" in m for m in messages)


def test_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    root = _write(tmp_path / "c", destinations="- name: erp\n  url: http://x\n  timout: 3\n")
    with pytest.raises(ConfigError, match="unknown field `timout`"):
        load_config(root)


def test_secrets_by_reference_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("TOKEN_A", "from-env")
    assert resolve_secret(SecretRef(env="TOKEN_A")) == "from-env"
    assert resolve_secret(SecretRef(file=str(secret_file))) == "from-file"
    with pytest.raises(LookupError, match="TOKEN_B is not set"):
        resolve_secret(SecretRef(env="TOKEN_B"))
    with pytest.raises(LookupError, match="cannot be read"):
        resolve_secret(SecretRef(file=str(tmp_path / "missing")))
    inline = "- name: erp\n  url: http://x\n  secret_headers:\n    Authorization: hunter2\n"
    root = _write(tmp_path / "c", destinations=inline)
    with pytest.raises(ConfigError, match=r"never a value") as info:
        load_config(root)
    [problem] = info.value.problems
    assert problem.path.startswith("$[0].secret_headers")
    assert problem.line == 4
    assert "hunter2" not in str(info.value)


def test_env_expansion_in_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST_A", "http://a:1")
    monkeypatch.delenv("HOST_B", raising=False)
    assert expand_env("${HOST_A}/x") == "http://a:1/x"
    assert expand_env("${HOST_B:-http://b}/y") == "http://b/y"
    with pytest.raises(LookupError, match="HOST_B is not set"):
        expand_env("${HOST_B}/y")


def test_invalid_yaml_has_a_line(tmp_path: Path) -> None:
    root = _write(tmp_path / "c", routes="- name: r\n  destinations: [a\n")
    with pytest.raises(ConfigError) as info:
        load_config(root)
    [problem] = info.value.problems
    assert problem.file == "routes.yaml"
    assert problem.line is not None
    assert "not valid YAML" in problem.message


def test_missing_folder() -> None:
    with pytest.raises(ConfigError, match="expected a config folder"):
        load_config("/nonexistent/crossdock-config")
