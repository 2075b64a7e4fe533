"""Reading revision headers without running them: every literal form Alembic accepts, and dynamic values."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import to_tuple

from driftlint.revisions import read_header

from .conftest import INI, alembic_tree, check, found

BASE = 'revision = "1000"\ndown_revision = None\n'

# Header source -> (down_revision, branch_labels, depends_on) as Alembic normalises them.
LITERAL_FORMS = {
    "plain-str": ('revision = "a100"\ndown_revision = "1000"\n', ("1000",), (), ()),
    "annotated": (
        "from typing import Sequence, Union\n\n"
        'revision: str = "a100"\n'
        'down_revision: Union[str, Sequence[str], None] = "1000"\n'
        "branch_labels: Union[str, Sequence[str], None] = None\n"
        "depends_on: Union[str, Sequence[str], None] = None\n",
        ("1000",),
        (),
        (),
    ),
    "tuple-merge": ('revision = "a100"\ndown_revision = ("1000", "2000")\n', ("1000", "2000"), (), ()),
    "list-merge": ('revision = "a100"\ndown_revision = ["1000", "2000"]\n', ("1000", "2000"), (), ()),
    "one-item-tuple": ('revision = "a100"\ndown_revision = ("1000",)\n', ("1000",), (), ()),
    "one-item-set": ('revision = "a100"\ndown_revision = {"1000"}\n', ("1000",), (), ()),
    "empty-tuple-is-base": ('revision = "a100"\ndown_revision = ()\n', None, (), ()),
    "empty-list-is-base": ('revision = "a100"\ndown_revision = []\n', None, (), ()),
    "label-str": ('revision = "a100"\ndown_revision = "1000"\nbranch_labels = "billing"\n', ("1000",), ("billing",), ()),
    "labels-tuple": ('revision = "a100"\ndown_revision = "1000"\nbranch_labels = ("billing", "ledger")\n', ("1000",), ("billing", "ledger"), ()),
    "depends-on-list": ('revision = "a100"\ndown_revision = "1000"\ndepends_on = ["2000"]\n', ("1000",), (), ("2000",)),
    "depends-on-str": ('revision = "a100"\ndown_revision = "1000"\ndepends_on = "2000"\n', ("1000",), (), ("2000",)),
    "module-constant": ('PARENT = "1000"\nrevision = "a100"\ndown_revision = PARENT\n', ("1000",), (), ()),
    "implicit-concatenation": ('revision = "a1" "00"\ndown_revision = "1000"\n', ("1000",), (), ()),
    "tuple-unpacking": ('revision, down_revision = "a100", "1000"\n', ("1000",), (), ()),
    "chained-assignment": ('revision = rev = "a100"\ndown_revision = "1000"\n', ("1000",), (), ()),
    "last-binding-wins": ('revision = "zzzz"\ndown_revision = "2000"\nrevision = "a100"\ndown_revision = "1000"\n', ("1000",), (), ()),
    "docstring-is-not-authoritative": (
        '"""create invoices\n\nRevision ID: ffff\nRevises: 2000\n"""\nrevision = "a100"\ndown_revision = "1000"\n',
        ("1000",),
        (),
        (),
    ),
}


def _alembic_script(root: Path, name: str):
    previous = Path.cwd()
    os.chdir(root)
    try:
        script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
        return next(s for s in script._load_revisions() if s.path.endswith(name))
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("form", LITERAL_FORMS, ids=str)
def test_literal_header_forms_read_like_alembic(form, tree, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    source, down, labels, depends = LITERAL_FORMS[form]
    root = tree(
        {
            "alembic.ini": INI,
            "migrations/versions/1000_base.py": BASE,
            "migrations/versions/2000_other.py": 'revision = "2000"\ndown_revision = "1000"\n',
            "migrations/versions/a100_step.py": source,
        }
    )
    header = read_header(ast.parse(source), "a100_step.py")
    assert not header.problems
    assert (header.revision, header.down_revision, header.branch_labels, header.depends_on) == ("a100", down, labels, depends)

    script = _alembic_script(root, "a100_step.py")
    assert script.revision == header.revision
    assert script._versioned_down_revisions == (header.down_revision or ())
    assert sorted(script.branch_labels) == sorted(header.branch_labels)
    assert to_tuple(script.dependencies, default=()) == header.depends_on


def test_legacy_revision_id_comes_from_the_file_name_like_alembic(tree, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tree(
        {
            "alembic.ini": INI,
            "migrations/versions/1000_base.py": BASE,
            "migrations/versions/3f2a9c.py": '"""Revision ID: 3f2a9c"""\ndown_revision = "1000"\n',
        }
    )
    assert _alembic_script(root, "3f2a9c.py").revision == "3f2a9c"
    result = check(root)
    header = result.project.files[root / "migrations/versions/3f2a9c.py"].header
    assert header.revision == "3f2a9c" and header.revision_from_filename
    assert found(result) == []


def test_docstring_revision_id_does_not_stand_in_for_a_missing_variable(tree):
    root = tree(
        {
            **alembic_tree(("1000", None)),
            "migrations/versions/a100_create_invoices.py": '"""create invoices\n\nRevision ID: a100\nRevises: 1000\n"""\ndown_revision = "1000"\n',
        }
    )
    assert [d.code for d in check(root).diagnostics] == ["DL107"]


def test_missing_down_revision_is_not_a_revision(tree):
    root = tree({**alembic_tree(("1000", None)), "migrations/versions/a100_step.py": 'revision = "a100"\n'})
    assert found(check(root)) == [
        "migrations/versions/a100_step.py:1:1 DL107 Revision a100 has no `down_revision`: Alembic fails with "
        "AttributeError: module has no attribute 'down_revision'"
    ]


DYNAMIC_FORMS = {
    "call": ('down_revision = compute_parent()\n', "down_revision", "a function call is only known at run time"),
    "environment": ('import os\ndown_revision = os.environ["PARENT"]\n', "down_revision", "a Subscript expression is only known at run time"),
    "f-string": ('PARENT = "1000"\ndown_revision = f"{PARENT}"\n', "down_revision", "an f-string is only known at run time"),
    "concatenation": ('down_revision = "10" + "00"\n', "down_revision", "a BinOp expression is only known at run time"),
    "unknown-name": ("down_revision = PARENT\n", "down_revision", "`PARENT` is not a module-level literal"),
    "if-block": ('if True:\n    down_revision = "1000"\n', "down_revision", "it is assigned inside a module-level `if` block"),
    "try-block": ('try:\n    down_revision = "1000"\nexcept Exception:\n    down_revision = None\n', "down_revision", "it is assigned inside a module-level `try` block"),
    "for-loop": ('for down_revision in ("1000",):\n    pass\n', "down_revision", "it is assigned inside a module-level `for` block"),
    "with-block": ('with open("x") as down_revision:\n    pass\n', "down_revision", "it is assigned inside a module-level `with` block"),
    "import": ("from migrations.ids import down_revision\n", "down_revision", "an imported value is only known at run time"),
    "augmented": ('down_revision = "10"\ndown_revision += "00"\n', "down_revision", "augmented assignment is only known at run time"),
    "function": ("def down_revision():\n    return '1000'\n", "down_revision", "a function is not a revision identifier"),
    "unpacking-a-call": ("down_revision, created = parents()\n", "down_revision", "tuple unpacking of a non-literal"),
    "set-of-two": ('down_revision = {"1000", "2000"}\n', "down_revision", "a set has no order, so Alembic would see the parents in hash order"),
    "int-id": ('down_revision = 1000\n', "down_revision", "an int literal is not a revision identifier"),
    "labels-call": ('down_revision = "1000"\nbranch_labels = labels()\n', "branch_labels", "a function call is only known at run time"),
}


@pytest.mark.parametrize("form", DYNAMIC_FORMS, ids=str)
def test_dynamic_header_values_are_reported_never_guessed(form, tree):
    body, attribute, reason = DYNAMIC_FORMS[form]
    source = 'revision = "a100"\n' + body
    header = read_header(ast.parse(source), "a100_step.py")
    assert [(p.attribute, p.message) for p in header.problems] == [(attribute, reason)]

    root = tree({**alembic_tree(("1000", None)), "migrations/versions/a100_step.py": source})
    result = check(root)
    [diagnostic] = [d for d in result.diagnostics if d.code == "DL108"]
    assert diagnostic.message.startswith(f"`{attribute}` of a100_step.py is not a literal: {reason}")
    assert diagnostic.path == "migrations/versions/a100_step.py"


def test_dynamic_revision_id_is_reported_and_the_file_not_placed(tree):
    root = tree({**alembic_tree(("1000", None)), "migrations/versions/a100_step.py": 'revision = make_id()\ndown_revision = "1000"\n'})
    result = check(root)
    assert [(d.code, d.location.row) for d in result.diagnostics] == [("DL108", 1)]
    assert sorted(result.project.environments[0].graph.by_id) == ["1000"]


def test_finding_points_at_the_dynamic_assignment(tree):
    source = '"""step"""\nimport os\n\nrevision = "a100"\ndown_revision = os.environ.get("PARENT", "1000")\n'
    root = tree({**alembic_tree(("1000", None)), "migrations/versions/a100_step.py": source})
    [diagnostic] = check(root).diagnostics
    assert (diagnostic.location.row, diagnostic.location.column, diagnostic.end.row, diagnostic.end.column) == (5, 1, 5, 49)


def test_header_names_bound_inside_functions_do_not_count(tree):
    source = 'revision = "a100"\ndown_revision = "1000"\n\n\ndef upgrade():\n    revision = "other"\n    down_revision = None\n'
    header = read_header(ast.parse(source), "a100_step.py")
    assert (header.revision, header.down_revision, header.problems) == ("a100", ("1000",), [])
