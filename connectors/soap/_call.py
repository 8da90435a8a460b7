"""Load a SOAP destination's WSDL once (offline) and check its operation and argument map.

Everything that can be wrong with the config is found here, at start, with the field it is in:
an unknown operation, an argument that is not a parameter of the operation, a required parameter
with no argument, a JMESPath expression that does not compile, an idempotency element that is
not a ``{namespace}Name``, or a WSDL without an address when the destination gives no URL.
Delivery then only evaluates compiled expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jmespath
import jmespath.exceptions
from lxml import etree
from zeep.wsdl import Document

from connectors.soap._outbound_spec import SoapCallSpec
from connectors.soap._spec import SoapEndpointSpec
from connectors.soap._wsdl import WSDL_SETTINGS, OfflineTransport, WsdlError, _pick_binding
from connectors.soap._xml import XmlError

_CLARK = re.compile(r"^\{[^{}\s]+\}[A-Za-z_][\w.-]*$")


class CallSpecError(ValueError):
    """The destination's SOAP settings do not fit its WSDL; ``path`` is the field at fault."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class SoapCall:
    """A checked operation: the WSDL document, its binding, the address and compiled arguments."""

    spec: SoapCallSpec
    document: Any  # zeep.wsdl.Document
    binding: Any  # zeep's SoapBinding for the chosen port
    address: str | None  # the port's soap:address, if the WSDL has one
    expressions: dict[str, Any]  # parameter -> compiled JMESPath
    soap_version: str

    def arguments(self, document: Any, idempotency_key: str) -> dict[str, Any]:
        """The operation's keyword arguments for one canonical document (nulls left out)."""
        kwargs: dict[str, Any] = {}
        for name, expression in self.expressions.items():
            value = expression.search(document)
            if value is not None:
                kwargs[name] = value
        if self.spec.idempotency_argument is not None:
            kwargs[self.spec.idempotency_argument] = idempotency_key
        return kwargs


def _parameters(operation: Any) -> tuple[list[str], list[str]]:
    """(every parameter name, the required ones) of the operation's input Body element."""
    body = getattr(operation.input, "body", None)
    kind = getattr(body, "type", None)
    if kind is None or not hasattr(kind, "elements"):
        return [], []
    names = [name for name, _ in kind.elements]
    required: list[str] = []
    group: Any = getattr(kind, "_element", None)
    # only direct children of a sequence/all are surely required; a choice's are alternatives
    if type(group).__name__ in {"Sequence", "All"}:
        for item in group:
            name = getattr(item, "attr_name", None) or getattr(item, "name", None)
            if name is None or not hasattr(item, "min_occurs"):
                continue
            if item.min_occurs >= 1 and not getattr(item, "nillable", False):
                required.append(name)
    return names, required


def load_call(spec: SoapCallSpec, *, url_given: bool) -> SoapCall:
    """Load the WSDL offline and check ``spec`` against it; raise :class:`CallSpecError`.

    ``url_given`` says whether the destination names its own URL; without one the WSDL's
    ``soap:address`` is where requests go, so it must exist and be http(s).
    """
    path = Path(spec.wsdl)
    if not path.is_file():
        raise CallSpecError(f"WSDL file {spec.wsdl!r} not found", "wsdl")
    locations = dict(spec.schema_locations)
    try:
        document = Document(
            str(path), cast("Any", OfflineTransport(locations)), settings=WSDL_SETTINGS
        )
        endpoint = SoapEndpointSpec(wsdl=spec.wsdl, service=spec.service, port=spec.port)
        binding = _pick_binding(document, endpoint)
    except (WsdlError, XmlError) as exc:
        raise CallSpecError(exc.message, "wsdl") from exc
    except Exception as exc:  # zeep raises many unrelated types; one error says which file
        raise CallSpecError(f"{path}: cannot load WSDL: {exc}", "wsdl") from exc
    operations = sorted(binding._operations)
    if spec.operation not in operations:
        raise CallSpecError(
            f"operation {spec.operation!r} is not in the WSDL's binding; it has {operations}",
            "operation",
        )
    expressions = _check_arguments(spec, binding.get(spec.operation))
    if spec.idempotency_element is not None and not _CLARK.match(spec.idempotency_element):
        raise CallSpecError(
            f"expected {{namespace}}Name, got {spec.idempotency_element!r}", "idempotency_element"
        )
    if spec.app_error is not None:
        _check_rule(spec)
    address = binding_address(document, binding)
    if not url_given and (address is None or not address.startswith(("http://", "https://"))):
        raise CallSpecError(
            "no url given and the WSDL's port has no http(s) soap:address; set url", "wsdl"
        )
    version = "1.2" if type(binding).__name__.startswith("Soap12") else "1.1"
    return SoapCall(spec, document, binding, address, expressions, version)


def _check_arguments(spec: SoapCallSpec, operation: Any) -> dict[str, Any]:
    """Compile the argument map; every name a parameter, every required parameter given."""
    names, required = _parameters(operation)
    expressions: dict[str, Any] = {}
    for name, text in spec.arguments.items():
        if name not in names:
            raise CallSpecError(
                f"{spec.operation} has no parameter {name!r}; expected one of {names}",
                f"arguments.{name}",
            )
        try:
            expressions[name] = jmespath.compile(text)
        except jmespath.exceptions.JMESPathError as exc:
            raise CallSpecError(
                f"not a valid JMESPath expression: {exc}", f"arguments.{name}"
            ) from exc
    given = set(spec.arguments)
    if spec.idempotency_argument is not None:
        if spec.idempotency_argument not in names:
            raise CallSpecError(
                f"{spec.operation} has no parameter {spec.idempotency_argument!r}; "
                f"expected one of {names}",
                "idempotency_argument",
            )
        if spec.idempotency_argument in given:
            raise CallSpecError(
                f"{spec.idempotency_argument!r} is also in arguments; give it one source",
                "idempotency_argument",
            )
        given.add(spec.idempotency_argument)
    missing = [name for name in required if name not in given]
    if missing:
        raise CallSpecError(
            f"{spec.operation} requires {missing}; map each to a JMESPath expression "
            '(a constant is written `"value"` in backticks)',
            "arguments",
        )
    return expressions


def _check_rule(spec: SoapCallSpec) -> None:
    rule = spec.app_error
    assert rule is not None
    if (rule.element is None) == (rule.xpath is None):
        raise CallSpecError("give exactly one of element or xpath", "app_error")
    if rule.xpath is not None:
        try:
            etree.XPath(rule.xpath, namespaces=rule.namespaces)
        except etree.XPathSyntaxError as exc:
            raise CallSpecError(f"not a valid XPath: {exc}", "app_error.xpath") from exc


def binding_address(document: Any, binding: Any) -> str | None:
    """The ``soap:address`` of the first port that uses ``binding``, if any."""
    for service in document.services.values():
        for port in service.ports.values():
            if port.binding is binding:
                address = port.binding_options.get("address")
                return str(address) if address else None
    return None
