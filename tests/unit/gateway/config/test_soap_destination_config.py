"""``type: soap`` destinations in destinations.yaml: checked against the WSDL at load."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from connectors.soap import SoapDeliverer
from gateway.config import ConfigError, load_config
from gateway.delivery.worker import build_deliverer

FIXTURES = Path(__file__).resolve().parents[3] / "unit" / "connectors" / "soap" / "fixtures"


def _folder(tmp_path: Path, **dest: Any) -> Path:
    root = tmp_path / "config"
    (root / "wsdl").mkdir(parents=True)
    shutil.copy(FIXTURES / "erp_orders.wsdl", root / "wsdl")
    (root / "erp-password").write_text("s3cret\n")
    soap: dict[str, Any] = {
        "wsdl": "wsdl/erp_orders.wsdl",
        "operation": "CreateOrder",
        "arguments": {
            "poNumber": "po_number",
            "orderDate": "order_date",
            "line": "lines[].{lineNumber: line_number, sku: item.sku, quantity: quantity.value}",
        },
        "idempotency_argument": "externalId",
        "wsse": {"username": "svc", "password": {"file": str(root / "erp-password")}},
    }
    soap.update(dest.pop("soap", {}))
    spec = {"name": "erp", "type": "soap", "soap": soap, **dest}
    (root / "destinations.yaml").write_text(yaml.safe_dump([spec], sort_keys=False))
    return root


def _problems(root: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(root)
    return {p.path: p.message for p in info.value.problems if p.file == "destinations.yaml"}


async def test_a_soap_destination_loads_and_builds_with_the_wsdl_address(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    config = load_config(root)
    dest = config.destinations["erp"]
    assert dest.url == ""
    assert dest.soap is not None
    assert dest.soap.wsdl == str((root / "wsdl" / "erp_orders.wsdl").resolve())
    async with httpx.AsyncClient() as client:
        deliverer = build_deliverer(dest, client)
        assert isinstance(deliverer, SoapDeliverer)
        assert "127.0.0.1" in repr(deliverer)
        assert "s3cret" not in repr(deliverer)
        await deliverer.aclose()


@pytest.mark.parametrize(
    ("dest", "path", "words"),
    [
        ({"soap": {"operation": "CancelOrder"}}, "$[0].soap.operation", "CreateOrder"),
        ({"soap": {"arguments": {"po": "po_number"}}}, "$[0].soap.arguments.po", "poNumber"),
        ({"soap": {"arguments": {"poNumber": "a[["}}}, "$[0].soap.arguments.poNumber", "JMESPath"),
        ({"soap": {"wsdl": "wsdl/none.wsdl"}}, "$[0].soap.wsdl", "not found"),
        (
            {"soap": {"wsse": {"username": "u", "password": {"env": "CROSSDOCK_NO_SUCH_VAR"}}}},
            "$[0].soap.wsse.password",
            "CROSSDOCK_NO_SUCH_VAR",
        ),
        ({"url": "http://erp.example.com/ws"}, "$[0].soap.wsse.digest", "in clear"),
        ({"type": "rest", "url": "https://x.example.com"}, "$[0].soap", "only read for type: soap"),
        ({"url": "ftp://erp.example.com/ws"}, "$[0].url", "http"),
    ],
)
def test_problems_name_the_destination_field(
    tmp_path: Path, dest: dict[str, Any], path: str, words: str
) -> None:
    problems = _problems(_folder(tmp_path, **dest))
    assert path in problems, problems
    assert words in problems[path]


def test_digest_or_https_may_carry_the_password(tmp_path: Path) -> None:
    load_config(_folder(tmp_path / "a", url="https://erp.example.com/ws"))
    load_config(
        _folder(
            tmp_path / "b",
            url="http://erp.example.com/ws",
            soap={"wsse": {"username": "u", "password": {"env": "PATH"}, "digest": True}},
        )
    )


def test_a_soap_destination_needs_its_section(tmp_path: Path) -> None:
    root = tmp_path / "config"
    root.mkdir()
    (root / "destinations.yaml").write_text("- name: erp\n  type: soap\n  url: https://x.example\n")
    problems = _problems(root)
    assert "soap: section" in problems["$[0].soap"]


def test_a_rest_destination_still_needs_its_url(tmp_path: Path) -> None:
    root = tmp_path / "config"
    root.mkdir()
    (root / "destinations.yaml").write_text("- name: erp\n")
    assert "http" in _problems(root)["$[0].url"]
