"""Contract v2 (integer minor units) and its converters: exact both ways, or refused with a path."""

from __future__ import annotations

import json
import string
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import contracts
from contracts import schema, v1, v2
from contracts.compat import ChangeKind, breaking_changes
from contracts.currencies import MINOR_UNITS, minor_unit
from contracts.v2.convert import ConversionError, from_minor, to_minor, v1_to_v2, v2_to_v1

EXAMPLES = Path(__file__).resolve().parent / "examples"
KNOWN = sorted(MINOR_UNITS)


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))


# -- the exponent table and the amount rules ------------------------------------------------------
def test_exponents_of_well_known_currencies() -> None:
    assert {c: minor_unit(c) for c in ("JPY", "KRW", "USD", "EUR", "KWD", "BHD", "CLF")} == {
        "JPY": 0,
        "KRW": 0,
        "USD": 2,
        "EUR": 2,
        "KWD": 3,
        "BHD": 3,
        "CLF": 4,
    }
    assert minor_unit("XAU") is None  # gold has no minor unit
    assert minor_unit("ZZZ") is None


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("9.99", "USD", 999),
        ("9.990", "USD", 999),  # trailing zeros are not precision
        ("10", "USD", 1000),
        ("1E+2", "USD", 10000),
        ("-0.01", "USD", -1),
        ("0.000", "USD", 0),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0.0001", "CLF", 1),
    ],
)
def test_to_minor_is_exact(amount: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1000, "USD", "10.00"),
        (999, "USD", "9.99"),
        (5, "JPY", "5"),
        (-1, "KWD", "-0.001"),
        (0, "USD", "0.00"),
        (0, "JPY", "0"),
    ],
)
def test_from_minor_writes_the_currency_decimals(minor: int, currency: str, text: str) -> None:
    assert str(from_minor(minor, currency)) == text


@pytest.mark.parametrize(
    ("amount", "currency", "reason", "path"),
    [
        ("9.999", "USD", "more decimals than USD's minor unit (2)", "$.amount"),
        ("1.5", "JPY", "more decimals than JPY's minor unit (0)", "$.amount"),
        ("0.0005", "KWD", "more decimals than KWD's minor unit (3)", "$.amount"),
        ("1", "XAU", "has no ISO 4217 minor unit", "$.currency"),
        ("1E+20", "USD", "beyond the 9007199254740991 minor units", "$.amount"),
        ("90071992547409.92", "USD", "beyond the", "$.amount"),
    ],
)
def test_to_minor_refuses_instead_of_rounding(
    amount: str, currency: str, reason: str, path: str
) -> None:
    with pytest.raises(ConversionError) as caught:
        to_minor(Decimal(amount), currency)
    assert reason in caught.value.reason
    assert caught.value.path == path
    assert str(caught.value).endswith(f" - at `{path}`")


def test_to_minor_is_not_rounded_by_the_decimal_context() -> None:
    # 40 significant digits: a default-precision (28) multiplication would round this one
    amount = Decimal("1234567890123.0000000000000000000000000001")
    with pytest.raises(ConversionError):
        to_minor(amount, "USD")
    assert to_minor(Decimal("1234567890123.0000000000000000000000000000"), "USD") == 123456789012300


@given(st.integers(-v2.MAX_MINOR, v2.MAX_MINOR), st.sampled_from(KNOWN))
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor


@given(st.decimals(allow_nan=False, allow_infinity=False), st.sampled_from(KNOWN))
def test_an_amount_converts_exactly_or_not_at_all(amount: Decimal, currency: str) -> None:
    try:
        minor = to_minor(amount, currency)
    except ConversionError as exc:
        assert exc.path in ("$.amount",)
        return
    assert from_minor(minor, currency) == amount


# -- v2 documents ---------------------------------------------------------------------------------
def test_a_v1_money_object_is_refused_by_the_v2_decoder() -> None:
    body = _example("credit_memo")
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `amount` - at `\$\.total`"):
        contracts.convert("v2", "credit_memo", body)


