"""The generated fast path (``_codegen``) gives what JMESPath and the interpreted plan give.

Three references: ``jmespath.search`` for single expressions, the plan interpreted node by node
(generation switched off) for whole mappings, and the generic mapping functions for their
specialised forms. "Same" includes failing: where a reference raises, the generated function
must raise too (``apply`` then re-runs the interpreted plan for the located error); where a path
is missing, it must give null, not an exception.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import jmespath
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jmespath.visitor import Options

from connectors.errors import MapError
from gateway.mapping import Mapping, load_mapping
from gateway.mapping._codegen import generate, source
from gateway.mapping._errors import FunctionError
from gateway.mapping._examples import read_sample
from gateway.mapping._fn_decimal import dec, to_decimal, to_text
from gateway.mapping._fn_text import idpair, pair_reader, qual, quals, selector
from gateway.mapping._functions import SCOPE, VARIES, MappingFunctions
from gateway.mapping._plan import Build, ObjectNode
from gateway.mapping._tables import Table

MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"
KEYS = ["a", "b", "x", "k", "items", "order", "PO106", "PO107", "REF01"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=3)
    | st.floats(allow_nan=False, width=16)
    | st.text(max_size=4)
    | st.sampled_from(["", "x", "y", "DP", "VN", "UK", "12.50", "007", "1e3", "EA", "pcs"])
)
keys = st.sampled_from(KEYS) | st.sampled_from(KEYS) | st.text(max_size=2)  # paths that resolve
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
documents = st.dictionaries(keys, trees, max_size=6) | trees

EXPRESSIONS = [
    # paths, indexes, literals, @
    "a", "a.b", "a.b.x", "order.items.a.b", "@", "a[0]", "a[-1]", "items[1].a", "a[0][1]",
    "[0]", "a[0].b[-2].x", "'lit'", "`3`", "`null`", "`[1, [2]]`", '`{"k": [1]}`', "`true`",
    # ||, &&, !, comparisons
    "a || b", "a || b || `0`", "`null` || a", "a && b", "a && b || x", "a == 'x' && b || null",
    "!a", "!!a", "!`0`", "a == b", "a != b", "a == 'x'", "'x' == a", "a != 'DP'", "a == `1`",
    "a == `true`", "a < b", "a >= `3`", "'x' <= a", "a > `1.5`",
    # lists, pipes, projections, flatten, filters
    "[a, b.x]", "a.[b, x]", "a | b", "a | [0]", "items[].a", "items[*].a", "a[*]",
    "items[].[a, b][]", "a[]", "a[][]", "items[?a == 'x'].b", "items[?a].b",
    "items[?a == 'x'] | [0]", "a[?@ == 'x']", "items[].a || b",
    # a source read again after a sibling (locals must not be reused across siblings)
    "a.[b, x]", "a.[b.x, b]", "a.[@ && b, x]", "a.[@ || b, @]", "a.[b[0], @]", "a | [b, x]",
    "items[?a && b].[a, b]", "a.[b || x, x || b, !b, b == x]",
    # nodes the generator hands to the interpreter's closures
    "a[1:3]", "{k: a, j: b}", "*.a", "a.*", "items[].{k: a}",
    # JMESPath's functions and ours, generic and specialised
    "length(a)", "to_string(a)", "sort_by(items, &a)", "not_null(a, b)", "join(',', a)",
    "upper(a) || lower(b)", "dec(a) == '1'", "dec(a)", "concat(a, b) && x",
    "type(a) == 'string' && !b",
    "qual(items, 'a', 'x')", "qual(items, 'a.b', 'x').b.x", "qual(a, 'REF01', 'DP')",
    "qual(items, 'a', ['x', 'y'])", "qual(items, 'a', `[\"x\", 1]`)", "quals(items, 'a', 'x')",
    "quals(items, 'a.b', `[\"x\", \"DP\"]`)", "qual(items, a, b)", "qual(items, '', 'x')",
    "qual(items, 'a', `null`)", "quals(items, `1`, 'x')", "qual(`[{\"a\": \"x\"}]`, 'a', 'x')",
    "idpair(a, 'PO106', 'VN')", "idpair(@, 'PO106', 'UK')", "idpair(a, 'a', 'VN')",
    "idpair(a, 'PO106', `1`)", "idpair(a, b, 'VN')", "idpair(`{\"PO106\": \"VN\"}`, 'PO106', 'VN')",
]  # fmt: skip

INTERPRETER = Options(custom_functions=MappingFunctions({}, {}))


def _write(folder: Path, name: str, body: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def _fast(mapping: Mapping) -> Build:
    fast = generate(mapping.plan)
    assert fast is not None, f"no generated function for {mapping.path}"
    return fast


def _run(fast: Build, document: Any) -> tuple[str, Any]:
    """Call a generated function as ``apply`` would (scope set): ("ok", out) or ("raised", type)."""
    saved = SCOPE.root, SCOPE.index, SCOPE.parents
    SCOPE.root, SCOPE.index, SCOPE.parents = document, None, []
    try:
        return "ok", fast(document) or {}
    except Exception as exc:  # any exception means "apply takes the slow path"
        return "raised", type(exc).__name__
    finally:
        SCOPE.root, SCOPE.index, SCOPE.parents = saved


def _interpreted(mapping: Mapping) -> Mapping:
    """``mapping`` with generation switched off in every object: the reference semantics."""
    stack: list[Any] = [mapping.plan]
    while stack:
        node = stack.pop()
        if isinstance(node, ObjectNode):
            node._fast = False
        for attribute in ("fields", "items", "item", "inner"):
            child = getattr(node, attribute, None)
            if isinstance(child, tuple):
                stack.extend(c[1] if isinstance(c, tuple) else c for c in child)
            elif child is not None:
                stack.append(child)
    return mapping


@pytest.fixture(scope="module")
def expressions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    folder = tmp_path_factory.mktemp("codegen-exprs")
    return {
        text: _fast(load_mapping(_write(folder, f"m{n}.yaml", {"fields": {"out": text}})))
        for n, text in enumerate(EXPRESSIONS)
    }


@pytest.mark.parametrize("expression", EXPRESSIONS)
@settings(max_examples=60, deadline=None)
@given(document=documents)
def test_generated_expressions_agree_with_jmespath(
    expressions: dict[str, Build], document: Any, expression: str
) -> None:
    try:
        expected = ("ok", jmespath.search(expression, document, options=INTERPRETER))
    except Exception:  # then the generated code must raise too
        expected = ("raised", None)
    status, out = _run(expressions[expression], document)
    if expected[0] == "raised":
        assert status == "raised"
    else:
        assert status == "ok", out
        assert out.get("out") == expected[1]
        assert type(out.get("out")) is type(expected[1])


@pytest.mark.parametrize(
    ("expression", "document"),
    [
        ("a.b.c", {}),
        ("a.b.c", {"a": "text"}),
        ("a[0].b", {"a": {"b": 1}}),
        ("a[5]", {"a": [1]}),
        ("a[-5]", {"a": [1]}),
        ("items[].a", {"items": "x"}),
        ("qual(a, 'REF01', 'DP').REF02", {"a": None}),
        ("idpair(a, 'PO106', 'VN')", {}),
    ],
)
def test_a_missing_path_is_null_not_an_error(
    expressions: dict[str, Build], tmp_path: Path, expression: str, document: Any
) -> None:
    mapping = load_mapping(_write(tmp_path, "m.yaml", {"fields": {"out": expression}}))
    assert _run(_fast(mapping), document) == ("ok", {})
    assert mapping.apply(document) == {}


PLANS: dict[str, dict[str, Any]] = {  # one mapping each, so one failing field hides no other
    "scope": {
        "top": "idx()",
        "first": "root().a",
        "rows": {
            "each": "items",
            "fields": {
                "i": "idx()",
                "p": "pos()",
                "up": "parent().a",
                "r": "root().b",
                "text": "to_string(pos())",
                "seen": "{i: idx(), p: pos(), up: parent().b}",
                "deeper": {
                    "each": "@",
                    "fields": {
                        "i": "idx()",
                        "up": "parent()",
                        "pair": "[pos(), idx()]",
                        "seen": "{i: idx(), up: parent().a}",
                    },
                },
                "after": "{i: idx(), up: parent().b}",
            },
        },
        "last": "{i: idx(), up: parent()}",
    },
    "shapes": {
        "skipped": {"when": "x == 'y'", "fields": {"k": "k", "n": {"const": None}}},
        "when": {"when": "a", "fields": {"k": "k"}},
        "defaulted": {"value": "x", "default": [1]},
        "constant": {"const": {"k": [1]}},
        "listed": [
            "a",
            "b",
            {"const": None},
            {"fields": {"k": "k"}},
            {"each": "items", "value": "@"},
        ],
        "empty": {"fields": {"n": {"const": None}}},
    },
    "required": {
        "guarded": {"when": "a", "required": True, "value": "b"},
        "needed": {"each": "items", "required": True, "fields": {"k": "@"}},
        "object": {"required": True, "fields": {"k": "k"}},
    },
    "each": {"values": {"each": "a", "value": "upper(@)"}},
    "tables": {
        "coded": "code('uom', a[0]) || lookup('sku', b, 'none')",
        "folded": "code('uom', k, 'EA')",
    },
}


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Mapping, Mapping]]:
    folder = tmp_path_factory.mktemp("codegen-plans") / "partner"
    folder.mkdir()
    (folder / "sku.csv").write_text("from,to\nx,SKU-X\n1,SKU-1\n", encoding="utf-8")
    (folder / "uom.yaml").write_text(
        "ignore_case: true\ncodes: {pcs: EA, CA: CS, x: XX}\n", encoding="utf-8"
    )
    header = {"codelists": {"uom": "uom.yaml"}, "crosswalks": {"sku": "sku.csv"}}
    out = {}
    for name, fields in PLANS.items():
        path = _write(folder, f"{name}.yaml", {**header, "fields": fields})
        out[name] = load_mapping(path), _interpreted(load_mapping(path))
    return out


def _outcome(mapping: Mapping, document: Any) -> tuple[str, Any]:
    try:
        return "ok", mapping.apply(document)
    except MapError as error:
        return "error", str(error)


rows = st.lists(st.dictionaries(keys, trees, max_size=4) | trees, max_size=4)
plan_documents = documents | st.fixed_dictionaries(
    {"items": rows}, optional={"a": trees | rows, "b": trees, "x": trees, "k": trees}
)


def _agree(mapping: Mapping, reference: Mapping, document: Any) -> str:
    expected = _outcome(reference, document)
    status, out = _run(_fast(mapping), document)
    assert status == ("ok" if expected[0] == "ok" else "raised")
    if status == "ok":
        assert out == expected[1]
    assert _outcome(mapping, document) == expected  # the same located error, word for word
    assert SCOPE.index is None
    assert SCOPE.parents == []
    return status


@pytest.mark.parametrize("name", list(PLANS))
@settings(max_examples=150, deadline=None)
@given(document=plan_documents)
def test_each_scope_guards_and_tables_agree_with_the_interpreted_plan(
    plans: dict[str, tuple[Mapping, Mapping]], name: str, document: Any
) -> None:
    _agree(*plans[name], document)


def test_the_plans_map_some_documents_and_refuse_others(
    plans: dict[str, tuple[Mapping, Mapping]],
) -> None:
    """The property above must see both outcomes, or it would prove little."""
    ok = {
        "items": [{"a": "x", "b": [{"a": 1}]}, [{"a": 2}, "y"]],
        "a": ["pcs"],
        "b": "x",
        "k": "CA",
    }
    refused = {"items": "text", "a": [[1]], "b": None}
    for name, (mapping, reference) in plans.items():
        assert _agree(mapping, reference, ok) == "ok", name
        if name in ("required", "each", "tables"):
            assert _agree(mapping, reference, refused) == "raised", name
    assert plans["scope"][0].apply(ok)["rows"][0]["seen"] == {"i": 0, "p": 1, "up": "x"}


TRUTH_VALUES = [None, False, True, 0, 0.0, 1, "", "x", [], [0], {}, {"k": 0}]
TRUTH_EXPRESSIONS = [
    "a || b", "a && b", "!a", "a || b || `7`", "a && b || x", "items[?a].b", "items[?!a].b",
    "[a || b, a && b]", "a == b", "a != b", "a < b", "a >= b",
]  # fmt: skip


@pytest.mark.parametrize("expression", TRUTH_EXPRESSIONS)
def test_truth_and_comparisons_agree_with_jmespath_for_every_edge_value(
    tmp_path: Path, expression: str
) -> None:
    fields = {"out": expression, "when": {"when": "a", "const": "taken"}}
    fast = _fast(load_mapping(_write(tmp_path, "m.yaml", {"fields": fields})))
    for a in TRUTH_VALUES:
        for b in TRUTH_VALUES:
            document = {"a": a, "b": b, "x": "X", "items": [{"a": a, "b": 1}, {"a": b, "b": 2}]}
            status, out = _run(fast, document)
            try:
                expected = jmespath.search(expression, document, options=INTERPRETER)
            except TypeError:  # 1 < 'x': Python refuses, in both
                assert status == "raised", (a, b)
                continue
            taken = jmespath.search("a && 'taken'", document, options=INTERPRETER) or None
            assert status == "ok", (a, b)
            assert out.get("out") == expected, (a, b)
            assert type(out.get("out")) is type(expected), (a, b)
            assert out.get("when") == taken, (a, b)


def _library() -> list[tuple[Path, list[Any]]]:
    out = []
    for path in sorted(MAPPINGS.rglob("*.yaml")):
        if "_codelists" in path.parts:
            continue
        try:
            mapping = load_mapping(path)
        except MapError:
            continue  # not a mapping (or not this test's business: `mappings check` covers it)
        samples = []
        for example in mapping.examples:
            try:
                samples.append(read_sample(example.input))
            except MapError:
                continue
        out.append((path, samples))
    return out


LIBRARY = _library()


def test_every_library_mapping_gets_a_generated_function() -> None:
    assert len(LIBRARY) >= 20
    for path, _ in LIBRARY:
        assert generate(load_mapping(path).plan) is not None, path


@functools.cache
def _pair(path: Path) -> tuple[Mapping, Mapping]:
    """The mapping, and the same file compiled again with generation off (the reference)."""
    return load_mapping(path), _interpreted(load_mapping(path))


@st.composite
def _edited(draw: st.DrawFn, sample: Any) -> Any:
    """``sample`` with a few values replaced, removed, wrapped in a list or unwrapped."""
    tree = copy.deepcopy(sample)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        tree = _edit(draw, tree)
    return tree


def _edit(draw: st.DrawFn, node: Any) -> Any:
    if isinstance(node, dict | list) and node and draw(st.integers(0, 3)):
        if isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)))
            if draw(st.integers(0, 5)) == 0:
                del node[key]
            else:
                node[key] = _edit(draw, node[key])
        else:
            index = draw(st.integers(0, len(node) - 1))
            node[index] = _edit(draw, node[index])
        return node
    change = draw(st.sampled_from(["scalar", "wrap", "unwrap", "empty"]))
    if change == "scalar":
        return draw(scalars)
    if change == "wrap":
        return [node]
    if change == "unwrap":
        return node[0] if isinstance(node, list) and node else node
    return draw(st.sampled_from([[], {}, ""]))


@pytest.mark.parametrize(("path", "samples"), LIBRARY, ids=[str(p.name) for p, _ in LIBRARY])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_library_mappings_agree_with_the_interpreted_plan(
    path: Path, samples: list[Any], data: st.DataObject
) -> None:
    if not samples:
        pytest.skip("no example input to start from")
    sample = data.draw(st.sampled_from(samples))
    document = data.draw(_edited(sample))
    mapping, reference = _pair(path)
    expected = _outcome(reference, document)
    status, out = _run(_fast(mapping), document)
    assert status == ("ok" if expected[0] == "ok" else "raised")
    if status == "ok":
        assert out == expected[1]
    assert _outcome(mapping, document) == expected


def test_generated_source_holds_no_text_from_the_mapping(tmp_path: Path) -> None:
    key = 'a"); import os  # \n\r\u2028'
    literal = "'); raise SystemExit(1) #\n"
    mapping = load_mapping(
        _write(
            tmp_path,
            "m.yaml",
            {"fields": {key: {"const": literal}, "ok": "'x' || `\"\\n\"`", "n": "k"}},
        )
    )
    text, constants = source(mapping.plan)
    lines = text.splitlines()
    assert all(line.isascii() and line.isprintable() for line in lines)  # no line break smuggled
    code = [line for line in lines if not line.lstrip().startswith("#")]
    assert not any("SystemExit" in line or "import" in line for line in code)
    comments = [line.strip() for line in lines if line.lstrip().startswith("#")]
    assert comments == [f"# {key!a}", "# 'ok'", "# 'n'"]  # comments are ascii() reprs
    assert key in constants.values()
    assert mapping.apply({"k": 1}) == {key: literal, "ok": "x", "n": 1}


# -- the specialised functions against the generic ones -------------------------------------------
def _call(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except FunctionError as error:
        return "error", (str(error), repr(error.found))


items = st.none() | scalars | documents | st.lists(documents, max_size=5)
fields = st.sampled_from(["a", "a.b", "REF01", "b.x.a", "", ".", "a."]) | st.none() | st.just(1)
wanted = st.sampled_from(["x", "DP", "", 1, True]) | st.none() | st.lists(scalars, max_size=3)


@settings(max_examples=500, deadline=None)
@given(found=items, field=fields, value=wanted, first=st.booleans())
def test_selector_agrees_with_qual_and_quals(
    found: Any, field: Any, value: Any, first: bool
) -> None:
    special = selector(field, value, first=first)
    generic = qual if first else quals
    if special is None:  # only for literals the generic function refuses
        assert _call(generic, [], field, value)[0] == "error"
        return
    assert _call(special, found) == _call(generic, found, field, value)


@settings(max_examples=500, deadline=None)
@given(
    segment=items,
    first=st.sampled_from(["PO106", "PO107", "LIN02", "a", "PO1", "P01", ""]) | st.just(6),
    value=st.sampled_from(["VN", "UK", "x", 1]) | st.none(),
)
def test_pair_reader_agrees_with_idpair(segment: Any, first: Any, value: Any) -> None:
    special = pair_reader(first, value)
    if special is None:
        assert _call(idpair, {"PO106": "VN"}, first, value)[0] == "error"
        return
    assert _call(special, segment) == _call(idpair, segment, first, value)


@settings(max_examples=300, deadline=None)
@given(
    key=scalars | st.lists(scalars, max_size=2),
    default=st.none() | st.just("EA") | st.just(VARIES),
    fold=st.booleans(),
    name=st.sampled_from(["code", "lookup"]),
)
def test_table_readers_agree_with_code_and_lookup(
    key: Any, default: Any, fold: bool, name: str
) -> None:
    entries = {"pcs": "EA", "ca": "CS"} if fold else {"pcs": "EA", "CA": "CS", "1": "ONE"}
    table = Table(Path("t.yaml"), entries, ignore_case=fold)
    functions = MappingFunctions({"t": table}, {"t": table})
    literals = ("t", VARIES) if default is None else ("t", VARIES, default)
    special = functions.specialise(name, literals)
    generic = functions.resolve(name)
    if default is VARIES:
        assert special is None
        return
    assert special is not None
    args = ("t", key) if default is None else ("t", key, default)
    assert _call(special, key) == _call(generic, *args)


@settings(max_examples=1000, deadline=None)
@given(
    text=st.text(alphabet="0123456789.+-eE ", max_size=24)
    | st.from_regex(r"[0-9]{1,25}(\.[0-9]{0,25})?", fullmatch=True)
)
def test_dec_shortcut_gives_what_decimal_gives(text: str) -> None:
    try:
        number = to_decimal(text, "dec")
    except FunctionError as error:
        with pytest.raises(FunctionError) as raised:
            dec(text)
        assert str(raised.value) == str(error)
        return
    expected = None if number is None else to_text(number)
    assert dec(text) == expected
    if expected is not None:
        assert Decimal(dec(text) or "0") == number
