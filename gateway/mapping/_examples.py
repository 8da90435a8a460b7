"""Run a mapping file's example cases: map each input, validate it, compare with the expected JSON.

Used by ``crossdock mappings test`` and by pytest (``tests/unit/gateway/mapping``), so an
example that passes in one passes in the other. A failure says at which step it failed
(``read``, ``map``, ``validate`` or ``compare``) and, for ``compare``, carries a unified diff of
the expected and actual JSON (sorted keys, indent 2) that reads like a code review.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

import contracts
from connectors.errors import DecodeError, StageError
from connectors.rest.decode import check_json
from connectors.x12 import decode
from gateway.mapping._mapping import Example, Mapping


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one example case."""

    mapping: Path
    name: str
    line: int
    ok: bool
    step: str = ""
    problem: str = ""
    diff: str = ""

    def describe(self) -> str:
        """One paragraph for a terminal: where the case is written and what went wrong."""
        head = f"{self.mapping}:{self.line}: example `{self.name}`"
        if self.ok:
            return f"{head}: ok"
        text = f"{head}: FAILED at {self.step}: {self.problem}"
        return f"{text}\n{self.diff.rstrip()}" if self.diff else text


_encode = msgspec.json.Encoder(decimal_format="string").encode


def canonical_json(value: Any) -> str:
    """The form examples are compared and diffed in: sorted keys, indent 2, a final newline."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"


X12_SUFFIXES = (".edi", ".x12")


def read_sample(path: Path) -> Any:
    """A sample input as a document tree: JSON, or an X12 interchange (``.edi``/``.x12``).

    An X12 example holds one transaction set; its tree is what the X12 decode stage hands the
    mapping, so an example can be the partner's real document rather than its tree as JSON.
    """
    if path.suffix != ".json" and path.suffix not in X12_SUFFIXES:
        raise DecodeError(
            f"{path}: no sample decoder for {path.suffix!r} files (.json, .edi, .x12)",
            code="no_decoder",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read: {exc.strerror}", code="sample_unreadable") from exc
    try:
        return x12_tree(raw) if path.suffix in X12_SUFFIXES else check_json(raw)
    except DecodeError as exc:
        raise DecodeError(f"{path}: {exc.message}", code=exc.code, path=exc.path) from exc


def x12_tree(raw: bytes) -> Any:
    """The document tree of the one transaction set in ``raw``, as the decode stage builds it.

    More than one set, or a set the gateway would reject (its first error, with the segment
    position, is the message), is a ``DecodeError``: a dry run or an example maps one set.
    """
    sets = decode(raw)
    if len(sets) != 1:
        found = ", ".join(f"{s.set_id} {s.control_number}" for s in sets)
        raise DecodeError(
            f"decode: one transaction set expected, the interchange has {len(sets)} ({found})",
            code="x12_one_set_expected",
        )
    (xset,) = sets
    errors = [i for i in (*xset.issues, *xset.envelope_issues) if i.severity == "error"]
    if errors:
        first = errors[0]
        raise DecodeError(first.message, code=first.code, path=f"byte {first.offset}")
    return xset.tree


def contract_of(mapping: Mapping) -> tuple[str, str]:
    """``target: v1/order`` -> (``v1``, ``order``); a ``MappingError``-free check for callers."""
    version, _, document_type = (mapping.target or "").partition("/")
    return version, document_type


def validate_output(mapping: Mapping, mapped: Any) -> msgspec.Struct:
    """Convert the mapped output into the mapping's target contract, strictly."""
    version, document_type = contract_of(mapping)
    return contracts.convert(version, document_type, mapped)


def run_example(mapping: Mapping, example: Example) -> CaseResult:  # noqa: PLR0911 - a return per step
    """Map, validate and compare one example case."""
    if (mapping.target or "").startswith("x12/"):  # a reverse mapping: docs/x12-outbound.md
        from gateway.mapping._reverse import run_reverse_example

        return run_reverse_example(mapping, example)

    def failed(step: str, problem: str, diff: str = "") -> CaseResult:
        return CaseResult(mapping.path, example.name, example.line, False, step, problem, diff)

    try:
        tree = read_sample(example.input)
        expected = read_sample(example.expected)
    except StageError as exc:
        return failed("read", exc.message)
    try:
        mapped = mapping.apply(tree, received_at=example.received_at)
    except StageError as exc:
        return failed("map", exc.message)
    try:
        canonical = validate_output(mapping, mapped)
    except (msgspec.ValidationError, contracts.UnknownDocumentTypeError) as exc:
        return failed("validate", f"{mapping.target}: {exc}")
    try:
        # compare as the contract sees both: "Z" and "+00:00", "2" and "2.0" as a Decimal
        # string, are the same document; so the output of `crossdock map` is a valid expectation
        wanted = validate_output(mapping, expected)
    except (msgspec.ValidationError, contracts.UnknownDocumentTypeError) as exc:
        return failed("read", f"{example.expected.name} is not a valid {mapping.target}: {exc}")
    want, got = canonical_json(_plain(wanted)), canonical_json(_plain(canonical))
    if want != got:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                got.splitlines(keepends=True),
                fromfile=f"expected ({example.expected.name})",
                tofile="actual (mapped)",
            )
        )
        return failed("compare", "the mapped output differs from the expected JSON", diff)
    return CaseResult(mapping.path, example.name, example.line, True)


def _plain(document: msgspec.Struct) -> Any:
    """The document as JSON-shaped builtins, encoded the way deliveries encode it."""
    return msgspec.json.decode(_encode(document))


def run_examples(mapping: Mapping) -> list[CaseResult]:
    """Every example case of one compiled mapping, in file order."""
    return [run_example(mapping, example) for example in mapping.examples]
