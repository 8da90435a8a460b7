"""Document trees: designator keys, loops as lists, the 856 HL hierarchy in either order."""

from __future__ import annotations

from typing import Any

import pytest
from _x12_build import interchange, po_850

from connectors.x12 import as_decoded, decode


def test_850_tree_has_heading_n1_loop_and_po1_loop() -> None:
    (xset,) = decode(interchange([po_850(2)]).encode())
    tree = xset.tree
    assert tree["BEG"] == {"BEG01": "00", "BEG02": "SA", "BEG03": "PO123", "BEG05": "20240101"}
    assert tree["REF"] == [{"REF01": "DP", "REF02": "038"}]
    (n1,) = tree["N1_loop"]
    assert n1["N1"]["N101"] == "ST"
    assert n1["N4"] == [{"N401": "CITY", "N402": "OH", "N403": "44139"}]
    assert [line["PO1"]["PO107"] for line in tree["PO1_loop"]] == ["SKU00001", "SKU00002"]
    assert tree["PO1_loop"][1]["PID_loop"][0]["PID"]["PID05"] == "WIDGET 2"
    assert tree["CTT"] == {"CTT01": "2"}
    decoded = as_decoded(xset)
    assert decoded.document_type == "order"  # the canonical type (connectors/x12/_doctypes.py)
    assert decoded.business_keys["st02"] == "0001"


def _hl(ids: list[tuple[str, str, str]]) -> list[list[str]]:
    body: list[list[str]] = [["BSN", "00", "SHIP1", "20240101", "1200"]]
    for own, parent, level in ids:
        body.append(["HL", own, parent, level])
        if level == "I":
            body += [["LIN", "", "UP", f"0000{own}"], ["SN1", "", "1", "EA"]]
        elif level == "P":
            body.append(["MAN", "GM", f"SSCC{own}"])
        elif level == "O":
            body.append(["PRF", f"PO{own}"])
    body.append(["CTT", str(len(ids))])
    return body


def _shape(node: dict[str, object]) -> list[object]:
    out: list[object] = []
    for child in node.get("HL_loop", []):  # type: ignore[attr-defined]
        out.append((child["HL"]["HL03"], _shape(child)))
    return out


def test_856_sopi_nests_by_parent_id() -> None:
    order = [("1", "", "S"), ("2", "1", "O"), ("3", "2", "P"), ("4", "3", "I"), ("5", "2", "P")]
    order.append(("6", "5", "I"))
    (xset,) = decode(interchange([_hl(order)], set_id="856").encode())
    assert xset.accepted, xset.issues
    assert _shape(xset.tree) == [("S", [("O", [("P", [("I", [])]), ("P", [("I", [])])])])]
    pack = xset.tree["HL_loop"][0]["HL_loop"][0]["HL_loop"][0]
    assert pack["MAN"] == [{"MAN01": "GM", "MAN02": "SSCC3"}]


def test_856_soip_nests_by_parent_id() -> None:
    order = [("1", "", "S"), ("2", "1", "O"), ("3", "2", "I"), ("4", "3", "P"), ("5", "2", "I")]
    (xset,) = decode(interchange([_hl(order)], set_id="856").encode())
    assert _shape(xset.tree) == [("S", [("O", [("I", [("P", [])]), ("I", [])])])]
    item = xset.tree["HL_loop"][0]["HL_loop"][0]["HL_loop"][0]
    assert item["LIN"]["LIN03"] == "00003"
    assert item["SN1"] == {"SN102": "1", "SN103": "EA"}


def test_856_unknown_parent_is_an_error_and_the_loop_is_kept() -> None:
    order = [("1", "", "S"), ("2", "9", "O")]
    (xset,) = decode(interchange([_hl(order)], set_id="856").encode())
    assert [i.code for i in xset.issues] == ["hl_parent_missing"]
    assert len(xset.tree["HL_loop"]) == 2


def test_856_composite_hl_id_is_an_error_not_a_crash() -> None:
    # found by the fuzz test: a component separator inside HL01 makes it a list, not an id
    order = [("1", "", "S"), ("2>X", "1", "O"), ("3", "2", "I")]
    (xset,) = decode(interchange([_hl(order)], set_id="856").encode())
    codes = [(i.code, i.segment_no) for i in xset.issues]
    assert ("hl_composite_id", 6) in codes  # segment numbers count from the ISA
    assert ("hl_parent_missing", 8) in codes  # HL 3 names "2", which never became an id
    assert len(xset.tree["HL_loop"]) == 3


def test_unknown_set_gets_a_flat_tree_of_lists() -> None:
    body = [["ZZ1", "A", "B>C"], ["ZZ1", "D"]]
    (xset,) = decode(interchange([body], set_id="123").encode())
    assert xset.tree["ZZ1"] == [{"ZZ101": "A", "ZZ102": ["B", "C"]}, {"ZZ101": "D"}]


