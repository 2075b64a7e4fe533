"""DL401 fix: the registry literal gains the views the migrations leave and loses the ones they do not."""

from __future__ import annotations

import ast

import libcst
import pytest

from driftlint.fixes import FixError
from driftlint.fixes.literals import insert_string
from driftlint.fixes.matview_registry import edit_registry

from ..conftest import write_tree
from .helpers import invoke, project, revision, snapshot

VIEWS = (
    'op.execute("CREATE TABLE allocations (id int PRIMARY KEY, channel text, revenue numeric)")\n'
    '    op.execute("CREATE MATERIALIZED VIEW mv_channel_performance AS SELECT channel, count(*) FROM allocations GROUP BY channel")\n'
    '    op.execute("CREATE MATERIALIZED VIEW mv_allocation_summary AS SELECT sum(revenue) AS revenue FROM allocations")\n'
    '    op.execute("CREATE MATERIALIZED VIEW mv_realtime_revenue AS SELECT sum(revenue) AS revenue FROM allocations")'
)
REGISTRY_PATH = "app/core/matview_registry.py"
REGISTRY = '''"""Views the refresh task walks."""

# Keep in step with the migrations.
MATERIALIZED_VIEWS = [
    "mv_channel_performance",  # hourly
    "mv_realtime_revenue",  # every minute
]


def refresh_all(cursor):
    for view in MATERIALIZED_VIEWS:  # one at a time: each takes a lock
        cursor.execute(f"REFRESH MATERIALIZED VIEW {view}")
'''
FIXED = '''"""Views the refresh task walks."""

# Keep in step with the migrations.
MATERIALIZED_VIEWS = [
    "mv_allocation_summary",
    "mv_channel_performance",  # hourly
]


def refresh_all(cursor):
    for view in MATERIALIZED_VIEWS:  # one at a time: each takes a lock
        cursor.execute(f"REFRESH MATERIALIZED VIEW {view}")
'''


def drifted(tmp_path, registry: str = REGISTRY):
    return write_tree(tmp_path, {
        **project({
            "a1_views.py": revision("a1", None, body=VIEWS),
            "b2_drop_realtime.py": revision("b2", "a1", body='op.execute("DROP MATERIALIZED VIEW mv_realtime_revenue")'),
        }),
        REGISTRY_PATH: registry,
    })


def dl401(root) -> list[str]:
    return [line for line in invoke(root, "check", "--no-cache", "--output-format", "concise").stdout.splitlines() if " DL401 " in line]


def test_fix_adds_missing_and_removes_stale_views_keeping_comments(tmp_path):
    root = drifted(tmp_path)
    assert len(dl401(root)) == 2
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache", "--unsafe-fixes")

    after = snapshot(root)
    assert result.exit_code == 0, result.output
    assert after[REGISTRY_PATH].decode() == FIXED
    assert {k: v for k, v in after.items() if k != REGISTRY_PATH} == {k: v for k, v in before.items() if k != REGISTRY_PATH}
    ast.parse(after[REGISTRY_PATH])
    assert dl401(root) == []


def test_fix_of_the_registry_converges(tmp_path):
    root = drifted(tmp_path)
    invoke(root, "fix", "--no-cache", "--unsafe-fixes")
    once = snapshot(root)

    invoke(root, "fix", "--no-cache", "--unsafe-fixes")

    assert snapshot(root) == once


def test_diff_shows_the_registry_edit_without_writing(tmp_path):
    root = drifted(tmp_path)
    before = snapshot(root)

    result = invoke(root, "check", "--no-cache", "--diff", "--unsafe-fixes")

    assert snapshot(root) == before
    assert '+    "mv_allocation_summary",\n' in result.stdout
    assert '-    "mv_realtime_revenue",  # every minute\n' in result.stdout


