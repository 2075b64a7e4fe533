"""Build little Celery projects in temp dirs and look at what the task index makes of them."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from driftlint.celery.extract import extract
from driftlint.celery.facts import ModuleFacts
from driftlint.celery.index import TaskIndex, task_index
from driftlint.engine import CheckOptions, run_check
from driftlint.project import Project
from driftlint.source import SourceFile

from ..conftest import write_tree


def facts_of(code: str) -> ModuleFacts:
    source = SourceFile.from_bytes(Path("/project/mod.py"), textwrap.dedent(code).encode("utf-8"))
    assert source.tree is not None, source.error
    facts = extract(source.tree, source, None)
    assert facts is not None
    return facts


def check(root: Path, select: tuple[str, ...] = ("DL3", "DL4"), **options: object) -> tuple[list, Project]:
    """Run driftlint on `root` (from inside it): findings and the project."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        result = run_check(
            CheckOptions(paths=[Path(".")], cwd=root, select=select, use_cache=False, **options)  # type: ignore[arg-type]
        )
    finally:
        os.chdir(previous)
    assert result.project is not None
    return result.diagnostics, result.project


def index_of(root: Path, files: dict[str, str]) -> TaskIndex:
    write_tree(root, {path: textwrap.dedent(text) for path, text in files.items()})
    _, project = check(root)
    return task_index(project)


def findings(root: Path, files: dict[str, str], code: str) -> list:
    write_tree(root, {path: textwrap.dedent(text) for path, text in files.items()})
    diagnostics, _ = check(root, select=(code,))
    return [d for d in diagnostics if d.code == code]


APP = """
from celery import Celery

app = Celery("proj", include=["proj.tasks"])
"""
