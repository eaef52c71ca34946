"""The validator measurement (``bench/validator_costs.py``) still runs, so that its figures can be redone.

A smoke run with small sizes: every table has its rows, and the server's own
validator answers every hostile case (within the run's time limit). The
figures themselves are judged by reading them, not here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.validator_costs import HOSTILE, QUICK_OBJECT_STEPS

ROOT = Path(__file__).resolve().parents[2]


def _tables(text: str) -> list[list[list[str]]]:
    """The Markdown tables of the output: the rows of each, as cells, without the header (nor the rule)."""
    tables = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.startswith("| ")]
        if lines:
            tables.append([[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[1:]])
    return tables


def test_a_quick_run_fills_every_table():
    done = subprocess.run(
        [sys.executable, "-m", "bench.validator_costs", "--quick", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    typical, hostile, imports = _tables(done.stdout)
    assert [row[0].split()[0] for row in typical] == ["valid", "invalid"]
    for _, ours, theirs, _ in typical:
        assert re.fullmatch(r"[\d.]+ µs", ours) and re.fullmatch(r"[\d.]+ µs", theirs), (ours, theirs)
    assert len(hostile) == len(HOSTILE)
    for what, ours, theirs in hostile:  # ours answers every case; jsonschema's may run out of time
        assert re.fullmatch(r"[\d.]+ s, problems: \d+, \+\d+ MiB", ours), (what, ours)
        assert theirs, what
    objects = next(row for row in hostile if "objects" in row[0])
    assert all(f"{size:,}: " in objects[2] for size in QUICK_OBJECT_STEPS), objects
    assert [row[0] for row in imports] == ["ours", "jsonschema"]
    for _, peak, took in imports:
        assert re.fullmatch(r"\+[\d.]+ MiB", peak) and re.fullmatch(r"[\d.]+ ms", took), (peak, took)
