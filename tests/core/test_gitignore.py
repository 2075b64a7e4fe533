"""`respect-gitignore`: what git ignores is not checked, with `git` itself as the oracle."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftlint.config import Settings
from driftlint.discovery import walk_project

from ..conftest import cached_check, write_tree
from .conftest import alembic_tree, check, found

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle")

# Pattern pieces git's wildmatch treats specially: anchors, `**` in every position, classes,
# negation, escapes, trailing slashes and spaces, and an unterminated bracket.
PATTERNS = st.sampled_from(
    [
        "build/", "/build", "build", "*.pyc", "*.py", "!keep.py", "!*.py", "!*/", "a/**", "**/x", "a/**/b",
        "/a/*", "docs/**/gen", "[ab]*", "[!a]?", "[[:digit:]]*", "[a-c]x", "z[", "\\#h", "\\!n", "m?n",
        "sub/*.py", "!sub/", "*", "**", "x ", "x\\ ", "# comment", "", "/a/b/", "b/", "!a/keep.py",
    ]
)
NAMES = st.sampled_from(["a", "b", "x", "build", "sub", "docs", "gen", "1x", "bx", "#h", "!n", "man", "keep.py", "t.py", "f.pyc", "x "])
TREES = st.lists(st.lists(NAMES, min_size=1, max_size=4), min_size=1, max_size=12)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def walked_files(root: Path, **options: object) -> set[str]:
    kept = set()
    for folder, _dirs, files in walk_project([root], Settings(root=root, exclude=(".git",), **options)):  # type: ignore[arg-type]
        kept.update((folder / name).relative_to(root).as_posix() for name in files if name != ".git")
    return kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=TREES,
    top=st.lists(PATTERNS, max_size=5),
    nested=st.lists(PATTERNS, max_size=3),
    nested_at=NAMES,
    exclude=st.lists(PATTERNS, max_size=2),
)
def test_walk_keeps_exactly_the_files_git_does_not_ignore(tree, top, nested, nested_at, exclude):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        git(root, "init", "-q")
        for parts in tree:
            path = root.joinpath(*parts)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue  # a name already used as a file (or a folder) on this path
        (root / ".gitignore").write_text("\n".join(top) + "\n")
        if (root / nested_at).is_dir():
            (root / nested_at / ".gitignore").write_text("\r\n".join(nested))
        (root / ".git/info").mkdir(exist_ok=True)
        (root / ".git/info/exclude").write_text("\n".join(exclude) + "\n")
        expected = set(git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")) - {""}
        assert walked_files(root) == expected


def test_ignore_files_outside_a_git_work_tree_are_not_read(tmp_path: Path):
    """As Ruff and ripgrep: a source tarball or a Docker context without `.git` is checked whole."""
    write_tree(tmp_path, {".gitignore": "vendor/\n", "vendor/lib.py": "", "app.py": ""})
    assert walked_files(tmp_path) == {".gitignore", "vendor/lib.py", "app.py"}


def test_linked_worktree_reads_the_common_info_exclude(tmp_path: Path):
    main = tmp_path / "main"
    main.mkdir()
    git(main, "init", "-q")
    git(main, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start")
    git(main, "worktree", "add", "-q", str(tmp_path / "linked"))
    (main / ".git/info").mkdir(exist_ok=True)
    (main / ".git/info/exclude").write_text("scratch/\n")
    linked = tmp_path / "linked"
    write_tree(linked, {"scratch/notes.py": "", "app.py": ""})
    assert walked_files(linked) == {"app.py"}


VENDORED = {
    **alembic_tree(("1000", None)),
    "vendor/lib/alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n",
    "vendor/lib/migrations/env.py": "",
    "vendor/lib/migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n',
    "vendor/lib/migrations/versions/b1.py": 'revision = "b1"\ndown_revision = None\n',
    ".gitignore": "/vendor/\n",
}
VENDORED_FINDING = "vendor/lib/migrations/versions/b1.py:2:1 DL102"


def vendored(root: Path) -> Path:
    write_tree(root, VENDORED)
    git(root, "init", "-q")
    return root


def codes_at(result) -> list[str]:
    return [line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in found(result)]


def test_ignored_folder_with_an_alembic_environment_is_not_checked(tmp_path: Path):
    root = vendored(tmp_path)
    assert found(check(root)) == []


def test_respect_gitignore_false_checks_ignored_folders(tmp_path: Path):
    root = vendored(tmp_path)
    (root / "driftlint.toml").write_text("respect-gitignore = false\n")
    assert VENDORED_FINDING in codes_at(check(root))


def test_a_path_given_explicitly_is_checked_even_when_ignored(tmp_path: Path):
    root = vendored(tmp_path)
    assert VENDORED_FINDING in codes_at(check(root, paths=["vendor/lib"]))


def test_extend_exclude_still_applies_with_gitignore(tmp_path: Path):
    root = vendored(tmp_path)
    (root / ".gitignore").write_text("")
    assert VENDORED_FINDING in codes_at(check(root))
    (root / "driftlint.toml").write_text('extend-exclude = ["vendor"]\n')
    assert found(check(root)) == []


def test_respect_gitignore_must_be_a_boolean(tmp_path: Path):
    root = vendored(tmp_path)
    (root / "driftlint.toml").write_text('respect-gitignore = "yes"\n')
    from driftlint.config import ConfigError

    with pytest.raises(ConfigError, match="`respect-gitignore` must be true or false"):
        check(root)


def test_editing_gitignore_is_seen_by_a_cached_run(tmp_path: Path, trusted: None):
    root = vendored(tmp_path / "project")
    cache = tmp_path / "cache"
    assert cached_check(root, cache).diagnostics == []
    (root / ".gitignore").write_text("# nothing ignored\n")
    unignored = cached_check(root, cache).diagnostics
    assert "DL102" in [d.code for d in unignored]
    assert unignored == cached_check(root, None).diagnostics
    os.remove(root / ".gitignore")
    (root / "vendor/.gitignore").write_text("lib/\n")
    assert cached_check(root, cache).diagnostics == cached_check(root, None).diagnostics == []


def test_ignored_revision_files_stay_in_the_graph_alembic_loads_them(tmp_path: Path):
    root = write_tree(tmp_path, {**alembic_tree(("1000", None), ("1100", "1000")), ".gitignore": "*_step.py\n"})
    git(root, "init", "-q")
    result = check(root)
    assert [n.revision for n in result.project.environments[0].graph.load_order()] == ["1000", "1100"]


def test_an_ignored_alembic_ini_is_read_only_when_named(tmp_path: Path):
    """A local alembic.ini kept out of git (it holds a password): checked as a fresh clone is,
    unless `-c` names it."""
    root = write_tree(tmp_path, {**alembic_tree(("1000", None)), ".gitignore": "alembic.ini\n"})
    (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/elsewhere\n")
    git(root, "init", "-q")
    assert found(check(root)) == []
    assert [line.split(" ")[1] for line in found(check(root, alembic_config=[root / "alembic.ini"]))] == ["DL111"]
