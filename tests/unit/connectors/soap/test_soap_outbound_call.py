"""SOAP destinations offline: the spec checked against its WSDL, and the envelope it builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.base import Delivery
from connectors.soap import (
    AppErrorRule,
    CallSpecError,
    SoapCallSpec,
    SoapDeliverer,
    UsernameCredentials,
    classify_response,
    load_call,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ERP_WSDL = str(FIXTURES / "erp_orders.wsdl")
ERP = "urn:crossdock:test:erp"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
ARGUMENTS = {
    "poNumber": "po_number",
    "orderDate": "order_date",
    "currency": "currency",
    "line": "lines[].{lineNumber: line_number, sku: item.sku, quantity: quantity.value,"
    " unitPrice: unit_price.amount}",
}


def erp_spec(**changes: Any) -> SoapCallSpec:
    fields: dict[str, Any] = {
        "wsdl": ERP_WSDL,
        "operation": "CreateOrder",
        "arguments": ARGUMENTS,
        "idempotency_argument": "externalId",
    }
    fields.update(changes)
    return SoapCallSpec(**fields)


def order(po: str = "PO-1", sku: str = "SKU-1", qty: str = "2") -> dict[str, Any]:
    return {
        "po_number": po,
        "order_date": "2026-11-22",
        "currency": "USD",
        "lines": [
            {
                "line_number": 1,
                "item": {"sku": sku},
                "quantity": {"value": qty, "uom": "EA"},
                "unit_price": {"amount": "9.99", "currency": "USD"},
            }
        ],
    }


def delivery(document: Any, key: str = "m1.erp") -> Delivery:
    return Delivery("d1", "m1", "erp", key, 1, "order", json.dumps(document).encode())


def test_arguments_from_jmespath_and_the_key_in_its_parameter() -> None:
    call = load_call(erp_spec(), url_given=False)
    kwargs = call.arguments(order("PO-9"), "m9.erp")
    assert kwargs["poNumber"] == "PO-9"
    assert kwargs["externalId"] == "m9.erp"
    assert kwargs["line"] == [
        {"lineNumber": 1, "sku": "SKU-1", "quantity": "2", "unitPrice": "9.99"}
    ]
    assert call.address == "http://127.0.0.1:9/erp"  # the WSDL's soap:address


def test_a_null_expression_leaves_the_parameter_out() -> None:
    call = load_call(erp_spec(), url_given=False)
    document = order()
    del document["currency"]
    assert "currency" not in call.arguments(document, "k")


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"operation": "DeleteOrder"}, "operation", "['CreateOrder']"),
        ({"arguments": {**ARGUMENTS, "poNumbr": "po_number"}}, "arguments.poNumbr", "poNumber"),
        ({"arguments": {**ARGUMENTS, "poNumber": "po_number[["}}, "arguments.poNumber", "JMESPath"),
        ({"idempotency_argument": None}, "arguments", "['externalId']"),
        ({"idempotency_argument": "poNumber"}, "idempotency_argument", "one source"),
        ({"idempotency_argument": "id"}, "idempotency_argument", "no parameter 'id'"),
        ({"idempotency_element": "RequestId"}, "idempotency_element", "{namespace}Name"),
        ({"app_error": AppErrorRule()}, "app_error", "exactly one"),
        ({"app_error": AppErrorRule(xpath="//[")}, "app_error.xpath", "XPath"),
        ({"wsdl": str(FIXTURES / "missing.wsdl")}, "wsdl", "not found"),
        ({"service": "Nope"}, "wsdl", "service 'Nope' not in WSDL"),
    ],
)
def test_spec_problems_name_the_field(changes: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(CallSpecError) as info:
        load_call(erp_spec(**changes), url_given=True)
    assert info.value.path == path
    assert words in info.value.message


def test_without_url_the_wsdl_needs_an_http_address(tmp_path: Path) -> None:
    wsdl = tmp_path / "no_address.wsdl"
    text = Path(ERP_WSDL).read_text().replace("http://127.0.0.1:9/erp", "mailto:erp@example.com")
    wsdl.write_text(text)
    load_call(erp_spec(wsdl=str(wsdl)), url_given=True)
    with pytest.raises(CallSpecError) as info:
        load_call(erp_spec(wsdl=str(wsdl)), url_given=False)
    assert (info.value.path, "set url" in info.value.message) == ("wsdl", True)


def test_the_shared_stock_quote_wsdl_builds_nested_arguments(samples: Path) -> None:
    spec = SoapCallSpec(
        wsdl=str(samples / "zeep_soap.wsdl"),
        operation="GetLastTradePrice",
        arguments={"tickerSymbol": "symbol", "account": "{id: account_id, user: user}"},
        idempotency_element="{urn:crossdock:test}RequestId",
    )
    deliverer = SoapDeliverer(spec, url="http://127.0.0.1:9/quotes")
    raw = deliverer.envelope(delivery({"symbol": "ACME", "account_id": 7, "user": "bob"}, "k-1"))
    root = etree.fromstring(raw)
    request = root.find(f"{{{SOAP11}}}Body/{{http://example.com/stockquote.xsd}}TradePriceRequest")
    assert request is not None
    assert request.findtext("tickerSymbol") == "ACME"
    assert request.findtext("account/id") == "7"
    assert root.findtext(f"{{{SOAP11}}}Header/{{urn:crossdock:test}}RequestId") == "k-1"


def test_the_shared_header_wsdl_lists_only_body_parameters(samples: Path) -> None:
    spec = SoapCallSpec(
        wsdl=str(samples / "zeep_soap_header.wsdl"),
        operation="GetLastTradePrice",
        arguments={"Authentication": "auth"},
    )
    with pytest.raises(CallSpecError) as info:
        load_call(spec, url_given=True)
    assert "expected one of ['tickerSymbol']" in info.value.message


def test_the_envelope_hides_the_password_and_digest_has_a_nonce() -> None:
    for digest in (False, True):
        deliverer = SoapDeliverer(
            erp_spec(),
            credentials=UsernameCredentials("svc", "pa<ss&word", digest=digest),
        )
        raw = deliverer.envelope(delivery(order()))
        assert b"pa<ss" not in raw
        assert b"pa&lt;ss&amp;word" not in raw
        token = etree.fromstring(raw).find(f".//{{{WSSE}}}UsernameToken")
        assert token is not None
        assert token.findtext(f"{{{WSSE}}}Username") == "svc"
        assert (token.find(f"{{{WSSE}}}Nonce") is not None) is digest
        assert "pa<ss&word" not in repr(deliverer)
        assert "pa<ss&word" not in repr(UsernameCredentials("svc", "pa<ss&word"))


def test_zeep_refuses_a_document_missing_a_required_parameter() -> None:
    deliverer = SoapDeliverer(erp_spec())
    document = order()
    del document["po_number"]
    with pytest.raises(Exception, match="poNumber"):
        deliverer.envelope(delivery(document))


# XML 1.0 text: no control characters except tab/newline, no surrogates; zeep writes str as is
xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(po=xml_text, sku=xml_text, qty=st.decimals(min_value=0, max_value=10**6, places=3))
def test_canonical_values_round_trip_through_the_envelope(po: str, sku: str, qty: Any) -> None:
    deliverer = SoapDeliverer(erp_spec())
    raw = deliverer.envelope(delivery(order(po, sku, str(qty)), key=po))
    request = etree.fromstring(raw).find(f"{{{SOAP11}}}Body/{{{ERP}}}CreateOrderRequest")
    assert request is not None
    assert request.findtext(f"{{{ERP}}}poNumber") == po
    assert request.findtext(f"{{{ERP}}}externalId") == po
    assert request.findtext(f"{{{ERP}}}line/{{{ERP}}}sku") == sku
    assert request.findtext(f"{{{ERP}}}line/{{{ERP}}}quantity") == str(qty)
    # and what the destination would answer for it is classified, never an error
    assert classify_response(200, raw).kind == "ok"


@settings(max_examples=200, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"<html><body>proxy</body></html>",
                b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/>'
                b"</e:Envelope>",
                b"<a><b>",
            ]
        ),
    ),
)
def test_any_answer_is_classified_and_ok_needs_a_2xx_envelope(status: int, body: bytes) -> None:
    outcome = classify_response(status, body)
    assert outcome.kind in {"ok", "retriable", "fatal"}
    if outcome.kind == "ok":
        assert 200 <= status < 300
        assert not body.strip() or b"Envelope" in body
    if status >= 500 and b"Fault" not in body:
        assert outcome.kind == "retriable"
