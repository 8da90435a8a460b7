"""Load a WSDL and its XSDs offline, once, into what inbound parsing needs.

zeep reads the WSDL through :class:`OfflineTransport`, which serves local files and the
``schema_locations`` map and refuses http(s). Because zeep does not validate types or
enumerations, the WSDL's embedded ``<types>`` schemas are also compiled into an lxml
``XMLSchema`` (imports resolved from the same local map) that the Body is validated against.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

from lxml import etree
from zeep import exceptions as zeep_exceptions
from zeep.settings import Settings
from zeep.wsdl import Document

from connectors.soap._spec import SoapEndpointSpec
from connectors.soap._xml import (
    Element,
    LocalResolver,
    XmlError,
    doctype_of,
    schema_parser,
)

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_INLINE = "urn:crossdock:inline-schema:"


# zeep's ``forbid_external`` refuses every http(s) import before the transport sees it, even one
# mapped to a local copy; for WSDL loading the gate is OfflineTransport instead, which refuses
# every http(s) URL not in ``schema_locations`` and never opens a socket. DTDs and entities stay
# forbidden. Envelopes are parsed with ``_xml.SETTINGS`` (forbid_external on).
WSDL_SETTINGS = Settings(
    strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=False, xml_huge_tree=False
)


class WsdlError(XmlError):
    """The WSDL or one of its schemas cannot be loaded offline or compiled."""


class OfflineTransport:
    """What zeep loads documents through: local files and mapped URLs only, never the network."""

    cache = None  # zeep checks for a cache attribute

    def __init__(self, schema_locations: dict[str, str]) -> None:
        self.schema_locations = schema_locations

    def load(self, url: str) -> bytes:
        """Read a mapped URL's local copy, a file:// URL or a path; refuse http(s)."""
        if url in self.schema_locations:
            return Path(self.schema_locations[url]).read_bytes()
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https", "ftp"):
            raise WsdlError(
                f"{url!r} is not available offline; map it to a local file in schema_locations",
                code="wsdl_fetch_refused",
            )
        return Path(parsed.path if parsed.scheme == "file" else url).expanduser().read_bytes()


@dataclass(frozen=True)
class Operation:
    """One operation of the bound port: how to recognise it and how to read its Body."""

    name: str
    soap_action: str
    body_qname: str | None  # Clark notation, {ns}local
    body_element: Any  # zeep's xsd.Element for the input body, or None (RPC / empty)
    output_qname: str | None


@dataclass(frozen=True)
class LoadedWsdl:
    """A WSDL loaded once: operations by name, action and body QName, and its lxml schema."""

    path: str
    soap_version: str  # "1.1" or "1.2", from the binding
    operations: dict[str, Operation]
    schema: etree.XMLSchema | None
    types: Any  # zeep's schema container, to read Body elements into values
    by_action: dict[str, list[Operation]] = field(default_factory=dict)
    by_body: dict[str, list[Operation]] = field(default_factory=dict)


def _pick_binding(document: Any, spec: SoapEndpointSpec) -> Any:
    services = document.services
    if spec.service is not None:
        if spec.service not in services:
            raise WsdlError(
                f"service {spec.service!r} not in WSDL; it has {sorted(services)}",
                code="wsdl_no_service",
            )
        service = services[spec.service]
    elif services:
        service = next(iter(services.values()))
    else:
        bindings = list(document.bindings.values())
        if not bindings:
            raise WsdlError("the WSDL declares no binding", code="wsdl_no_binding")
        return bindings[0]
    ports = service.ports
    if spec.port is not None:
        if spec.port not in ports:
            raise WsdlError(
                f"port {spec.port!r} not in service; it has {sorted(ports)}", code="wsdl_no_port"
            )
        return ports[spec.port].binding
    if not ports:
        raise WsdlError("the WSDL service has no port", code="wsdl_no_port")
    return next(iter(ports.values())).binding


def _operation(name: str, op: Any) -> Operation:
    body = getattr(op.input, "body", None) if op.input is not None else None
    qname = getattr(body, "qname", None)
    out_body = getattr(op.output, "body", None) if op.output is not None else None
    out_qname = getattr(out_body, "qname", None)
    return Operation(
        name=name,
        soap_action=op.soapaction or "",
        body_qname=None if qname is None else qname.text,
        body_element=body,
        output_qname=None if out_qname is None else out_qname.text,
    )


