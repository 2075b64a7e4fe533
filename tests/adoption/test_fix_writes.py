"""What `fix` and `--add-ignore` write: only over what they read, and through symlinks to the file itself."""

from __future__ import annotations

import os

import pytest

import driftlint.fixes as fixes
import driftlint.fixes.ignore_comments as ignore_comments

from ..conftest import write_tree
from .helpers import invoke, project, revision, snapshot

INDEXING_ORDERS = (
    '"""index orders"""\n'
    "from alembic import op\n\n"
    "revision = 'c1'\n"
    "down_revision = 'a1'\n"
    "\n\ndef upgrade():\n"
    '    op.create_index("ix_orders_id", "orders", ["id"])\n'
)
CROSS_BRANCH = {
    "a1_base.py": revision("a1", None),
    "b1_orders.py": revision("b1", "a1", body='op.create_table("orders", sa.Column("id", sa.Integer))'),
    "c1_index.py": INDEXING_ORDERS,
}
USER_EDIT = "# typed by someone while driftlint ran\n"


def edit_after(monkeypatch: pytest.MonkeyPatch, owner: object, name: str, path: os.PathLike[str]) -> None:
    """Append USER_EDIT to `path` as soon as `owner.name` returns: between planning and writing."""
    original = getattr(owner, name)

    def planned_then_edited(*args: object, **kwargs: object) -> object:
        outcome = original(*args, **kwargs)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(USER_EDIT)
        return outcome

    monkeypatch.setattr(owner, name, planned_then_edited)


def test_fix_leaves_a_file_edited_while_it_ran_and_says_so(tmp_path, monkeypatch):
    root = write_tree(tmp_path, project(CROSS_BRANCH))
    target = root / "migrations/versions/c1_index.py"
    edit_after(monkeypatch, fixes.Workspace, "edits", target)

    result = invoke(root, "fix", "--no-cache", "--select", "DL201")

    assert target.read_text() == INDEXING_ORDERS + USER_EDIT
    assert "driftlint: not written migrations/versions/c1_index.py: changed while driftlint was fixing it; left as it is" in result.stderr
    assert "driftlint: fixed" not in result.stderr
    assert "Fixed 0 findings; 1 remain" in result.stderr  # checked again: the finding is still on disk
    assert result.exit_code == 1


def test_add_ignore_leaves_a_file_edited_while_it_ran_and_says_so(tmp_path, monkeypatch):
    root = write_tree(tmp_path, project({"a1_base.py": revision("a1", None), "b1.py": revision("b1", "a1"), "c1.py": revision("c1", "a1")}))
    target = root / "migrations/versions/c1.py"
    before = target.read_text()
    edit_after(monkeypatch, ignore_comments, "add_ignores", target)

    result = invoke(root, "check", "--no-cache", "--add-ignore")

    assert target.read_text() == before + USER_EDIT
    assert "driftlint: not written migrations/versions/c1.py: changed while driftlint was fixing it; left as it is" in result.stderr
    assert "added 0 suppression(s) in 0 files" in result.stderr


def test_a_merge_revision_that_appeared_meanwhile_is_not_overwritten(tmp_path):
    root = write_tree(tmp_path, project({"a1_base.py": revision("a1", None), "b1.py": revision("b1", "a1"), "c1.py": revision("c1", "a1")}))
    new = root / "migrations/versions/m1_merge.py"
    edit = fixes.FileEdit(new, None, b"revision = 'm1'\n")
    new.write_text("# written by someone else meanwhile\n")

    [not_written] = fixes.apply_edits([edit])

    assert not_written.reason == "appeared while driftlint was fixing; left as it is"
    assert new.read_text() == "# written by someone else meanwhile\n"
    assert not [p for p in new.parent.iterdir() if p.name.startswith(".driftlint-fix-")]


def test_fix_edits_the_file_a_symlinked_revision_names(tmp_path):
    """A revision kept once and linked into versions/: the link stays a link, its file changes."""
    root = write_tree(tmp_path, {**project({k: v for k, v in CROSS_BRANCH.items() if k != "c1_index.py"}), "shared/c1_index.py": INDEXING_ORDERS})
    link = root / "migrations/versions/c1_index.py"
    link.symlink_to("../../shared/c1_index.py")
    (root / "shared/c1_index.py").chmod(0o640)

    result = invoke(root, "fix", "--no-cache", "--select", "DL201")

    assert result.exit_code == 0, result.output
    assert os.readlink(link) == "../../shared/c1_index.py"
    assert "depends_on = 'b1'" in (root / "shared/c1_index.py").read_text()
    assert (root / "shared/c1_index.py").stat().st_mode & 0o777 == 0o640
    assert invoke(root, "check", "--no-cache", "--select", "DL201").exit_code == 0


def test_nothing_is_written_when_every_file_is_as_read(tmp_path):
    root = write_tree(tmp_path, project(CROSS_BRANCH))
    before = snapshot(root)
    result = invoke(root, "fix", "--no-cache", "--select", "DL201")
    changed = {name for name, data in snapshot(root).items() if before.get(name) != data}
    assert changed == {"migrations/versions/c1_index.py"}
    assert "not written" not in result.stderr
