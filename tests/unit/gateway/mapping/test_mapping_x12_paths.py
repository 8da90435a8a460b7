"""``mappings check`` on ``source: x12``: paths against the transaction set's structure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from connectors.x12 import ELEMENT_COUNTS, STRUCTURES
from gateway.mapping import Finding, lint_dir, lint_file, load_mapping
from gateway.mapping._x12_paths import _BadPathError, _Pos, _resolve, structure, x12_set

Write = Callable[[str, str], Path]
MAPPINGS = Path(__file__).resolve().parents[4] / "mappings"

ORDER = """
source: x12
target: v1/order
fields:
  po_number: "BEG.BEG03"
  order_date: "x12date(BEG.BEG05)"
  currency: "CUR.CUR02 || 'USD'"
  notes: "qual(REF, 'REF01', 'ZZ').REF02"
  parties:
    each: "N1_loop"
    fields:
      role: {const: buyer}
      name: "N1.N102"
      address:
        fields:
          lines: "compact(N3[].[N301, N302][])"
          city: "N4[0].N401"
          country: "N4[0].N404"
  lines:
    each: "PO1_loop"
    fields:
      line_number: "pos()"
      item:
        sku: "idpair(PO1, 'PO106', 'VN')"
        description: "PID_loop[0].PID.PID05"
      quantity: {value: "dec(PO1.PO102)", uom: {const: EA}}
      partner_line_id: "root().BEG.BEG03"