def _schema(path: Path, locations: dict[str, str]) -> etree.XMLSchema | None:
    """Compile the WSDL's ``<types>`` schemas into one lxml XMLSchema, resolved offline."""
    base = path.resolve().as_uri()
    resolver = LocalResolver(locations)
    tree = etree.parse(str(path), schema_parser(resolver))
    if doctype_of(tree):
        raise WsdlError(f"{path}: a DTD is not allowed", code="xml_dtd_refused")
    schemas = tree.getroot().findall(f"{{{WSDL_NS}}}types/{{{XSD_NS}}}schema")
    if not schemas:
        return None
    texts: dict[str, bytes] = {}
    by_ns: dict[str, str] = {}
    for i, original in enumerate(schemas):
        # a standalone copy that keeps every prefix in scope (types="tns:x" need them)
        standalone: Element = etree.Element(
            original.tag, attrib=dict(original.attrib), nsmap=original.nsmap
        )
        standalone.extend(copy.deepcopy(child) for child in original)
        url = f"{_INLINE}{i}"
        by_ns[original.get("targetNamespace", "")] = url
        texts[url] = etree.tostring(standalone)
    # inline schemas import each other by namespace alone: point those imports at the copies
    for url, text in list(texts.items()):
        root = etree.fromstring(text, schema_parser(resolver))
        _link_imports(root, url, by_ns, locations, path)
        texts[url] = etree.tostring(root)
    wrapper = etree.Element(f"{{{XSD_NS}}}schema", nsmap={"xs": XSD_NS})
    for ns, url in by_ns.items():
        attrs = {"schemaLocation": url}
        if ns:
            attrs["namespace"] = ns
        etree.SubElement(wrapper, f"{{{XSD_NS}}}import", attrs)
    resolver.texts = texts
    try:
        if len(by_ns) == 1 and "" not in by_ns:
            doc = etree.fromstring(
                texts[next(iter(by_ns.values()))], schema_parser(resolver), base_url=base
            )
        else:
            doc = etree.fromstring(etree.tostring(wrapper), schema_parser(resolver), base_url=base)
        return etree.XMLSchema(doc)
    except etree.XMLSchemaParseError as exc:
        raise WsdlError(
            f"{path}: the WSDL's schema does not compile: {exc}", code="wsdl_schema"
        ) from exc


def _link_imports(
    root: Element, url: str, by_ns: dict[str, str], locations: dict[str, str], wsdl: Path
) -> None:
    """Point namespace-only imports at inline copies and relative locations at local files."""
    for imp in root.findall(f"{{{XSD_NS}}}import"):
        ns = imp.get("namespace", "")
        loc = imp.get("schemaLocation")
        if loc is None and ns in by_ns and by_ns[ns] != url:
            imp.set("schemaLocation", by_ns[ns])
        elif loc is not None and loc not in locations and (found := _relative(loc, wsdl)):
            imp.set("schemaLocation", found)
    for inc in root.findall(f"{{{XSD_NS}}}include"):
        loc = inc.get("schemaLocation")
        if loc is not None and loc not in locations and (found := _relative(loc, wsdl)):
            inc.set("schemaLocation", found)


def _relative(location: str, wsdl: Path) -> str | None:
    if urlparse(location).scheme:
        return None
    return (wsdl.parent / location).resolve().as_uri()


def load_wsdl(spec: SoapEndpointSpec) -> LoadedWsdl:
    """Load ``spec.wsdl`` and every schema it imports from local files; raise ``WsdlError``."""
    assert spec.wsdl is not None
    path = Path(spec.wsdl)
    if not path.is_file():
        raise WsdlError(f"WSDL file {spec.wsdl!r} not found", code="wsdl_not_found")
    locations = dict(spec.schema_locations)
    try:
        document = Document(
            str(path), cast("Any", OfflineTransport(locations)), settings=WSDL_SETTINGS
        )
    except XmlError:
        raise
    except zeep_exceptions.DTDForbidden as exc:  # in the WSDL or any schema it imports
        raise WsdlError(
            f"{path}: a DTD is not allowed in a WSDL or schema: {exc}", code="xml_dtd_refused"
        ) from exc
    except zeep_exceptions.EntitiesForbidden as exc:
        raise WsdlError(
            f"{path}: entity declarations are not allowed in a WSDL or schema: {exc}",
            code="xml_entity_refused",
        ) from exc
    except Exception as exc:  # zeep raises many unrelated types; one error says which file
        raise WsdlError(f"{path}: cannot load WSDL: {exc}", code="wsdl_invalid") from exc
    binding = _pick_binding(document, spec)
    version = "1.2" if type(binding).__name__.startswith("Soap12") else "1.1"
    operations = {name: _operation(name, op) for name, op in binding._operations.items()}
    try:
        schema = _schema(path, locations)
    except (OSError, etree.LxmlError) as exc:
        raise WsdlError(
            f"{path}: cannot read the WSDL's schemas: {exc}", code="wsdl_schema"
        ) from exc
    loaded = LoadedWsdl(
        path=str(path),
        soap_version=version,
        operations=operations,
        schema=schema,
        types=document.types,
    )
    for op in operations.values():
        if op.soap_action:
            loaded.by_action.setdefault(op.soap_action, []).append(op)
        if op.body_qname:
            loaded.by_body.setdefault(op.body_qname, []).append(op)
    return loaded
