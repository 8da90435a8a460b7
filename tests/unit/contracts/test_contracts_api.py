"""The package's public helpers: the registry, the cached decoders and convert()."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

import contracts


def test_decoder_is_cached_and_strict() -> None:
    first = contracts.decoder("v1", "order")

    assert contracts.decoder("v1", "order") is first
    assert first.type is contracts.VERSIONS["v1"]["order"]
    assert first.strict is True


@pytest.mark.parametrize(
    ("version", "document_type", "message"),
    [
        ("v9", "order", "unknown contract version 'v9'; known: v1, v2"),
        ("v1", "purchase_order", "unknown document type 'purchase_order' in v1; known: "),
    ],
)
def test_unknown_names_are_a_lookup_error(version: str, document_type: str, message: str) -> None:
    with pytest.raises(contracts.UnknownDocumentTypeError, match=message):
        contracts.decoder(version, document_type)
    with pytest.raises(LookupError, match=message):
        contracts.convert(version, document_type, {})


def test_convert_reports_the_path() -> None:
    document = {"po_number": "1", "order_date": "2025-01-01", "lines": []}
    with pytest.raises(msgspec.ValidationError, match=r"length >= 1 - at `\$\.lines`$"):
        contracts.convert("v1", "order", document)


def test_readme_example_runs(load_example: Callable[[str], dict[str, Any]]) -> None:
    readme = (Path(contracts.__file__).parent / "README.md").read_text("utf-8")
    block = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    example = load_example("order")
    namespace: dict[str, Any] = {"raw_json": json.dumps(example), "mapped_dict": example}

    exec(block.group(1), namespace)

    assert namespace["order"] == contracts.decoder("v1", "order").decode(json.dumps(example))