"""


def _errors(write: Write, text: str) -> list[Finding]:
    return [f for f in lint_file(write("m.yaml", text)) if f.check == "source"]


def test_the_shipped_mappings_have_no_source_errors() -> None:
    findings = [f for f in lint_dir(MAPPINGS) if f.check == "source"]
    assert findings == [], "\n".join(map(str, findings))


def test_a_mapping_that_reads_only_real_paths_is_clean(write: Write) -> None:
    assert _errors(write, ORDER) == []


def test_an_element_past_the_segments_last_is_an_error_with_file_line_and_what_exists(
    write: Write,
) -> None:
    [finding] = _errors(write, ORDER.replace('"BEG.BEG03"', '"BEG.BEG33"'))
    assert (finding.severity, finding.line) == ("error", 4)
    assert finding.expression == "BEG.BEG33"
    assert "source path `BEG.BEG33` cannot exist in an X12 850" in finding.problem
    assert "BEG01..BEG12" in finding.problem
    assert str(finding).startswith(f"{finding.file}:4: error: source path `BEG.BEG33`")


def test_an_element_of_another_segment_is_an_error(write: Write) -> None:
    [finding] = _errors(write, ORDER.replace('"N1.N102"', '"N1.N302"'))
    assert "`N302` is not an element of N1" in finding.problem


def test_a_segment_the_set_does_not_have_there_is_an_error_listing_what_is(write: Write) -> None:
    # W06 is a 945 segment, not an 850's
    [finding] = _errors(write, ORDER.replace('"x12date(BEG.BEG05)"', '"x12date(W06.W0603)"'))
    assert finding.line == 5
    assert "the 850 structure has no segment or loop `W06` at the top of the set" in finding.problem
    assert "BEG" in finding.problem and "PO1_loop" in finding.problem


def test_a_segment_inside_a_loop_is_checked_in_that_loop(write: Write) -> None:
    # PID is in the PID loop of PO1 (PID_loop), not a segment of PO1's level
    [finding] = _errors(write, ORDER.replace("PID_loop[0].PID.PID05", "PID[0].PID05"))
    assert "`PID` in `PO1_loop[]`" in finding.problem
    assert "PID_loop" in finding.problem


def test_a_repeatable_segment_read_as_one_object_is_an_error(write: Write) -> None:
    [finding] = _errors(write, ORDER.replace('"N4[0].N401"', '"N4.N401"'))
    assert "`N1_loop[].N4` is a list" in finding.problem
    assert "N4[0].N401" in finding.problem


def test_root_and_qual_and_idpair_paths_are_checked(write: Write) -> None:
    text = ORDER.replace('"root().BEG.BEG03"', '"root().BEG.BEG99"')
    text = text.replace("qual(REF, 'REF01', 'ZZ').REF02", "qual(REF, 'REF09', 'ZZ').REF02")
    text = text.replace("idpair(PO1, 'PO106', 'VN')", "idpair(PO1, 'PO186', 'VN')")
    found = {f.problem.split(" cannot exist")[0] for f in _errors(write, text)}
    assert found == {
        "source path `root().BEG.BEG99`",
        "source path `REF[].REF09`",
        "source path `PO1.PO186`",
    }


def test_an_unknown_set_falls_back_to_example_warnings(write: Write) -> None:
    text = ORDER.replace("target: v1/order", 'set: "830"\ntarget: v1/order')
    assert _errors(write, text) == []  # no 830 structure and no examples: nothing to say


def test_set_key_selects_the_structure(write: Write) -> None:
    mapping = write(
        "m.yaml",
        """
        source: x12
        set: "943"
        target: v1/warehouse_shipment
        fields:
          warehouse_order_number: "W06.W0602"
          ship_date: "x12date(W06.W0603)"
          lines:
            each: "W04_loop"
            fields:
              line_number: "pos()"
              item: {sku: "W04.W0405"}
              quantity_shipped: {value: "dec(W04.W0401)", uom: {const: EA}}
              lot_number: "W12.W1209"
        """,
    )
    assert x12_set(load_mapping(mapping)) == "943"
    [finding] = [f for f in lint_file(mapping) if f.check == "source"]
    assert "no segment or loop `W12` in `W04_loop[]`" in finding.problem


def test_reverse_mappings_from_canonical_are_not_checked_as_x12(write: Write) -> None:
    mapping = load_mapping(write("m.yaml", ORDER.replace("source: x12", "source: json")))
    assert mapping.source == "json"
    assert _errors(write, ORDER.replace("source: x12", "source: json")) == []


ROOT_SEGMENTS = sorted(
    (set_id, node, ELEMENT_COUNTS[node])
    for set_id, nodes in STRUCTURES.items()
    for node in nodes
    if isinstance(node, str) and node.rstrip("+") == node and node in ELEMENT_COUNTS
)


@given(st.sampled_from(ROOT_SEGMENTS), st.integers(min_value=1, max_value=99))
def test_every_single_root_segment_element_is_known_up_to_its_count(
    case: tuple[str, str, int], position: int
) -> None:
    set_id, sid, count = case
    level = structure(set_id)
    assert level is not None
    root = _Pos("level", level, False, "the set")
    try:
        _resolve(root, (sid, f"{sid}{position:02d}"), set_id)
        ok = True
    except _BadPathError:
        ok = False
    assert ok == (position <= count)


def test_a_mistyped_qualifier_is_a_warning_with_the_closest_codes(write: Write) -> None:
    text = ORDER.replace(
        "currency: \"CUR.CUR02 || 'USD'\"",
        "currency: \"CUR.CUR02 || 'USD'\"\n"
        "  requested_delivery_date: \"x12date(qual(DTM, 'DTM01', '02').DTM02)\"",
    ).replace("idpair(PO1, 'PO106', 'VN')", "idpair(PO1, 'PO106', 'VX')")
    found = _errors(write, text)
    assert [f.severity for f in found] == ["warning", "warning"]
    dtm, pid = sorted(found, key=lambda f: f.line or 0)
    assert "DTM01 qualifier '02' is not a Date/Time Qualifier (374) code" in dtm.problem
    assert "002 (Delivery Requested)" in dtm.problem
    assert dtm.expression == "x12date(qual(DTM, 'DTM01', '02').DTM02)"
    assert "PO106 qualifier 'VX' is not a Product/Service ID Qualifier (235)" in pid.problem
    assert "VN (Vendor's (Seller's) Item Number)" in pid.problem


def test_a_qualifier_without_a_list_and_a_computed_one_are_not_judged(write: Write) -> None:
    text = ORDER.replace(
        "notes: \"qual(REF, 'REF01', 'ZZ').REF02\"",
        "notes: \"qual(REF, 'REF01', join('', ['Z', 'Z'])).REF02"
        " || qual(TD5, 'TD501', 'Z')\"",  # TD501 (133) has no list here
    )
    assert _errors(write, text) == []


def test_an_unknown_entity_code_selecting_an_n1_loop_is_a_warning(write: Write) -> None:
    text = ORDER.replace(
        "notes: \"qual(REF, 'REF01', 'ZZ').REF02\"",
        "notes: \"qual(N1_loop, 'N1.N101', 'XX').N1.N102\"",
    )
    [found] = _errors(write, text)
    assert found.severity == "warning"
    assert "N101 qualifier 'XX' is not a Entity Identifier Code (98) code" in found.problem