def test_a_v2_money_needs_a_currency_with_a_minor_unit() -> None:
    line = {
        "line_number": 1,
        "item": {"sku": "A"},
        "quantity": {"value": "1", "uom": "EA"},
        "unit_price": {"amount_minor": 100, "currency": "XAU"},
    }
    body = {"po_number": "P", "order_date": "2026-11-22", "lines": [line]}
    with pytest.raises(msgspec.ValidationError, match=r"XAU.*at `\$\.lines\[0\]\.unit_price`"):
        contracts.convert("v2", "order", body)


def test_v2_refuses_a_negative_allowance_like_v1() -> None:
    body = {"kind": "allowance", "amount": {"amount_minor": -5, "currency": "USD"}}
    with pytest.raises(msgspec.ValidationError, match="must be >= 0"):
        msgspec.convert(body, v2.AllowanceCharge, strict=True)


@pytest.mark.parametrize("name", sorted(v1.DOCUMENT_TYPES))
def test_every_example_converts_or_names_the_amount(name: str) -> None:
    document = contracts.convert("v1", name, _example(name))
    try:
        upgraded = v1_to_v2(name, document)
    except ConversionError as exc:  # the examples carry 4-decimal unit prices (X12 810 style)
        assert exc.path == "$.lines[1].unit_price.amount"
        assert "3.1250 USD" in exc.reason
        return
    assert isinstance(upgraded, v2.DOCUMENT_TYPES[name])
    assert v2_to_v1(name, upgraded) == document


def test_order_example_in_v2() -> None:
    body = _example("order")
    body["lines"][1]["unit_price"]["amount"] = "3.12"
    upgraded = contracts.translate("order", contracts.convert("v1", "order", body), "v1", "v2")
    encoded = json.loads(msgspec.json.encode(upgraded))
    assert encoded["lines"][1]["unit_price"] == {"amount_minor": 312, "currency": "USD"}
    assert encoded["lines"][0]["item"] == body["lines"][0]["item"]  # the rest is untouched


def test_conversion_error_reads_like_a_validation_error() -> None:
    body = _example("invoice")
    document = contracts.convert("v1", "invoice", body)
    with pytest.raises(msgspec.ValidationError) as caught:
        contracts.translate("invoice", document, "v1", "v2")
    assert str(caught.value).endswith("- at `$.lines[1].unit_price.amount`")


def test_translate_checks_versions_and_types() -> None:
    order = contracts.convert("v1", "order_ack", _example("order_ack"))
    assert contracts.translate("order_ack", order, "v1", "v1") is order
    with pytest.raises(contracts.UnknownDocumentTypeError):
        contracts.translate("order_ack", order, "v1", "v9")
    with pytest.raises(contracts.UnknownDocumentTypeError):
        contracts.translate("purchase", order, "v1", "v2")


def test_transcode_is_bytes_to_bytes() -> None:
    body = _example("order_ack")
    raw = json.dumps(body).encode()
    assert contracts.transcode("order_ack", raw, "v1", "v1") == msgspec.json.encode(
        contracts.convert("v1", "order_ack", body)
    )
    memo = json.dumps(_example("credit_memo")).encode()
    as_v2 = json.loads(contracts.transcode("credit_memo", memo, "v1", "v2"))
    assert as_v2["total"] == {"amount_minor": 25920, "currency": "USD"}
    back = contracts.transcode("credit_memo", json.dumps(as_v2).encode(), "v2", "v1")
    assert contracts.decoder("v1", "credit_memo").decode(back) == contracts.decoder(
        "v1", "credit_memo"
    ).decode(memo)
    with pytest.raises(ConversionError):
        contracts.transcode("invoice", json.dumps(_example("invoice")).encode(), "v1", "v2")


