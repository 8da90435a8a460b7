"""Process settings: what differs between one machine and the next, never business config.

Read from ``CROSSDOCK_*`` environment variables over an optional TOML file (``--settings`` or
``CROSSDOCK_SETTINGS_FILE``), over defaults. Business configuration (partners, channels, routes,
destinations) lives in the config folder instead, so it can be reviewed and versioned as files.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

ENV_PREFIX = "CROSSDOCK_"


class SettingsError(ValueError):
    """A setting could not be read; the message names its source and what was expected."""


class Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Every process setting with its default. Field ``x`` is env ``CROSSDOCK_X``."""

    config_dir: str = "config"
    data_dir: str = "data"
    database_url: str = ""
    """Empty means the embedded SQLite journal at ``<data_dir>/journal.sqlite3``."""
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8080
    max_body_bytes: Annotated[int, msgspec.Meta(gt=0)] = 5 * 1024 * 1024
    max_header_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 16 * 1024
    """All request header names and values together; more is refused with 431."""
    process_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 4
    lease_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    poll_interval: Annotated[float, msgspec.Meta(gt=0)] = 0.5
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    workers_enabled: bool = True
    rate_limit_backend: Literal["memory", "redis"] = "memory"
    """Where partner API rate limits are kept: ``memory`` (this process only, the embedded
    default) or ``redis`` (shared by every gateway process; needs ``redis_url``)."""
    redis_url: str = ""
    """``redis://host:6379/0`` or ``unix:///path/redis.sock``, for ``rate_limit_backend=redis``."""
    idempotency_ttl: Annotated[float, msgspec.Meta(gt=0)] = 24 * 3600.0
    """Seconds a POST's stored response is replayed for the same ``Idempotency-Key``; each
    new claim purges a few expired records from the journal."""
    idempotency_lease: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    """Seconds a key stays claimed by a request that never finished (a crash), before another
    request with the same key may run."""

    def __post_init__(self) -> None:
        if self.rate_limit_backend == "redis" and not self.redis_url:
            msg = "rate_limit_backend 'redis' needs redis_url (CROSSDOCK_REDIS_URL)"
            raise ValueError(msg)

    @property
    def journal_path(self) -> Path:
        """Where the embedded journal lives."""
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return Path(self.data_dir) / "journal.sqlite3"


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    fields = {f.name: f for f in msgspec.structs.fields(Settings)}
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "SETTINGS_FILE":
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        if name not in fields:
            continue  # other tools share the prefix (e.g. CROSSDOCK_TEST_*); not ours to refuse
        out[name] = raw
    return out


def load_settings(
    file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Merge defaults < TOML file < environment < explicit overrides (CLI flags)."""
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    path = file or env.get(ENV_PREFIX + "SETTINGS_FILE")
    if path:
        try:
            merged.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"settings file {path}: {exc}") from exc
    from_env = _from_env(env)
    merged.update(from_env)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    try:
        # strict=False so "8080" from the environment becomes 8080; the Meta bounds still apply
        return msgspec.convert(merged, Settings, strict=False)
    except msgspec.ValidationError as exc:
        field = _field_of(str(exc))
        if field in overrides:
            source = f"option --{field.replace('_', '-')}"
        elif field in from_env:
            source = f"environment variable {ENV_PREFIX}{field.upper()}"
        else:
            source = f"setting {field!r}" if field else "settings"
            if path:
                source = f"settings file {path}" + (f", key {field!r}" if field else "")
        raise SettingsError(f"{source}: {exc}") from exc


def _field_of(message: str) -> str:
    """Find the field name: msgspec ends its message with the path (``- at `$.port` ``)."""
    match = re.search(r"`\$\.([a-z_]+)`", message)
    return match.group(1) if match else ""
