"""`driftlint check --stdin-filename PATH -`: for editors without LSP, the buffer on stdin stands in for PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_server import BRANCHED, INVOICES, LINEAR


def check_stdin(root: Path, data: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftlint", "check", "--no-cache", "--output-format", "concise", *args],
        cwd=root,
        input=data,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_buffer_replaces_the_file_on_disk(project):
    root = project(BRANCHED)
    fixed = INVOICES.replace('down_revision = "a0"', 'down_revision = "x1"')
    clean = check_stdin(root, fixed, "--stdin-filename", "migrations/versions/y1.py", "-")
    assert (clean.returncode, clean.stdout) == (0, ""), clean.stderr
    on_disk = check_stdin(root, INVOICES, "--stdin-filename", "migrations/versions/y1.py", "-")
    assert on_disk.returncode == 1
    assert [line.split(" ")[1] for line in on_disk.stdout.splitlines()] == ["DL101", "DL201"]
    assert all(line.startswith("migrations/versions/y1.py:") for line in on_disk.stdout.splitlines())


def test_a_file_not_saved_yet_is_checked_with_the_project_and_reported_alone(project):
    root = project(BRANCHED)
    new = "migrations/versions/z1.py"
    result = check_stdin(root, 'revision = "z1"\ndown_revision = "x1"\n', "--stdin-filename", new)
    assert result.returncode == 1, result.stderr
    # Two heads, y1 and z1, the finding naming the buffer's file; y1's DL201 is not about it.
    assert [line.split(" ")[1] for line in result.stdout.splitlines()] == ["DL101"]
    assert "z1" in result.stdout
    assert not (root / new).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-"], "`-` reads the file to check from stdin: name the file it stands for with --stdin-filename PATH"),
        (["--stdin-filename", "a.py", "migrations"], "--stdin-filename checks the contents on stdin: give `-` (or nothing) as PATHS"),
        (["--stdin-filename", "a.py", "--fix", "-"], "it cannot be combined with --base, --write-baseline, --fix, --diff or --add-ignore"),
    ],
)
def test_stdin_used_wrongly_is_a_usage_error_in_one_line(project, args, message):
    result = check_stdin(project(LINEAR), "", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
