"""Shopify returns webhooks -> v1 return authorizations (``mappings/shopify/return_authorization``).

There is no real returns sample in ../shared/samples, so these run on the mapping's own example
inputs (written from Shopify's public ``returns/request`` and ``returns/approve`` payloads) and
on variants of them: the mapped output must be a valid ReturnAuthorization, and a reason
Shopify may send that the code list does not know must never stop the message.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import contracts
from contracts.v1.return_authorization import ReturnAuthorization, ReturnReason
from gateway.mapping import DocumentMapError, MappingRegistry

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"
EXAMPLES = MAPPINGS / "shopify" / "examples"
REASONS = MAPPINGS / "_codelists" / "shopify-return-reason.yaml"
NAME = "shopify/return_authorization"
RECEIVED = dt.datetime(2026, 12, 1, 14, 12, 44, tzinfo=dt.UTC).timestamp()

# Shopify's ReturnReason enum (Admin API 2025-10), as the returns webhooks write it
SHOPIFY_REASONS = {
    "color",
    "defective",
    "not_as_described",
    "other",
    "size_too_large",
    "size_too_small",
    "style",
    "unknown",
    "unwanted",
    "wrong_item",
}


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(MAPPINGS)


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))


def _rma(registry: MappingRegistry, doc: Any, received_at: float | None = RECEIVED) -> Any:
    mapped = registry.get(NAME).apply(doc, received_at=received_at)
    rma = contracts.convert("v1", "return_authorization", mapped)
    assert isinstance(rma, ReturnAuthorization)
    return rma


def test_the_file_is_picked_by_partner_and_document_type(registry: MappingRegistry) -> None:
    """A webhook source with partner shopify and document_type return_authorization uses it."""
    selected = registry.select("shopify", "return_authorization", None)
    assert selected is not None
    assert selected[0] == "shopify/return_authorization.yaml"


def test_an_approved_return_maps_to_a_valid_return_authorization(
    registry: MappingRegistry,
) -> None:
    rma = _rma(registry, _example("returns-approve-1"))
    assert rma.rma_number == "#2043-R1"  # the return's name, as the merchant and customer see it
    assert rma.issued_date == dt.date(2026, 12, 1)  # the payload has no date: when it arrived
    assert rma.references is not None
    assert rma.references.order_number == "5820419244202"  # Shopify's order id
    assert rma.notes == ("Shopify return status: open",)
    # no SKU in the webhook: the order line item id, the order line's partner_line_id
    assert [line.item.partner_item_id for line in rma.lines] == ["14310944768170", "14310944800938"]
    assert all(line.item.sku is None for line in rma.lines)
    assert [line.quantity.value for line in rma.lines] == [Decimal(4), Decimal(1)]
    assert {line.quantity.uom for line in rma.lines} == {"EA"}
    assert [line.reason for line in rma.lines] == ["customer_preference", "defective"]
    assert {line.disposition for line in rma.lines} == {"inspect"}
    assert rma.lines[1].notes == (
        "Shopify return reason: defective",
        "Battery will not hold a charge after two days.",  # the customer's note
    )


def test_a_requested_return_maps_and_says_it_is_not_yet_approved(
    registry: MappingRegistry,
) -> None:
    rma = _rma(registry, _example("returns-request-1"))
    assert rma.notes == ("Shopify return status: requested",)
    [line] = rma.lines  # the exchange item goes to the customer: not part of the authorization
    assert (line.reason, line.notes) == ("other", ("Shopify return reason: unknown",))


@pytest.mark.parametrize("reason", ["changed_mind", "ARRIVED_LATE", "", None])
def test_an_unknown_return_reason_does_not_stop_the_message(
    registry: MappingRegistry, reason: str | None
) -> None:
    doc = copy.deepcopy(_example("returns-approve-1"))
    doc["return_line_items"][0]["return_reason"] = reason
    rma = _rma(registry, doc)
    first, second = rma.lines
    assert first.reason == "other"
    if reason:  # Shopify's word is kept where an integrator can see what to add to the list
        assert first.notes[0] == f"Shopify return reason: {reason}"
    else:
        assert first.notes == ("Needed M10, ordered M8 by mistake",)
    assert second.reason == "defective"  # the other line is untouched


def test_shopify_casing_is_ignored(registry: MappingRegistry) -> None:
    doc = copy.deepcopy(_example("returns-approve-1"))
    doc["return_line_items"][1]["return_reason"] = "DEFECTIVE"  # the GraphQL enum spelling
    assert _rma(registry, doc).lines[1].reason == "defective"


@pytest.mark.parametrize("status", ["declined", "canceled"])
def test_a_declined_or_canceled_return_authorizes_nothing(
    registry: MappingRegistry, status: str
) -> None:
    doc = {**_example("returns-approve-1"), "status": status}
    with pytest.raises(DocumentMapError) as caught:
        registry.get(NAME).apply(doc, received_at=RECEIVED)
    assert (caught.value.code, caught.value.path) == ("map_required_missing", "lines")


def test_without_a_receipt_time_there_is_no_issued_date(registry: MappingRegistry) -> None:
    with pytest.raises(DocumentMapError) as caught:
        registry.get(NAME).apply(_example("returns-approve-1"))
    assert (caught.value.code, caught.value.path) == ("map_required_missing", "issued_date")


def test_the_reason_list_covers_shopify_and_targets_return_reasons() -> None:
    codes = yaml.load(REASONS.read_text("utf-8"), Loader=yaml.BaseLoader)["codes"]
    assert set(codes) == SHOPIFY_REASONS
    valid = {reason.value for reason in ReturnReason}
    assert not {raw: to for raw, to in codes.items() if to not in valid}
