"""Whole-input decoding: one :class:`X12Set` per transaction set, envelope issues attached.

For journalling, each set must carry everything about its envelope: the interchange and group
headers, and any error found later at GE/IEA (which rejects the sets inside). Streaming callers
use :func:`read_sets` directly and get the summaries as they come.
"""

from __future__ import annotations

from typing import BinaryIO

from connectors.base import Decoded
from connectors.errors import DecodeError
from connectors.x12._doctypes import document_type
from connectors.x12._envelope import envelope_issues, read_sets
from connectors.x12._model import InterchangeSummary, X12Set
from connectors.x12._rules import check_set
from connectors.x12._tree import build_tree


def decode_with_summaries(
    raw: bytes | BinaryIO, *, trees: bool = True
) -> tuple[list[X12Set], list[InterchangeSummary]]:
    """Read all interchanges; sets get their group's and interchange's errors attached."""
    sets: list[X12Set] = []
    summaries: list[InterchangeSummary] = []
    pending: list[X12Set] = []
    for item in read_sets(raw, build_tree=analyse_set if trees else None):
        if isinstance(item, X12Set):
            pending.append(item)
            continue
        summaries.append(item)
        for xset in pending:
            xset.envelope_issues = envelope_issues(item, xset.group)
        sets.extend(pending)
        pending = []
    sets.extend(pending)
    return sets, summaries


def analyse_set(xset: X12Set) -> None:
    """Everything per set beyond the envelope: the document tree, then the syntax checks."""
    build_tree(xset)
    check_set(xset)


def decode(raw: bytes) -> list[X12Set]:
    """One result per transaction set, or :class:`DecodeError` when there is no set at all.

    A set with errors is returned (``accepted`` is False) rather than raised: the rest of the
    interchange is still good, and the journal keeps the rejected set with its reasons.
    """
    sets, summaries = decode_with_summaries(raw)
    if not sets:
        raise no_sets_error(summaries)
    return sets


def no_sets_error(summaries: list[InterchangeSummary]) -> DecodeError:
    """``x12_no_sets`` for an input without a set, at its first problem when there is one."""
    problems = [i for s in summaries for i in s.issues if i.severity == "error"]
    detail = f"; first problem: {problems[0].message}" if problems else ""
    return DecodeError(
        f"decode: no X12 transaction set found (expected ISA, GS, ST...){detail}",
        code="x12_no_sets",
        path=f"byte {problems[0].offset}" if problems else None,
    )


def as_decoded(xset: X12Set) -> Decoded:
    """The connector-neutral view of one set for the mapping stage."""
    keys = {
        "isa13": xset.interchange.control_number,
        "st02": xset.control_number,
        "sender": xset.interchange.sender_id,
        "receiver": xset.interchange.receiver_id,
    }
    if xset.group is not None:
        keys["gs06"] = xset.group.control_number
    return Decoded(tree=xset.tree, document_type=document_type(xset.set_id), business_keys=keys)
