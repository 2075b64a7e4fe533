"""driftlint ships py.typed: mypy finds no error in the package, on every CI run."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error_in_driftlint():
    # mypy comes with the [test] extra, pinned: a newer mypy may judge the same code differently.
    # Its cache stays in the checkout (ignored by git), so a second run takes seconds.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "driftlint"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
