"""webhooks.yaml: parsed into WebhookSource specs and cross-checked with file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config
from gateway.config.model import WebhookSource

GOOD = """\
- name: shop-orders
  partner: acme
  scheme: shopify
  secrets: [{env: SHOP_SECRET_OLD}, {env: SHOP_SECRET}]
- name: erp-events
  partner: acme
  scheme: hmac
  secrets: [{env: SHOP_SECRET}]
  tolerance: 60
  options:
    header: X-Signature
    algorithm: sha512
    encoding: base64
    template: "{timestamp}.{body}"
    timestamp_header: X-Timestamp
"""


def _write(root: Path, webhooks: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "partners.yaml").write_text("- name: acme\n")
    (root / "webhooks.yaml").write_text(webhooks)
    return root


def test_sources_load_and_resolve_to_a_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_SECRET", "s1")
    monkeypatch.setenv("SHOP_SECRET_OLD", "s0")
    config = load_config(_write(tmp_path / "c", GOOD))
    shop = config.webhooks["shop-orders"]
    assert isinstance(shop, WebhookSource)
    assert len(shop.secrets) == 2
    assert shop.tolerance == 300
    erp = config.webhooks["erp-events"]
    assert erp.options is not None and erp.options.algorithm == "sha512"
    channel = config.channel_for("webhook:shop-orders")
    assert channel is not None
    assert (channel.partner, channel.format, channel.document_type) == ("acme", "json", "order")
    assert config.channel_for("webhook:nope") is None
    assert config.channel_for("shop-orders") is None  # not an ordinary channel


def test_problems_name_file_line_path_and_expectation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MISSING_SECRET", raising=False)
    monkeypatch.setenv("BAD_WHSEC", "whsec_!!not-base64!!")
    text = """\
- name: a
  partner: zed
  scheme: github
  secrets: [{env: X}]
- name: b
  partner: acme
  scheme: shopify
  secrets: [{env: MISSING_SECRET}]
- name: c
  partner: acme
  scheme: standard-webhooks
  secrets: [{env: BAD_WHSEC}]
- name: d
  partner: acme
  scheme: hmac
  secrets: [{env: BAD_WHSEC}]
  options: {header: X-Sig, template: "{nonce}.{body}"}
- name: d
  partner: acme
  scheme: shopify
  secrets: [{env: BAD_WHSEC}]
  mapping: nowhere.yaml
"""
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "c", text))
    found = {(p.file, p.path, p.line): p.message for p in info.value.problems}
    assert "unknown partner 'zed'" in found[("webhooks.yaml", "$[0].partner", 2)]
    assert "expected one of" in found[("webhooks.yaml", "$[0].scheme", 3)]
    assert "MISSING_SECRET is not set" in found[("webhooks.yaml", "$[1].secrets[0]", 8)]
    assert "whsec_" in found[("webhooks.yaml", "$[2].secrets", 12)]
    assert "{nonce}" in found[("webhooks.yaml", "$[3].options", 17)]
    assert "duplicate name 'd'" in found[("webhooks.yaml", "$[4].name", 18)]
    assert "not found" in found[("webhooks.yaml", "$[4].mapping", 22)]
    assert "!!not-base64!!" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("- {name: a, partner: acme, scheme: shopify, secrets: []}", "$[0].secrets", "length >= 1"),
        (
            "- {name: a, partner: acme, scheme: shopify, secrets: [abc]}",
            "$[0].secrets[0]",
            "never a value",
        ),
        (
            "- {name: a, partner: acme, scheme: hmac, secrets: [{env: X}], options: {hedaer: X}}",
            "$[0].options",
            "hedaer",
        ),
    ],
)
def test_shape_errors(tmp_path: Path, text: str, path: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "c", text + "\n"))
    [problem] = info.value.problems
    assert problem.path == path, problem
    assert expected in problem.message
