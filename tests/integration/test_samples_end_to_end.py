"""Every shared sample through the real door, the pipeline and the contract.

Each file under ``../shared/samples`` (x12/*/*, rest/*, webhooks/*, soap/*) is classified in the
tables below: what it is, which door it goes through (``POST /v1/inbound/{channel}``, the
signed ``/v1/inbound/webhooks/{source}``, ``/v1/inbound/soap/{endpoint}``) and what must come
out. A document of a supported type must end as a canonical document valid against contracts
v1; a sample that is invalid per its standard must be refused with the clear error at the right
stage (the X12 door names the segment and its position). A new sample that nobody classified
fails :func:`test_every_sample_is_classified`. The gateway runs on 127.0.0.1 with a config
folder written in tmp, the repository's mappings copied in and partner files that ``extends:``
the base mappings; samples are read in place, never copied into the repository.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import shutil
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from lxml import etree

import contracts
from gateway.journal import DeadLetterFilter
from gateway.runtime import Gateway
from tests.support import SAMPLES, GatewayAuth, eventually, running_gateway, write_config

REPO_MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared samples not at {SAMPLES}")


# -- what each sample is, and what must come out --------------------------------------------------
@dataclass(frozen=True)
class Canonical:
    """Ends as a valid canonical ``document_type``; ``fields`` are top-level values to check."""

    document_type: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    """Rejected at the door (X12: per set) with ``code``, naming ``segment`` at ``position``."""

    code: str
    segment: str | None = None
    position: int | None = None  # set position (syntax notes) or None for envelope errors


@dataclass(frozen=True)
class DeadLettered:
    """Accepted, then stopped at ``stage`` with ``code``; ``says`` must be in the error text."""

    stage: str
    code: str
    says: str


Outcome = Canonical | Refused | DeadLettered

# One outcome per transaction set, in the order the interchange carries them.
X12: dict[str, list[Outcome]] = {
    "214/edinet_214.edi": [Canonical("carrier_event", {"status": "delivered"})],
    "810/staedi_810_850_dual.edi": [
        Canonical("invoice", {"invoice_date": "1997-12-11"}),
        Canonical("invoice", {"invoice_date": "1997-12-15"}),
        Refused("syntax_note", "N1", 9),  # N103 without N104
    ],
    "810/staedi_simple810.edi": [
        Canonical("invoice", {"invoice_number": "00001"}),
        Canonical("invoice", {"invoice_number": "00001"}),
    ],
    # every set of an interchange whose IEA02 does not match ISA13 is rejected
    "812/machete_812_cs_1.edi": [Refused("iea02", "IEA")],
    "850/edieng_850_ok.edi": [Canonical("order", {"po_number": "08292233294"})],
    "850/edieng_850_syntaxnotes_err.edi": [Refused("syntax_note", "PO1", 13)],
    "850/nodex12_850.edi": [Canonical("order", {"po_number": "08292233294"})],
    "850/stupidedi_850_4010_pass.edi": [Canonical("order", {"po_number": "PO12345"})],
    "855/nodex12_855.edi": [Canonical("order_ack", {"po_number": "POTEST1112"})],
    "856/edieng_856_crossdock.edi": [Canonical("shipment", {"shipment_id": "000009"})],
    "856/nodex12_856.edi": [Canonical("shipment", {"shipment_id": "829716"})],
    "856/stupidedi_856_fail_dollar_term.edi": [Refused("se01", "SE")],
    "940/edieng_940_bad_se01.edi": [Refused("se01", "SE")],
    "940/edieng_940_ok.edi": [Canonical("warehouse_order", {"warehouse_order_number": "538686"})],
    "940/edieng_ctrl_mismatch.edi": [Refused("se02", "SE")],
    # a 940 with no G62 at all: valid X12, but the contract needs an order date it does not have
    "940/edieng_multi_isa_gs.edi": [
        DeadLettered("map", "map_required_missing", "field `order_date`: required field")
    ]
    * 6,
    "943/stupidedi_943.edi": [
        Canonical("warehouse_shipment", {"warehouse_order_number": "DO12345", "carrier": "SCAC"})
    ],
    "944/stupidedi_944.edi": [
        Canonical("inventory_adjustment", {"adjustment_id": "WR12345"}),
    ],
    "945/x12types_945_rs_1.edi": [Refused("se01", "SE")],
    "997/staedi_extra_delim997.edi": [Refused("element_repeated", "AK3", 4)],
    "997/staedi_invalid997.edi": [Refused("bad_code", "AK1", 2)],
    "997/staedi_simple997.edi": [Canonical("acknowledgement")],
    "999/staedi_simple999.edi": [Canonical("acknowledgement")],
}

# partner files for the X12 partner: document type -> the base mapping it extends
X12_PARTNER_FILES = {
    "order": "x12-850-order",
    "order_ack": "x12-855-order-ack",
    "shipment": "x12-856-shipment",
    "invoice": "x12-810-invoice",
    "carrier_event": "x12-214-carrier-event",
    "warehouse_order": "x12-940-warehouse-order",
    "warehouse_shipment": "x12-945-warehouse-shipment",
    "return_authorization": "x12-180-return-authorization",
    "inventory_adjustment": "x12-947-inventory-adjustment",
    "inventory_snapshot": "x12-846-inventory-snapshot",
    "credit_memo": "x12-812-credit-memo",
    "x12.943": "x12-943-transfer-shipment",
    "x12.944": "x12-944-transfer-receipt",
}


@dataclass(frozen=True)
class Door:
    """How a JSON/XML sample is sent: ``kind`` rest | webhook | soap, and the name there."""

    kind: str
    name: str


JSON_SAMPLES: dict[str, tuple[Door, Outcome]] = {
    "rest/fedex_track_api_response.json": (
        Door("rest", "fedex-track"),
        Canonical("carrier_event", {"tracking_number": "128667043726", "status": "picked_up"}),
    ),
    "rest/shopify_rest_2025-10_order_get.json": (
        Door("rest", "shopify-rest"),
        Canonical("order", {"po_number": "ABC123"}),
    ),
    # a salesOrder read without $expand=salesOrderLines: the header alone is not an order
    "rest/bc_v2_salesorder_get.json": (
        Door("rest", "bc-orders"),
        DeadLettered("map", "map_required_missing", "field `lines`: required field is missing"),
    ),
    "webhooks/shopify_orders_create_sample.json": (
        Door("webhook", "shopify"),
        Canonical("order", {"po_number": "#9999"}),
    ),
    "webhooks/woocommerce_order_v3.json": (
        Door("webhook", "woo"),
        Canonical("order", {"po_number": "727"}),
    ),
    "webhooks/easypost_event-body.json": (
        Door("webhook", "easypost"),
        Canonical("carrier_event", {"status": "in_transit"}),
    ),
    # signed with the published test vector (VECTORS.md): secret and signature as given there
    "webhooks/easypost_signed_body_minified.json": (
        Door("webhook", "easypost"),
        Canonical("carrier_event", {"status": "in_transit"}),
    ),
    # a tracking request: a SOAP document the gateway accepts but has no contract for
    "soap/purolator_tracking_request_envelope.xml": (
        Door("soap", "purolator"),
        DeadLettered("validate", "unknown_contract", "tracking_request"),
    ),
    # responses a partner's server sends back (a Fault, an error response), not requests: an
    # endpoint without a WSDL accepts any Body element, and the message stops at validate
    "soap/chronopost_error_response_envelope.xml": (
        Door("soap", "purolator"),
        DeadLettered("validate", "unknown_contract", "tracking_request"),
    ),
    "soap/netsuite_soap_fault_concurrent_session.xml": (
        Door("soap", "purolator"),
        DeadLettered("validate", "unknown_contract", "tracking_request"),
    ),
}

NOT_INBOUND = {
    "webhooks/VECTORS.md": "signature test vectors (used below to sign the EasyPost sample)",
    "soap/zeep_soap.wsdl": "a WSDL: endpoint configuration, not a document",
    "soap/zeep_soap_header.wsdl": "a WSDL: endpoint configuration, not a document",
}

EASYPOST_VECTOR_SECRET = "s\u00e9cret"  # VECTORS.md: NFKD-normalised by the scheme
EASYPOST_VECTOR_SIGNATURE = (
    "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
)
SOAP_ACK = "urn:crossdock:soap:ack:1"
SHOP_SECRET = "e2e-shopify-secret"
WOO_SECRET = "e2e-woocommerce-secret"


def _sample_files() -> Iterator[str]:
    for pattern in ("x12/*/*", "rest/*", "webhooks/*", "soap/*"):
        for path in sorted(SAMPLES.glob(pattern)):
            if path.is_file():
                yield str(path.relative_to(SAMPLES))


def test_every_sample_is_classified() -> None:
    known = {f"x12/{name}" for name in X12} | set(JSON_SAMPLES) | set(NOT_INBOUND)
    unclassified = sorted(set(_sample_files()) - known)
    assert not unclassified, f"classify these samples in {__name__}: {unclassified}"
    missing = sorted(known - set(_sample_files()))
    assert not missing, f"classified but not in {SAMPLES}: {missing}"


# -- the gateway ---------------------------------------------------------------------------------
def _write(root: Path) -> None:
    cfg = write_config(
        root,
        {},
        channels=[
            {"name": "edi", "partner": "x12p", "format": "x12", "duplicate_window": 0},
            {"name": "fedex-track", "partner": "fedex", "document_type": "carrier_event"},
            {
                "name": "shopify-rest",
                "partner": "shopify",
                "document_type": "order",
                "mapping": "shopify/order-rest.yaml",
            },
            {"name": "bc-orders", "partner": "business-central", "document_type": "order"},
        ],
    )
    partners = ["x12p", "fedex", "shopify", "woocommerce", "easypost", "business-central"]
    (cfg / "partners.yaml").write_text(yaml.safe_dump([{"name": p} for p in partners]))
    (cfg / "webhooks.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "name": "shopify",
                    "partner": "shopify",
                    "scheme": "shopify",
                    "secrets": [{"env": "E2E_SHOP"}],
                },
                {
                    "name": "woo",
                    "partner": "woocommerce",
                    "scheme": "woocommerce",
                    "secrets": [{"env": "E2E_WOO"}],
                },
                {
                    "name": "easypost",
                    "partner": "easypost",
                    "scheme": "easypost",
                    "document_type": "carrier_event",
                    "secrets": [{"env": "E2E_EASYPOST"}],
                },
            ]
        )
    )
    (cfg / "soap.yaml").write_text(
        yaml.safe_dump(
            [{"name": "purolator", "partner": "x12p", "document_type": "tracking_request"}]
        )
    )
    mappings = root / "mappings"
    shutil.rmtree(mappings)
    shutil.copytree(REPO_MAPPINGS, mappings)
    (mappings / "x12p").mkdir()
    for document_type, base in X12_PARTNER_FILES.items():
        (mappings / "x12p" / f"{document_type}.yaml").write_text(f"extends: ../_base/{base}.yaml\n")


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_SHOP", SHOP_SECRET)
    monkeypatch.setenv("E2E_WOO", WOO_SECRET)
    monkeypatch.setenv("E2E_EASYPOST", EASYPOST_VECTOR_SECRET)


@contextlib.asynccontextmanager
async def _gateway(root: Path) -> AsyncIterator[tuple[Gateway, str, httpx.AsyncClient]]:
    _write(root)
    async with (
        running_gateway(root) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        yield gw, base, client


async def _settled(gw: Gateway, message_id: str) -> tuple[str, Any]:
    """Wait until the pipeline is done with a message: ("canonical", doc) or ("dead", letter)."""

    async def check() -> tuple[str, Any] | None:
        message = await gw.journal.get_message(message_id)
        if message is not None and message.canonical is not None:
            return "canonical", json.loads(message.canonical)
        letters = await gw.journal.dead_letters(DeadLetterFilter(limit=1000))
        for letter in letters:
            if letter.message_id == message_id:
                return "dead", letter
        return None

    result: tuple[str, Any] = await eventually(check)
    return result


async def _check(gw: Gateway, where: str, message_id: str, expected: Outcome) -> list[str]:
    """What is wrong with one accepted message's outcome (empty when it is as expected)."""
    kind, got = await _settled(gw, message_id)
    if isinstance(expected, Canonical):
        if kind != "canonical":
            return [f"{where}: expected a canonical {expected.document_type}, got {got}"]
        problems = []
        if expected.document_type != "acknowledgement":
            try:
                contracts.convert("v1", expected.document_type, got)
            except Exception as exc:
                problems.append(f"{where}: not a valid v1/{expected.document_type}: {exc}")
        else:
            problems += [] if "acknowledgement" in got else [f"{where}: no acknowledgement: {got}"]
        for name, value in expected.fields.items():
            if got.get(name) != value:
                problems.append(f"{where}: {name} is {got.get(name)!r}, expected {value!r}")
        return problems
    if isinstance(expected, DeadLettered):
        if kind != "dead":
            return [f"{where}: expected a dead letter at {expected.stage}, got {got}"]
        letter = got
        if (letter.stage, letter.code) != (expected.stage, expected.code):
            return [f"{where}: dead at {letter.stage}/{letter.code}: {letter.error}"]
        if expected.says not in letter.error:
            return [f"{where}: error does not say {expected.says!r}: {letter.error}"]
        return []
    return [f"{where}: accepted, but expected refused with {expected.code}"]


