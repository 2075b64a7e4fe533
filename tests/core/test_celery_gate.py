"""Celery facts are extracted only when some file could make them matter (the CELERY extractor's gate):
a module that mentions celery, or a revision that mentions a materialized view. Whatever the
gate did on earlier runs, a cached check reports what a check without a cache reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftlint.engine import CheckResult

from ..conftest import cached_check as check
from ..conftest import write_tree

BASE: dict[str, str | bytes] = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": "",
    "migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n    pass\n',
    "app/__init__.py": "",
    "app/jobs.py": 'SCHEDULE = {"nightly": {"task": "app.jobs.gone", "schedule": 60.0}}\n\n\ndef work():\n    return 1\n',
}
CELERY_APP = (
    'from celery import Celery\n\nfrom app.jobs import SCHEDULE\n\n'
    'app = Celery("app", include=["app.jobs"])\napp.conf.beat_schedule = SCHEDULE\n'
)
MATVIEW = (
    'revision = "b1"\ndown_revision = "a1"\n\nfrom alembic import op\n\n\ndef upgrade():\n'
    '    op.execute("CREATE MATERIALIZED VIEW mv_sales AS SELECT 1 AS id")\n'
)
REGISTRY = 'MATERIALIZED_VIEWS = ["mv_sales", "mv_gone"]\n'


def codes(result: CheckResult) -> list[tuple[str, str, int]]:
    return [(d.code, d.path, d.location.row) for d in result.diagnostics]


def test_a_project_without_celery_or_materialized_views_extracts_no_celery_facts(tmp_path: Path):
    root = write_tree(tmp_path / "repo", BASE)
    result = check(root, None)
    assert result.project is not None
    jobs = next(f for p, f in result.project.files.items() if p.name == "jobs.py")
    assert "celery" not in jobs.extra
    write_tree(root, {"app/celery_app.py": CELERY_APP})
    result = check(root, None)
    assert result.project is not None
    jobs = next(f for p, f in result.project.files.items() if p.name == "jobs.py")
    assert "celery" in jobs.extra


@pytest.mark.usefixtures("trusted")
@pytest.mark.parametrize(
    "opener",
    [
        pytest.param({"app/celery_app.py": CELERY_APP}, id="a module starts using celery"),
        pytest.param({"migrations/versions/b1.py": MATVIEW, "app/views.py": REGISTRY}, id="a revision creates a matview"),
    ],
)
def test_opening_and_closing_the_gate_reports_what_an_uncached_check_does(tmp_path: Path, opener: dict[str, str]):
    root = write_tree(tmp_path / "repo", BASE)
    cache = tmp_path / "cache"
    assert codes(check(root, cache)) == codes(check(root, None)) == []
    # New files: a new folder listing, so the full path (the layout's is the next test's).
    write_tree(root, opener)
    assert codes(check(root, cache)) == codes(check(root, None)) != []
    # Closing it again: the gate may stay open, the findings may not stay. (An empty b1.py would
    # be a finding of its own: Alembic reads a hex file name as a legacy revision id, DL107.)
    for name in opener:
        (root / name).write_text('revision = "b1"\ndown_revision = "a1"\n' if name.endswith("b1.py") else "")
    assert codes(check(root, cache)) == codes(check(root, None)) == []


@pytest.mark.usefixtures("trusted")
def test_an_edit_that_opens_the_gate_under_a_reused_layout(tmp_path: Path):
    """The module already exists: only its bytes change, so the last run's layout is reused, and
    the other modules' cached facts, extracted without the Celery analysis, must be extracted again."""
    root = write_tree(tmp_path / "repo", {**BASE, "app/celery_app.py": "# no app yet\n"})
    cache = tmp_path / "cache"
    assert codes(check(root, cache)) == []
    (root / "app/celery_app.py").write_text(CELERY_APP)
    opened = check(root, cache)
    assert codes(opened) == codes(check(root, None))
    assert [code for code, _path, _row in codes(opened)] == ["DL303"]


@pytest.mark.usefixtures("trusted")
def test_an_edit_elsewhere_keeps_an_open_gate_open(tmp_path: Path):
    """Under a reused layout the unchanged files are not read: the gate of the run that left the
    layout stands, or the Celery findings would vanish with an unrelated edit."""
    root = write_tree(tmp_path / "repo", {**BASE, "app/celery_app.py": CELERY_APP})
    cache = tmp_path / "cache"
    first = check(root, cache)
    assert [d.code for d in first.diagnostics] == ["DL303"]
    # jobs.py does not mention celery itself; the app module that does is not read again.
    for task in ("app.jobs.renamed", "app.jobs.other"):
        (root / "app/jobs.py").write_text(BASE["app/jobs.py"].replace("app.jobs.gone", task))  # type: ignore[union-attr]
        cached, uncached = check(root, cache), check(root, None)
        assert [d.message for d in cached.diagnostics] == [d.message for d in uncached.diagnostics]
        assert task in cached.diagnostics[0].message
