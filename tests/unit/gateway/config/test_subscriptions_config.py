"""subscriptions.yaml: loaded into Subscription specs and cross-checked with file, line and path;
and the route stage's choice of subscriptions (event type, sending partner, filter)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

import contracts
from gateway.config import ConfigError, load_config
from gateway.config.subscriptions import EVENT_TYPES, Subscription
from gateway.journal import Message
from gateway.pipeline.subscriptions import subscribed
from tests.support import order

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

GOOD = """\
- name: acme-orders
  partner: acme
  url: https://hooks.acme.example/crossdock
  event_types: [order.accepted, order_exception.detected]
  filter: "currency == 'USD'"
  secrets:
    - env: ACME_WHSEC
    - env: ACME_WHSEC_OLD
      not_after: 2026-12-01T00:00:00Z
  disable_after: 3600
- name: all-shipments
  partner: shop
  url: http://127.0.0.1:9/hook
  event_types: [shipment.accepted]
  from_partners: [acme]
  secrets: [{env: ACME_WHSEC}]
"""


def _write(root: Path, subscriptions: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "partners.yaml").write_text("- name: acme\n- name: shop\n")
    (root / "subscriptions.yaml").write_text(subscriptions)
    return root


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_WHSEC", SECRET)
    monkeypatch.setenv("ACME_WHSEC_OLD", SECRET)


def test_subscriptions_load(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "c", GOOD))
    sub = config.subscriptions["acme-orders"]
    assert isinstance(sub, Subscription)
    assert sub.destination == "subscription:acme-orders"
    assert sub.secrets[1].not_after == datetime(2026, 12, 1, tzinfo=UTC)
    assert sub.disable_after == 3600
    assert config.subscription_for("subscription:acme-orders") is sub
    assert config.subscription_for("acme-orders") is None
    assert config.subscription_for("subscription:nope") is None
    assert config.subscriptions["all-shipments"].retry.max_attempts == 8


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        (("order.accepted,", "order.shipped,"), "$[0].event_types[0]", "unknown event type"),
        (("currency == 'USD'", "currency == "), "$[0].filter", "not a JMESPath expression"),
        (("partner: acme", "partner: nobody"), "$[0].partner", "unknown partner 'nobody'"),
        (("from_partners: [acme]", "from_partners: [zz]"), "$[1].from_partners[0]", "unknown"),
        (("https://hooks", "ftp://hooks"), "$[0].url", "http:// or https://"),
        (("- env: ACME_WHSEC\n", "- env: NOT_SET_ANYWHERE\n"), "$[0].secrets[0]", "not set"),
        (("disable_after: 3600", "disable_after: 0"), "$[0].disable_after", ">"),
    ],
)
def test_problems_name_file_path_and_expectation(
    tmp_path: Path, change: tuple[str, str], path: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "c", GOOD.replace(*change, 1)))
    [problem] = info.value.problems
    assert problem.file == "subscriptions.yaml"
    assert problem.path == path
    assert expected in problem.message
    assert problem.line is not None


def test_a_secret_that_is_not_whsec_is_refused_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_WHSEC", "plain text secret!")
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "c", GOOD))
    assert {p.path for p in info.value.problems} == {"$[0].secrets[0]", "$[1].secrets[0]"}
    assert "plain text secret" not in str(info.value)
    assert "whsec_" in str(info.value)


def test_every_secret_ending_is_refused(tmp_path: Path) -> None:
    ending = GOOD.replace(
        "    - env: ACME_WHSEC\n", "    - env: ACME_WHSEC\n      not_after: 2027-01-01T00:00:00Z\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "c", ending))
    [problem] = info.value.problems
    assert problem.path == "$[0].secrets"
    assert "at least one without" in problem.message


def test_an_inline_secret_is_refused_with_the_reference_hint(tmp_path: Path) -> None:
    inline = GOOD.replace("secrets: [{env: ACME_WHSEC}]", f"secrets: [{SECRET}]")
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path / "c", inline))
    assert "never a value" in str(info.value)


def test_every_document_type_has_one_event() -> None:
    assert set(EVENT_TYPES) == set(contracts.v1.DOCUMENT_TYPES)
    assert len(set(EVENT_TYPES.values())) == len(EVENT_TYPES)


def _message(partner: str = "acme") -> Message:
    return Message(
        id="01MSG",
        partner=partner,
        channel="json",
        document_type="order",
        content_type="application/json",
        raw=b"{}",
        received_at=0.0,
        trace_id="t",
        business_keys={},
        state="received",
        stage="accept",
        canonical=None,
        attempts=0,
        updated_at=0.0,
    )


def test_route_picks_subscriptions_by_event_partner_and_filter(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "c", GOOD))
    usd = contracts.convert("v1", "order", order("PO-1"))
    eur = contracts.convert("v1", "order", {**order("PO-2"), "currency": "EUR"})
    [delivery] = subscribed(config, _message(), "order", usd)
    assert delivery.destination == "subscription:acme-orders"
    assert delivery.idempotency_key == delivery.id == "01MSG.subscription:acme-orders"
    assert subscribed(config, _message(), "order", eur) == []  # the filter excludes it
    assert subscribed(config, _message(), "invoice", usd) == []  # not an event it asked for


def test_a_filter_that_fails_on_a_document_does_not_match(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = GOOD.replace("currency == 'USD'", "length(po_number_missing) > `0`")
    config = load_config(_write(tmp_path / "c", broken))
    doc = contracts.convert("v1", "order", order())
    with caplog.at_level(logging.WARNING, logger="crossdock.subscriptions"):
        assert subscribed(config, _message(), "order", doc) == []
    [record] = caplog.records
    assert record.subscription == "acme-orders"  # type: ignore[attr-defined]


def test_from_partners_narrows_by_sender(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "c", GOOD))
    shipment = msgspec.Struct  # any Struct: the shipment subscription has no filter
    assert [
        d.destination for d in subscribed(config, _message("acme"), "shipment", shipment())
    ] == ["subscription:all-shipments"]
    assert subscribed(config, _message("shop"), "shipment", shipment()) == []


def test_the_documented_ship_to_filter(tmp_path: Path) -> None:
    documented = GOOD.replace(
        "currency == 'USD'", "parties[?role=='ship_to'] | [0].address.country == 'US'"
    )
    config = load_config(_write(tmp_path / "c", documented))

    def to(country: str) -> msgspec.Struct:
        party = {"role": "ship_to", "name": "DC", "address": {"lines": ["1 Way"], "city": "X"}}
        party["address"]["country"] = country  # type: ignore[index]
        return contracts.convert("v1", "order", {**order(), "parties": [party]})

    assert len(subscribed(config, _message(), "order", to("US"))) == 1
    assert subscribed(config, _message(), "order", to("CA")) == []
    assert subscribed(config, _message(), "order", contracts.convert("v1", "order", order())) == []
