"""What a destination receives: canonical v1, or the contract version it asked for."""

from __future__ import annotations

import json

import pytest

from gateway.config import Destination
from gateway.delivery.contract_version import NotRepresentableError, payload_for

ACK = {"po_number": "PO-1", "ack_date": "2026-11-22", "status": "accepted"}
MEMO = {
    "credit_memo_number": "CM-1",
    "credit_date": "2026-11-22",
    "currency": "KWD",
    "total": {"amount": "1.250", "currency": "KWD"},
    "reason": "damaged",
}


def _dest(contract: str) -> Destination:
    return Destination(name="erp", url="http://127.0.0.1:1/erp", contract=contract)  # type: ignore[arg-type]


def test_v1_destinations_and_unknown_ones_get_the_canonical_bytes() -> None:
    raw = json.dumps(MEMO).encode()
    assert payload_for(_dest("v1"), "credit_memo", raw) is raw
    assert payload_for(None, "credit_memo", raw) is raw


def test_a_v2_destination_gets_minor_units() -> None:
    out = json.loads(payload_for(_dest("v2"), "credit_memo", json.dumps(MEMO).encode()))
    assert out["total"] == {"amount_minor": 1250, "currency": "KWD"}


def test_documents_outside_the_contracts_pass_through() -> None:
    raw = b"ISA*00*...~"
    assert payload_for(_dest("v2"), "x12_ack", raw) is raw


def test_money_v2_cannot_say_is_refused_with_its_path() -> None:
    memo = {**MEMO, "total": {"amount": "1.2505", "currency": "KWD"}}
    with pytest.raises(NotRepresentableError) as caught:
        payload_for(_dest("v2"), "credit_memo", json.dumps(memo).encode())
    assert caught.value.path == "$.total.amount"
    assert "destination 'erp' takes contract v2" in str(caught.value)
    assert "1.2505 KWD" in str(caught.value)
