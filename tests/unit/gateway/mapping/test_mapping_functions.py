"""Every registered function, through a compiled expression, as integrators call it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from connectors.errors import MapError
from gateway.mapping import FUNCTIONS, Mapping

Evaluate = Callable[[str, Any], Any]


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("dec(x)", {"x": 2}, "2"),
        ("dec(x)", {"x": "12.50"}, "12.50"),
        ("dec(x)", {"x": 12.5}, "12.5"),
        ("dec(x)", {"x": 0.1}, "0.1"),
        ("dec(x)", {"x": " 3 "}, "3"),
        ("dec(x)", {"x": "1e-7"}, "0.0000001"),
        ("dec(x)", {"x": "-0.00"}, "0.00"),
        ("dec(x)", {"x": ""}, None),
        ("dec(x)", {}, None),
        ("dadd(a, b)", {"a": "1.10", "b": 2}, "3.10"),
        ("dsub(a, b)", {"a": "1", "b": "0.25"}, "0.75"),
        ("dmul(a, b)", {"a": 2, "b": "12.50"}, "25.00"),
        ("dmul(a, b)", {"a": "0.1", "b": "0.2"}, "0.02"),
        ("dmul(a, b)", {"b": "12.50"}, None),
        ("ddiv(a, b, `2`)", {"a": "10", "b": 3}, "3.33"),
        ("ddiv(a, b, '2')", {"a": "1", "b": "8"}, "0.12"),  # 0.125: half-even -> 0.12
        ("dround(x, `2`)", {"x": "2.345"}, "2.34"),
        ("dround(x, `2`)", {"x": "2.355"}, "2.36"),
        ("dround(x, `0`)", {"x": "0.5"}, "0"),
        ("dround(x, `0`)", {"x": "1.5"}, "2"),
        ("dround(x, `0`)", {"x": "-2.5"}, "-2"),
        ("dsum(xs)", {"xs": ["1.10", 2, None, ""]}, "3.10"),
        ("dsum(xs)", {"xs": []}, "0"),
        ("dsum(items[].price)", {"items": [{"price": "0.1"}, {"price": "0.2"}]}, "0.3"),
        ("implied_dec(x, `2`)", {"x": "1250"}, "12.50"),
        ("implied_dec(x, `2`)", {"x": "-5"}, "-0.05"),
        ("implied_dec(x, '3')", {"x": 1250}, "1.250"),
        ("implied_dec(x, `0`)", {"x": "007"}, "7"),
        ("implied_dec(x, `2`)", {"x": None}, None),
    ],
)
def test_decimal_functions(evaluate: Evaluate, expression: str, data: Any, expected: Any) -> None:
    assert evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data", "message"),
    [
        ("dec(x)", {"x": "abc"}, "not a decimal number"),
        ("dec(x)", {"x": "NaN"}, "not a decimal number"),
        ("dec(x)", {"x": "1_000"}, "not a decimal number"),
        ("dec(x)", {"x": True}, "got a boolean"),
        ("dec(x)", {"x": "1e99"}, "out of range"),
        ("dec(x)", {"x": 10**50}, "out of range"),
        ("dec(x)", {"x": {"a": 1}}, "expects a number"),
        ("ddiv(a, b, `2`)", {"a": 1, "b": "0.00"}, "division by zero"),
        ("dround(x, `-1`)", {"x": 1}, "places must be between"),
        ("dround(x, 'two')", {"x": 1}, "whole number"),
        ("dsum(x)", {"x": "1"}, "expects a list"),
        ("implied_dec(x, `2`)", {"x": "12.5"}, "implied decimal point"),
    ],
)
def test_decimal_functions_refuse_bad_input(
    evaluate: Evaluate, expression: str, data: Any, message: str
) -> None:
    with pytest.raises(MapError, match=message) as caught:
        evaluate(expression, data)
    assert caught.value.code == "map_expression_failed"


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("x12date(d)", {"d": "20261120"}, "2026-11-20"),
        ("x12date(d)", {"d": "261120"}, "2026-11-20"),
        ("x12date(d)", {"d": "680101"}, "2068-01-01"),
        ("x12date(d)", {"d": "991231"}, "1999-12-31"),
        ("x12date(d)", {"d": ""}, None),
        ("x12time(t)", {"t": "1015"}, "10:15:00"),
        ("x12time(t)", {"t": "101530"}, "10:15:30"),
        ("x12time(t)", {"t": "1015305"}, "10:15:30.5"),
        ("x12datetime(d, t)", {"d": "20261120", "t": "1015"}, "2026-11-20T10:15:00+00:00"),
        ("x12datetime(d, t)", {"d": "20261120"}, "2026-11-20T00:00:00+00:00"),
        (
            "x12datetime(d, t, 'CT')",
            {"d": "20261120", "t": "10153055"},
            "2026-11-20T10:15:30.550000-06:00",
        ),
        ("x12datetime(d, t, 'ES')", {"d": "20260720", "t": "1015"}, "2026-07-20T10:15:00-05:00"),
        ("x12datetime(d, t, 'ET')", {"d": "20260720", "t": "1015"}, "2026-07-20T10:15:00-04:00"),
        ("x12datetime(d, t, 'ET')", {"d": "20261120", "t": "1015"}, "2026-11-20T10:15:00-05:00"),
        ("x12datetime(d, t, 'ND')", {"d": "20261120", "t": "1015"}, "2026-11-20T10:15:00-02:30"),
        ("x12datetime(d, t, '+0200')", {"d": "20261120", "t": "1015"}, "2026-11-20T10:15:00+02:00"),
        (
            "x12datetime(d, t, 'America/Chicago')",
            {"d": "20261120", "t": "1015"},
            "2026-11-20T10:15:00-06:00",
        ),
        ("x12datetime(d, t)", {"t": "1015"}, None),
        ("iso_date(x)", {"x": "2026-11-20T23:30:00-05:00"}, "2026-11-20"),
        ("iso_date(x)", {"x": "2026-11-20"}, "2026-11-20"),
        ("iso_date(x)", {"x": "20261120"}, "2026-11-20"),
        ("iso_date(x)", {"x": 0}, "1970-01-01"),
        ("iso_datetime(x)", {"x": "2026-11-20T10:15:00Z"}, "2026-11-20T10:15:00+00:00"),
        (
            "iso_datetime(x)",
            {"x": "2026-11-20T10:15:00.250+0130"},
            "2026-11-20T10:15:00.250000+01:30",
        ),
        ("iso_datetime(x, 'CS')", {"x": "2026-11-20 10:15"}, "2026-11-20T10:15:00-06:00"),
        ("iso_datetime(x, 'CS')", {"x": "2026-11-20T10:15:00Z"}, "2026-11-20T10:15:00+00:00"),
        ("iso_datetime(x)", {"x": "2026-11-20"}, "2026-11-20T00:00:00+00:00"),
        ("iso_datetime(x)", {"x": 1_795_169_700}, "2026-11-20T10:15:00+00:00"),
        ("iso_datetime(x)", {"x": None}, None),
    ],
)
def test_date_functions(evaluate: Evaluate, expression: str, data: Any, expected: Any) -> None:
    assert evaluate(expression, data) == expected


def test_unix_time_example_is_right() -> None:
    moment = dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)
    assert int(moment.timestamp()) == 1_795_169_700


@pytest.mark.parametrize(
    ("expression", "data", "message"),
    [
        ("x12date(d)", {"d": "20261332"}, "month must be in 1..12"),
        ("x12date(d)", {"d": "2026"}, "CCYYMMDD or YYMMDD"),
        ("x12date(d)", {"d": 20261120}, "expects a string"),
        ("x12time(t)", {"t": "2460"}, "out of range"),
        ("x12time(t)", {"t": "10:15"}, "HHMM"),
        ("x12datetime(d, t, 'XX')", {"d": "20261120", "t": "1015"}, "unknown time zone"),
        ("x12datetime(d, t, '+2500')", {"d": "20261120", "t": "1015"}, "offset out of range"),
        ("iso_date(x)", {"x": "20.11.2026"}, "not an ISO 8601"),
        ("iso_datetime(x)", {"x": True}, "ISO 8601 string or Unix time"),
        ("iso_datetime(x)", {"x": 1e20}, "not a usable Unix time"),
    ],
)
def test_date_functions_refuse_bad_input(
    evaluate: Evaluate, expression: str, data: Any, message: str
) -> None:
    with pytest.raises(MapError, match=message):
        evaluate(expression, data)


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("upper(s)", {"s": "de"}, "DE"),
        ("lower(s)", {"s": "EA"}, "ea"),
        ("trim(s)", {"s": "  x y  "}, "x y"),
        ("trim(s)", {"s": "   "}, None),
        ("upper(s)", {}, None),
        ("concat(a, '-', b, n)", {"a": "PO", "b": 7, "n": None}, "PO-7"),
        ("concat(a, b)", {}, None),
        ("concat_ws(', ', a, b, c)", {"a": "x", "b": None, "c": ["y", "", "z"]}, "x, y, z"),
        ("concat_ws(' ', a)", {}, None),
        ("compact([a, b, c, d])", {"a": None, "b": "", "c": "x", "d": " "}, ["x"]),
        ("compact([a, b])", {}, None),
        ("join('/', compact([a, b, c]))", {"a": "x", "c": "y"}, "x/y"),
    ],
)
def test_text_functions(evaluate: Evaluate, expression: str, data: Any, expected: Any) -> None:
    assert evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data"),
    [("upper(s)", {"s": 1}), ("concat(a)", {"a": True}), ("compact(a)", {"a": "x"})],
)
def test_text_functions_refuse_bad_input(evaluate: Evaluate, expression: str, data: Any) -> None:
    with pytest.raises(MapError, match=r"expects|joins"):
        evaluate(expression, data)


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("substr(s, `2`)", {"s": "ABCDEF"}, "CDEF"),
        ("substr(s, `2`, `3`)", {"s": "ABCDEF"}, "CDE"),
        ("substr(s, `0`, `1`)", {"s": "ABCDEF"}, "A"),
        ("substr(s, `-2`)", {"s": "ABCDEF"}, "EF"),  # negative: from the end, as in Python
        ("substr(s, `-3`, `2`)", {"s": "ABCDEF"}, "DE"),
        ("substr(s, `-3`, `5`)", {"s": "ABCDEF"}, "DEF"),  # clipped at the end, not wrapped
        ("substr(s, `-10`, `2`)", {"s": "ABCDEF"}, "AB"),  # clipped at the start
        ("substr(s, `4`, `10`)", {"s": "ABCDEF"}, "EF"),
        ("substr(s, `6`)", {"s": "ABCDEF"}, None),  # empty result: null, the field is omitted
        ("substr(s, `1`, `0`)", {"s": "ABCDEF"}, None),
        ("substr(s, `1`, n)", {"s": "ABCDEF"}, "BCDEF"),  # a null length: the rest
        ("substr(s, `2.0`, `1`)", {"s": "ABCDEF"}, "C"),  # a whole float is a whole number
        ("substr(s, `2`)", {"s": "00123"}, "123"),
        ("substr(s, `2`)", {"s": ""}, None),
        ("substr(s, `2`)", {}, None),
        ("substr(s, `-1`)", {"s": "Zürich"}, "h"),  # characters, not bytes
        ("left(s, `3`)", {"s": "ABCDEF"}, "ABC"),
        ("left(s, `10`)", {"s": "ABCDEF"}, "ABCDEF"),
        ("left(s, `0`)", {"s": "ABCDEF"}, None),
        ("left(s, `3`)", {}, None),
        ("right(s, `3`)", {"s": "ABCDEF"}, "DEF"),
        ("right(s, `10`)", {"s": "ABCDEF"}, "ABCDEF"),
        ("right(s, `0`)", {"s": "ABCDEF"}, None),  # not s[-0:], which is all of it
        ("right(s, `3`)", {"s": ""}, None),
        ("right(s, `3`)", {}, None),
    ],
)
def test_substring_functions(evaluate: Evaluate, expression: str, data: Any, expected: Any) -> None:
    assert evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data", "message", "found"),
    [
        ("substr(s, `1`)", {"s": 12345}, "substr\\(\\) expects a string", "12345"),
        ("substr(s, '1')", {"s": "ABC"}, "start must be a whole number", '"1"'),
        ("substr(s, `1.5`)", {"s": "ABC"}, "start must be a whole number", "1.5"),
        ("substr(s, `true`)", {"s": "ABC"}, "start must be a whole number", "true"),
        ("substr(s, n)", {"s": "ABC"}, "start must be a whole number", "null"),
        ("substr(s, `0`, `-1`)", {"s": "ABC"}, "length must not be negative", "-1"),
        ("substr(s, `0`, `-1`)", {}, "length must not be negative", "-1"),  # even on null
        ("left(s, `2`)", {"s": 7}, "left\\(\\) expects a string", "7"),
        ("left(s, `-1`)", {"s": "ABC"}, "n must not be negative", "-1"),
        ("right(s, `2`)", {"s": ["AB"]}, "right\\(\\) expects a string", '["AB"]'),
        ("right(s, n)", {"s": "ABC"}, "n must be a whole number", "null"),
    ],
)
def test_substring_functions_refuse_bad_input(
    evaluate: Evaluate, expression: str, data: Any, message: str, found: str
) -> None:
    with pytest.raises(MapError, match=message) as caught:
        evaluate(expression, data)
    assert caught.value.code == "map_expression_failed"
    assert caught.value.found == found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("106141410000000018", "106141410000000018"),  # 18 digits: as sent
        ("006141410000000018", "006141410000000018"),  # 18 digits starting 00: still as sent
        ("00106141410000000018", "106141410000000018"),  # AI 00 + 18 digits
        ("00000715670002152360", "000715670002152360"),  # the edieng crossdock sample's form
        ("(00)106141410000000018", "106141410000000018"),  # human-readable AI
        (" 106141410000000018 ", "106141410000000018"),  # padding is not part of it
        ("106141410000000019", "106141410000000019"),  # the check digit is not verified
        ("01106141410000000018", None),  # 20 digits behind another AI: not an SSCC
        ("(01)106141410000000018", None),
        ("(00)00106141410000000018", None),  # AI twice: 20 digits after (00)
        ("(00)10614141000000001", None),  # (00) + 17 digits
        ("0010614141000000001", None),  # 19 digits
        ("10614141000000001", None),  # 17 digits
        ("1061414100000000180", None),  # 19 digits, no AI
        ("001061414100000000180", None),  # 21 digits
        ("10614141000000001X", None),
        ("1061-4141-0000-0000-18", None),
        ("".join(chr(0xFF10 + int(d)) for d in "106141410000000018"), None),  # full-width digits
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_sscc(evaluate: Evaluate, value: Any, expected: Any) -> None:
    assert evaluate("sscc(x)", {"x": value}) == expected


@pytest.mark.parametrize("value", [106141410000000018, 1.5, True, ["106141410000000018"]])
def test_sscc_refuses_a_non_string(evaluate: Evaluate, value: Any) -> None:
    with pytest.raises(MapError, match=r"sscc\(\) expects a string"):
        evaluate("sscc(x)", {"x": value})


def test_sscc_reads_an_x12_man_segment(evaluate: Evaluate) -> None:
    man = [{"MAN01": "CP", "MAN02": "1Z999"}, {"MAN01": "GM", "MAN02": "00106141410000000018"}]
    assert evaluate("sscc(qual(MAN, 'MAN01', 'GM').MAN02)", {"MAN": man}) == "106141410000000018"
    assert evaluate("sscc(qual(MAN, 'MAN01', 'GM').MAN02)", {"MAN": man[:1]}) is None


X12 = {
    "REF": [
        {"REF01": "IA", "REF02": "VENDOR-77"},
        {"REF01": "DP", "REF02": "042"},
        {"REF01": "DP", "REF02": "043"},
    ],
    "N1_loop": [
        {"N1": {"N101": "BT", "N102": "Acme Billing"}},
        {"N1": {"N101": "ST", "N102": "Acme DC 7"}, "N3": [{"N301": "1 Dock Rd"}]},
    ],
    "TD5": {"TD501": "O", "TD503": "UPSN"},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("qual(REF, 'REF01', 'DP').REF02", "042"),
        ("qual(REF, 'REF01', 'ZZ').REF02", None),
        ("qual(REF, 'REF01', ['ZZ', 'IA']).REF02", "VENDOR-77"),
        ("quals(REF, 'REF01', 'DP')[].REF02", ["042", "043"]),
        ("quals(REF, 'REF01', 'ZZ')", None),
        ("qual(N1_loop, 'N1.N101', 'ST').N1.N102", "Acme DC 7"),
        ("qual(N1_loop, 'N1.N101', 'ST').N3[0].N301", "1 Dock Rd"),
        ("qual(TD5, 'TD501', 'O').TD503", "UPSN"),  # a single segment counts as a list
        ("qual(MISSING, 'REF01', 'DP')", None),
        ("REF[?REF01 == 'DP'] | [0].REF02", "042"),  # the same with a filter, single quotes
        ('REF[?REF01 == "DP"] | [0].REF02', None),  # double quotes: a field name, no match
    ],
)
def test_qualifier_filters(evaluate: Evaluate, expression: str, expected: Any) -> None:
    assert evaluate(expression, X12) == expected


PO1 = {"PO101": "1", "PO106": "VN", "PO107": "SKU-9", "PO108": "UK", "PO109": "00614141000050",
       "PO110": "VN", "PO111": "LATER", "PO112": "BP", "PO113": "VN"}  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("idpair(PO1, 'PO106', 'VN')", "SKU-9"),  # the first pair whose qualifier matches
        ("idpair(PO1, 'PO106', 'UK')", "00614141000050"),
        ("idpair(PO1, 'PO106', 'BP')", "VN"),  # an id that looks like a qualifier is an id
        ("idpair(PO1, 'PO106', 'UP')", None),
        ("idpair(PO1, 'PO108', 'VN')", "LATER"),  # pairs start where told
        ("idpair(MISSING, 'PO106', 'VN')", None),
    ],
)
def test_idpair(evaluate: Evaluate, expression: str, expected: Any) -> None:
    assert evaluate(expression, {"PO1": PO1}) == expected


@pytest.mark.parametrize(
    ("expression", "found"),
    [
        ("idpair(PO1, 'PO1', 'VN')", '"PO1"'),
        ("idpair(PO1, `6`, 'VN')", "6"),
        ("idpair(PO1, 'PO106', `1`)", "1"),
        ("idpair(PO1[0], 'PO106', 'VN')", None),
    ],
)
def test_idpair_refuses_bad_arguments(evaluate: Evaluate, expression: str, found: Any) -> None:
    data = {"PO1": PO1} if found is not None else {"PO1": [["VN"]]}
    with pytest.raises(MapError, match="idpair") as caught:
        evaluate(expression, data)
    if found is not None:
        assert caught.value.found == found


def test_qual_refuses_a_non_list(evaluate: Evaluate) -> None:
    with pytest.raises(MapError, match="list of segments") as caught:
        evaluate("qual(REF, 'REF01', 'DP')", {"REF": "oops"})
    assert caught.value.found == '"oops"'


@pytest.fixture
def tables(write: Callable[[str, str], Any]) -> str:
    write(
        "_codelists/uom.yaml",
        """
        ignore_case: true
        codes:
          pcs: EA
          CA: CS
          "01": ONE
        """,
    )
    write("_codelists/exact.yaml", "codes:\n  pcs: EXACT\n")
    write("crosswalks/sku.csv", "from,to\nAB-1,100-2001\n42,100-0042\n")
    return """
    codelists:
      uom: _codelists/uom.yaml
      exact: _codelists/exact.yaml
    crosswalks:
      sku: crosswalks/sku.csv
    """


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("lookup('sku', k, k)", {"k": "AB-1"}, "100-2001"),
        ("lookup('sku', k, k)", {"k": "ZZ-9"}, "ZZ-9"),
        ("lookup('sku', k)", {"k": "ZZ-9"}, None),
        ("lookup('sku', k)", {"k": 42}, "100-0042"),
        ("lookup('sku', k, 'none')", {}, "none"),
        ("lookup('sku', k)", {"k": "ab-1"}, None),  # crosswalks match exactly
        ("code('uom', k, 'EA')", {"k": "PCS"}, "EA"),
        ("code('uom', k)", {"k": "ca"}, "CS"),
        ("code('uom', k)", {"k": "01"}, "ONE"),  # read as written, not as the number 1
        ("code('uom', k, 'EA')", {"k": "box"}, "EA"),
        ("code('exact', k)", {"k": "PCS"}, None),
        ("code('exact', k)", {"k": "pcs"}, "EXACT"),
    ],
)
def test_crosswalk_and_code_list_lookups(
    compile_fields: Callable[..., Mapping], tables: str, expression: str, data: Any, expected: Any
) -> None:
    mapping = compile_fields(f'out: "{expression}"', header=tables)
    assert mapping.apply(data).get("out") == expected


def test_scope_functions(compile_fields: Callable[..., Mapping]) -> None:
    mapping = compile_fields(
        """
        top_index: "idx()"
        groups:
          each: "groups"
          fields:
            n: "pos()"
            name: "name"
            doc: "root().doc"
            members:
              each: "members"
              fields:
                i: "idx()"
                group: "parent().name"
                both: "concat(to_string(pos()), '/', parent().name)"
        """
    )
    data = {"doc": "D1", "groups": [{"name": "a", "members": [{}, {}]}, {"name": "b"}]}
    assert mapping.apply(data) == {
        "groups": [
            {
                "n": 1,
                "name": "a",
                "doc": "D1",
                "members": [
                    {"i": 0, "group": "a", "both": "1/a"},
                    {"i": 1, "group": "a", "both": "2/a"},
                ],
            },
            {"n": 2, "name": "b", "doc": "D1"},
        ]
    }


def test_received_at_is_when_the_message_arrived_in_utc(
    compile_fields: Callable[..., Mapping],
) -> None:
    mapping = compile_fields(
        """
        at: "received_at()"
        day: "iso_date(received_at())"
        lines:
          each: "items"
          fields: {at: "received_at()"}
        """
    )
    arrived = dt.datetime(2026, 11, 28, 23, 40, 5, 250_000, tzinfo=dt.UTC).timestamp()
    out = mapping.apply({"items": [{}]}, received_at=arrived)
    assert out == {
        "at": "2026-11-28T23:40:05+00:00",
        "day": "2026-11-28",
        "lines": [{"at": "2026-11-28T23:40:05+00:00"}],
    }
    assert mapping.apply({"items": [{}]}) == {}  # not given: null, and the fields are absent


def test_every_function_is_documented_and_tested() -> None:
    tested = {
        "dec", "dadd", "dsub", "dmul", "ddiv", "dround", "dsum", "implied_dec",
        "x12date", "x12time", "x12datetime", "iso_date", "iso_datetime",
        "upper", "lower", "trim", "concat", "concat_ws", "compact", "qual", "quals", "idpair",
        "substr", "left", "right", "sscc",
        "lookup", "code", "idx", "pos", "root", "parent", "received_at",
        "to_x12date", "to_x12time", "to_implied", "to_x12num",  # test_mapping_reverse_x12.py
    }  # fmt: skip
    assert {spec.name for spec in FUNCTIONS} == tested
    assert all(spec.summary for spec in FUNCTIONS)
