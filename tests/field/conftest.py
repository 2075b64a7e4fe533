"""Helpers for the field tests: run driftlint on a private copy of a fixture repository."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from driftlint.diagnostics import Diagnostic

from ..conftest import FIXTURES, lint


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of `fixtures/repos/<name>`, so a test may edit it and nothing lands in the repository."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target, symlinks=True)
        return target

    return copy


def findings(root: Path, *select: str) -> list[Diagnostic]:
    # The field tests pin what real histories say about their graph and schema references;
    # migration safety (DL5xx) has its own tests (tests/schema/test_safety*.py).
    return lint(root, select=select, ignore=("DL5",))


def summary(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return sorted((d.code, d.path) for d in diagnostics)
