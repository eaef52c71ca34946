"""A smoke run of the benchmark, so that it cannot rot. Budgets are not judged here.

Timing on shared machines is noise; the budgets are held by ``make bench``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_every_figure_once(tmp_path):
    output = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 only means a budget was missed
    table = output.read_text(encoding="utf-8")
    assert table == done.stdout
    for figure in (
        "1. spawn to initialize",
        "2. peak RSS",
        "3a. tools/list result size",
        "3b. tools/list round",
        "4a. list_invoices",
        "4b. get_invoice",
        "5a. 50 concurrent",
        "5b. refresh requests",
        "5c. bound",
    ):
        rows = [line for line in table.splitlines() if line.startswith(f"| {figure}")]
        assert len(rows) == 1, figure
        assert "PASS" in rows[0] or "MISS" in rows[0] or figure == "5c. bound"
    assert "| 3a. tools/list result size (15 tools" in table
    assert "| 5b. refresh requests for 50 concurrent calls after expiry | 1.0 requests" in table
    assert table.rstrip().splitlines()[-1].startswith("Summary: ")
