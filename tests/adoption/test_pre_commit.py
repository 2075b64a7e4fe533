"""The pre-commit hook, run by the real `pre-commit` tool against throwaway git repositories."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ..conftest import FIXTURES, REPO
from .helpers import git_env

SNIPPET = REPO / "docs" / "integrations" / "pre-commit-config.yaml"
pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="the pre-commit tool is not installed")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = git_env(tmp_path_factory.mktemp("git-home"))
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.pop("PRE_COMMIT", None)
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, hook_env: dict[str, str]) -> tuple[Path, str]:
    """This working tree (tracked and new files, as git would see them) committed in a fresh
    repository: pre-commit installs a hook repository from a commit, never from a folder."""
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO, hook_env)
    assert listed.returncode == 0, listed.stderr
    root = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed.stdout.split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "hook"]):
        done = _run(command, root, hook_env)
        assert done.returncode == 0, done.stderr
    sha = _run(["git", "rev-parse", "HEAD"], root, hook_env).stdout.strip()
    return root, sha


def consumer(tmp_path: Path, fixture: str, hook_repo: tuple[Path, str], env: dict[str, str]) -> Path:
    """A project using the README's pre-commit config, pointed at the local hook repository."""
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root, ignore=shutil.ignore_patterns(".driftlint_cache", "__pycache__"))
    config = yaml.safe_load(SNIPPET.read_text())
    config["repos"][0]["repo"], config["repos"][0]["rev"] = str(hook_repo[0]), hook_repo[1]
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"]):
        assert _run(command, root, env).returncode == 0
    return root


def test_hook_fails_on_a_history_with_two_heads(tmp_path, hook_repo, hook_env):
    root = consumer(tmp_path, "three-heads", hook_repo, hook_env)

    done = _run(["pre-commit", "run", "--all-files", "--color", "never"], root, hook_env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "driftlint" in done.stdout and "Failed" in done.stdout
    assert "DL101 3 heads (a100, b100, c100)" in done.stdout


def test_hook_passes_on_a_merged_history(tmp_path, hook_repo, hook_env):
    root = consumer(tmp_path, "diamond-merge", hook_repo, hook_env)

    done = _run(["pre-commit", "run", "--all-files", "--color", "never"], root, hook_env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "driftlint" in done.stdout and "Passed" in done.stdout


def test_hook_is_skipped_when_no_python_or_config_file_changed(tmp_path, hook_repo, hook_env):
    root = consumer(tmp_path, "three-heads", hook_repo, hook_env)
    (root / "NOTES.md").write_text("notes\n")
    assert _run(["git", "add", "NOTES.md"], root, hook_env).returncode == 0

    done = _run(["pre-commit", "run", "--files", "NOTES.md", "--color", "never"], root, hook_env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "(no files to check)Skipped" in done.stdout


def test_hook_definition_matches_the_documented_contract():
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())

    assert hook["id"] == "driftlint"
    assert hook["entry"] == "driftlint check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["require_serial"] is True
    files = re.compile(hook["files"])
    assert all(files.search(name) for name in ("migrations/versions/a1.py", "alembic.ini", "pyproject.toml"))
    assert not any(files.search(name) for name in ("README.md", "migrations/script.py.mako", "setup.pyc"))
