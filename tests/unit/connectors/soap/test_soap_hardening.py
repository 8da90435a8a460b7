"""XML hardening: DTDs, entity expansion and external entities are refused, fast."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectors.soap import (
    SoapEndpointSpec,
    SoapFaultError,
    WsdlError,
    XmlError,
    classify_response,
    load_endpoint,
)
from connectors.soap import parse as parse_xml

LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
BILLION_LAUGHS = (
    f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{LAUGHS}]><lolz>&lol9;</lolz>'
).encode()
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE k [<!ENTITY a "'
    + b"x" * 100_000
    + b'">]><k>'
    + b"&a;" * 100_000
    + b"</k>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><f>&x;</f>'
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE f SYSTEM "http://127.0.0.1:9/evil.dtd"><f/>'
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><f/>'
)
ATTACKS = {
    "billion_laughs": BILLION_LAUGHS,
    "quadratic_blowup": QUADRATIC,
    "xxe_file_read": XXE,
    "external_dtd": EXTERNAL_DTD,
    "parameter_entity": PARAMETER_ENTITY,
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_each_attack_is_refused_fast_with_a_clear_error(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(XmlError) as caught:
        parse_xml(ATTACKS[name])
    elapsed = time.perf_counter() - started
    assert elapsed < 0.2, f"{name} took {elapsed:.3f}s"
    assert caught.value.code == "xml_dtd_refused"
    assert "DTD is not allowed" in caught.value.message
    assert "root:" not in caught.value.message  # nothing from /etc/passwd leaked


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_wrapped_in_an_envelope_is_a_client_fault(name: str) -> None:
    body = ATTACKS[name].replace(b"<lolz>", b"<lolz>")
    started = time.perf_counter()
    with pytest.raises(SoapFaultError) as caught:
        load_endpoint(SoapEndpointSpec()).read(body, "text/xml")
    assert time.perf_counter() - started < 0.2
    assert caught.value.client
    assert caught.value.code == "xml_dtd_refused"


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_response_classification_refuses_the_same_attacks(name: str) -> None:
    outcome = classify_response(200, ATTACKS[name])
    assert outcome.kind == "fatal"
    assert outcome.code == "xml_dtd_refused"


def test_a_wsdl_with_a_dtd_is_refused(tmp_path: Path) -> None:
    wsdl = tmp_path / "evil.wsdl"
    wsdl.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<definitions xmlns="http://schemas.xmlsoap.org/wsdl/">&x;</definitions>'
    )
    started = time.perf_counter()
    with pytest.raises(WsdlError) as caught:
        load_endpoint(SoapEndpointSpec(wsdl=str(wsdl)))
    assert time.perf_counter() - started < 0.5
    assert caught.value.code == "xml_dtd_refused"
    assert str(wsdl) in str(caught.value)


def test_an_imported_schema_with_a_dtd_is_refused(tmp_path: Path) -> None:
    """The WSDL is clean; the XSD it imports (mapped to a local copy) declares an entity."""
    (tmp_path / "types.xsd").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
        b'<xs:element name="e" type="xs:string"/></xs:schema>'
    )
    wsdl = tmp_path / "clean.wsdl"
    wsdl.write_bytes(
        b'<?xml version="1.0"?><definitions xmlns="http://schemas.xmlsoap.org/wsdl/" '
        b'xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:w"><types>'
        b'<xs:schema targetNamespace="urn:w"><xs:import namespace="urn:t" '
        b'schemaLocation="https://example.com/types.xsd"/></xs:schema></types></definitions>'
    )
    spec = SoapEndpointSpec(
        wsdl=str(wsdl),
        schema_locations={"https://example.com/types.xsd": str(tmp_path / "types.xsd")},
    )
    with pytest.raises(WsdlError) as caught:
        load_endpoint(spec)
    assert caught.value.code == "xml_dtd_refused"
