"""Helpers for the adoption tests: real git repositories, the CLI in-process, tree snapshots."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from driftlint.cli import cli

from ..conftest import FIXTURES, write_tree

ALEMBIC_INI = "[alembic]\nscript_location = %(here)s/migrations\n"


def revision(rev: str, down: str | tuple[str, ...] | None, doc: str = "", body: str = "pass", extra: str = "") -> str:
    return (
        f'"""{doc or rev}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n\n"
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        f"{extra}"
        "\n\ndef upgrade():\n"
        f"    {body}\n"
    )


def project(revisions: dict[str, str]) -> dict[str, str]:
    """A minimal Alembic project: alembic.ini, env.py and the given versions/ files."""
    files = {"alembic.ini": ALEMBIC_INI, "migrations/env.py": ""}
    files.update({f"migrations/versions/{name}": text for name, text in revisions.items()})
    return files


def git_env(home: Path) -> dict[str, str]:
    """Isolated from the user's git config: fixed identity, no hooks, signing or templates."""
    env = dict(os.environ)
    config = home / "gitconfig"
    if not config.exists():
        home.mkdir(parents=True, exist_ok=True)
        config.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env.update(
        GIT_CONFIG_GLOBAL=str(config),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="driftlint tests",
        GIT_AUTHOR_EMAIL="tests@driftlint.invalid",
        GIT_COMMITTER_NAME="driftlint tests",
        GIT_COMMITTER_EMAIL="tests@driftlint.invalid",
    )
    return env


class Repo:
    """A throwaway git repository driven through the real git executable."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], check=False, cwd=self.root, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def write(self, files: dict[str, str]) -> None:
        write_tree(self.root, files)

    def remove(self, *paths: str) -> None:
        for path in paths:
            (self.root / path).unlink()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def invoke(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    previous = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    finally:
        os.chdir(previous)


def copy_fixture(name: str, destination: Path) -> Path:
    target = destination / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns(".driftlint_cache", "__pycache__"))
    return target


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root except driftlint's cache: to prove a command wrote nothing."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and ".driftlint_cache" not in rel.split("/") and "/.git/" not in f"/{rel}":
            files[rel] = path.read_bytes()
    return files
