"""Helpers for the core tests: run driftlint on a fixture copy or a little tree, keeping the whole result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable

import pytest

from driftlint.engine import CheckOptions, CheckResult, run_check
from driftlint.project import EnvironmentAnalysis

from ..conftest import FIXTURES

# The rules this folder pins (issue 2); other families have their own tests.
CORE_CODES = (
    "DL001",
    "DL002",
    "DL101",
    "DL102",
    "DL103",
    "DL104",
    "DL105",
    "DL106",
    "DL107",
    "DL108",
    "DL109",
    "DL110",
    "DL111",
    "DL112",
)

INI = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"


def check(root: Path, select: Iterable[str] = CORE_CODES, paths: Iterable[str] = (".",), **options: object) -> CheckResult:
    """`driftlint check` run from inside `root`, without the cache, returning the full result."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        return run_check(
            CheckOptions(paths=[Path(p) for p in paths], cwd=root, select=tuple(select), use_cache=False, **options)  # type: ignore[arg-type]
        )
    finally:
        os.chdir(previous)


def found(result: CheckResult, code: str | None = None) -> list[str]:
    """`path:row:col CODE message` lines, optionally of one code: readable in assertion output."""
    return [
        f"{d.path}:{d.location.row}:{d.location.column} {d.code} {d.message}"
        for d in result.diagnostics
        if code is None or d.code == code
    ]


def only_environment(result: CheckResult) -> EnvironmentAnalysis:
    assert result.project is not None
    assert len(result.project.environments) == 1, [a.environment.name for a in result.project.environments]
    return result.project.environments[0]


def revision(rid: str, down: object = None, *, labels: object = None, depends_on: object = None, body: str = "") -> str:
    """A revision file as `alembic revision` writes it (annotated header)."""
    return (
        f'"""{rid}\n\nRevision ID: {rid}\n"""\n'
        "from typing import Sequence, Union\n\n"
        f"revision: str = {rid!r}\n"
        f"down_revision: Union[str, Sequence[str], None] = {down!r}\n"
        f"branch_labels: Union[str, Sequence[str], None] = {labels!r}\n"
        f"depends_on: Union[str, Sequence[str], None] = {depends_on!r}\n\n\n"
        f"def upgrade() -> None:\n    {body or 'pass'}\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def alembic_tree(*revisions: tuple[str, object], ini: str = INI) -> dict[str, str | bytes]:
    """A minimal Alembic project: alembic.ini, env.py and one file per (id, down_revision)."""
    files: dict[str, str | bytes] = {"alembic.ini": ini, "migrations/env.py": "from alembic import context\n"}
    for rid, down in revisions:
        files[f"migrations/versions/{rid}_step.py"] = revision(rid, down)
    return files


@pytest.fixture
def fixture_copy(tmp_path: Path):
    """A private copy of `fixtures/repos/<name>`, so nothing a test (or Alembic) writes lands in the repo."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target, symlinks=True)
        return target

    return copy
