"""Reverse mappings: a canonical document -> an X12 document tree, for what we send partners.

A reverse mapping is an ordinary mapping file whose ``source`` is a contract and whose
``target`` is an X12 set::

    source: v1/order
    target: x12/855
    fields:
      BAK: {BAK01: "'00'", BAK02: "'AC'", BAK03: "po_number", BAK04: "to_x12date(order_date)"}
      PO1_loop:
        each: "lines"
        fields:
          PO1: {PO101: "to_string(line_number)", PO102: "to_x12num(quantity.value)"}
          ACK: [{ACK01: "'IA'"}]

The output is a document tree of the shape the X12 reader produces (``connectors.x12.encode``
writes it), not a contract: so it is checked against the set's structure instead (lint: every
segment, loop and element key, with file and line; at run time: the encoder refuses what it
cannot write). Examples compare *what the partner reads*: the mapped tree is written as X12 and
read back (HL numbers filled in, numbers as text, empty elements gone), and so is the expected
tree, so an example states the document, not the accidents of one mapping's output types.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from typing import Any

import msgspec

import contracts
from connectors.errors import StageError
from connectors.x12 import ELEMENT_COUNTS, decode
from connectors.x12._element_defs import element_defs
from connectors.x12.encode import EncodeError, Envelope, Level, encode, structure
from gateway.mapping._examples import CaseResult, canonical_json, read_sample
from gateway.mapping._lint import Finding
from gateway.mapping._mapping import Example, Mapping
from gateway.mapping._plan import Defaulted, EachNode, Guard, ListNode, ObjectNode

_PROBE = Envelope(sender_id="CROSSDOCK", receiver_id="PARTNER", at=datetime(2000, 1, 1, tzinfo=UTC))
_encode_json = msgspec.json.Encoder(decimal_format="string").encode


def target_set(mapping: Mapping) -> str | None:
    """``target: x12/855`` -> ``"855"``; None for a mapping that produces a contract."""
    kind, _, set_id = (mapping.target or "").partition("/")
    return set_id if kind == "x12" and set_id else None


def canonical_input(mapping: Mapping, document: Any) -> Any:
    """The canonical document as the mapping sees it in a delivery: validated, then as JSON.

    Raises ``msgspec.ValidationError`` when ``document`` is not a valid ``source`` contract.
    """
    version, _, document_type = (mapping.source or "").partition("/")
    struct = contracts.convert(version, document_type, document)
    return msgspec.json.decode(_encode_json(struct))


def map_to_tree(mapping: Mapping, canonical: Any) -> dict[str, Any]:
    """Apply a reverse mapping and check the tree against the set (``EncodeError`` if not)."""
    set_id = target_set(mapping)
    if set_id is None:
        raise EncodeError(
            f"encode: {mapping.path} has target {mapping.target!r}; expected x12/<set id>",
            code="x12_not_a_reverse_mapping",
        )
    tree = mapping.apply(canonical)
    wire_tree(set_id, tree)
    return tree


def wire_tree(set_id: str, tree: dict[str, Any]) -> dict[str, Any]:
    """The tree as the partner's reader sees it: written as X12 and read back, ST/SE left out."""
    raw = encode(set_id, tree, envelope=_PROBE, interchange_control=1, group_control=1)
    (xset,) = decode(raw)
    return {k: v for k, v in xset.tree.items() if k not in ("ST", "SE")}


def run_reverse_example(mapping: Mapping, example: Example) -> CaseResult:  # noqa: PLR0911
    """Validate the canonical input, map it, write it as X12, compare with the expected tree."""

    def failed(step: str, problem: str, diff: str = "") -> CaseResult:
        return CaseResult(mapping.path, example.name, example.line, False, step, problem, diff)

    set_id = target_set(mapping) or ""
    try:
        document = read_sample(example.input)
        expected_tree = read_sample(example.expected)
    except StageError as exc:
        return failed("read", exc.message)
    try:
        canonical = canonical_input(mapping, document)
    except (msgspec.ValidationError, contracts.UnknownDocumentTypeError) as exc:
        return failed("read", f"{example.input.name} is not a valid {mapping.source}: {exc}")
    try:
        tree = mapping.apply(canonical)
    except StageError as exc:
        return failed("map", exc.message)
    try:
        got = wire_tree(set_id, tree)
    except StageError as exc:
        return failed("validate", exc.message)
    try:
        want = wire_tree(set_id, expected_tree)
    except StageError as exc:
        return failed("read", f"{example.expected.name} is not a writable {set_id}: {exc}")
    want_text, got_text = canonical_json(want), canonical_json(got)
    if want_text != got_text:
        diff = "".join(
            difflib.unified_diff(
                want_text.splitlines(keepends=True),
                got_text.splitlines(keepends=True),
                fromfile=f"expected ({example.expected.name})",
                tofile="actual (mapped, as the partner reads it)",
            )
        )
        return failed("compare", "the mapped X12 tree differs from the expected tree", diff)
    return CaseResult(mapping.path, example.name, example.line, True)


