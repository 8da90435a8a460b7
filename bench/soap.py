"""Inbound SOAP envelopes read per second by ``Endpoint.read`` against zeep's own deserialisation.

Ours: ``connectors.soap.load_endpoint(SoapEndpointSpec(wsdl=...)).read(raw, content_type,
soap_action)`` on a SOAP 1.1 ``TradePriceRequest`` envelope for the sample StockQuote WSDL
(``../shared/samples/soap/zeep_soap.wsdl``, read in place): the hardened parse (zeep's
``parse_xml`` with DTDs, entities and external loads forbidden), the Envelope and Content-Type
checks, dispatch by SOAPAction and Body QName, lxml ``XMLSchema`` validation of the Body, zeep
reading the Body into values, and the plain document tree handed to mapping.

Baseline: zeep alone on the same bytes, as STACK-NOTES describes it: ``op =
client.wsdl.bindings[QNAME].get("GetLastTradePrice")`` once, then per envelope
``op.input.deserialize(parse_xml(raw, client.transport, settings=client.settings))`` with the
same hardened ``Settings``. It neither validates nor builds a plain tree. Both run in this
process, one after the other in alternating rounds; the median round is reported.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, cast

from zeep import Client
from zeep.loader import parse_xml

from bench._harness import ROOT, Result, alternate, median
from connectors.soap import OfflineTransport, SoapEndpointSpec, load_endpoint
from connectors.soap._xml import SETTINGS

NAME = "soap"
WSDL = ROOT.parent / "shared" / "samples" / "soap" / "zeep_soap.wsdl"
BINDING = "{http://example.com/stockquote.wsdl}StockQuoteBinding"
OPERATION = "GetLastTradePrice"
SOAP_ACTION = '"http://example.com/GetLastTradePrice"'
CONTENT_TYPE = "text/xml; charset=utf-8"

# zeep is unannotated, and annotates ``parse_xml(content: str)`` although lxml takes the bytes
_client = cast("Callable[..., Any]", Client)
_parse_xml = cast("Callable[..., Any]", parse_xml)

# A valid request per the WSDL: the schema has no elementFormDefault, so the local elements are
# unqualified; ``country`` is a global element (``ref``), so it is qualified.
ENVELOPE = b"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:sq="http://example.com/stockquote.xsd">
  <soap:Header/>
  <soap:Body>
    <sq:TradePriceRequest>
      <tickerSymbol>ACME</tickerSymbol>
      <account>
        <id>4500012</id>
        <user>northwind-dc7</user>
      </account>
      <sq:country>
        <name>United States</name>
        <code>US</code>
      </sq:country>
    </sq:TradePriceRequest>
  </soap:Body>
</soap:Envelope>
"""

_EXPECTED_BODY = {
    "tickerSymbol": "ACME",
    "account": {"id": 4500012, "user": "northwind-dc7"},
    "country": {"name": "United States", "code": "US"},
}


def _ours() -> Callable[[], Any]:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(WSDL)))

    def read() -> Any:
        return endpoint.read(ENVELOPE, CONTENT_TYPE, SOAP_ACTION)

    inbound = read()
    assert inbound.operation == OPERATION, inbound.operation
    assert inbound.tree["body"] == _EXPECTED_BODY, inbound.tree
    return read


def _zeep() -> Callable[[], Any]:
    client = _client(str(WSDL), transport=OfflineTransport({}), settings=SETTINGS)
    op = client.wsdl.bindings[BINDING].get(OPERATION)
    transport, settings = client.transport, client.settings

    def read() -> Any:
        return op.input.deserialize(_parse_xml(ENVELOPE, transport, settings=settings))

    value = read()
    assert value["account"]["id"] == 4500012, value
    return read


def _rate(read: Callable[[], Any], seconds: float) -> float:
    """Envelopes per second over a window of about ``seconds``, in batches of 50."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    now = started
    while now < deadline:
        for _ in range(50):
            read()
        done += 50
        now = time.perf_counter()
    return done / (now - started)


def run(quick: bool = False) -> list[Result]:
    seconds, rounds = (1.0, 1) if quick else (3.0, 5)
    readers = {"ours": _ours(), "zeep": _zeep()}
    for read in readers.values():  # warm up both (caches, allocator)
        _rate(read, 0.2)
    runs = alternate(rounds, {k: functools.partial(_rate, r, seconds) for k, r in readers.items()})
    return [
        Result(
            name="soap inbound read",
            unit="envelopes/s",
            ours=median(runs["ours"]),
            baseline=median(runs["zeep"]),
            baseline_name="zeep deserialize alone",
            goal=None,
            notes=[
                f"{len(ENVELOPE)}-byte SOAP 1.1 TradePriceRequest ({WSDL.name}), "
                f"{rounds} x {seconds:.0f} s per side (median), in-process, one core",
                f"ours per round: {', '.join(f'{r:,.0f}' for r in runs['ours'])}",
                f"zeep per round: {', '.join(f'{r:,.0f}' for r in runs['zeep'])}",
                f"ours per envelope {1e6 / median(runs['ours']):.0f} us, "
                f"zeep {1e6 / median(runs['zeep']):.0f} us",
            ],
        )
    ]