# -- X12: one interchange per sample file, one outcome per set -----------------------------------
async def test_every_x12_sample_ends_canonical_or_refused_with_its_position(
    tmp_path: Path, secrets: None
) -> None:
    problems: list[str] = []
    async with _gateway(tmp_path) as (gw, base, client):
        for name, outcomes in X12.items():
            raw = (SAMPLES / "x12" / name).read_bytes()
            response = await client.post(
                f"{base}/v1/inbound/edi",
                content=raw,
                headers={"content-type": "application/edi-x12"},
            )
            assert response.status_code == 202, f"{name}: {response.text}"
            entries = response.json()["messages"]
            if len(entries) != len(outcomes):
                problems.append(f"{name}: {len(entries)} sets, expected {len(outcomes)}")
                continue
            for number, (entry, expected) in enumerate(zip(entries, outcomes, strict=True), 1):
                where = f"{name} set {number} ({entry['set_id']})"
                if isinstance(expected, Refused):
                    error = entry.get("error") or {}
                    found = (entry["status"], error.get("code"), error.get("segment"))
                    if found != ("rejected", expected.code, expected.segment):
                        problems.append(f"{where}: expected refused {expected}, got {entry}")
                    elif error.get("set_position") != expected.position:
                        problems.append(f"{where}: position {error.get('set_position')}")
                    elif expected.segment not in error.get("message", ""):
                        problems.append(f"{where}: the error does not name {expected.segment}")
                    continue
                if entry["status"] != "accepted":
                    problems.append(f"{where}: refused at the door: {entry.get('error')}")
                    continue
                problems += await _check(gw, where, entry["message_id"], expected)
    assert not problems, "\n".join(problems)


