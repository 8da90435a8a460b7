"""Whatever a partner sends, apply() either maps it or raises MapError: nothing else escapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jmespath.visitor import Options

from connectors.errors import MapError
from gateway.mapping import Mapping, MappingRegistry, load_mapping
from gateway.mapping._functions import MappingFunctions

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"
KEYS = ["order", "items", "number", "created_at", "currency", "qty", "unit", "price", "sku",
        "shipping", "customer", "note", "x", "REF", "REF01", "REF02", "a", "b"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**45), max_value=10**45)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["", "  ", "12.50", "20261120", "1015", "pcs", "DP", "2026-11-20T10:15Z"])
)
keys = st.sampled_from(KEYS) | st.text(max_size=6)
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)
documents = st.dictionaries(keys, trees, max_size=4) | st.fixed_dictionaries(
    {"order": st.dictionaries(keys, trees, max_size=8)}
)

HEADER = """
codelists: {uom: ../_codelists/uom.yaml}
crosswalks: {sku: sku.csv}
fields:
"""
FIELDS = [  # one mapping each, so an early failure does not hide the fields after it
    'd: {value: "dec(x)", default: "0"}',
    'arithmetic: "[dadd(a, b), dsub(a, b), dmul(a, b), ddiv(a, b, `2`), dround(a, `1`)]"',
    'sums: "dsum(items)"',
    'implied: "implied_dec(x, `2`)"',
    'dates: "[x12date(a), x12time(b), x12datetime(a, b, x), iso_date(a), iso_datetime(b, x)]"',
    "text: \"[upper(a), lower(b), trim(x), concat(a, b), concat_ws('-', a, items)]\"",
    'compacted: "compact(items)"',
    "q: \"qual(REF, 'REF01', 'DP').REF02\"",
    "qs: \"quals(items, 'a.b', ['x', 'y'])\"",
    "codes: \"[code('uom', unit, 'EA'), lookup('sku', sku, sku)]\"",
    "builtins: \"[length(items), to_string(a), sort(items), max(items), join(',', items)]\"",
    'flagged: {when: "a == b", value: "x", required: true}',
    'each: {each: "items", fields: {i: "pos()", up: "parent().a", v: "dec(@)"}}',
    'nested: {each: "items", fields: {up: {each: "@", value: "upper(@)"}}}',
]


@pytest.fixture(scope="module")
def kitchen_sink(tmp_path_factory: pytest.TempPathFactory) -> list[Mapping]:
    folder = tmp_path_factory.mktemp("sink") / "partner"
    folder.mkdir()
    (folder / "sku.csv").write_text("from,to\nA,1\n", encoding="utf-8")
    codelists = folder.parent / "_codelists"
    codelists.mkdir()
    (codelists / "uom.yaml").write_text(
        (MAPPINGS / "_codelists/uom.yaml").read_text("utf-8"), encoding="utf-8"
    )
    mappings = []
    for number, field in enumerate(FIELDS):
        path = folder / f"m{number}.yaml"
        path.write_text(f"{HEADER}  {field}\n", encoding="utf-8")
        mappings.append(load_mapping(path))
    return mappings


@pytest.fixture(scope="module")
def demo() -> Mapping:
    return MappingRegistry(MAPPINGS).get("demo-shop/order")


def _apply(mapping: Mapping, document: Any) -> None:
    try:
        result = mapping.apply(document)
    except MapError as error:
        assert error.stage == "map"
        assert error.code in ("map_expression_failed", "map_required_missing")
        assert error.found is not None
        assert len(error.found) <= 160
    else:
        assert isinstance(result, dict)


@settings(max_examples=300, deadline=None)
@given(document=documents | trees)
def test_demo_mapping_raises_only_map_error(demo: Mapping, document: Any) -> None:
    _apply(demo, document)


@settings(max_examples=300, deadline=None)
@given(document=documents | trees)
def test_every_function_raises_only_map_error(kitchen_sink: list[Mapping], document: Any) -> None:
    for mapping in kitchen_sink:
        _apply(mapping, document)


EXPRESSIONS = [
    "order", "order.items", "a.b.x", "@", "a || b", "a && b", "!a", "!!a", "a == b", "a != b",
    "a < b", "a >= `3`", "'x' <= a", "[a, b.x]", "a | b", "upper(a) || lower(b)",
    "not_null(a, b)", "length(a)", "to_string(a)", "dec(a) == '1'", "a[0]", "[a, `1`][1]",
    "items[?a == 'x'].b", "sort_by(items, &a)", "join(',', a)", "concat(a, b) && x",
    "type(a) == 'string' && !b",
    "a == 'x'", "a.b != 'DP'", "a.b.x", "order.items.a.b", "a && b || x",
    "a == 'x' && b || a.b == 'y' && x || null", "a || b || `0`", "'x' == a",
    "join('-', items)", "qual(items, 'a', 'x')", "qual(items, 'a.b', 'x').b.x",
    "idpair(a, 'PO106', 'VN')", "idpair(a, b, 'VN')", "quals(items, a, b)",
]  # fmt: skip


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Mapping]:
    folder = tmp_path_factory.mktemp("exprs")
    out = {}
    for number, expression in enumerate(EXPRESSIONS):
        path = folder / f"m{number}.yaml"
        path.write_text(f'fields:\n  out: "{expression}"\n', encoding="utf-8")
        out[expression] = load_mapping(path)
    return out


INTERPRETER = Options(custom_functions=MappingFunctions({}, {}))


@settings(max_examples=300, deadline=None)
@given(document=documents | trees, expression=st.sampled_from(EXPRESSIONS))
def test_compiled_expressions_agree_with_the_interpreter(
    compiled: dict[str, Mapping], document: Any, expression: str
) -> None:
    try:
        expected = jmespath.search(expression, document, options=INTERPRETER)
    except Exception:  # any failure there must be a MapError here
        with pytest.raises(MapError):
            compiled[expression].apply(document)
        return
    assert compiled[expression].apply(document).get("out") == expected
