from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError, load_settings


def test_defaults_embedded_journal() -> None:
    s = load_settings(environ={})
    assert s == Settings()
    assert s.journal_path == Path("data") / "journal.sqlite3"
    assert s.host == "127.0.0.1"


def test_precedence_file_env_override(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text('port = 9000\nhost = "127.0.0.2"\nlog_format = "text"\n')
    env = {"CROSSDOCK_PORT": "9100", "CROSSDOCK_SETTINGS_FILE": str(toml), "CROSSDOCK_X": "1"}
    s = load_settings(environ=env)
    assert (s.port, s.host, s.log_format) == (9100, "127.0.0.2", "text")
    assert load_settings(environ=env, port=9200).port == 9200


def test_sqlite_url_overrides_data_dir() -> None:
    s = load_settings(environ={"CROSSDOCK_DATABASE_URL": "sqlite:///tmp/j.db"})
    assert s.journal_path == Path("tmp/j.db")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CROSSDOCK_PORT": "70000"}, "environment variable CROSSDOCK_PORT"),
        ({"CROSSDOCK_PORT": "eighty"}, "environment variable CROSSDOCK_PORT"),
        ({"CROSSDOCK_LOG_LEVEL": "LOUD"}, "environment variable CROSSDOCK_LOG_LEVEL"),
        ({"CROSSDOCK_LEASE_SECONDS": "0"}, "environment variable CROSSDOCK_LEASE_SECONDS"),
    ],
)
def test_bad_environment_names_the_variable(env: dict[str, str], expected: str) -> None:
    with pytest.raises(SettingsError, match=expected) as info:
        load_settings(environ=env)
    assert "$." in str(info.value)


def test_bad_file_names_the_file_and_key(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text("poll_interval = -1\n")
    with pytest.raises(SettingsError, match=r"settings file .*s\.toml, key 'poll_interval'"):
        load_settings(toml, environ={})
    toml.write_text("prot = 1\n")
    with pytest.raises(SettingsError, match="unknown field `prot`"):
        load_settings(toml, environ={})
    toml.write_text("port = \n")
    with pytest.raises(SettingsError, match=r"s\.toml"):
        load_settings(toml, environ={})
