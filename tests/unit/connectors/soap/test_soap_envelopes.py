"""Inbound envelopes: offline WSDL loading, dispatch, validation, the document tree, Faults."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from connectors.soap import (
    SoapEndpointSpec,
    SoapFaultError,
    WsdlError,
    decode_envelope,
    fault_for,
    load_endpoint,
    render_ack,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PUROLATOR_TYPES_URL = "https://webservices.purolator.com/PWS/V1/Tracking/types.xsd"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
ACTION = "http://example.com/GetLastTradePrice"


def stock_quote(ticker: str = "ACME", account_id: str = "7", ns: str = SOAP11) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="{ns}" xmlns:q="http://example.com/stockquote.xsd">
  <soap:Body>
    <q:TradePriceRequest>
      <tickerSymbol>{ticker}</tickerSymbol>
      <account>
        <id>{account_id}</id>
        <user>bob</user>
      </account>
    </q:TradePriceRequest>
  </soap:Body>
</soap:Envelope>""".encode()


def purolator_spec(types: bool = True) -> SoapEndpointSpec:
    return SoapEndpointSpec(
        wsdl=str(FIXTURES / "purolator_tracking.wsdl"),
        schema_locations={PUROLATOR_TYPES_URL: str(FIXTURES / "purolator_types.xsd")}
        if types
        else {},
        document_types={"TrackPackagesByPin": "tracking_request"},
    )


@pytest.mark.parametrize("name", ["zeep_soap.wsdl", "zeep_soap_header.wsdl"])
def test_the_zeep_sample_wsdls_load_offline(samples: Path, name: str) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / name)))
    assert endpoint.wsdl is not None
    assert "GetLastTradePrice" in endpoint.wsdl.operations
    assert endpoint.wsdl.schema is not None


