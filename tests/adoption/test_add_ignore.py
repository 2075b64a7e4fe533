"""`check --add-ignore`: suppression comments for today's findings, on the lines that silence them."""

from __future__ import annotations

import pytest

from driftlint.fixes.ignore_comments import comment_rows
from driftlint.source import find_suppressions

from ..conftest import write_tree
from .helpers import copy_fixture, invoke, project, revision, snapshot


def test_add_ignore_silences_every_finding_and_changes_only_those_lines(tmp_path):
    root = copy_fixture("three-heads", tmp_path)
    before = snapshot(root)

    result = invoke(root, "check", "--no-cache", "--add-ignore")

    after = snapshot(root)
    changed = {name for name in before if before[name] != after[name]}
    assert result.exit_code == 0
    assert "added 1 suppression(s) in 1 file" in result.stderr
    assert changed == {"migrations/versions/c100_create_payments.py"}
    old_lines = before["migrations/versions/c100_create_payments.py"].decode().splitlines()
    new_lines = after["migrations/versions/c100_create_payments.py"].decode().splitlines()
    assert [(a, b) for a, b in zip(old_lines, new_lines) if a != b] == [
        ("revision: str = 'c100'", "revision: str = 'c100'  # driftlint: ignore[DL101]")
    ]
    assert invoke(root, "check", "--no-cache").exit_code == 0


def test_add_ignore_twice_changes_nothing(tmp_path):
    root = copy_fixture("three-heads", tmp_path)
    invoke(root, "check", "--no-cache", "--add-ignore")
    once = snapshot(root)

    result = invoke(root, "check", "--no-cache", "--add-ignore")

    assert snapshot(root) == once
    assert "added 0 suppression(s) in 0 files" in result.stderr


def test_add_ignore_skips_findings_outside_python_files(tmp_path):
    root = write_tree(tmp_path, {
        **project({"a1_base.py": revision("a1", None)}),
        "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n"
        "version_locations = %(here)s/migrations/versions %(here)s/migrations/more\n",
        "migrations/more/.keep": "",
    })
    before = snapshot(root)

    result = invoke(root, "check", "--no-cache", "--add-ignore")

    assert snapshot(root) == before
    assert "(alembic.ini): only Python files take suppression comments" in result.stderr


def _suppressed_rows(text: str) -> set[int]:
    """Rows the engine's suppression rule covers: the comment's line and the line after it."""
    return {row for s in find_suppressions(text) for row in (s.line, s.line + 1)}


@pytest.mark.parametrize(
    ("source", "row", "expected"),
    [
        ("x = 1\n", 1, "x = 1  # driftlint: ignore[DL101]\n"),
        ("x = 1  # why\n", 1, "x = 1  # why  # driftlint: ignore[DL101]\n"),
        ("x = 1  # driftlint: ignore[DL102]\n", 1, "x = 1  # driftlint: ignore[DL102, DL101]\n"),
        ("x = 1  # driftlint: ignore[multiple-heads]\n", 1, "x = 1  # driftlint: ignore[multiple-heads]\n"),
        ('def f():\n    doc = """a\nb"""\n', 2, 'def f():\n    # driftlint: ignore[DL101]\n    doc = """a\nb"""\n'),
        ("x = 1 + \\\n    2\n", 1, "# driftlint: ignore[DL101]\nx = 1 + \\\n    2\n"),
        ("x = 1\r\ny = 2\r\n", 2, "x = 1\r\ny = 2  # driftlint: ignore[DL101]\r\n"),
        ("x = 1", 1, "x = 1  # driftlint: ignore[DL101]"),
    ],
    ids=["plain", "other-comment", "extend", "already-by-name", "string-ends-line", "backslash", "crlf", "no-final-newline"],
)
def test_comment_lands_where_the_suppression_applies(source, row, expected):
    data, _added, refused = comment_rows(source.encode(), {row: {"DL101"}})

    text = data.decode()
    assert text == expected
    assert refused == {}
    shifted = row + (text.count("\n") - source.count("\n"))
    assert shifted in _suppressed_rows(text)


def test_a_line_inside_a_string_is_refused_and_the_file_kept():
    source = 'x = """a\nb\n"""\n'

    data, added, refused = comment_rows(source.encode(), {2: {"DL101"}})

    assert data.decode() == source and added == 0
    assert "continues a string" in refused[2]


def test_latin1_files_keep_their_encoding():
    source = "# -*- coding: latin-1 -*-\nname = 'café'\n".encode("latin-1")

    data, _added, _refused = comment_rows(source, {2: {"DL101"}})

    assert data == "# -*- coding: latin-1 -*-\nname = 'café'  # driftlint: ignore[DL101]\n".encode("latin-1")
