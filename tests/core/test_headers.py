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

from driftlint.revisions import RevisionHeader, read_header, recover_header
from driftlint.source import SourceFile

from .conftest import INI, alembic_tree, check, found, only_environment, revision

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


# -- files that do not parse: the header read by the tokenizer -----------------------------------------

PY2_BODY = '\n\ndef upgrade():\n    print "adding a column"\n    op.add_column("t", sa.Column("x", sa.Integer))\n'


def recovered(text: str, name: str = "a100_step.py") -> RevisionHeader | None:
    source = SourceFile.from_bytes(Path("/project/migrations/versions") / name, text.encode("utf-8"))
    assert source.error is not None, "the file must not parse for this test"
    return recover_header(source, name)


def test_header_of_a_python_2_revision_is_read_with_its_upgrade_line():
    header = recovered('"""add x"""\nfrom alembic import op\n\nrevision = "a100"\ndown_revision = ("1000", "2000")\ndepends_on = "3000"' + PY2_BODY)
    assert header is not None
    assert (header.revision, header.down_revision, header.depends_on, header.problems) == ("a100", ("1000", "2000"), ("3000",), [])
    assert header.doc == "add x"
    assert header.upgrade_span == (8, 1, 8, 12)  # `def upgrade`, though the function does not parse


def test_header_binding_that_does_not_parse_is_unreadable_not_guessed():
    header = recovered('revision = "a100"\ndown_revision = "1000"\ndown_revision = ur"2000"\n')
    assert header is not None
    assert header.revision == "a100" and header.down_revision is None
    [problem] = header.problems
    assert (problem.attribute, problem.unreadable, problem.span) == ("down_revision", True, (3, 1, 3, 25))


def test_an_earlier_unparsable_binding_is_overridden_by_a_later_literal():
    header = recovered('revision = "a100"\ndown_revision = ur"2000"\ndown_revision = "1000"\n')
    assert header is not None and header.down_revision == ("1000",) and not header.problems


def test_a_binding_between_merge_conflict_markers_is_unreadable():
    header = recovered('revision = "a100"\n<<<<<<< HEAD\ndown_revision = "1000"\n=======\ndown_revision = "2000"\n>>>>>>> feature\n')
    assert header is not None and header.revision == "a100"
    assert [(p.attribute, p.unreadable) for p in header.problems] == [("down_revision", True)]


def test_a_header_name_bound_in_a_block_that_does_not_parse_is_unreadable():
    header = recovered('revision = "a100"\ndown_revision = "1000"\nif PY2:\n    print "old"\n    down_revision = "2000"\n')
    assert header is not None and [p.attribute for p in header.problems] == ["down_revision"]


def test_names_only_used_in_a_statement_that_does_not_parse_stay_readable():
    header = recovered('revision = "a100"\ndown_revision = "1000"\nprint "upgrading from", down_revision\n')
    assert header is not None and header.down_revision == ("1000",) and not header.problems


def test_everything_not_bound_before_the_tokenizer_stops_is_unreadable():
    header = recovered('revision = "a100"\ndown_revision = "1000"\n\ndef upgrade():\n    op.execute("""\n')
    assert header is not None and (header.revision, header.down_revision) == ("a100", ("1000",))
    assert sorted(p.attribute for p in header.problems) == ["branch_labels", "depends_on"]
    # Stopped before any statement: no header at all.
    assert recovered('x = """\nrevision = "a100"\ndown_revision = "1000"\n') is None


def test_no_header_is_recovered_from_bytes_python_would_not_read():
    source = SourceFile.from_bytes(Path("/p/a100_step.py"), b'revision = "a100"\x00\ndown_revision = "1000"\n')
    assert recover_header(source, "a100_step.py") is None


def test_python_2_revision_keeps_its_place_in_the_graph(tree):
    """A Python 2 `print` in one revision of a chain: DL001 for that file, and nothing else."""
    broken = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "b100"\ndown_revision = "a100"' + PY2_BODY
    root = tree({**alembic_tree(("1000", None), ("a100", "1000"), ("c100", "b100")), "migrations/versions/b100_step.py": broken})
    result = check(root)
    assert [d.code for d in result.diagnostics] == ["DL001"]
    graph = only_environment(result).graph
    assert graph.complete and [n.revision for n in graph.heads] == ["c100"]
    assert graph.ancestors("c100") == {"1000", "a100", "b100"}


def test_unreadable_parent_silences_heads_and_missing_revisions_above_it(tree):
    """Where the header itself cannot be read, nothing that depends on it is said: no second head
    named a100, no missing b100."""
    broken = 'revision = "b100"\ndown_revision = f"{PARENTS["x"]}" if X else "a100"\n'
    root = tree({**alembic_tree(("1000", None), ("a100", "1000"), ("c100", "b100")), "migrations/versions/b100_step.py": broken})
    result = check(root)
    assert [d.code for d in result.diagnostics] == ["DL001"]
    assert not only_environment(result).graph.complete


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="`except A, B:` parses on Python 3.14")
def test_revision_in_a_newer_python_syntax_keeps_its_place_in_the_graph(tree):
    newer = revision("b100", "a100").replace(
        "def upgrade() -> None:\n    pass", "def upgrade() -> None:\n    try:\n        pass\n    except ValueError, TypeError:\n        pass"
    )
    root = tree({**alembic_tree(("1000", None), ("a100", "1000"), ("c100", "b100")), "migrations/versions/b100_step.py": newer})
    result = check(root)
    assert [d.code for d in result.diagnostics] == ["DL001"]
    assert [n.revision for n in only_environment(result).graph.heads] == ["c100"]
