"""SOAP: offline WSDL loading, hardened envelope parsing, Faults, and response classification.

Public surface::

    load_endpoint(spec) -> Endpoint                 # WSDL + XSDs loaded once, offline
    Endpoint.read(raw, content_type, soap_action) -> Inbound   # or raises SoapFaultError
    decode_envelope(raw, spec, content_type) -> Decoded        # the pipeline's decode stage
    render_fault(...) / fault_for(error) / render_ack(...)     # response envelopes
    classify_response(status, body, rule) -> Outcome           # outbound answers
    SoapDeliverer(spec, url=..., credentials=...)              # outbound: one operation call
    load_call(spec, url_given=...) -> SoapCall                 # check a destination's spec
    parse(raw)                                      # hardened XML parse (raises XmlError)
"""

from connectors.soap._call import CallSpecError, SoapCall, load_call
from connectors.soap._classify import RETRIABLE_MARKERS, classify_response
from connectors.soap._fault import CONTENT_TYPES, fault_for, render_ack, render_fault
from connectors.soap._inbound import (
    SOAP_ACTION_KEY,
    Endpoint,
    Inbound,
    SoapFaultError,
    SoapVersion,
    decode_envelope,
    load_endpoint,
    media_version,
)
from connectors.soap._outbound_spec import SoapCallSpec, UsernameCredentials
from connectors.soap._spec import AppErrorRule, SoapEndpointSpec
from connectors.soap._wsdl import OfflineTransport, WsdlError
from connectors.soap._xml import XmlError, parse
from connectors.soap.deliver import SoapDeliverer

__all__ = [
    "CONTENT_TYPES",
    "RETRIABLE_MARKERS",
    "SOAP_ACTION_KEY",
    "AppErrorRule",
    "CallSpecError",
    "Endpoint",
    "Inbound",
    "OfflineTransport",
    "SoapCall",
    "SoapCallSpec",
    "SoapDeliverer",
    "SoapEndpointSpec",
    "SoapFaultError",
    "SoapVersion",
    "UsernameCredentials",
    "WsdlError",
    "XmlError",
    "classify_response",
    "decode_envelope",
    "fault_for",
    "load_call",
    "load_endpoint",
    "media_version",
    "parse",
    "render_ack",
    "render_fault",
]