def test_a_stock_quote_request_is_read_into_a_plain_tree(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    inbound = endpoint.read(stock_quote(), "text/xml; charset=utf-8", f'"{ACTION}"')
    assert inbound.version == "1.1"
    assert inbound.operation == "GetLastTradePrice"  # first of the two sharing the action
    assert inbound.tree == {
        "operation": "GetLastTradePrice",
        "body": {"tickerSymbol": "ACME", "account": {"id": 7, "user": "bob"}, "country": None},
        "header": {},
    }


def test_soap_12_with_the_action_in_the_content_type(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    content_type = f'application/soap+xml; charset=utf-8; action="{ACTION}"'
    inbound = endpoint.read(stock_quote(ns=SOAP12), content_type)
    assert inbound.version == "1.2"
    assert inbound.operation == "GetLastTradePrice"


def test_dispatch_by_body_element_without_an_action(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    assert endpoint.read(stock_quote(), "text/xml").operation == "GetLastTradePrice"


def test_a_version_mismatch_is_a_client_fault(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    with pytest.raises(SoapFaultError) as caught:
        endpoint.read(stock_quote(ns=SOAP12), "text/xml")
    assert caught.value.code == "soap_version_mismatch"


def test_an_unknown_operation_is_named(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    raw = stock_quote().replace(b"TradePriceRequest", b"SellEverything")
    with pytest.raises(SoapFaultError) as caught:
        endpoint.read(raw, "text/xml", '"urn:nope"')
    assert caught.value.code == "soap_unknown_operation"
    assert "SellEverything" in caught.value.message
    assert "GetLastTradePrice" in caught.value.message


def test_a_wrong_type_is_a_fault_naming_the_element_and_line(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    with pytest.raises(SoapFaultError) as caught:
        endpoint.read(stock_quote(account_id="two"), "text/xml")
    error = caught.value
    assert error.code == "soap_schema_violation"
    assert error.path == "/q:TradePriceRequest/account/id"
    assert error.line == 7  # <id> is on the envelope's 7th line
    assert "'two' is not a valid value" in error.message
    fault = etree.fromstring(fault_for(error))
    assert fault.findtext(f".//{{{SOAP11}}}Fault/faultcode") == "soap:Client"
    assert "/q:TradePriceRequest/account/id" in (
        fault.findtext(f".//{{{SOAP11}}}Fault/faultstring") or ""
    )


def test_purolator_with_a_local_wsdl_and_a_mapped_absolute_import(samples: Path) -> None:
    raw = (samples / "purolator_tracking_request_envelope.xml").read_bytes()
    inbound = load_endpoint(purolator_spec()).read(raw, "text/xml")
    assert inbound.operation == "TrackPackagesByPin"
    assert inbound.document_type == "tracking_request"
    assert inbound.tree["body"]["PINs"] == {"PIN": [{"Value": "m123"}]}
    assert inbound.tree["header"]["RequestContext"]["UserToken"] == "token"


def test_a_bad_enumeration_is_a_fault_naming_the_element(samples: Path) -> None:
    raw = (samples / "purolator_tracking_request_envelope.xml").read_bytes()
    raw = raw.replace(b"</v1:PINs>", b"</v1:PINs><v1:Status>Lost</v1:Status>")
    with pytest.raises(SoapFaultError) as caught:
        load_endpoint(purolator_spec()).read(raw, "text/xml")
    assert caught.value.path == "/v1:TrackPackagesByPinRequest/v1:Status"
    assert "enumeration" in caught.value.message
    assert "'Lost'" in caught.value.message


def test_an_unmapped_absolute_import_is_refused_not_fetched() -> None:
    with pytest.raises(WsdlError) as caught:
        load_endpoint(purolator_spec(types=False))
    assert caught.value.code == "wsdl_fetch_refused"
    assert PUROLATOR_TYPES_URL in caught.value.message


def test_purolator_without_a_wsdl_is_dispatched_by_its_body_element(samples: Path) -> None:
    raw = (samples / "purolator_tracking_request_envelope.xml").read_bytes()
    decoded = decode_envelope(raw, SoapEndpointSpec(document_type="tracking_request"), "text/xml")
    assert decoded.document_type == "tracking_request"
    assert decoded.tree["operation"] == (
        "{http://purolator.com/pws/datatypes/v1}TrackPackagesByPinRequest"
    )
    assert decoded.tree["body"] == {"PINs": {"PIN": {"Value": "m123"}}}  # no schema: no lists


def test_malformed_xml_names_line_and_column(samples: Path) -> None:
    endpoint = load_endpoint(SoapEndpointSpec(wsdl=str(samples / "zeep_soap.wsdl")))
    with pytest.raises(SoapFaultError) as caught:
        endpoint.read(stock_quote().replace(b"</tickerSymbol>", b"</ticker>"), "text/xml")
    assert caught.value.code == "xml_malformed"
    assert caught.value.line == 5
    assert "line 5, column" in caught.value.message


def test_not_an_envelope_and_an_empty_body() -> None:
    endpoint = load_endpoint(SoapEndpointSpec())
    with pytest.raises(SoapFaultError, match=r"expected a SOAP 1\.1 or 1\.2 Envelope"):
        endpoint.read(b"<order/>", "text/xml")
    with pytest.raises(SoapFaultError, match="no Body element content"):
        endpoint.read(f'<e:Envelope xmlns:e="{SOAP11}"><e:Body/></e:Envelope>'.encode())


def test_soap_12_faults_use_sender_and_reason() -> None:
    error = SoapFaultError("bad", code="x", version="1.2", path="/a/b", line=3)
    fault = etree.fromstring(fault_for(error))
    assert fault.findtext(f".//{{{SOAP12}}}Code/{{{SOAP12}}}Value") == "soap:Sender"
    assert fault.findtext(f".//{{{SOAP12}}}Reason/{{{SOAP12}}}Text") == "bad"


def test_the_ack_carries_the_message_id() -> None:
    ack = etree.fromstring(render_ack("1.1", "Op", "m-1", "t-1"))
    assert ack.findtext(".//{urn:crossdock:soap:ack:1}messageId") == "m-1"
    assert ack.findtext(".//{urn:crossdock:soap:ack:1}operation") == "Op"


ACTIONS_NS = "urn:crossdock:test:actions"


def order_message(ns: str = SOAP11) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{ns}" xmlns:o="{ACTIONS_NS}"><s:Body>'
        "<o:OrderMessage><o:poNumber>PO-7</o:poNumber></o:OrderMessage>"
        "</s:Body></s:Envelope>"
    ).encode()


def actions_endpoint() -> SoapEndpointSpec:
    return SoapEndpointSpec(
        wsdl=str(FIXTURES / "order_actions.wsdl"),
        document_type="order",
        document_types={"CancelOrder": "order_cancel"},
    )


@pytest.mark.parametrize(
    ("action", "operation", "document_type"),
    [
        ('"urn:crossdock:test:actions:Create"', "CreateOrder", "order"),
        ('"urn:crossdock:test:actions:Cancel"', "CancelOrder", "order_cancel"),
        ("urn:crossdock:test:actions:Cancel", "CancelOrder", "order_cancel"),  # unquoted
    ],
)
def test_the_action_chooses_between_operations_that_share_a_body(
    action: str, operation: str, document_type: str
) -> None:
    inbound = load_endpoint(actions_endpoint()).read(order_message(), "text/xml", action)
    assert (inbound.operation, inbound.document_type) == (operation, document_type)
    assert inbound.tree["operation"] == operation
    assert inbound.tree["body"]["poNumber"] == "PO-7"


def test_soap_12_carries_the_action_in_the_content_type() -> None:
    content_type = 'application/soap+xml; charset=utf-8; action="urn:crossdock:test:actions:Cancel"'
    inbound = load_endpoint(actions_endpoint()).read(order_message(SOAP12), content_type)
    assert (inbound.version, inbound.operation) == ("1.2", "CancelOrder")


@pytest.mark.parametrize("action", [None, '""', '"urn:crossdock:test:actions:Refund"'])
def test_a_shared_body_without_a_known_action_is_a_fault_naming_the_choices(
    action: str | None,
) -> None:
    with pytest.raises(SoapFaultError) as caught:
        load_endpoint(actions_endpoint()).read(order_message(), "text/xml", action)
    error = caught.value
    assert error.code == "soap_ambiguous_operation"
    assert f"{{{ACTIONS_NS}}}OrderMessage" in error.message
    assert "CreateOrder ('urn:crossdock:test:actions:Create')" in error.message
    assert "CancelOrder ('urn:crossdock:test:actions:Cancel')" in error.message
    fault = etree.fromstring(fault_for(error))
    assert fault.findtext(f".//{{{SOAP11}}}Fault/faultcode") == "soap:Client"


def test_the_decode_stage_dispatches_by_the_journaled_action() -> None:
    cancel = '"urn:crossdock:test:actions:Cancel"'
    decoded = decode_envelope(order_message(), actions_endpoint(), "text/xml", cancel)
    assert (decoded.tree["operation"], decoded.document_type) == ("CancelOrder", "order_cancel")
    with pytest.raises(SoapFaultError):  # without it there is no telling
        decode_envelope(order_message(), actions_endpoint(), "text/xml")
