"""Render SOAP Faults (1.1 and 1.2) and the minimal acknowledgement envelope.

Built with lxml so every string is escaped; nothing here parses input.
"""

from __future__ import annotations

from lxml import etree

from connectors.soap._inbound import SOAP11_NS, SOAP12_NS, SoapFaultError, SoapVersion

ACK_NS = "urn:crossdock:soap:ack:1"
CONTENT_TYPES: dict[SoapVersion, str] = {
    "1.1": "text/xml; charset=utf-8",
    "1.2": "application/soap+xml; charset=utf-8",
}


def _envelope(version: SoapVersion) -> tuple[etree._Element, etree._Element, str]:
    ns = SOAP11_NS if version == "1.1" else SOAP12_NS
    env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns})
    body = etree.SubElement(env, f"{{{ns}}}Body")
    return env, body, ns


def render_fault(
    message: str,
    *,
    client: bool = True,
    version: SoapVersion = "1.1",
    code: str = "",
    path: str | None = None,
    line: int | None = None,
) -> bytes:
    """A Fault envelope: Client/Sender (the caller must change the request) or Server/Receiver.

    ``detail`` carries our error code, and the element path and line where one is known.
    """
    env, body, ns = _envelope(version)
    fault = etree.SubElement(body, f"{{{ns}}}Fault")
    if version == "1.1":
        etree.SubElement(fault, "faultcode").text = f"soap:{'Client' if client else 'Server'}"
        etree.SubElement(fault, "faultstring").text = message
        detail = etree.SubElement(fault, "detail")
    else:
        value = etree.SubElement(etree.SubElement(fault, f"{{{ns}}}Code"), f"{{{ns}}}Value")
        value.text = f"soap:{'Sender' if client else 'Receiver'}"
        reason = etree.SubElement(etree.SubElement(fault, f"{{{ns}}}Reason"), f"{{{ns}}}Text")
        reason.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        reason.text = message
        detail = etree.SubElement(fault, f"{{{ns}}}Detail")
    error = etree.SubElement(detail, f"{{{ACK_NS}}}error", nsmap={"cd": ACK_NS})
    etree.SubElement(error, f"{{{ACK_NS}}}code").text = code
    if path is not None:
        etree.SubElement(error, f"{{{ACK_NS}}}path").text = path
    if line is not None:
        etree.SubElement(error, f"{{{ACK_NS}}}line").text = str(line)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


def fault_for(error: SoapFaultError) -> bytes:
    """The Fault for a :class:`SoapFaultError`, in the caller's SOAP version."""
    return render_fault(
        error.message,
        client=error.client,
        version=error.version,
        code=error.code,
        path=error.path,
        line=error.line,
    )


def render_ack(version: SoapVersion, operation: str, message_id: str, trace_id: str = "") -> bytes:
    """The answer to an accepted envelope: ``<cd:accepted>`` with the journal's message id.

    Not the operation's WSDL output: that is the destination's business answer, which does not
    exist yet when we journal and answer (processing is asynchronous, like the 202 of
    ``/v1/inbound``). A fixed, documented element is honest about what happened.
    """
    env, body, _ = _envelope(version)
    ack = etree.SubElement(body, f"{{{ACK_NS}}}accepted", nsmap={"cd": ACK_NS})
    etree.SubElement(ack, f"{{{ACK_NS}}}operation").text = operation
    etree.SubElement(ack, f"{{{ACK_NS}}}messageId").text = message_id
    etree.SubElement(ack, f"{{{ACK_NS}}}statusUrl").text = f"/v1/messages/{message_id}"
    if trace_id:
        etree.SubElement(ack, f"{{{ACK_NS}}}traceId").text = trace_id
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))