# -- the gate covers v2, and it is why v2 is a version of its own --------------------------------
def test_v2_schemas_are_checked_in() -> None:
    for name in v2.DOCUMENT_TYPES:
        assert (schema.schema_dir("v2") / f"{name}.json").is_file()


@pytest.mark.parametrize("name", ["order", "order_ack", "invoice", "credit_memo"])
def test_money_change_is_breaking_against_v1(name: str) -> None:
    old = json.loads((schema.schema_dir("v1") / f"{name}.json").read_text("utf-8"))
    new = json.loads((schema.schema_dir("v2") / f"{name}.json").read_text("utf-8"))
    kinds = {(change.kind, change.path.rsplit(".", 1)[-1]) for change in breaking_changes(old, new)}
    assert (ChangeKind.REMOVED_FIELD, "amount") in kinds
    assert (ChangeKind.NEW_REQUIRED_FIELD, "amount_minor") in kinds


# -- property tests: documents survive both round trips -------------------------------------------
currencies = st.sampled_from(KNOWN)
text = st.text(string.ascii_letters + string.digits + " -", min_size=1, max_size=12)
minors = st.integers(-v2.MAX_MINOR, v2.MAX_MINOR)
non_negative_minors = st.integers(0, v2.MAX_MINOR)


def v2_money(amounts: st.SearchStrategy[int] = minors) -> st.SearchStrategy[v2.Money]:
    return st.builds(v2.Money, amount_minor=amounts, currency=currencies)


items = st.builds(v1.ItemIds, sku=text)
quantities = st.builds(
    v1.Quantity,
    value=st.decimals(min_value=0, max_value=10**6, places=3),
    uom=st.sampled_from(v1.UnitOfMeasure),
)
parties = st.builds(
    v1.Party,
    role=st.sampled_from(v1.PartyRole),
    name=text,
    address=st.none()
    | st.builds(
        v1.Address,
        lines=st.lists(text, min_size=1, max_size=4).map(tuple),
        city=text,
        country=st.sampled_from(["US", "JP", "KW", "DE"]),
    ),
)
lines_numbers = st.integers(1, 999)

