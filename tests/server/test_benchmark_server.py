"""The server benchmark keeps working: it runs end to end on a tiny repository and writes every figure.

It asserts what was measured, never how fast: `python benchmarks/server.py` reports the speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..conftest import REPO


def test_server_benchmark_measures_each_edit_against_alembic_heads(tmp_path: Path):
    out = tmp_path / "server.json"
    command = [sys.executable, str(REPO / "benchmarks" / "server.py"), "--revisions", "30", "--modules", "7",
               "--rounds", "1", "--work-dir", str(tmp_path / "work"), "--out", str(out)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    summary = json.loads(out.read_text())
    assert summary["revisions"] == 30 and summary["debounce_ms"] == 100
    assert set(summary["figures"]) == {"alembic_heads", "sql_change", "comment", "second_head"}
    for figure in summary["figures"].values():
        assert len(figure["runs_s"]) == 1 and figure["median_s"] > 0
    assert summary["sql_change_vs_heads"] > 0 and summary["target"] == 0.5
    assert "didChange (SQL) to publishDiagnostics" in finished.stdout
