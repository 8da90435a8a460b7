"""Hardened XML parsing: every byte of XML the SOAP connector reads goes through here.

DTDs, entity declarations and anything external are refused before any value is used:

- ``parse`` uses zeep's ``parse_xml`` (``resolve_entities=False``, no network, no huge trees) with
  ``forbid_dtd``, ``forbid_entities`` and ``forbid_external`` set, so billion laughs, quadratic
  blow-up, XXE and an external DTD all fail at the first check, without expansion;
- ``schema_parser`` is the lxml parser for WSDLs and XSDs: same refusals, plus a resolver that
  only serves files from a local map (nothing is fetched over the network).

Every refusal or syntax error is an :class:`XmlError` with a code and, where known, line/column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from lxml import etree
from zeep import exceptions as zeep_exceptions
from zeep.loader import parse_xml
from zeep.settings import Settings

from connectors.errors import DecodeError

SETTINGS = Settings(
    strict=True,
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
    xml_huge_tree=False,
)

Element = etree._Element


class XmlError(DecodeError):
    """XML that is not well-formed, or that uses a refused feature (DTD, entity, external)."""

    def __init__(
        self, message: str, *, code: str, line: int | None = None, column: int | None = None
    ) -> None:
        path = None if line is None else f"line {line}" + ("" if column is None else f":{column}")
        super().__init__(message, code=code, path=path)
        self.line = line
        self.column = column


# zeep annotates ``content: str`` but hands it to lxml, which takes bytes (and must: the XML
# declaration names the encoding); its return is lxml's root element
_parse_xml = cast("Callable[..., Element]", parse_xml)


class _NoTransport:
    """What zeep's import resolver gets: loading anything is refused."""

    def load(self, url: str) -> bytes:
        raise XmlError(f"external resource {url!r} refused", code="xml_external_refused")


_NO_TRANSPORT = _NoTransport()


def _syntax_error(exc: etree.XMLSyntaxError) -> XmlError:
    line, column = exc.position if exc.position else (None, None)
    where = f" at line {line}, column {column}" if line else ""
    return XmlError(
        f"malformed XML{where}: {exc.msg}", code="xml_malformed", line=line, column=column
    )


def parse(raw: bytes) -> Element:
    """Parse untrusted bytes into an element tree, refusing DTDs, entities and external loads."""
    try:
        root = _parse_xml(raw, _NO_TRANSPORT, settings=SETTINGS)
    except zeep_exceptions.DTDForbidden as exc:
        raise XmlError(f"a DTD is not allowed: {exc}", code="xml_dtd_refused") from exc
    except zeep_exceptions.EntitiesForbidden as exc:
        raise XmlError(
            f"entity declarations are not allowed: {exc}", code="xml_entity_refused"
        ) from exc
    except zeep_exceptions.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in raw:
            # libxml2 stops entity amplification (billion laughs) itself, as a syntax error;
            # the cause worth reporting is the DTD, which is refused whatever it declares
            raise XmlError(
                f"a DTD is not allowed (the parser also stopped: {exc.message})",
                code="xml_dtd_refused",
            ) from exc
        # zeep drops the position; parse again (error path only) to say where it broke
        try:
            etree.fromstring(raw, _PREFLIGHT)
        except etree.XMLSyntaxError as located:
            raise _syntax_error(located) from exc
        raise XmlError(f"malformed XML: {exc}", code="xml_malformed") from exc
    return root


# Re-parse on the error path, for the position: no entities resolved, no DTD loaded, no network.
_PREFLIGHT = etree.XMLParser(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False
)


class LocalResolver(etree.Resolver):
    """Serves schema documents from a map of URL -> local path or text; refuses everything else."""

    def __init__(self, files: dict[str, str], texts: dict[str, bytes] | None = None) -> None:
        super().__init__()
        self.files = files
        self.texts = texts or {}

    def resolve(  # type: ignore[override]  # lxml-stubs omit the context argument
        self, system_url: str | None, public_id: str | None, context: Any
    ) -> Any:
        """Resolve a mapped URL to its local copy; anything unmapped and remote is refused."""
        url = system_url or ""
        if url in self.texts:
            return self.resolve_string(self.texts[url], context, base_url=url)
        if url in self.files:
            return self.resolve_filename(self.files[url], context)  # type: ignore[attr-defined]
        if url.startswith(("http://", "https://", "ftp://")):
            raise XmlError(
                f"schema {url!r} is not available offline; map it in schema_locations",
                code="xml_external_refused",
            )
        return None  # a local relative path: lxml reads it (no_network stays on)


def schema_parser(resolver: LocalResolver) -> etree.XMLParser:
    """A parser for WSDL/XSD files: no entities, no DTD, no network, local imports only."""
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
    )
    parser.resolvers.add(resolver)
    return parser


def doctype_of(tree: etree._ElementTree) -> str:
    """The document's DOCTYPE declaration, or "" (lxml-stubs lack ``DocInfo.doctype``)."""
    return str(getattr(tree.docinfo, "doctype", "") or "")