# -- JSON and XML samples: REST channels, signed webhooks, SOAP ----------------------------------
def _b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _request(name: str, door: Door, body: bytes) -> tuple[str, dict[str, str]]:
    """(path, headers) for one sample at its door, signed the way its sender signs."""
    if door.kind == "rest":
        return f"/v1/inbound/{door.name}", {"content-type": "application/json"}
    if door.kind == "soap":
        return f"/v1/inbound/soap/{door.name}", {
            "content-type": "text/xml; charset=utf-8",
            "SOAPAction": '""',
        }
    headers = {"content-type": "application/json"}
    if door.name == "shopify":
        headers |= {"X-Shopify-Hmac-Sha256": _b64_hmac(SHOP_SECRET, body)}
        headers |= {"X-Shopify-Webhook-Id": f"e2e-{name}"}
    elif door.name == "woo":
        headers |= {"X-WC-Webhook-Signature": _b64_hmac(WOO_SECRET, body)}
        headers |= {"X-WC-Webhook-Delivery-ID": "e2e-1"}
    elif name.endswith("easypost_signed_body_minified.json"):
        headers |= {"X-Hmac-Signature": EASYPOST_VECTOR_SIGNATURE}  # the published vector
    else:  # EasyPost signs with the secret NFKD-normalised ("se\u0301cret"), as hex
        key = unicodedata.normalize("NFKD", EASYPOST_VECTOR_SECRET).encode()
        signature = hmac.new(key, body, hashlib.sha256).hexdigest()
        headers |= {"X-Hmac-Signature": f"hmac-sha256-hex={signature}"}
    return f"/v1/inbound/webhooks/{door.name}", headers


def _message_id(door: Door, response: httpx.Response) -> str | None:
    if door.kind == "soap":
        found = etree.fromstring(response.content).findtext(f".//{{{SOAP_ACK}}}messageId")
        return str(found) if found else None
    message_id = response.json().get("message_id")
    return str(message_id) if message_id else None


async def test_every_json_and_soap_sample_ends_canonical_or_with_a_clear_error(
    tmp_path: Path, secrets: None
) -> None:
    problems: list[str] = []
    async with _gateway(tmp_path) as (gw, base, client):
        for name, (door, expected) in JSON_SAMPLES.items():
            body = (SAMPLES / name).read_bytes()
            path, headers = _request(name, door, body)
            response = await client.post(f"{base}{path}", content=body, headers=headers)
            if response.status_code not in (200, 202):
                problems.append(f"{name}: {response.status_code} {response.text[:300]}")
                continue
            message_id = _message_id(door, response)
            if message_id is None:
                problems.append(f"{name}: no message id in {response.text[:300]}")
                continue
            problems += await _check(gw, name, message_id, expected)
    assert not problems, "\n".join(problems)
