"""Classify a SOAP destination's answer (status + body) as ok, retriable or fatal.

One place decides, on top of the HTTP status rules shared with REST (:mod:`connectors._http`):

- a Fault whose code or detail names a concurrency or rate limit (NetSuite's
  ``WS_CONCUR_SESSION_DISALLWD`` inside ``exceededRequestLimitFault``) -> retriable;
- any other Fault (a Client/Sender fault, a validation fault, an unknown Server fault) -> fatal;
- no Fault: 408, 425, 429 and any 5xx -> retriable (a 5xx without a Fault broke before the SOAP
  layer: a proxy, a restart); other non-2xx -> fatal;
- a 2xx whose XML is not a SOAP Envelope (an HTML or proxy page) -> fatal: nothing says the
  operation ran;
- a 2xx body that carries an application error per the destination's :class:`AppErrorRule`
  (Chronopost's ``errorCode`` != 0) -> the rule's kind (fatal by default);
- otherwise ok.
"""

from __future__ import annotations

from lxml import etree

from connectors._http import classify, retriable_status
from connectors.base import Outcome, OutcomeKind
from connectors.soap._inbound import SOAP11_NS, SOAP12_NS
from connectors.soap._spec import AppErrorRule
from connectors.soap._xml import Element, XmlError, parse

# Markers (detail element local names or code texts) of limits that clear by themselves.
RETRIABLE_MARKERS = frozenset(
    {
        "WS_CONCUR_SESSION_DISALLWD",
        "WS_REQUEST_BLOCKED",
        "exceededRequestLimitFault",
        "exceededConcurrentRequestLimitFault",
        "exceededRecordCountFault",
        "exceededRequestSizeFault",
        "RATE_LIMIT_EXCEEDED",
        "REQUEST_LIMIT_EXCEEDED",
        "ServerBusy",
        "Server.Busy",
    }
)
EXCERPT = 500
_ENVELOPES = frozenset({f"{{{SOAP11_NS}}}Envelope", f"{{{SOAP12_NS}}}Envelope"})


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _fault(root: Element) -> Element | None:
    for ns in (SOAP11_NS, SOAP12_NS):
        fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
        if fault is not None:
            return fault
    return None


def _fault_parts(fault: Element) -> tuple[str, str, list[str]]:
    """(code, reason, markers): the markers are detail element names and leaf texts."""
    code = (
        fault.findtext("faultcode")
        or fault.findtext(f"{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value")
        or ""
    )
    reason = (
        fault.findtext("faultstring")
        or fault.findtext(f"{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text")
        or ""
    )
    detail = fault.find("detail")
    if detail is None:
        detail = fault.find(f"{{{SOAP12_NS}}}Detail")
    markers: list[str] = []
    if detail is not None:
        for el in detail.iter():
            if el is detail or not isinstance(el.tag, str):
                continue
            markers.append(_local(el.tag))
            if len(el) == 0 and el.text and el.text.strip():
                markers.append(el.text.strip())
    # subcodes (SOAP 1.2 Subcode/Value, NetSuite-style "Server.userException")
    markers.extend(v.text.split(":")[-1] for v in fault.iter(f"{{{SOAP12_NS}}}Value") if v.text)
    markers.append(code.split(":")[-1])
    return code, reason.strip(), markers


def _app_error(root: Element, rule: AppErrorRule) -> tuple[str | None, str]:
    """(value, message) of the rule's element; value None when the element is absent."""
    found: Element | None
    if rule.xpath is not None:
        hits = etree.XPath(rule.xpath, namespaces=rule.namespaces)(root)
        if isinstance(hits, list) and hits:
            hit = hits[0]
            value = hit.text if isinstance(hit, etree._Element) else str(hit)
            return (value or "").strip(), _message(root, rule)
        if isinstance(hits, str | float) and hits != "":
            return str(hits).strip(), _message(root, rule)
        return None, ""
    found = next((el for el in root.iter() if _local(el.tag) == rule.element), None)
    if found is None:
        return None, ""
    return (found.text or "").strip(), _message(root, rule)


def _message(root: Element, rule: AppErrorRule) -> str:
    if rule.message_element is None:
        return ""
    el = next((e for e in root.iter() if _local(e.tag) == rule.message_element), None)
    return "" if el is None else (el.text or "").strip()


def classify_response(
    status_code: int, body: bytes, rule: AppErrorRule | None = None, latency_ms: float = 0.0
) -> Outcome:
    """What a SOAP destination's answer means for the delivery (see the module docstring)."""
    excerpt = body[:EXCERPT].decode("utf-8", "replace")
    try:
        root = parse(body) if body.strip() else None
    except XmlError as exc:
        kind: OutcomeKind = "retriable" if retriable_status(status_code) else "fatal"
        error = f"unreadable SOAP response: {exc.message}"
        return Outcome(kind, status_code, latency_ms, exc.code, error, excerpt)
    fault = None if root is None else _fault(root)
    if fault is not None:
        code, reason, markers = _fault_parts(fault)
        hit = next((m for m in markers if m in RETRIABLE_MARKERS), None)
        kind = "fatal" if hit is None else "retriable"
        what = f"soap_fault:{hit or code}"
        return Outcome(kind, status_code, latency_ms, what, reason or code, excerpt)
    kind = classify(status_code)
    if kind != "ok":
        return Outcome(kind, status_code, latency_ms, f"http_{status_code}", "", excerpt)
    if root is not None and root.tag not in _ENVELOPES:
        error = f"the answer is not a SOAP Envelope but <{_local(root.tag)}>"
        return Outcome("fatal", status_code, latency_ms, "soap_not_envelope", error, excerpt)
    problem = None if rule is None or root is None else _app_problem(root, rule)
    if problem is not None and rule is not None:
        return Outcome(rule.kind, status_code, latency_ms, "soap_app_error", problem, excerpt)
    return Outcome("ok", status_code, latency_ms)


def _app_problem(root: Element, rule: AppErrorRule) -> str | None:
    """What the rule finds wrong in a 2xx body, or None when it is fine."""
    name = rule.xpath or rule.element
    value, message = _app_error(root, rule)
    if value is None:
        return f"{name} missing" if rule.missing_is_error else None
    if value in rule.ok:
        return None
    return f"{name} = {value!r}" + (f": {message}" if message else "")
