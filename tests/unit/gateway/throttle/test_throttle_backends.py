"""Which limiter a process uses (settings), and the plans it applies (``api.yaml``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config
from gateway.config.api import DEFAULT_PLAN, ApiSpec
from gateway.settings import SettingsError, load_settings
from gateway.throttle import Plan
from gateway.throttle.backends import open_limiter
from gateway.throttle.memory import MemoryLimiter
from gateway.throttle.redis import RedisLimiter


def test_the_backend_setting_picks_the_limiter() -> None:
    assert isinstance(open_limiter("memory"), MemoryLimiter)
    assert isinstance(open_limiter("redis", "redis://127.0.0.1:1/0"), RedisLimiter)  # lazy
    with pytest.raises(ValueError, match="redis_url"):
        open_limiter("redis", "")
    with pytest.raises(ValueError, match="memory or redis"):
        open_limiter("etcd")


def test_settings_default_to_memory_and_refuse_redis_without_a_url() -> None:
    assert load_settings(environ={}).rate_limit_backend == "memory"
    env = {"CROSSDOCK_RATE_LIMIT_BACKEND": "redis", "CROSSDOCK_REDIS_URL": "redis://r:6379/0"}
    assert load_settings(environ=env).redis_url == "redis://r:6379/0"
    with pytest.raises(SettingsError, match="needs redis_url"):
        load_settings(environ={"CROSSDOCK_RATE_LIMIT_BACKEND": "redis"})
    with pytest.raises(SettingsError, match="CROSSDOCK_RATE_LIMIT_BACKEND"):
        load_settings(environ={"CROSSDOCK_RATE_LIMIT_BACKEND": "etcd"})


def _config(root: Path, api_yaml: str | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "partners.yaml").write_text("- name: acme\n")
    if api_yaml is not None:
        (root / "api.yaml").write_text(api_yaml)
    return root


def test_without_api_yaml_every_partner_gets_the_default_plan(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, None))
    assert config.api == ApiSpec()
    assert config.api.rate_limits.limits("acme") == [("default", "subject:acme", DEFAULT_PLAN)]


def test_api_yaml_sets_partner_route_and_token_plans(tmp_path: Path) -> None:
    config = load_config(
        _config(
            tmp_path,
            "rate_limits:\n"
            "  default: {rate: 5, burst: 10}\n"
            "  partners: {acme: {rate: 100, burst: 200, name: gold}}\n"
            "  routes: {inbound: {rate: 1, burst: 2}}\n"
            "token_limits: {per_client: {rate: 0.5, burst: 3}}\n",
        )
    )
    policy = config.api.rate_limits
    assert [name for name, _, _ in policy.limits("acme", "inbound")] == ["route inbound", "gold"]
    assert policy.limits("shop")[0][2] == Plan(rate=5, burst=10)
    assert config.api.token_limits.per_client == Plan(rate=0.5, burst=3)
    assert config.api.token_limits.per_address == ApiSpec().token_limits.per_address


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("rate_limits: {default: {rate: 5, burst: 0}}\n", "burst must be at least 1"),
        ("rate_limits: {default: {rate: 5, burst: 1}, partner: {}}\n", "partner"),
        ("token_limits: {per_client: {rate: -1, burst: 1}}\n", "rate must be > 0"),
    ],
)
def test_a_bad_api_yaml_is_refused_naming_the_file(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, text))
    message = str(caught.value)
    assert "api.yaml" in message
    assert where in message
