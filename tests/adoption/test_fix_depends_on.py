"""DL201 fix: the referencing revision gains `depends_on` on the revision that creates the object."""

from __future__ import annotations

import ast

import libcst
import pytest

from driftlint.fixes import FixError
from driftlint.fixes.depends_on import add_depends_on
from driftlint.fixes.literals import append_strings, remove_strings
from driftlint.revisions import read_header

from ..conftest import write_tree
from .helpers import invoke, project, revision, snapshot

CREATES_ORDERS = revision("b1", "a1", doc="create orders", body='op.create_table("orders", sa.Column("id", sa.Integer))')


def indexing_orders(extra: str) -> str:
    return (
        '"""index orders"""\n'
        "from alembic import op\n\n"
        "revision = 'c1'\n"
        "down_revision = 'a1'\n"
        f"{extra}"
        "\n\ndef upgrade():\n"
        "    # orders comes from the other branch\n"
        '    op.create_index("ix_orders_id", "orders", ["id"])\n'
    )


def tree_with(tmp_path, c1: str):
    return write_tree(tmp_path, project({
        "a1_base.py": revision("a1", None, body='op.create_table("accounts", sa.Column("id", sa.Integer))'),
        "b1_orders.py": CREATES_ORDERS,
        "c1_index.py": c1,
    }))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("branch_labels = None\ndepends_on = None  # set by hand\n", "depends_on = 'b1'  # set by hand\n"),
        ("", "down_revision = 'a1'\ndepends_on = 'b1'\n"),
        ("depends_on = 'a1'\n", "depends_on = ('a1', 'b1')\n"),
        ("depends_on = (\n    'a1',  # base\n)\n", "depends_on = (\n    'a1',  # base\n    'b1',\n)\n"),
        ("depends_on: list[str] = ['a1']\n", "depends_on: list[str] = ['a1', 'b1']\n"),
    ],
    ids=["none", "absent", "string", "multi-line-tuple", "annotated-list"],
)
def test_fix_adds_depends_on_and_the_finding_is_gone(tmp_path, extra, expected):
    root = tree_with(tmp_path, indexing_orders(extra))
    assert "DL201" in invoke(root, "check", "--no-cache", "--output-format", "concise").stdout
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache", "--select", "DL201")

    after = snapshot(root)
    text = after["migrations/versions/c1_index.py"].decode()
    assert result.exit_code == 0, result.output
    assert expected in text
    assert "b1" in read_header(ast.parse(text), "c1_index.py").depends_on
    assert {k: v for k, v in after.items() if k != "migrations/versions/c1_index.py"} == {
        k: v for k, v in before.items() if k != "migrations/versions/c1_index.py"
    }
    assert "DL201" not in invoke(root, "check", "--no-cache", "--output-format", "concise").stdout


def test_fix_of_depends_on_changes_only_that_statement(tmp_path):
    original = indexing_orders("branch_labels = None\ndepends_on = None\n")
    root = tree_with(tmp_path, original)

    invoke(root, "fix", "--no-cache", "--select", "DL201")

    new = (root / "migrations/versions/c1_index.py").read_text()
    changed = [(a, b) for a, b in zip(original.splitlines(), new.splitlines()) if a != b]
    assert changed == [("depends_on = None", "depends_on = 'b1'")]
    assert len(original.splitlines()) == len(new.splitlines())


def test_fix_of_depends_on_converges(tmp_path):
    root = tree_with(tmp_path, indexing_orders("depends_on = None\n"))
    invoke(root, "fix", "--no-cache", "--select", "DL201")
    once = snapshot(root)

    invoke(root, "fix", "--no-cache", "--select", "DL201")

    assert snapshot(root) == once


def test_a_computed_depends_on_is_left_alone(tmp_path):
    root = tree_with(tmp_path, indexing_orders("depends_on = tuple(['a1'])\n"))
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache", "--select", "DL201")

    # What runs before the revision is not known (DL108 says why): DL201 says nothing, nothing is edited.
    assert "DL201" not in result.stdout + result.stderr
    assert snapshot(root) == before
    with pytest.raises(FixError, match="not a literal"):
        add_depends_on(b"revision = 'c1'\ndown_revision = None\ndepends_on = tuple(['a1'])\n", "b1")


def test_add_depends_on_refuses_unpacking():
    with pytest.raises(FixError, match="unpacking"):
        add_depends_on(b"revision = 'c1'\ndown_revision, depends_on = 'a1', None\n", "b1")


def _edit(source: str, edit) -> str:
    module = libcst.parse_module(source)
    statement = module.body[0]
    assignment = statement.body[0]
    return module.with_changes(body=[statement.with_changes(body=[assignment.with_changes(value=edit(assignment.value))])]).code


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = ("a",)\n', 'x = ("a", "n")\n'),
        ('x = ["a", "b"]\n', 'x = ["a", "b", "n"]\n'),
        ("x = [\n    'a',  # one\n    'b',  # two\n]  # end\n", "x = [\n    'a',  # one\n    'b',  # two\n    \"n\",\n]  # end\n"),
        ('x = [\n    "a",\n    "b"  # two\n]\n', 'x = [\n    "a",\n    "b",  # two\n    "n"\n]\n'),
        ("x = []\n", 'x = ["n"]\n'),
    ],
)
def test_append_keeps_layout_and_comments(source, expected):
    assert _edit(source, lambda value: append_strings(value, ["n"], '"')) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = ["a", "b", "c"]\n', 'x = ["a", "c"]\n'),
        ('x = ["a", "b"]\n', 'x = ["a"]\n'),
        ("x = [\n    'a',  # one\n    'b',  # two\n]  # end\n", "x = [\n    'a',  # one\n]  # end\n"),
        ("x = [\n    'b',  # two\n    'a',  # one\n]\n", "x = [\n    'a',  # one\n]\n"),
        ('x = ("b", "a")\n', 'x = ("a",)\n'),
        ('x = {"b"}\n', "x = set()\n"),
        ("x = [  # registry\n    'b',\n]\n", "x = [  # registry\n]\n"),
    ],
)
def test_remove_keeps_layout_and_the_other_comments(source, expected):
    assert _edit(source, lambda value: remove_strings(value, {"b"})) == expected


def test_fix_of_every_rule_leaves_a_clean_history(tmp_path):
    root = tree_with(tmp_path, indexing_orders("depends_on = None\n"))

    # c1's plain index build is DL501, whose fix waits for --unsafe-fixes.
    safe = invoke(root, "fix", "--no-cache")
    assert safe.exit_code == 1
    assert "driftlint: fixed DL201" in safe.stderr and "driftlint: fixed DL101" in safe.stderr
    result = invoke(root, "fix", "--no-cache", "--unsafe-fixes")

    assert result.exit_code == 0, result.output
    assert "driftlint: fixed DL501" in result.stderr
    assert invoke(root, "check", "--no-cache").exit_code == 0
