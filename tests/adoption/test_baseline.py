"""Baselines: record today's findings, report only new ones, list the recorded ones that are gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from driftlint.baseline import MAX_BASELINE_BYTES, Baseline, BaselineEntry, apply_baseline, entries_for
from driftlint.diagnostics import Diagnostic, Location

from ..conftest import write_tree
from .helpers import invoke, project, revision

TWO_HEADS = project({
    "a1_base.py": revision("a1", None),
    "b1_email.py": revision("b1", "a1"),
    "c1_index.py": revision("c1", "a1"),
})


def test_write_baseline_records_findings_in_a_versioned_file_and_exits_0(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)

    result = invoke(root, "check", "--no-cache", "--write-baseline", "driftlint-baseline.json")

    assert result.exit_code == 0
    assert "recorded 1 finding in driftlint-baseline.json" in result.stderr
    data = json.loads((root / "driftlint-baseline.json").read_text())
    assert data["tool"] == "driftlint" and data["version"] == 1
    [entry] = data["findings"]
    assert entry["code"] == "DL101"
    assert entry["path"] == "migrations/versions/c1_index.py"
    assert set(entry) == {"fingerprint", "code", "path", "message"}


def test_baseline_hides_recorded_findings(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")

    result = invoke(root, "check", "--no-cache", "--baseline", "baseline.json", "--output-format", "concise")

    assert result.exit_code == 0
    assert result.stdout == ""


def test_baseline_survives_line_shifts(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")
    anchor = root / "migrations/versions/c1_index.py"
    anchor.write_text("# a comment\n# and another\n\n" + anchor.read_text())

    result = invoke(root, "check", "--no-cache", "--baseline", "baseline.json", "--output-format", "concise")

    assert result.exit_code == 0, result.output
    assert "no longer occur" not in result.stderr


def test_baseline_reports_new_findings_and_lists_entries_that_no_longer_occur(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")
    write_tree(root, project({"d1_third.py": revision("d1", "a1")}))

    result = invoke(root, "check", "--no-cache", "--baseline", "baseline.json", "--output-format", "concise")

    assert result.exit_code == 1
    assert "DL101 3 heads (b1, c1, d1)" in result.stdout
    assert "driftlint: 1 baseline entry no longer occurs" in result.stderr
    assert "  migrations/versions/c1_index.py: DL101 2 heads (b1, c1)" in result.stderr


def test_baseline_lists_fixed_findings_so_the_file_can_shrink(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")
    write_tree(root, project({"m1_merge.py": revision("m1", ("b1", "c1"))}))

    result = invoke(root, "check", "--no-cache", "--baseline", "baseline.json", "--output-format", "concise")

    assert result.exit_code == 0
    assert "1 baseline entry no longer occurs (rewrite baseline.json with --write-baseline" in result.stderr


def test_baseline_from_settings_is_read_relative_to_the_settings_file(tmp_path):
    root = write_tree(tmp_path, {**TWO_HEADS, "driftlint.toml": 'baseline = "ci/baseline.json"\n'})
    invoke(root, "check", "--no-cache", "--write-baseline", "ci/baseline.json")

    result = invoke(root / "migrations", "check", "--no-cache", "..", "--output-format", "concise")

    assert result.exit_code == 0, result.output


def test_baseline_matches_when_run_from_another_directory(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")

    result = invoke(root / "migrations", "check", "--no-cache", "..", "--baseline", "../baseline.json")

    assert result.exit_code == 0, result.output


def test_entries_of_rules_that_did_not_run_are_not_reported_gone(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")

    result = invoke(root, "check", "--no-cache", "--select", "DL102", "--baseline", "baseline.json")

    assert result.exit_code == 0
    assert "no longer occur" not in result.stderr


def test_each_entry_absorbs_one_finding(tmp_path):
    def finding(row: int) -> Diagnostic:
        return Diagnostic("DL999", "x", "same message", "a.py", Location(row, 1))

    entries = entries_for([finding(1)], tmp_path, Path("baseline.json"))
    baseline = Baseline(Path("baseline.json"), tuple(entries))

    outcome = apply_baseline([finding(3), finding(7)], baseline, tmp_path)

    assert outcome.known == 1
    assert [d.location.row for d in outcome.new] == [7]
    assert outcome.gone == []


def test_gone_entries_outside_the_checked_paths_are_not_reported(tmp_path):
    entry = BaselineEntry("f" * 20, "DL101", "other/versions/x.py", "2 heads")
    baseline = Baseline(Path("baseline.json"), (entry,))

    outside = apply_baseline([], baseline, tmp_path, scope=[tmp_path / "service"])
    inside = apply_baseline([], baseline, tmp_path, scope=[tmp_path / "other"])

    assert outside.gone == [] and inside.gone == [entry]


def test_a_baseline_of_another_format_version_exits_2(tmp_path):
    root = write_tree(tmp_path, {**TWO_HEADS, "baseline.json": '{"tool": "driftlint", "version": 99, "findings": []}'})

    result = invoke(root, "check", "--no-cache", "--baseline", "baseline.json")

    assert result.exit_code == 2
    assert result.stderr == (
        "driftlint: error: baseline.json: baseline format version 99 is not supported (this driftlint reads version 1)\n"
    )


def test_a_missing_baseline_exits_2_and_says_how_to_create_it(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)

    result = invoke(root, "check", "--no-cache", "--baseline", "nope.json")

    assert result.exit_code == 2
    assert "--write-baseline" in result.stderr and len(result.stderr.splitlines()) == 1


def test_fix_leaves_findings_the_baseline_records_alone(tmp_path):
    root = write_tree(tmp_path, TWO_HEADS)
    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")
    before = sorted(p.name for p in (root / "migrations/versions").iterdir())

    result = invoke(root, "check", "--no-cache", "--fix", "--baseline", "baseline.json")

    assert result.exit_code == 0
    assert sorted(p.name for p in (root / "migrations/versions").iterdir()) == before


def test_baseline_from_settings_applies_to_cached_runs_too(tmp_path):
    root = write_tree(tmp_path, {**TWO_HEADS, "driftlint.toml": 'baseline = "ci/baseline.json"\n'})
    invoke(root, "check", "--write-baseline", "ci/baseline.json")
    first = invoke(root, "check")
    second = invoke(root, "check")
    write_tree(root, project({"d1_third.py": revision("d1", "a1")}))

    changed = invoke(root, "check", "--output-format", "concise")

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert changed.exit_code == 1
    assert "rewrite ci/baseline.json with --write-baseline" in changed.stderr


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda path: os.mkfifo(path), "a FIFO, not a regular file"),
        (lambda path: path.symlink_to("/dev/zero"), "a device or socket, not a regular file"),
        (lambda path: path.mkdir(), "a folder, not a regular file"),
        (lambda path: os.truncate(path.write_bytes(b"") or path, MAX_BASELINE_BYTES + 1), "larger than 64 MiB"),
    ],
    ids=["fifo", "dev-zero", "folder", "too-large"],
)
def test_baseline_that_is_not_a_regular_file_of_bounded_size_is_refused(make, says, tmp_path):
    """A FIFO as --baseline waited forever for a writer; /dev/zero read until memory ran out."""
    root = write_tree(tmp_path, TWO_HEADS)
    make(root / "baseline.json")
    completed = subprocess.run(
        [sys.executable, "-m", "driftlint", "check", "--no-cache", "--baseline", "baseline.json"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == f"driftlint: error: baseline.json: cannot read baseline: {says}\n"
