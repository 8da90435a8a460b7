"""The shapes the canonical resources answer with, declared for the OpenAPI document.

The handlers encode plain dicts (one ``msgspec`` call, no intermediate objects on the hot
path); these Structs say the same thing to clients and to schemathesis, which holds every live
answer to them. Keep the two in step: the schemathesis test fails when they drift.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from gateway.api.documented import problems

__all__ = ["create_responses", "list_responses", "read_responses"]


class Accepted(msgspec.Struct, frozen=True):
    """202: the document is journaled; ``status_url`` (also ``Location``) reads it back."""

    id: str
    status: str
    status_url: str
    trace_id: str


class DocumentSummary(msgspec.Struct, frozen=True):
    """One document: where it is in the pipeline and its content in the caller's version."""

    id: str
    partner: str
    received_at: str
    state: str
    stage: str
    business_keys: dict[str, str]
    url: str
    document: dict[str, Any] | None
    """``null`` when the stored bytes no longer decode (see its dead letter)."""


class DeliveryCounts(msgspec.Struct, frozen=True):
    """How the document's deliveries stand."""

    total: int
    pending: int
    delivered: int
    dead: int
    discarded: int


class DocumentStatus(DocumentSummary, frozen=True):
    """GET by id: the summary, its deliveries and the message it travels as."""

    deliveries: DeliveryCounts
    trace_id: str
    status_url: str


class DocumentPage(msgspec.Struct, frozen=True):
    """One page of a list, oldest first; ``next_cursor`` (and ``Link: rel=next``) continue it."""

    items: list[DocumentSummary]
    next_cursor: str | None


def _ok(kind: Any, description: str) -> ResponseSpec:
    return ResponseSpec(kind, description=description, generate_examples=False)


def create_responses(document_type: str) -> dict[int, ResponseSpec]:
    """POST: 202 and every refusal the route itself makes."""
    return {
        202: _ok(Accepted, f"The {document_type} is journaled; Location reads it back"),
        **problems(
            s409="idempotency_key_in_use: a request with this Idempotency-Key is still running",
            s413="payload_too_large: the body is over the gateway's limit",
            s415="unsupported_media_type: send application/json",
            s422="invalid_document (every failing field path in errors) or "
            "idempotency_key_reused (the key was used with another body)",
        ),
    }


def read_responses(document_type: str, version: str) -> dict[int, ResponseSpec]:
    """GET by id: the status, 404 for an unknown (or another partner's) id."""
    responses = {
        200: _ok(DocumentStatus, f"The {document_type} and its processing status"),
        **problems(s404=f"unknown_document: no {document_type} with this id for this caller"),
    }
    if version != "v1":
        responses.update(
            problems(s406=f"not_representable: the {document_type} has no exact {version} form")
        )
    return responses


def list_responses(name: str) -> dict[int, ResponseSpec]:
    """GET list: one page."""
    return {
        200: _ok(DocumentPage, f"A page of {name}"),
        **problems(s403="forbidden_filter: only operations clients may filter by partner"),
    }
