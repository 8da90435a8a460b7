"""bench/ keeps working: a quick run prints every figure as a ratio against its baseline.

No timing is asserted (the machine is shared); only that each benchmark ran, measured both
sides and printed a ratio with its named baseline.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_bench_prints_ratios() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if re.search(r"\|\s*\d+\.\d\d\s*\|", line)]
    names = " ".join(rows)
    assert "inbound accept" in names
    assert "delivery drain" in names
    assert "bare litestar" in names
    assert "plain httpx POST loop" in names
    assert "no errors" in result.stdout
