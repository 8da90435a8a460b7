"""The connector's element code lists and the mapping code lists agree.

A mapping list (``mappings/_codelists``) that translates a code the element does not take is
dead weight at best and a typo at worst; one that writes such a code (``-out``) sends partners
a value their translator rejects. Each pairing below names the file, the element and which side
of the file holds the X12 codes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connectors.x12 import element_codes

LISTS = Path(__file__).resolve().parents[4] / "mappings" / "_codelists"
PAIRS = [
    ("x12-return-disposition", "RDR01", "keys"),
    ("x12-return-disposition-out", "RDR01", "values"),
    ("x12-return-reason", "RDR02", "keys"),
    ("x12-return-reason-out", "RDR02", "values"),
    ("carrier-status-x12-at701", "AT701", "keys"),
    ("carrier-status-x12-at702", "AT702", "keys"),
    ("x12-ack-line-status", "ACK01", "keys"),
    ("x12-ack-status", "BAK02", "keys"),
    ("x12-pack-level", "HL03", "keys"),
    ("x12-pack-level-out", "HL03", "values"),
    ("x12-entity", "N101", "keys"),
    ("x12-entity-out", "N101", "values"),
]


@pytest.mark.parametrize(("name", "designator", "side"), PAIRS, ids=[p[0] for p in PAIRS])
def test_every_x12_code_a_mapping_list_reads_or_writes_is_one_the_element_takes(
    name: str, designator: str, side: str
) -> None:
    codes = yaml.safe_load((LISTS / f"{name}.yaml").read_text())["codes"]
    x12_codes = set(codes) if side == "keys" else set(codes.values())
    known = element_codes(designator)
    assert known is not None, designator
    assert x12_codes - set(known.codes) == set(), f"{name}: not {known.name} ({known.element})"


def test_the_x12_units_of_measure_the_uom_list_reads_are_element_355_codes() -> None:
    """uom.yaml mixes X12, UN/ECE and spelled-out units; its two-letter capitals are X12 355."""
    codes = yaml.safe_load((LISTS / "uom.yaml").read_text())["codes"]
    x12 = {c for c in codes if len(c) == 2 and c.isupper()}
    known = element_codes("PO103")
    assert known is not None and known.element == 355
    assert x12 - set(known.codes) == set()
    assert element_codes("SN103") is known and element_codes("ACK03") is known


def test_a_mistyped_code_is_caught() -> None:
    known = element_codes("RDR01")
    assert known is not None and "RA" in known.codes and "R A" not in known.codes