# -- lint: the output tree against the set's structure -------------------------------------------
Where = tuple[str, int]


class _TreeLint:
    def __init__(self, mapping: Mapping, set_id: str) -> None:
        self.mapping = mapping
        self.set_id = set_id
        self.findings: list[Finding] = []

    def report(self, where: Where, problem: str) -> None:
        self.findings.append(Finding(where[0], where[1], "error", "target", problem))

    def level(self, node: Any, level: Level, label: str, where: Where, top: bool = False) -> None:
        node, where = _unwrap(node, where)
        if not isinstance(node, ObjectNode):
            return  # an expression builds it: the encoder checks it when documents flow
        locations = node.where or tuple(where for _ in node.fields)
        for (key, child), at in zip(node.fields, locations, strict=True):
            path = f"{label}.{key}" if label else key
            if top and key == "ST":
                self.segment(child, "ST", path, at)
            elif key == "HL_loop" and level.nested_hl:
                self.loop(child, level, path, at)
            elif key not in level.keys:
                where_text = f"the {level.trigger} loop" if level.trigger else "the top level"
                keys = ", ".join(k for k, _ in level.order)
                self.report(
                    at,
                    f"`{path}`: {key!r} is not in {where_text} of an X12 {self.set_id}; "
                    f"expected one of: {keys}",
                )
            else:
                sub = dict(level.order).get(key)
                if sub is None:
                    self.segment(child, key, path, at)
                else:
                    self.loop(child, sub, path, at)

    def loop(self, node: Any, level: Level, label: str, where: Where) -> None:
        node, where = _unwrap(node, where)
        if isinstance(node, EachNode):
            self.level(node.item, level, f"{label}[]", (node.source.file, node.source.line))
        elif isinstance(node, ListNode):
            for i, item in enumerate(node.items):
                self.level(item, level, f"{label}[{i}]", where)
        else:
            self.level(node, level, label, where)

    def segment(self, node: Any, sid: str, label: str, where: Where) -> None:
        node, where = _unwrap(node, where)
        if isinstance(node, EachNode):
            self.segment(node.item, sid, f"{label}[]", (node.source.file, node.source.line))
            return
        if isinstance(node, ListNode):
            for i, item in enumerate(node.items):
                self.segment(item, sid, f"{label}[{i}]", where)
            return
        if not isinstance(node, ObjectNode):
            return
        defs = element_defs(sid)
        count = len(defs) if defs is not None else ELEMENT_COUNTS.get(sid)
        locations = node.where or tuple(where for _ in node.fields)
        for (key, _), at in zip(node.fields, locations, strict=True):
            digits = key[len(sid) :]
            if not key.startswith(sid) or len(digits) != 2 or not digits.isdigit():
                self.report(
                    at, f"`{label}.{key}`: expected an element of {sid} ({sid}01, {sid}02...)"
                )
            elif count is not None and not 1 <= int(digits) <= count:
                self.report(at, f"`{label}.{key}`: {sid} has {count} elements; there is no {key}")


def _unwrap(node: Any, where: Where) -> tuple[Any, Where]:
    while isinstance(node, Guard | Defaulted):
        if isinstance(node, Guard):
            where = (node.file, node.line)
        node = node.inner
    return node, where


def check_x12_target(mapping: Mapping) -> list[Finding]:
    """Errors for output keys an X12 set cannot have: segments, loops, element positions."""
    set_id = target_set(mapping) or ""
    try:
        top = structure(set_id)
    except EncodeError as exc:
        return [Finding(str(mapping.path), None, "error", "target", exc.message)]
    lint = _TreeLint(mapping, set_id)
    lint.level(mapping.plan, top, "", (str(mapping.path), 1), top=True)
    return lint.findings


__all__ = [
    "canonical_input",
    "check_x12_target",
    "map_to_tree",
    "run_reverse_example",
    "target_set",
    "wire_tree",
]
