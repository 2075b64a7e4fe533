"""The benchmark command keeps working: it runs end to end on a tiny repository and writes its summary.

It asserts what was measured, never how fast: speed is reported by `python benchmarks/run.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_runs_and_writes_every_figure(tmp_path: Path):
    out = tmp_path / "summary.json"
    command = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--sizes", "30", "--repeat", "1",
               "--work-dir", str(tmp_path / "work"), "--out", str(out)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    summary = json.loads(out.read_text())
    figures = summary["sizes"]["30"]
    assert (figures.pop("revisions"), figures.pop("task_modules")) == (30, 7)
    assert set(figures) == {
        "alembic_heads", "alembic_heads_first", "python_startup", "parse_floor_one", "parse_floor", "check_cold", "check_warm", "check_touched", "check_changed",
        "check_clone",
    }
    for figure in figures.values():
        assert figure["median_s"] > 0 and figure["peak_rss_mb"] > 0
    assert [row["figure"] for row in summary["targets"]][:4] == [
        "cold check / alembic heads",
        "warm check / alembic heads",
        "one file edited (a comment) / alembic heads",
        "one file edited (its SQL) / alembic heads",
    ]
    assert "alembic heads 1st" in finished.stdout and "check one changed" in finished.stdout
    assert "check new clone" in finished.stdout