def test_unexpected_segment_is_kept_with_a_warning() -> None:
    body = [*po_850(1)[:2], ["ZZZ", "X"], *po_850(1)[2:]]
    (xset,) = decode(interchange([body]).encode())
    assert xset.tree["_other"] == [{"ZZZ": {"ZZZ01": "X"}}]
    assert [(i.code, i.set_position) for i in xset.issues] == [("unexpected_segment", 4)]
    assert xset.accepted


def _sample_tree(name: str, index: int = 0) -> dict[str, object]:
    from _x12_build import samples_dir

    path = samples_dir() / name
    if not path.is_file():
        pytest.skip(f"sample {name} not found")
    tree: dict[str, object] = decode(path.read_bytes())[index].tree
    return tree


def test_sample_trees_follow_their_structures() -> None:
    t855: Any = _sample_tree("855/nodex12_855.edi")
    assert [len(line["ACK"]) for line in t855["PO1_loop"]] == [1, 1, 1, 1]
    t810: Any = _sample_tree("810/staedi_simple810.edi")
    assert len(t810["IT1_loop"]) == 7
    assert t810["IT1_loop"][0]["PID_loop"][0]["PID"]["PID05"] == "CRUNCHY CHIPS LSS"
    t940: Any = _sample_tree("940/edieng_940_ok.edi")
    assert [lx["W01_loop"][0]["W01"]["W0105"] for lx in t940["LX_loop"]] == [
        "000100",
        "000200",
        "000300",
    ]
    t997: Any = _sample_tree("997/staedi_simple997.edi")
    assert t997["AK2_loop"][0]["AK3_loop"][0]["AK4"] == [
        {"AK401": "8", "AK402": "66", "AK403": "7", "AK404": "MI"}
    ]
    t999: Any = _sample_tree("999/staedi_simple999.edi")
    assert [loop["IK5"]["IK501"] for loop in t999["AK2_loop"]] == ["A", "R", "R"]
    assert t999["AK2_loop"][2]["IK3_loop"][0]["CTX"][1] == {"CTX01": ["CLM01", "987654321"]}
    t214: Any = _sample_tree("214/edinet_214.edi")
    assert t214["LX_loop"][0]["AT7_loop"][0]["AT7"]["AT701"] == "D1"
    t856: Any = _sample_tree("856/edieng_856_crossdock.edi")
    assert _shape(t856)[0][0] == "S"
    assert [o[0] for o in _shape(t856)[0][1]] == ["O", "O"]


def test_a_segment_back_at_an_earlier_place_is_out_of_order_and_kept() -> None:
    # CUR belongs before the 850's N1 loop; after it, the set is read on and the CUR is kept
    body = [*po_850(1)[:5], ["CUR", "BY", "USD"], *po_850(1)[5:]]
    (xset,) = decode(interchange([body]).encode())
    [issue] = xset.issues
    assert (issue.severity, issue.code, issue.segment_id, issue.set_position) == (
        "warning",
        "segment_out_of_order",
        "CUR",
        7,
    )
    assert "CUR comes after the N1 loop in the 850 set" in issue.message
    assert xset.tree["CUR"] == {"CUR01": "BY", "CUR02": "USD"}
    assert xset.accepted


def test_a_segment_listed_twice_is_in_order_at_either_place() -> None:
    # the 940 header lists NTE both before the N1 loop and after G62
    body = [["W05", "N", "ORDER1"], ["NTE", "GEN", "FIRST"], ["N1", "ST", "STORE"]]
    body += [["G62", "10", "20240101"], ["NTE", "GEN", "SECOND"], ["LX", "1"]]
    body += [["W01", "1", "EA", "", "VN", "SKU1"], ["W76", "1"]]
    (xset,) = decode(interchange([body], set_id="940").encode())
    assert [i.code for i in xset.issues] == []
    assert [n["NTE02"] for n in xset.tree["NTE"]] == ["FIRST", "SECOND"]


@pytest.mark.parametrize(
    ("set_id", "body", "missing", "position"),
    [
        ("850", [["REF", "DP", "038"], ["PO1", "1", "1", "EA"]], ["BEG"], 2),
        ("850", po_850(1)[:5], ["PO1"], 7),
        ("856", [["BSN", "00", "S1", "20240101", "1200"], ["CTT", "0"]], ["HL"], 3),
        ("810", [["BIG", "20240101", "INV1"], ["IT1", "1", "1", "EA", "2"]], ["TDS"], 4),
        (
            "997",
            [["AK1", "PO", "1"], ["AK2", "850", "0001"], ["AK9", "A", "1", "1", "1"]],
            ["AK5"],
            4,
        ),
    ],
)
def test_a_mandatory_segment_missing_rejects_the_set_at_the_place_it_should_have_been(
    set_id: str, body: list[list[str]], missing: list[str], position: int
) -> None:
    (xset,) = decode(interchange([body], set_id=set_id).encode())
    found = [i for i in xset.issues if i.code == "mandatory_segment_missing"]
    assert [(i.segment_id, i.set_position, i.severity) for i in found] == [
        (sid, position, "error") for sid in missing
    ]
    assert not xset.accepted
