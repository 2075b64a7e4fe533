"""What each core finding says and points at: messages name the revisions, related places and context."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftlint.cli import cli

from .conftest import alembic_tree, check, found


def related(diagnostic) -> list[tuple[str, int, str]]:
    return [(r.path, r.location.row, r.note) for r in diagnostic.related]


def test_multiple_heads_lists_every_head_with_its_file_and_the_merge_command(fixture_copy):
    [diagnostic] = check(fixture_copy("three-heads")).diagnostics
    assert diagnostic.code == "DL101"
    assert diagnostic.message == (
        '3 heads (a100, b100, c100): `alembic upgrade head` fails with "Multiple head revisions are present", '
        "and `upgrade heads` runs the branches in no defined order"
    )
    assert (diagnostic.path, diagnostic.location.row) == ("migrations/versions/c100_create_payments.py", 15)
    assert related(diagnostic) == [
        ("migrations/versions/a100_create_invoices.py", 15, "head a100"),
        ("migrations/versions/b100_create_orders.py", 15, "head b100"),
    ]
    assert dict(diagnostic.context)["Heads"] == (
        "a100 (migrations/versions/a100_create_invoices.py)",
        "b100 (migrations/versions/b100_create_orders.py)",
        "c100 (migrations/versions/c100_create_payments.py)",
    )
    assert diagnostic.fix_title == 'Merge the heads: `alembic merge -m "merge heads" a100 b100 c100`'


def test_effective_head_is_marked_and_explained(fixture_copy):
    [diagnostic] = check(fixture_copy("effective-head")).diagnostics
    assert diagnostic.message.startswith("2 heads (a100, b100): only a depends_on ties them, so `upgrade heads` works")
    assert dict(diagnostic.context)["Heads"] == (
        "a100 (migrations/versions/a100_create_invoices.py) (effective head)",
        "b100 (migrations/versions/b100_create_invoice_lines.py)",
    )


def test_multiple_heads_from_a_duplicate_id_does_not_suggest_merging_it_with_itself(fixture_copy):
    result = check(fixture_copy("duplicate-id"))
    [heads] = [d for d in result.diagnostics if d.code == "DL101"]
    assert heads.fix_title == "Give the duplicated revision a new id (see DL104), then merge what heads remain"


def test_multiple_bases_points_at_the_second_base_and_lists_them(fixture_copy):
    [diagnostic] = check(fixture_copy("multiple-bases")).diagnostics
    assert diagnostic.code == "DL102" and diagnostic.severity.value == "warning"
    assert diagnostic.message == (
        "Revision x100 is a second base (down_revision = None) beside 1000: its branch has no order relative to "
        "the rest of the history"
    )
    assert (diagnostic.path, diagnostic.location.row) == ("migrations/versions/x100_create_audit_log.py", 16)
    assert related(diagnostic) == [("migrations/versions/1000_create_accounts.py", 15, "first base 1000")]
    assert dict(diagnostic.context)["Bases"] == (
        "1000 (migrations/versions/1000_create_accounts.py)",
        "x100 (migrations/versions/x100_create_audit_log.py)",
    )


def test_independent_branch_with_depends_on_is_not_a_second_base(tree):
    files = alembic_tree(("1000", None))
    files["migrations/versions/x100_audit.py"] = 'revision = "x100"\ndown_revision = None\ndepends_on = "1000"\n'
    assert found(check(tree(files), select=["DL102"])) == []


def test_duplicate_revision_points_at_both_files(fixture_copy):
    [diagnostic] = [d for d in check(fixture_copy("duplicate-id")).diagnostics if d.code == "DL104"]
    assert diagnostic.path == "migrations/versions/a100_create_orders.py"
    assert diagnostic.message.startswith(
        "Revision a100 is present more than once: migrations/versions/a100_create_invoices.py declares it too"
    )
    assert related(diagnostic) == [("migrations/versions/a100_create_invoices.py", 15, "first declaration of a100")]


def test_cycle_names_its_members_in_alembic_order_with_every_file(fixture_copy):
    [diagnostic] = check(fixture_copy("cycle")).diagnostics
    assert diagnostic.message == "Cycle is detected in revisions (a100, b200, c300): Alembic raises CycleDetected"
    assert (diagnostic.path, diagnostic.location.row) == ("migrations/versions/a100_create_orders.py", 16)
    assert [note for _, _, note in related(diagnostic)] == ["in the cycle: b200", "in the cycle: c300"]
    assert len(dict(diagnostic.context)["Cycle"]) == 3


def test_cycle_is_not_reported_while_a_parent_is_missing(tree):
    # Alembic stops at the KeyError first; DL103 reports it, and the cycle is left for afterwards.
    files = alembic_tree(("1000", None), ("a100", "c100"), ("b100", "a100"), ("c100", "b100"), ("d100", "9999"))
    assert [d.code for d in check(tree(files)).diagnostics if d.code in ("DL103", "DL105")] == ["DL103"]


def test_duplicate_branch_label_points_at_the_other_revision(fixture_copy):
    [diagnostic] = check(fixture_copy("duplicate-branch-label")).diagnostics
    assert diagnostic.message == (
        "Branch name 'billing' in revision b100 is already used by revision a100: Alembic raises RevisionError"
    )
    assert (diagnostic.path, diagnostic.location.row) == ("migrations/versions/b100_create_invoices.py", 17)
    assert related(diagnostic) == [("migrations/versions/a100_create_ledger.py", 17, "revision a100")]


def test_invalid_revision_id_names_every_bad_character(tree):
    files = alembic_tree(("1000", None))
    files["migrations/versions/x_step.py"] = 'revision = "feat:add+1"\ndown_revision = "1000"\n'
    assert found(check(tree(files), select=["DL112"])) == [
        "migrations/versions/x_step.py:1:1 DL112 Character(s) '+', ':' not allowed in revision identifier "
        "'feat:add+1': Alembic raises RevisionError"
    ]


def span(diagnostic) -> tuple[int, int, int, int]:
    return (diagnostic.location.row, diagnostic.location.column, diagnostic.end.row, diagnostic.end.column)


def test_invalid_revision_id_column_counts_characters_after_non_ascii_text(tree):
    line = 'label = "crème brûlée 日本"; revision = "feat+1"'
    files = alembic_tree(("1000", None))
    files["migrations/versions/x_step.py"] = f'{line}\ndown_revision = "1000"\n'
    [diagnostic] = check(tree(files), select=["DL112"]).diagnostics
    # 1-based columns in characters, the end one past the last: not UTF-8 bytes (35 and 54).
    assert span(diagnostic) == (1, line.index("revision") + 1, 1, len(line) + 1) == (1, 28, 1, 47)


def test_dynamic_header_column_counts_characters_after_non_ascii_text(tree):
    line = 'note = "données 🎉"; revision = "a" + "100"'
    files = alembic_tree(("1000", None))
    files["migrations/versions/a100_step.py"] = f'{line}\ndown_revision = "1000"\n'
    [diagnostic] = check(tree(files), select=["DL108"]).diagnostics
    assert span(diagnostic) == (1, line.index("revision") + 1, 1, len(line) + 1) == (1, 21, 1, 43)


@pytest.mark.parametrize(("line", "at"), [('note = "日本語"; total = (1 +* 2)', "*"), ('note = "日本語"; \x00', "\x00")], ids=["syntax", "null-byte"])
def test_parse_error_column_counts_characters_after_non_ascii_text(line, at, tree):
    files = alembic_tree(("1000", None))
    files["migrations/versions/a100_step.py"] = f'revision = "a100"\ndown_revision = "1000"\n{line}\n'
    [diagnostic] = check(tree(files), select=["DL001"]).diagnostics
    assert (diagnostic.location.row, diagnostic.location.column) == (3, line.index(at) + 1)


def test_empty_string_down_revision_is_explained(fixture_copy):
    [diagnostic] = check(fixture_copy("empty-string-down-revision")).diagnostics
    assert diagnostic.code == "DL103"
    assert "before Alembic 1.12.1 an empty string meant base" in diagnostic.message
    assert diagnostic.fix_title == "Use `down_revision = None`"


def test_posix_only_version_locations_are_cwd_dependent(tree):
    other = ";" if os.pathsep == ":" else ":"
    ini = (
        "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
        f"version_locations = %(here)s/migrations/versions{other}%(here)s/reports\n"
    )
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": ini, "reports/.keep": ""})
    [message] = found(check(root, select=["DL109"]))
    assert message.startswith(f"alembic.ini:3:1 DL109 `path_separator = os` splits on `{os.pathsep}` on this system")


def test_exit_codes_and_json_fields_of_a_core_finding(fixture_copy):
    root = fixture_copy("three-heads")
    previous = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "json"])
        clean = CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "json", "--ignore", "DL101"])
    finally:
        os.chdir(previous)
    assert (result.exit_code, clean.exit_code) == (1, 0)
    [item] = json.loads(result.stdout)
    assert item["code"] == "DL101" and item["name"] == "multiple-heads" and item["severity"] == "error"
    assert item["filename"] == "migrations/versions/c100_create_payments.py"
    assert item["location"] == {"row": 15, "column": 1}
    assert item["end_location"]["row"] == 15
    assert [r["note"] for r in item["related"]] == ["head a100", "head b100"]
    assert item["url"].endswith("/rules/multiple-heads.md")
    assert json.loads(clean.stdout) == []
