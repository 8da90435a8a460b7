"""SOAP: offline WSDL loading, hardened envelope parsing, Faults, and response classification.

Public surface::

    load_endpoint(spec) -> Endpoint                 # WSDL + XSDs loaded once, offline
    Endpoint.read(raw, content_type, soap_action) -> Inbound   # or raises SoapFaultError
    decode_envelope(raw, spec, content_type) -> Decoded        # the pipeline's decode stage
    render_fault(...) / fault_for(error) / render_ack(...)     # response envelopes
    classify_response(status, body, rule) -> Outcome           # outbound answers
    parse(raw)                                      # hardened XML parse (raises XmlError)
"""

from connectors.soap._classify import RETRIABLE_MARKERS, classify_response
from connectors.soap._fault import CONTENT_TYPES, fault_for, render_ack, render_fault
from connectors.soap._inbound import (
    Endpoint,
    Inbound,
    SoapFaultError,
    SoapVersion,
    decode_envelope,
    load_endpoint,
    media_version,
)
from connectors.soap._spec import AppErrorRule, SoapEndpointSpec
from connectors.soap._wsdl import OfflineTransport, WsdlError
from connectors.soap._xml import XmlError, parse

__all__ = [
    "CONTENT_TYPES",
    "RETRIABLE_MARKERS",
    "AppErrorRule",
    "Endpoint",
    "Inbound",
    "OfflineTransport",
    "SoapEndpointSpec",
    "SoapFaultError",
    "SoapVersion",
    "WsdlError",
    "XmlError",
    "classify_response",
    "decode_envelope",
    "fault_for",
    "load_endpoint",
    "media_version",
    "parse",
    "render_ack",
    "render_fault",
]
