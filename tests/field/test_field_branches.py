"""Deliberately labelled branches (expand/contract) are not an accidental fork; Alembic agrees on the heads."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from .conftest import findings, summary

EXPAND_FORK = '"""a second child of e001"""\nrevision = "e003"\ndown_revision = "e001"\n\n\ndef upgrade() -> None:\n    pass\n'


def heads_with_labels(root: Path) -> dict[str, set[str]]:
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    return {head: set(script.get_revision(head).branch_labels) for head in script.get_heads()}


def test_every_head_on_its_own_labelled_branch_is_not_reported(fixture_copy) -> None:
    root = fixture_copy("labeled-expand-contract")
    assert heads_with_labels(root) == {"e002": {"expand"}, "c002": {"contract"}}
    assert findings(root, "DL101") == []


def test_an_unlabelled_trunk_beside_a_labelled_branch_is_reported(fixture_copy) -> None:
    """The evidence log's shape: a labelled branch beside the unlabelled trunk, whose `upgrade head` fails."""
    root = fixture_copy("labeled-expand-contract")
    contract = root / "migrations" / "versions" / "c001_contract_initial.py"
    contract.write_text(contract.read_text(encoding="utf-8").replace('branch_labels = ("contract",)\n', ""), encoding="utf-8")
    assert heads_with_labels(root) == {"e002": {"expand"}, "c002": set()}
    [diagnostic] = findings(root, "DL101")
    assert diagnostic.message.startswith("2 heads (c002, e002)")


def test_a_fork_inside_a_labelled_branch_is_reported(fixture_copy) -> None:
    root = fixture_copy("labeled-expand-contract")
    (root / "migrations" / "versions" / "e003_fork.py").write_text(EXPAND_FORK, encoding="utf-8")
    assert heads_with_labels(root) == {"e002": {"expand"}, "e003": {"expand"}, "c002": {"contract"}}
    [diagnostic] = findings(root, "DL101")
    assert diagnostic.message.startswith("3 heads (c002, e002, e003)")


def test_two_unlabelled_heads_are_reported(fixture_copy) -> None:
    root = fixture_copy("labeled-expand-contract")
    for name, label in (("e001_expand_initial.py", "expand"), ("c001_contract_initial.py", "contract")):
        path = root / "migrations" / "versions" / name
        path.write_text(path.read_text(encoding="utf-8").replace(f'branch_labels = ("{label}",)\n', ""), encoding="utf-8")
    assert summary(findings(root, "DL101")) == [("DL101", "migrations/versions/e002_add_ports_binding_host.py")]


def label_from_constant(root: Path, name: str, label: str) -> None:
    """Write the label as neutron does: `branch_labels = (cli.EXPAND_BRANCH,)`, only known at run time."""
    path = root / "migrations" / "versions" / name
    text = path.read_text(encoding="utf-8").replace(f'branch_labels = ("{label}",)', f"branch_labels = (cli.{label.upper()}_BRANCH,)")
    path.write_text("from app.db import cli\n" + text, encoding="utf-8")


def test_labels_read_from_a_constant_leave_the_heads_unknown_not_forked(fixture_copy) -> None:
    root = fixture_copy("labeled-expand-contract")
    label_from_constant(root, "e001_expand_initial.py", "expand")
    label_from_constant(root, "c001_contract_initial.py", "contract")
    assert summary(findings(root, "DL101", "DL103", "DL108")) == [
        ("DL108", "migrations/versions/c001_contract_initial.py"),
        ("DL108", "migrations/versions/e001_expand_initial.py"),
    ]
    diagnostic = findings(root, "DL108")[0]
    assert "an Attribute expression is only known at run time" in diagnostic.message
    assert "cannot tell which branch names it declares" in diagnostic.message


def test_depends_on_a_label_that_may_be_an_unreadable_one_is_not_missing(fixture_copy) -> None:
    root = fixture_copy("labeled-expand-contract")
    label_from_constant(root, "e001_expand_initial.py", "expand")
    contract = root / "migrations" / "versions" / "c002_drop_ports_host.py"
    contract.write_text(contract.read_text(encoding="utf-8").replace('depends_on = ("e002",)', 'depends_on = ("expand",)'), encoding="utf-8")
    assert findings(root, "DL103") == []


def test_depends_on_an_unknown_name_is_missing_when_every_label_is_readable(fixture_copy) -> None:
    root = fixture_copy("labeled-expand-contract")
    contract = root / "migrations" / "versions" / "c002_drop_ports_host.py"
    contract.write_text(contract.read_text(encoding="utf-8").replace('depends_on = ("e002",)', 'depends_on = ("expnad",)'), encoding="utf-8")
    assert summary(findings(root, "DL103")) == [("DL103", "migrations/versions/c002_drop_ports_host.py")]


def alembic_view(root: Path) -> tuple[list[str], str]:
    try:
        return sorted(ScriptDirectory.from_config(Config(str(root / "alembic.ini"))).get_heads()), ""
    except Exception as exc:  # noqa: BLE001 - the exception class is what is compared
        return [], type(exc).__name__


def test_blank_depends_on_is_no_dependency(fixture_copy) -> None:
    root = fixture_copy("blank-depends-on")
    assert alembic_view(root) == (["b200"], "")
    assert findings(root) == []


def test_blank_depends_on_takes_away_the_only_real_base(fixture_copy) -> None:
    root = fixture_copy("blank-depends-on")
    base = root / "migrations" / "versions" / "a100_create_accounts.py"
    base.write_text(base.read_text(encoding="utf-8").replace("depends_on = None", 'depends_on = ("",)'), encoding="utf-8")
    assert alembic_view(root) == ([], "DependencyCycleDetected")
    [diagnostic] = findings(root)
    assert diagnostic.code == "DL105"
    assert diagnostic.message.endswith("Alembic raises DependencyCycleDetected")


def test_a_blank_among_real_dependencies_is_missing(fixture_copy) -> None:
    root = fixture_copy("blank-depends-on")
    child = root / "migrations" / "versions" / "b200_add_user_blocked_at.py"
    child.write_text(child.read_text(encoding="utf-8").replace('depends_on = ""', 'depends_on = ("a100", "")'), encoding="utf-8")
    assert alembic_view(root) == ([], "KeyError")
    assert summary(findings(root)) == [("DL103", "migrations/versions/b200_add_user_blocked_at.py")]
