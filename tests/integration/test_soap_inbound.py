"""``POST /v1/inbound/soap/{endpoint}`` on a real gateway on 127.0.0.1: ack + journal, or Fault."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from lxml import etree

from gateway.pipeline.stages import decode
from gateway.runtime import Gateway
from tests.support import SAMPLES, GatewayAuth, eventually, running_gateway, write_config

SOAP_SAMPLES = SAMPLES / "soap"
FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "connectors" / "soap" / "fixtures"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
ACK = "urn:crossdock:soap:ack:1"
ACTION = "http://example.com/GetLastTradePrice"
PUROLATOR_TYPES_URL = "https://webservices.purolator.com/PWS/V1/Tracking/types.xsd"

pytestmark = pytest.mark.skipif(not SOAP_SAMPLES.is_dir(), reason="shared samples not found")


def stock_quote(account_id: str = "7", ns: str = SOAP11) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="{ns}" xmlns:q="http://example.com/stockquote.xsd">
  <soap:Body>
    <q:TradePriceRequest>
      <tickerSymbol>ACME</tickerSymbol>
      <account><id>{account_id}</id><user>bob</user></account>
    </q:TradePriceRequest>
  </soap:Body>
</soap:Envelope>""".encode()


def write_soap_config(root: Path) -> None:
    cfg = write_config(root, {})
    # WSDL paths are relative to the config folder; the shared sample is referenced in place
    (cfg / "wsdl").mkdir()
    shutil.copy(FIXTURES / "purolator_tracking.wsdl", cfg / "wsdl")
    shutil.copy(FIXTURES / "purolator_types.xsd", cfg / "wsdl")
    endpoints: list[dict[str, Any]] = [
        {
            "name": "quotes",
            "partner": "acme",
            "wsdl": str(SOAP_SAMPLES / "zeep_soap.wsdl"),
            "document_types": {"GetLastTradePrice": "quote_request"},
        },
        {
            "name": "purolator",
            "partner": "shop",
            "wsdl": "wsdl/purolator_tracking.wsdl",
            "schema_locations": {PUROLATOR_TYPES_URL: "wsdl/purolator_types.xsd"},
            "document_type": "tracking_request",
        },
        {"name": "loose", "partner": "shop", "document_type": "tracking_request"},
    ]
    (cfg / "soap.yaml").write_text(yaml.safe_dump(endpoints))


@contextlib.asynccontextmanager
async def soap_gateway(root: Path) -> AsyncIterator[tuple[Gateway, str]]:
    write_soap_config(root)
    async with running_gateway(root, workers_enabled=False) as (gw, base):
        yield gw, base


async def pending(gw: Gateway) -> int:
    return int((await gw.journal.stats()).messages_pending)


def fault_string(response: httpx.Response, ns: str = SOAP11) -> str:
    root = etree.fromstring(response.content)
    if ns == SOAP11:
        assert root.findtext(f".//{{{ns}}}Fault/faultcode") == "soap:Client"
        return root.findtext(f".//{{{ns}}}Fault/faultstring") or ""
    return root.findtext(f".//{{{ns}}}Reason/{{{ns}}}Text") or ""


