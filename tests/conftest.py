"""Shared helpers: write little repositories to temp dirs and run driftlint on them in-process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import pytest

from driftlint.diagnostics import Diagnostic
from driftlint.engine import CheckOptions, CheckResult, run_check

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "repos"


# Two heads (DL101) and a module: the little project the cache and reuse tests edit.
TWO_HEADS_AND_A_MODULE: dict[str, str | bytes] = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": "",
    "migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n',
    "migrations/versions/b1.py": 'revision = "b1"\ndown_revision = "a1"\n',
    "migrations/versions/c1.py": 'revision = "c1"\ndown_revision = "a1"\n',
    "app/tasks.py": "def work():\n    return 1\n",
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def lint(root: Path, select: Iterable[str] = (), **options: object) -> list[Diagnostic]:
    """Run `driftlint check root` from inside root (paths relative to it), without the cache."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        result = run_check(
            CheckOptions(paths=[Path(".")], cwd=root, select=tuple(select), use_cache=False, **options)  # type: ignore[arg-type]
        )
    finally:
        os.chdir(previous)
    return result.diagnostics


def cached_check(root: Path, cache: Path | None) -> CheckResult:
    """Run `driftlint check .` from inside root as a plain invocation does: reusing and storing
    the whole-run result in `cache` (None: --no-cache), one job."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        return run_check(
            CheckOptions(paths=[Path(".")], cwd=root, cache_dir=cache, use_cache=cache is not None, reuse_result=True, jobs=1)
        )
    finally:
        os.chdir(previous)


def codes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


@pytest.fixture
def tree(tmp_path: Path):
    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)

    return make


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by a test are seconds old at most: trust their stat signatures anyway
    (driftlint.inputs never trusts a file changed less than RACY_WINDOW_NS before a run)."""
    import driftlint.inputs as inputs

    monkeypatch.setattr(inputs, "RACY_WINDOW_NS", -(10**18))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that use the cache keep it out of the repository's fixtures (tests/test_cache.py,
    which tests where the cache goes, overrides this fixture)."""
    monkeypatch.setenv("DRIFTLINT_CACHE_DIR", str(tmp_path_factory.mktemp("driftlint-cache")))
