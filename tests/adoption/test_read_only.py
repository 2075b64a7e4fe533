"""Only `fix`, `check --fix` and `check --add-ignore` ever change the user's files."""

from __future__ import annotations

import pytest

from .helpers import copy_fixture, invoke, snapshot


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "--diff"),
        ("fix", "--diff"),
        ("check", "--statistics"),
        ("graph",),
        ("graph", "--format", "mermaid"),
        ("graph", "--format", "dot"),
    ],
    ids=lambda args: " ".join(args),
)
def test_commands_without_a_fix_flag_write_nothing(tmp_path, args):
    root = copy_fixture("long-history-with-branches", tmp_path)
    before = snapshot(root)

    invoke(root, *args, "--no-cache")

    assert snapshot(root) == before


def test_write_baseline_writes_only_the_baseline(tmp_path):
    root = copy_fixture("long-history-with-branches", tmp_path)
    before = snapshot(root)

    invoke(root, "check", "--no-cache", "--write-baseline", "baseline.json")

    after = snapshot(root)
    assert set(after) - set(before) == {"baseline.json"}
    assert {k: after[k] for k in before} == before
