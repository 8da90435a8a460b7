"""Inbound SOAP: parse an envelope safely, find the operation, validate the Body, build a tree.

One :class:`Endpoint` per configured endpoint, built once (the WSDL is loaded at start, offline).
``Endpoint.read(raw, content_type, soap_action)`` returns :class:`Inbound` or raises
:class:`SoapFaultError`, which says whose fault it is (client or server) and what was wrong, and
which :func:`connectors.soap.render_fault` turns into a SOAP 1.1 or 1.2 Fault.

Dispatch: the Body's first element names the operation (document/literal); a SOAPAction header
(SOAP 1.1) or the ``action`` parameter of ``application/soap+xml`` (SOAP 1.2) narrows the choice
when several operations share a body element. When the action names no known operation the Body
decides (clients often send an empty or stale action). When several operations still match, the
first declared in the binding wins. Without a WSDL the Body's QName is the operation.

The document tree handed to mapping is ``{"operation", "body", "header"}``: ``body`` is the input
element read by zeep (``serialize_object``) and made plain (str/int/float/bool/None, dicts,
lists; decimals, dates and bytes as strings); ``header`` is a generic conversion of the Header's
elements (local names as keys, repeats as lists, attributes as ``@name``).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from lxml import etree
from zeep.helpers import serialize_object

from connectors.base import Decoded
from connectors.errors import DecodeError
from connectors.soap._spec import SoapEndpointSpec
from connectors.soap._wsdl import LoadedWsdl, Operation, load_wsdl
from connectors.soap._xml import Element, XmlError, parse

_serialize: Callable[..., Any] = serialize_object  # zeep's helper is unannotated

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SoapVersion = Literal["1.1", "1.2"]
_VERSION_OF_NS: dict[str, SoapVersion] = {SOAP11_NS: "1.1", SOAP12_NS: "1.2"}

#: The business key under which the door journals a request's ``SOAPAction`` header, so the
#: decode stage (and a reprocess) dispatches exactly as the door did.
SOAP_ACTION_KEY = "soap_action"
_MEDIA: dict[str, SoapVersion] = {"text/xml": "1.1", "application/soap+xml": "1.2"}


class SoapFaultError(DecodeError):
    """Bad input, to be answered with a SOAP Fault; ``version`` picks the Fault's envelope."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        version: SoapVersion = "1.1",
        client: bool = True,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, code=code, path=path)
        self.version: SoapVersion = version
        self.client = client
        self.line = line


@dataclass(frozen=True)
class Inbound:
    """A read envelope: its version, operation, the raw Body element and the document tree."""

    version: SoapVersion
    operation: str
    body: Element
    tree: dict[str, Any]
    document_type: str
    output_qname: str | None = None


def media_version(content_type: str) -> tuple[SoapVersion | None, str | None]:
    """The SOAP version a Content-Type announces, and its ``action`` parameter (SOAP 1.2)."""
    media, _, params = content_type.partition(";")
    version = _MEDIA.get(media.strip().lower())
    action = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "action":
            action = value.strip().strip('"')
    return version, action


def _line(el: Element) -> int | None:
    line = getattr(el, "sourceline", None)  # lxml-stubs mistype it
    return line if isinstance(line, int) else None