async def test_a_stock_quote_is_acknowledged_and_journaled(tmp_path: Path) -> None:
    body = stock_quote()
    async with (
        soap_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        r = await client.post(
            f"{base}/v1/inbound/soap/quotes",
            content=body,
            headers={"content-type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION}"'},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/xml")
        ack = etree.fromstring(r.content)
        message_id = ack.findtext(f".//{{{ACK}}}messageId")
        assert ack.findtext(f".//{{{ACK}}}operation") == "GetLastTradePrice"
        assert r.headers["location"] == f"/v1/messages/{message_id}"
        assert message_id is not None
        message = await gw.journal.get_message(message_id)
        assert message is not None
        assert message.raw == body
        assert (message.channel, message.partner) == ("soap:quotes", "acme")
        assert message.document_type == "quote_request"
        # what the pipeline's decode stage will do with it
        channel = gw.config.channel_for(message.channel)
        assert channel is not None and channel.format == "soap" and channel.soap is not None
        # the sample WSDL has two operations taking this Body; the journaled SOAPAction
        # lets the stage pick the one the door picked
        assert message.business_keys == {"soap_action": f'"{ACTION}"'}
        decoded = decode(channel, message)
        assert decoded.tree["operation"] == "GetLastTradePrice"
        assert decoded.tree["body"]["account"] == {"id": 7, "user": "bob"}
        assert decoded.document_type == "quote_request"
        assert await pending(gw) == 1


async def test_soap_12_is_acknowledged_in_soap_12(tmp_path: Path) -> None:
    async with (
        soap_gateway(tmp_path) as (_gw, base),
        httpx.AsyncClient(auth=GatewayAuth(_gw)) as client,
    ):
        r = await client.post(
            f"{base}/v1/inbound/soap/quotes",
            content=stock_quote(ns=SOAP12),
            headers={"content-type": f'application/soap+xml; action="{ACTION}"'},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/soap+xml")
        assert etree.fromstring(r.content).tag == f"{{{SOAP12}}}Envelope"


async def test_purolator_is_validated_against_its_mapped_schema(tmp_path: Path) -> None:
    raw = (SOAP_SAMPLES / "purolator_tracking_request_envelope.xml").read_bytes()
    bad = raw.replace(b"<v1:Language>en<", b"<v1:Language>de<")
    async with (
        soap_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        ok = await client.post(
            f"{base}/v1/inbound/soap/purolator", content=raw, headers={"content-type": "text/xml"}
        )
        assert ok.status_code == 200, ok.text
        loose = await client.post(
            f"{base}/v1/inbound/soap/loose", content=raw, headers={"content-type": "text/xml"}
        )
        assert loose.status_code == 200, loose.text
        # the header is not schema-validated (only the Body is): documented limitation
        still_ok = await client.post(
            f"{base}/v1/inbound/soap/purolator", content=bad, headers={"content-type": "text/xml"}
        )
        assert still_ok.status_code == 200
        assert await pending(gw) == 3


async def test_bad_input_is_a_fault_and_nothing_is_journaled(tmp_path: Path) -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>&x;</e:Body>'
        b"</e:Envelope>"
    )
    async with (
        soap_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        url = f"{base}/v1/inbound/soap/quotes"
        xml = {"content-type": "text/xml"}
        r = await client.post(url, content=stock_quote(account_id="two"), headers=xml)
        assert r.status_code == 500  # SOAP 1.1: every Fault is a 500
        assert "/q:TradePriceRequest/account/id" in fault_string(r)
        r = await client.post(url, content=stock_quote()[:-20], headers=xml)
        assert r.status_code == 500
        assert "malformed XML at line" in fault_string(r)
        r = await client.post(url, content=xxe, headers=xml)
        assert "DTD is not allowed" in fault_string(r)
        assert "root:" not in r.text
        r = await client.post(
            url,
            content=stock_quote(account_id="two", ns=SOAP12),
            headers={"content-type": "application/soap+xml"},
        )
        assert r.status_code == 400  # SOAP 1.2: a Sender fault is a 400
        assert "account/id" in fault_string(r, SOAP12)
        r = await client.post(url, content=stock_quote(), headers={"content-type": "text/plain"})
        assert r.status_code == 415
        r = await client.post(f"{base}/v1/inbound/soap/nope", content=stock_quote(), headers=xml)
        assert r.status_code == 404
        assert "no SOAP endpoint named 'nope'" in fault_string(r)
        assert await pending(gw) == 0


def test_config_load_reports_a_wsdl_that_cannot_load_offline(tmp_path: Path) -> None:
    from gateway.config.loader import ConfigError, load_config

    cfg = write_config(tmp_path, {})
    shutil.copy(FIXTURES / "purolator_tracking.wsdl", cfg)
    endpoints = [
        {"name": "p", "partner": "shop", "wsdl": "purolator_tracking.wsdl"},
        {"name": "q", "partner": "ghost", "wsdl": "missing.wsdl"},
    ]
    (cfg / "soap.yaml").write_text(yaml.safe_dump(endpoints))
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    text = str(caught.value)
    assert "soap.yaml" in text
    assert f"{PUROLATOR_TYPES_URL!r} is not available offline" in text
    assert "unknown partner 'ghost'" in text
    assert "missing.wsdl" in text


ERP_NS = "urn:crossdock:test:erp"
ERP_ORDER_MAPPING = """\
source: soap
target: v1/order
fields:
  po_number: {value: "body.poNumber", required: true}
  order_date: {value: "body.orderDate", required: true}
  currency: "body.currency"
  references:
    order_number: "body.externalId"
  lines:
    required: true
    each: "body.line"
    fields:
      line_number: "lineNumber"
      item:
        sku: "sku"
      quantity:
        value: "dec(quantity)"
        uom: {const: EA}
"""


async def test_a_soap_order_is_mapped_to_a_canonical_order(tmp_path: Path) -> None:
    """The parsed Body reaches the mapping stage as a tree and leaves as a canonical order."""
    cfg = write_config(tmp_path, {})
    (cfg / "wsdl").mkdir()
    shutil.copy(FIXTURES / "erp_orders.wsdl", cfg / "wsdl")
    endpoint = {
        "name": "erp",
        "partner": "acme",
        "wsdl": "wsdl/erp_orders.wsdl",
        "document_type": "order",
        "mapping": "acme/erp-order.yaml",
    }
    (cfg / "soap.yaml").write_text(yaml.safe_dump([endpoint]))
    (tmp_path / "mappings" / "acme").mkdir(parents=True)
    (tmp_path / "mappings" / "acme" / "erp-order.yaml").write_text(ERP_ORDER_MAPPING)
    envelope = f"""<s:Envelope xmlns:s="{SOAP11}" xmlns:e="{ERP_NS}"><s:Body>
      <e:CreateOrderRequest>
        <e:externalId>ERP-77</e:externalId><e:poNumber>PO-77</e:poNumber>
        <e:orderDate>2026-12-01</e:orderDate><e:currency>EUR</e:currency>
        <e:line><e:lineNumber>1</e:lineNumber><e:sku>SKU-1</e:sku><e:quantity>2.5</e:quantity></e:line>
        <e:line><e:lineNumber>2</e:lineNumber><e:sku>SKU-2</e:sku><e:quantity>10</e:quantity></e:line>
      </e:CreateOrderRequest></s:Body></s:Envelope>""".encode()
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        r = await client.post(
            f"{base}/v1/inbound/soap/erp",
            content=envelope,
            headers={
                "content-type": "text/xml",
                "SOAPAction": '"urn:crossdock:test:erp:CreateOrder"',
            },
        )
        assert r.status_code == 200, r.text
        message_id = etree.fromstring(r.content).findtext(f".//{{{ACK}}}messageId")
        assert message_id is not None

        async def mapped() -> Any:
            message = await gw.journal.get_message(message_id)
            return message if message is not None and message.canonical else None

        message = await eventually(mapped)
    order = json.loads(message.canonical)
    assert (order["po_number"], order["order_date"], order["currency"]) == (
        "PO-77",
        "2026-12-01",
        "EUR",
    )
    assert [(x["line_number"], x["item"]["sku"], x["quantity"]) for x in order["lines"]] == [
        (1, "SKU-1", {"value": "2.5", "uom": "EA"}),
        (2, "SKU-2", {"value": "10", "uom": "EA"}),
    ]
    assert message.document_type == "order"
    assert order["references"] == {"order_number": "ERP-77"}
    assert (message.business_keys["po_number"], message.business_keys["order_number"]) == (
        "PO-77",
        "ERP-77",
    )