v2_orders = st.builds(
    v2.Order,
    po_number=text,
    order_date=st.dates(),
    lines=st.lists(
        st.builds(
            v2.OrderLine,
            line_number=lines_numbers,
            item=items,
            quantity=quantities,
            unit_price=st.none() | v2_money(),
            notes=st.lists(text, max_size=2).map(tuple),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple),
    currency=st.none() | currencies,
    parties=st.lists(parties, max_size=2).map(tuple),
)
v2_allowances = st.builds(
    v2.AllowanceCharge,
    kind=st.sampled_from(v1.AllowanceChargeKind),
    amount=v2_money(non_negative_minors),
    percent=st.none() | st.decimals(min_value=0, max_value=100, places=2),
)
v2_invoices = st.builds(
    v2.Invoice,
    invoice_number=text,
    invoice_date=st.dates(),
    currency=currencies,
    lines=st.lists(
        st.builds(
            v2.InvoiceLine,
            line_number=lines_numbers,
            item=items,
            quantity=quantities,
            unit_price=v2_money(),
            extended_amount=st.none() | v2_money(),
            tax_amount=st.none() | v2_money(),
            allowances_charges=st.lists(v2_allowances, max_size=2).map(tuple),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple),
    totals=st.builds(v2.InvoiceTotals, total=v2_money(), tax_total=st.none() | v2_money()),
    allowances_charges=st.lists(v2_allowances, max_size=2).map(tuple),
)
v2_credit_memos = st.builds(
    v2.CreditMemo,
    credit_memo_number=text,
    credit_date=st.dates(),
    currency=currencies,
    total=v2_money(non_negative_minors),
    reason=st.sampled_from(v1.CreditReason),
    lines=st.lists(
        st.builds(
            v2.CreditMemoLine,
            line_number=lines_numbers,
            amount=v2_money(),
            unit_price=st.none() | v2_money(),
        ),
        max_size=2,
    ).map(tuple),
)
v2_returns = st.builds(
    v2.ReturnAuthorization,
    rma_number=text,
    issued_date=st.dates(),
    lines=st.lists(
        st.builds(
            v2.ReturnLine,
            line_number=lines_numbers,
            item=items,
            quantity=quantities,
            reason=st.sampled_from(v1.ReturnReason),
            disposition=st.sampled_from(v1.ReturnDisposition),
            unit_credit=st.none() | v2_money(),
        ),
        min_size=1,
        max_size=2,
    ).map(tuple),
)
v2_acks = st.builds(
    v2.OrderAck,
    po_number=text,
    ack_date=st.dates(),
    status=st.sampled_from(v1.AckStatus),
    lines=st.lists(
        st.builds(
            v2.OrderAckLine,
            line_number=lines_numbers,
            status=st.sampled_from(v1.LineAckStatus),
            unit_price=st.none() | v2_money(),
        ),
        max_size=2,
    ).map(tuple),
)
v2_documents = st.one_of(
    v2_orders.map(lambda d: ("order", d)),
    v2_invoices.map(lambda d: ("invoice", d)),
    v2_credit_memos.map(lambda d: ("credit_memo", d)),
    v2_returns.map(lambda d: ("return_authorization", d)),
    v2_acks.map(lambda d: ("order_ack", d)),
)
_encode = msgspec.json.Encoder(decimal_format="string").encode


@settings(max_examples=150)
@given(v2_documents)
def test_v2_to_v1_to_v2_is_the_identity(case: tuple[str, msgspec.Struct]) -> None:
    name, document = case
    down = v2_to_v1(name, document)
    assert type(down) is v1.DOCUMENT_TYPES[name]
    back = v1_to_v2(name, down)
    assert back == document
    assert _encode(back) == _encode(document)


def _pad(document: msgspec.Struct, zeros: int) -> msgspec.Struct:
    """The same v1 document with every amount written with ``zeros`` extra trailing zeros."""
    data = msgspec.to_builtins(document)

    def pad(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"amount", "currency"} and "." in node["amount"]:
                return {**node, "amount": node["amount"] + "0" * zeros}
            return {key: pad(value) for key, value in node.items()}
        if isinstance(node, list):
            return [pad(value) for value in node]
        return node

    return msgspec.convert(pad(data), type(document), strict=True)


@settings(max_examples=150)
@given(v2_documents, st.integers(0, 3))
def test_v1_to_v2_to_v1_is_the_identity(case: tuple[str, msgspec.Struct], zeros: int) -> None:
    """Every v1 document whose amounts fit their currency (here: any v2 document said in v1,
    written with extra trailing zeros) comes back equal."""
    name, v2_document = case
    document = _pad(v2_to_v1(name, v2_document), zeros)
    back = v2_to_v1(name, v1_to_v2(name, document))
    assert back == document
    assert _encode(back) == _encode(v2_to_v1(name, v2_document))  # text normalised, value kept


@given(v2_orders, st.integers(0, 2), st.integers(1, 9))
def test_one_cent_too_precise_is_refused_with_its_path(
    order: v2.Order, index: int, digit: int
) -> None:
    document = msgspec.to_builtins(v2_to_v1("order", order))
    priced = [i for i, line in enumerate(document["lines"]) if "unit_price" in line]
    if not priced:
        return
    target = priced[index % len(priced)]
    price = document["lines"][target]["unit_price"]
    exponent = MINOR_UNITS[price["currency"]]
    price["amount"] = f"{Decimal(price['amount']):.{exponent}f}" + ("." if exponent == 0 else "")
    price["amount"] += "0" * 3 + str(digit)
    with pytest.raises(ConversionError) as caught:
        v1_to_v2("order", msgspec.convert(document, v1.Order, strict=True))
    assert caught.value.path == f"$.lines[{target}].unit_price.amount"