def test_an_unsorted_registry_gets_new_views_at_the_end(tmp_path):
    registry = 'MATERIALIZED_VIEWS = ("mv_realtime_revenue", "mv_channel_performance", "mv_zeta")\n'

    new = edit_registry(registry.encode(), "MATERIALIZED_VIEWS", add=["mv_allocation_summary"], remove=["mv_zeta"])

    assert new.decode() == 'MATERIALIZED_VIEWS = ("mv_realtime_revenue", "mv_channel_performance", "mv_allocation_summary")\n'


@pytest.mark.parametrize(
    "registry",
    [
        'MATERIALIZED_VIEWS = BASE_VIEWS + ["mv_x"]\n',
        'MATERIALIZED_VIEWS = [*BASE_VIEWS, "mv_x"]\n',
        "MATERIALIZED_VIEWS, OTHER = ['mv_x'], 1\n",
        "if True:\n    MATERIALIZED_VIEWS = ['mv_x']\n",
    ],
    ids=["expression", "starred", "unpacking", "in-a-block"],
)
def test_registries_that_are_not_plain_literals_are_left_alone(registry):
    with pytest.raises(FixError, match="edit it by hand"):
        edit_registry(registry.encode(), "MATERIALIZED_VIEWS", add=["mv_y"], remove=[])


def _insert(source: str, value: str) -> str:
    module = libcst.parse_module(source)
    statement = module.body[0]
    assignment = statement.body[0]
    new = insert_string(assignment.value, value, '"')
    return module.with_changes(body=[statement.with_changes(body=[assignment.with_changes(value=new)])]).code


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = ["a", "c"]\n', 'x = ["a", "b", "c"]\n'),
        ('x = [\n    "c",  # three\n    "d",\n]\n', 'x = [\n    "b",\n    "c",  # three\n    "d",\n]\n'),
        ('x = [\n    "a",  # one\n    "c",  # three\n]\n', 'x = [\n    "a",  # one\n    "b",\n    "c",  # three\n]\n'),
        ('x = ("c",)\n', 'x = ("b", "c")\n'),
        ('x = {"a"}\n', 'x = {"a", "b"}\n'),
    ],
)
def test_insert_keeps_sorted_registries_sorted(source, expected):
    assert _insert(source, "b") == expected


def test_the_registry_fix_is_unsafe_and_waits_for_unsafe_fixes(tmp_path):
    """Adding a view to the registry makes every refresh loop refresh it, which fails where the view
    is not created yet: plain `fix` leaves it, says why, and --unsafe-fixes applies it."""
    root = drifted(tmp_path)
    before = snapshot(root)
    result = invoke(root, "fix", "--no-cache")
    assert result.exit_code == 1
    assert "can change what the application does at run time; apply it with --unsafe-fixes" in result.stderr
    assert snapshot(root) == before
    assert invoke(root, "fix", "--no-cache", "--unsafe-fixes").exit_code in (0, 1)
    assert snapshot(root) != before


def test_json_output_carries_each_fix_with_its_applicability_and_edits(tmp_path):
    """An editor applies each finding's edits (a range of lines and its new content) and gets what
    `fix` writes."""
    import json

    root = drifted(tmp_path)
    found = json.loads(invoke(root, "check", "--no-cache", "--output-format", "json").stdout)
    registry = [d for d in found if d["code"] == "DL401"]
    assert len(registry) == 2 and all(d["fix"]["applicability"] == "unsafe" for d in registry)
    edits = [edit for d in registry for edit in d["fix"]["edits"]]
    assert all(set(edit) == {"filename", "content", "location", "end_location"} for edit in edits)
    (name,) = {edit["filename"] for edit in edits}
    lines = (root / name).read_text().splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e["location"]["row"], reverse=True):
        start, end = edit["location"]["row"] - 1, edit["end_location"]["row"] - 1
        lines[start:end] = edit["content"].splitlines(keepends=True)
    invoke(root, "fix", "--no-cache", "--unsafe-fixes", "--select", "DL401")
    assert (root / name).read_text() == "".join(lines), "the edits are what fix writes"
