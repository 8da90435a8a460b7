"""field_errors: every failing path of a document, with msgspec's own rules.

Properties: breaking any set of leaves of a valid document (a wrong type where a scalar was)
reports exactly those paths; whatever a mutation does, a body the strict decoder refuses
always gets at least one error, and a body it accepts never reaches the walk.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import contracts
from gateway.api.field_errors import FieldError, field_errors, split_message
from gateway.api.resources import InvalidDocumentError, strict_decoder
from tests.integration.rest_support import documents

TYPES = {
    "orders": "order",
    "returns": "return_authorization",
    "shipments": "shipment",
    "inventory-adjustments": "inventory_adjustment",
}


def leaves(node: Any, path: str = "$") -> list[tuple[str, tuple[Any, ...]]]:
    """(JSON path, key path) of every scalar in a JSON tree."""
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _prefixed(leaves(v, f"{path}.{k}"), k)]
    if isinstance(node, list):
        return [
            leaf for i, v in enumerate(node) for leaf in _prefixed(leaves(v, f"{path}[{i}]"), i)
        ]
    return [(path, ())]


def _prefixed(
    found: list[tuple[str, tuple[Any, ...]]], step: Any
) -> list[tuple[str, tuple[Any, ...]]]:
    return [(p, (step, *keys)) for p, keys in found]


def put(tree: Any, keys: tuple[Any, ...], value: Any) -> None:
    for k in keys[:-1]:
        tree = tree[k]
    tree[keys[-1]] = value


@pytest.mark.parametrize("name", sorted(TYPES))
def test_a_valid_document_has_no_errors(name: str) -> None:
    doc = documents()[name]
    struct = contracts.VERSIONS["v1"][TYPES[name]]
    assert field_errors(doc, struct) == []
    strict_decoder(struct)(msgspec.json.encode(doc))


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(TYPES)), data=st.data())
def test_every_broken_leaf_is_reported(name: str, data: st.DataObject) -> None:
    doc = documents()[name]
    struct = contracts.VERSIONS["v1"][TYPES[name]]
    candidates = leaves(doc)
    chosen = data.draw(st.lists(st.sampled_from(candidates), min_size=1, unique=True))
    broken = copy.deepcopy(doc)
    for _, keys in chosen:
        put(broken, keys, [])  # an array where a scalar belongs: wrong for every scalar type
    with pytest.raises(InvalidDocumentError) as caught:
        strict_decoder(struct)(msgspec.json.encode(broken))
    assert {e.path for e in caught.value.errors} == {path for path, _ in chosen}


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(TYPES)), data=st.data(), value=JSON, drop=st.booleans())
def test_a_refused_body_always_lists_an_error(
    name: str, data: st.DataObject, value: Any, drop: bool
) -> None:
    doc = documents()[name]
    struct = contracts.VERSIONS["v1"][TYPES[name]]
    _path, keys = data.draw(st.sampled_from(leaves(doc)))
    mutated = copy.deepcopy(doc)
    if drop:
        parent = mutated
        for k in keys[:-1]:
            parent = parent[k]
        del parent[keys[-1]]
    else:
        put(mutated, keys, value)
    raw = msgspec.json.encode(mutated)
    try:
        strict_decoder(struct)(raw)
    except InvalidDocumentError as exc:
        assert exc.errors
        assert all(e.path.startswith("$") and e.message for e in exc.errors)


def test_whole_body_of_the_wrong_shape() -> None:
    assert field_errors([], contracts.VERSIONS["v1"]["order"]) == [
        FieldError("$", "Expected `object`, got `array`")
    ]


def test_split_message() -> None:
    assert split_message("Expected `int`, got `str` - at `$.a[0]`") == (
        "Expected `int`, got `str`",
        "$.a[0]",
    )
    assert split_message("no path here") == ("no path here", "$")