def plain(value: Any) -> Any:
    """The values zeep read, as a plain tree (what JSON could carry), for the mapping stage."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Element):
        return element_tree(value)
    return str(value)


def element_tree(el: Element) -> Any:
    """A generic element -> tree conversion (no schema): local names, lists for repeats."""
    children = [c for c in el if isinstance(c.tag, str)]
    attrs = {f"@{etree.QName(k).localname}": v for k, v in el.attrib.items()}
    if not children:
        text = (el.text or "").strip()
        return {**attrs, "#text": text} if attrs else text
    out: dict[str, Any] = dict(attrs)
    for child in children:
        key = etree.QName(child).localname
        value = element_tree(child)
        if key in out:
            existing = out[key]
            out[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[key] = value
    return out


def _first_element(parent: Element | None) -> Element | None:
    if parent is None:
        return None
    return next((c for c in parent if isinstance(c.tag, str)), None)


class Endpoint:
    """One inbound endpoint: its WSDL (loaded once, offline) and the rules to read envelopes."""

    def __init__(self, spec: SoapEndpointSpec) -> None:
        self.spec = spec
        self.wsdl: LoadedWsdl | None = None if spec.wsdl is None else load_wsdl(spec)

    def read(self, raw: bytes, content_type: str = "", soap_action: str | None = None) -> Inbound:
        """Parse, dispatch and validate one envelope; raise :class:`SoapFaultError`."""
        media, media_action = media_version(content_type)
        fault_version: SoapVersion = media or "1.1"
        try:
            root = parse(raw)
        except XmlError as exc:
            raise SoapFaultError(
                exc.message, code=exc.code, version=fault_version, path=exc.path, line=exc.line
            ) from exc
        qname = etree.QName(root)
        version = _VERSION_OF_NS.get(qname.namespace or "")
        if qname.localname != "Envelope" or version is None:
            raise SoapFaultError(
                f"the root element is {root.tag}; expected a SOAP 1.1 or 1.2 Envelope",
                code="soap_not_envelope",
                version=fault_version,
                line=_line(root),
            )
        if content_type and media is not None and media != version:
            raise SoapFaultError(
                f"Content-Type {content_type.split(';', maxsplit=1)[0]!r} is for SOAP {media}, "
                f"but the envelope is SOAP {version}",
                code="soap_version_mismatch",
                version=version,
            )
        ns = SOAP11_NS if version == "1.1" else SOAP12_NS
        body = root.find(f"{{{ns}}}Body")
        payload = _first_element(body)
        if payload is None:
            raise SoapFaultError(
                "the envelope has no Body element content", code="soap_empty_body", version=version
            )
        action = (soap_action or "").strip().strip('"') or media_action or ""
        header = root.find(f"{{{ns}}}Header")
        header_tree = {} if header is None else element_tree(header)
        if not isinstance(header_tree, dict):  # an empty <Header/> reads as ""
            header_tree = {}
        if self.wsdl is None:
            name = etree.QName(payload).text
            tree = {"operation": name, "body": element_tree(payload), "header": header_tree}
            return Inbound(version, name, payload, tree, self.spec.document_type)
        op = self._dispatch(self.wsdl, action, etree.QName(payload).text, version)
        self._validate(self.wsdl, payload, version)
        value = op.body_element.parse(payload, self.wsdl.types) if op.body_element else None
        tree = {
            "operation": op.name,
            "body": plain(_serialize(value, dict)),
            "header": header_tree,
        }
        doc_type = self.spec.document_types.get(op.name, self.spec.document_type)
        return Inbound(version, op.name, payload, tree, doc_type, op.output_qname)

    def _dispatch(
        self, wsdl: LoadedWsdl, action: str, body_qname: str, version: SoapVersion
    ) -> Operation:
        by_body = wsdl.by_body.get(body_qname, [])
        by_action = wsdl.by_action.get(action, []) if action else []
        both = [op for op in by_action if op in by_body]
        candidates = both or by_body
        if len({op.soap_action for op in candidates}) > 1:
            # several operations take this Body and only their actions tell them apart: a
            # missing or unknown action must not pick one for the sender
            names = ", ".join(f"{op.name} ({op.soap_action!r})" for op in candidates)
            said = f"SOAPAction {action!r} names none of them" if action else "no SOAPAction"
            raise SoapFaultError(
                f"Body element {body_qname} is the request of operations {names}; {said}; "
                "expected the SOAPAction of one of them",
                code="soap_ambiguous_operation",
                version=version,
            )
        if candidates:
            # one operation, or several indistinguishable even by action (zeep's sample has
            # two): the first in the WSDL, as every reader of this WSDL would pick
            return candidates[0]
        known = sorted(wsdl.operations)
        if by_action:
            raise SoapFaultError(
                f"SOAPAction {action!r} names operation {by_action[0].name!r}, whose Body is "
                f"{by_action[0].body_qname}; got {body_qname}",
                code="soap_unknown_operation",
                version=version,
            )
        raise SoapFaultError(
            f"unknown operation: Body element {body_qname}"
            + (f" with SOAPAction {action!r}" if action else "")
            + f" matches none of {known}",
            code="soap_unknown_operation",
            version=version,
        )

    @staticmethod
    def _validate(wsdl: LoadedWsdl, payload: Element, version: SoapVersion) -> None:
        if wsdl.schema is None:
            return
        if wsdl.schema.validate(payload):
            return
        errors = list(wsdl.schema.error_log)  # type: ignore[call-overload]  # stubs: not iterable
        first = errors[0]
        more = len(errors) - 1
        suffix = f" (and {more} more)" if more > 0 else ""
        raise SoapFaultError(
            f"schema violation at {first.path} (line {first.line}): {first.message}{suffix}",
            code="soap_schema_violation",
            version=version,
            path=first.path,
            line=first.line,
        )


_ENDPOINTS: dict[str, Endpoint] = {}


def load_endpoint(spec: SoapEndpointSpec) -> Endpoint:
    """The endpoint for a spec, loaded once per process (WSDL parsing is the slow part)."""
    key = repr(spec)  # frozen specs with dict fields are not hashable; their repr is stable
    endpoint = _ENDPOINTS.get(key)
    if endpoint is None:
        endpoint = Endpoint(spec)
        _ENDPOINTS[key] = endpoint
    return endpoint


def decode_envelope(
    raw: bytes, spec: SoapEndpointSpec, content_type: str = "", soap_action: str | None = None
) -> Decoded:
    """Journaled envelope bytes -> document tree, for the pipeline's decode stage.

    ``soap_action`` is the ``SOAPAction`` header as received (the door journals it), so the
    stage picks the operation the door picked, also where several share one Body element.
    """
    inbound = load_endpoint(spec).read(raw, content_type, soap_action)
    return Decoded(inbound.tree, inbound.document_type)
