"""Trees for 180, 947, 846, 812, 943 and 944: loops where the implementation guides put them.

The documents in tests/data/x12 are ours, written from the public 4010 guides (the shared
samples have no 180, 947 or 846); the 812, 943 and 944 shared samples are read in place.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.x12 import X12Set, decode

DATA = Path(__file__).resolve().parents[3] / "data" / "x12"
SAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "samples" / "x12"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no shared samples at {SAMPLES}")


def _one(path: Path) -> X12Set:
    (xset,) = decode(path.read_bytes())
    return xset


def _clean(xset: X12Set) -> None:
    assert xset.accepted, [i.message for i in (*xset.issues, *xset.envelope_issues)]
    assert "_other" not in xset.tree
    assert not [i for i in xset.issues if i.severity == "warning"]


def test_180_lines_are_bli_loops_with_their_own_rdr_and_n9() -> None:
    xset = _one(DATA / "rma_180.edi")
    _clean(xset)
    tree = xset.tree
    assert tree["BGN"]["BGN02"] == "RMA-77120"
    assert tree["RDR"] == {"RDR01": "RA", "RDR02": "DA"}  # the header's disposition and reason
    assert [n["N1"]["N101"] for n in tree["N1_loop"]] == ["BY", "SE"]
    lines = tree["BLI_loop"]
    assert [line["BLI"]["BLI02"] for line in lines] == [
        "SKU-1001",
        "SKU-2002",
        "SKU-3003",
        "SKU-4004",
    ]
    assert lines[0]["RDR"]["RDR04"] == "Crushed cartons"
    assert [n["N902"] for n in lines[1]["N9"]] == ["SN-0001", "SN-0002"]
    assert "RDR" not in lines[2]


def test_947_adjustments_are_w19_loops() -> None:
    xset = _one(DATA / "adjustment_947.edi")
    _clean(xset)
    loops = xset.tree["W19_loop"]
    assert [w["W19"]["W1901"] for w in loops] == ["AA", "AU", "55"]
    assert loops[0]["N9"] == [{"N901": "LU", "N902": "A-01-03"}]
    assert xset.tree["N1_loop"][0]["N4"][0]["N401"] == "Columbus"


def test_846_quantities_are_qty_loops_inside_each_lin_loop() -> None:
    xset = _one(DATA / "inventory_846.edi")
    _clean(xset)
    lines = xset.tree["LIN_loop"]
    assert [[q["QTY"]["QTY01"] for q in line["QTY_loop"]] for line in lines] == [
        ["17", "33"],
        ["33"],
        ["17"],
    ]
    assert lines[2]["REF"] == [{"REF01": "LT", "REF02": "LOT-B"}]
    assert xset.tree["CTT"] == {"CTT01": "3"}


@needs_samples
def test_812_sample_nests_n11_and_its_n1_loop_in_the_cdd_loop() -> None:
    xset = _one(SAMPLES / "812" / "machete_812_cs_1.edi")
    assert "_other" not in xset.tree
    assert not [i for i in xset.issues if i.code == "unexpected_segment"]
    header_n1 = xset.tree["N1_loop"][0]
    assert len(header_n1["AMT"]) == 7 and header_n1["N9"][0]["N901"] == "01"
    (cdd,) = xset.tree["CDD_loop"]
    assert cdd["LIN"]["LIN02"] == "A1"
    (n11,) = cdd["N11_loop"]
    assert n11["PCT"] == [{"PCT01": "1", "PCT02": "138"}]
    assert n11["N1_loop"][0]["PCT"] == [{"PCT01": "1", "PCT02": "22"}]
    # the interchange's IEA02 does not match ISA13: the set itself is fine, its envelope is not
    assert [i.code for i in xset.envelope_issues] == ["iea02"]


@needs_samples
@pytest.mark.parametrize(
    ("name", "loop"), [("943/stupidedi_943.edi", "W04_loop"), ("944/stupidedi_944.edi", "W07_loop")]
)
def test_943_and_944_samples_have_their_detail_loops(name: str, loop: str) -> None:
    xset = _one(SAMPLES / name)
    _clean(xset)
    (detail,) = xset.tree[loop]
    assert detail["N9"][0]["N902"] in {"REF456", "REF789"}


def _interchange(body: list[str]) -> bytes:
    segs = ["ST*947*0001", *body]
    segs.append(f"SE*{len(segs) + 1}*0001")
    isa = (
        "ISA*00*          *00*          *ZZ*WAREHOUSE      *ZZ*CROSSDOCK      *261106*0930*U*"
        "00401*000000001*0*P*>"
    )
    lines = [isa, "GS*AW*WAREHOUSE*CROSSDOCK*20261106*0930*1*X*004010", *segs, "GE*1*1"]
    return ("~".join([*lines, "IEA*1*000000001"]) + "~").encode()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["AA", "AU", "55", "07"]),
            st.integers(min_value=-999, max_value=999),
            # in the W19 loop's order: G69 before N9
            st.lists(st.sampled_from(["G69*Widget", "N9*LT*LOT-1", "N9*LU*A-1"]), max_size=3).map(
                sorted
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_947_any_number_of_w19_loops_keeps_each_loops_segments_in_it(
    lines: list[tuple[str, int, list[str]]],
) -> None:
    body = ["W15*20261105*ADJ-1", "N1*WH*DC*91*DCE"]
    for code, qty, extra in lines:
        body += [f"W19*{code}*{qty}*EA**VN*SKU-1", *extra]
    (xset,) = decode(_interchange(body))
    _clean(xset)
    loops = xset.tree["W19_loop"]
    assert [(w["W19"]["W1901"], w["W19"]["W1902"]) for w in loops] == [
        (code, str(qty)) for code, qty, _ in lines
    ]
    for loop, (_, _, extra) in zip(loops, lines, strict=True):
        assert len(loop.get("N9", [])) == sum(e.startswith("N9") for e in extra)
        assert len(loop.get("G69", [])) == sum(e.startswith("G69") for e in extra)


@needs_samples
def test_945_lines_are_lx_loops_with_w12_details_and_their_lot_references() -> None:
    """The sample is rejected (SE01 and the N1 syntax note), but its tree is whole."""
    xset = _one(SAMPLES / "945" / "x12types_945_rs_1.edi")
    tree = xset.tree
    assert "_other" not in tree
    assert tree["W06"]["W0602"] == "IF102"  # the depositor order number
    assert [n["N1"]["N101"] for n in tree["N1_loop"]] == ["ST", "SF"]
    assert tree["N1_loop"][0]["N4"][0]["N403"] == "66216-4563"
    assert tree["W27"]["W2701"] == "M"  # carrier detail stays at the header
    (lx,) = tree["LX_loop"]
    assert lx["LX"] == {"LX01": "10"}
    (w12,) = lx["W12_loop"]
    assert (w12["W12"]["W1202"], w12["W12"]["W1205"], w12["W12"]["W1209"]) == (
        "3000",
        "EA",
        "LOT12314",
    )
    assert w12["G69"] == [{"G6901": "WIDGETS 100 PER BOX"}]
    assert w12["N9"] == [{"N901": "LV", "N902": "LPN6569"}]  # the LPN belongs to the line
    assert tree["W03"] == {"W0301": "3000", "W0302": "15000", "W0303": "LB"}  # after the loops
