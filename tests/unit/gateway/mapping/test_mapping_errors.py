"""Errors say where to look: file, line, expression, what is wrong and the value found."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.errors import MapError
from gateway.mapping import Mapping, MappingFileError, load_mapping

Compile = Callable[..., Mapping]
Write = Callable[[str, str], Path]


def compile_error(write: Write, text: str, name: str = "m.yaml") -> MappingFileError:
    path = write(name, text)
    with pytest.raises(MappingFileError) as caught:
        load_mapping(path)
    error = caught.value
    assert error.file == str(path)
    assert error.message.startswith(f"{path}:")
    assert error.code == "map_file_invalid"
    assert error.stage == "map"
    return error


def test_yaml_syntax_error_names_the_line(write: Write) -> None:
    error = compile_error(write, 'fields:\n  a: "x"\n  b: [unclosed\n  c: d\n')
    assert error.line is not None
    assert error.line >= 3
    assert "YAML syntax error" in error.message


def test_jmespath_syntax_error_names_line_and_expression(write: Write) -> None:
    error = compile_error(write, 'fields:\n  a: "x"\n  b: "order.items[?qty >"\n')
    assert error.line == 3
    assert error.expression == "order.items[?qty >"
    assert error.path == "b"
    assert "JMESPath syntax error" in error.message
    assert "expression: order.items[?qty >" in error.message

    error = compile_error(write, 'fields:\n  nested:\n    b: "a b"\n')
    assert error.line == 3
    assert "at column 2" in error.message
    assert error.path == "nested.b"


def test_unknown_function_is_refused_at_compile_time(write: Write) -> None:
    # the branch would never run for this document; compile still refuses it
    error = compile_error(write, 'fields:\n  a: "x"\n  b: "flag && x12dat(d)"\n')
    assert error.line == 3
    assert "unknown function x12dat(); did you mean x12date()?" in error.message
    assert error.expression == "flag && x12dat(d)"


def test_unknown_function_inside_each(write: Write) -> None:
    error = compile_error(
        write,
        """
        fields:
          lines:
            each: "items"
            fields:
              q: "dec(qty)"
              x: "nope(qty)"
        """,
    )
    assert error.line == 6
    assert error.path == "lines[].x"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("dmul(a)", "dmul() takes 2 arguments, got 1"),
        ("x12datetime(a)", "x12datetime() takes 2 to 3 arguments, got 1"),
        ("length(a, b)", "length() takes 1 arguments, got 2"),
        ("concat()", "concat() takes 1 or more arguments, got 0"),
        ("lookup('nope', k)", "lookup() uses `nope`, not declared in `crosswalks:` (none)"),
        ("code(list, k)", "first argument must name a table in quotes"),
        ("`foo`", "literal must be JSON"),
        ("'unterminated", "JMESPath syntax error"),
        ("", "an expression must be a JMESPath expression string"),
    ],
)
def test_expression_checks(write: Write, expression: str, message: str) -> None:
    error = compile_error(write, f'fields:\n  a: "{expression}"\n')
    assert error.line == 2
    assert message in error.message


@pytest.mark.parametrize(
    ("fields", "line", "message"),
    [
        ("a: 1", 2, "expected an expression string, got `1`; for a constant write {const: 1}"),
        ("a: true", 2, "expected an expression string"),
        ("a: {each: items}", 2, "`each` needs exactly one of `fields` or `value`"),
        ("a: {each: items, value: x, fields: {b: c}}", 2, "exactly one of `fields` or `value`"),
        ("a: {each: items, value: x, default: 1}", 2, "`default` does not apply to `each`"),
        ("a: {each: [items], value: x}", 2, "`each` must be a JMESPath expression string"),
        ("a: {value: x, const: 1}", 2, "exactly one of `value`, `const` or `fields`"),
        ("a: {const: 1, default: 2}", 2, "`default` only applies to `value`"),
        ("a: {value: x, when: true}", 2, "`when` must be a JMESPath expression string"),
        ("a: {value: x, required: maybe}", 2, "`required` must be true or false"),
        ("a: {fields: x}", 2, "must be a mapping"),
        ("a: x\n  a: y", 3, "duplicate key `a`"),
    ],
)
def test_bad_field_shapes(write: Write, fields: str, line: int, message: str) -> None:
    error = compile_error(write, f"fields:\n  {fields}\n")
    assert error.line == line
    assert message in error.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "the mapping file is empty"),
        ("fields: {a: a}\nsorce: json\n", 2, "unknown key `sorce`"),
        ("source: csv\nfields: {a: a}\n", 1, "`source` must be one of json, x12, soap"),
        ("target: v1/order\n", 1, "a mapping needs `fields:`"),
        ("codelists: {uom: nope.yaml}\nfields: {a: a}\n", 1, "file not found"),
        ("crosswalks: {sku: nope.csv}\nfields: {a: a}\n", 1, "file not found"),
        ("codelists: [uom]\nfields: {a: a}\n", 1, "must be a mapping of names"),
    ],
)
def test_bad_file_shapes(write: Write, text: str, line: int | None, message: str) -> None:
    error = compile_error(write, text)
    assert error.line == line
    assert message in error.message


def test_missing_file() -> None:
    with pytest.raises(MappingFileError, match="file not found"):
        load_mapping(Path("/nonexistent/m.yaml"))


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("uom.yaml", "ignore_case: true\ncodes:\n  PCS: EA\n  pcs: EA\n", 4, "listed twice"),
        ("uom.yaml", "codes:\n  pcs: [EA]\n", 2, "must be a single value"),
        ("uom.yaml", "codez: {}\n", 1, "unknown key `codez`"),
        ("uom.yaml", "ignore_case: 1\ncodes: {}\n", 1, "`ignore_case` must be true or false"),
        ("uom.yaml", "description: x\n", 1, "needs `codes:`"),
        ("uom.yaml", "codes: [a\n", 2, "YAML syntax error"),
        ("sku.csv", "a,b\n1,2\n", 1, "header must have the columns `from,to`"),
        ("sku.csv", "from,to\nA,1\n\nA,2\n", 4, "`A` is listed twice"),
        ("sku.csv", "to,note,from\n1\n", 2, "missing `from` or `to`"),
    ],
)
def test_table_errors_name_the_table_file(
    write: Write, name: str, content: str, line: int, message: str
) -> None:
    table = write(name, content)
    section = "codelists" if name.endswith(".yaml") else "crosswalks"
    with pytest.raises(MappingFileError) as caught:
        load_mapping(write("m.yaml", f"{section}: {{t: {name}}}\nfields: {{a: a}}\n"))
    assert caught.value.file == str(table)
    assert caught.value.line == line
    assert message in caught.value.message


def test_crosswalk_header_columns_can_be_in_any_order(write: Write) -> None:
    write("sku.csv", "\ufeffnote,To,From\nx,100,AB\n")  # Excel's BOM and capitals
    mapping = load_mapping(
        write("m.yaml", "crosswalks: {sku: sku.csv}\nfields: {a: \"lookup('sku', k)\"}\n")
    )
    assert mapping.apply({"k": "AB"}) == {"a": "100"}


def test_map_error_names_file_line_expression_and_value(write: Write) -> None:
    path = write(
        "m.yaml",
        """
        fields:
          lines:
            each: "order.items"
            fields:
              quantity:
                value: "dec(qty)"
                uom: "'EA'"
        """,
    )
    mapping = load_mapping(path)
    long_text = "x" * 500
    items = [{"qty": 1}, {"qty": 2}, {"qty": 3}, {"qty": long_text}]
    with pytest.raises(MapError) as caught:
        mapping.apply({"order": {"items": items}})
    error = caught.value
    assert error.code == "map_expression_failed"
    assert error.stage == "map"
    assert error.kind == "fatal"
    assert error.path == "lines[3].quantity.value"
    assert error.message.startswith(f"{path}:6: field `lines[3].quantity.value`: ")
    assert "not a decimal number" in error.message
    assert "expression: dec(qty)" in error.message
    assert error.found is not None
    assert error.found.startswith('"xxxx')
    assert error.found.endswith("…")
    assert len(error.found) <= 160
    assert error.found in error.message
    assert error.as_dict()["path"] == "lines[3].quantity.value"


def test_jmespath_type_errors_become_map_errors(compile_fields: Compile) -> None:
    mapping = compile_fields('n: "length(x)"')
    with pytest.raises(MapError, match=re.escape("length()")) as caught:
        mapping.apply({"x": 5})
    assert caught.value.found == "5"
    assert caught.value.path == "n"


def test_top_level_list_of_items_path(compile_fields: Compile) -> None:
    mapping = compile_fields(
        """
        parties:
          - name: "a"
          - name: "dec(b)"
        """
    )
    with pytest.raises(MapError) as caught:
        mapping.apply({"b": "x"})
    assert caught.value.path == "parties[1].name"
