"""Outbound answers: Faults, HTTP statuses and application errors inside a 200."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.soap import AppErrorRule, classify_response

CHRONOPOST_RULE = AppErrorRule(element="errorCode", ok=["0"], message_element="errorMessage")


def test_netsuite_concurrent_session_fault_is_retriable(samples: Path) -> None:
    body = (samples / "netsuite_soap_fault_concurrent_session.xml").read_bytes()
    outcome = classify_response(500, body)
    assert outcome.kind == "retriable"
    assert outcome.code == "soap_fault:exceededRequestLimitFault"
    assert outcome.error == "Only one request may be made against a session at a time"
    assert outcome.status_code == 500


def test_a_validation_fault_is_fatal(samples: Path) -> None:
    body = (samples / "netsuite_soap_fault_concurrent_session.xml").read_bytes()
    body = body.replace(b"exceededRequestLimitFault", b"InvalidCredentialsFault").replace(
        b"WS_CONCUR_SESSION_DISALLWD", b"INVALID_FLD_VALUE"
    )
    outcome = classify_response(500, body)
    assert outcome.kind == "fatal"
    assert outcome.code == "soap_fault:soapenv:Server.userException"


def test_a_soap_12_sender_fault_is_fatal() -> None:
    body = b"""<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault>
    <e:Code><e:Value>e:Sender</e:Value></e:Code><e:Reason><e:Text xml:lang="en">bad zip</e:Text>
    </e:Reason></e:Fault></e:Body></e:Envelope>"""
    outcome = classify_response(400, body)
    assert (outcome.kind, outcome.error) == ("fatal", "bad zip")


def test_chronopost_error_code_in_a_200_is_a_failure(samples: Path) -> None:
    body = (samples / "chronopost_error_response_envelope.xml").read_bytes()
    outcome = classify_response(200, body, CHRONOPOST_RULE)
    assert outcome.kind == "fatal"
    assert outcome.code == "soap_app_error"
    assert outcome.error == "errorCode = '1': System Error"


def test_the_same_rule_by_xpath_and_with_a_retriable_kind(samples: Path) -> None:
    body = (samples / "chronopost_error_response_envelope.xml").read_bytes()
    rule = AppErrorRule(
        xpath="//c:trackSkybillV2Response/return/errorCode",
        namespaces={"c": "http://cxf.tracking.soap.chronopost.fr/"},
        kind="retriable",
    )
    outcome = classify_response(200, body, rule)
    assert (outcome.kind, outcome.code) == ("retriable", "soap_app_error")


def test_chronopost_success_is_ok(samples: Path) -> None:
    body = (samples / "chronopost_error_response_envelope.xml").read_bytes()
    body = body.replace(b"<errorCode>1</errorCode>", b"<errorCode>0</errorCode>")
    assert classify_response(200, body, CHRONOPOST_RULE).kind == "ok"
    assert classify_response(200, body.replace(b"errorCode", b"other")).kind == "ok"
    missing = AppErrorRule(element="errorCode", missing_is_error=True)
    assert classify_response(200, body.replace(b"errorCode", b"other"), missing).kind == "fatal"


@pytest.mark.parametrize(
    ("status", "kind"), [(429, "retriable"), (503, "retriable"), (404, "fatal"), (200, "ok")]
)
def test_statuses_without_a_fault(status: int, kind: str) -> None:
    body = b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>'
    assert classify_response(status, body).kind == kind


def test_an_unreadable_body_says_so() -> None:
    outcome = classify_response(502, b"<html>Bad gateway")
    assert (outcome.kind, outcome.code) == ("retriable", "xml_malformed")
    assert classify_response(200, b"").kind == "ok"
