"""Squawk as the oracle: on each revision's `alembic upgrade A:B --sql`, wherever Squawk finds a lock
or a breaking change that a DL5xx rule implements, driftlint finds it in that revision too, or the
history proves the statement harmless, and the test names that fact and checks it in driftlint's
own reading of the history."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from driftlint.diagnostics import Diagnostic
from driftlint.engine import CheckOptions, run_check
from driftlint.project import Project
from driftlint.schema.model import ADD_COLUMN, BINARY_COERCIBLE, ObjectRef
from driftlint.schema.safety import New, deployments

from ..conftest import FIXTURES

FIXTURE = "lock-taking-history"
REVISIONS = [f"r{n:02d}" for n in range(1, 31)]

# Squawk's rules that a DL5xx rule implements, and the codes that implement each. (Squawk's
# constraint-missing-not-valid also fires on foreign keys, unique and primary keys, which driftlint
# reports under their own rules; its timeouts are per file where DL518 is per environment, and its
# type preferences are opt-in here.)
IMPLEMENTED = {
    "require-concurrent-index-creation": {"DL501"},
    "require-concurrent-index-deletion": {"DL502"},
    "ban-concurrent-index-creation-in-transaction": {"DL503"},
    "adding-required-field": {"DL504"},
    "adding-field-with-default": {"DL505"},
    "adding-serial-primary-key-field": {"DL506"},
    "changing-column-type": {"DL507"},
    "adding-not-nullable-field": {"DL508"},
    "constraint-missing-not-valid": {"DL509", "DL510", "DL511", "DL506"},
    "adding-foreign-key-constraint": {"DL510"},
    "disallowed-unique-constraint": {"DL511"},
    "ban-drop-column": {"DL512"},
    "ban-drop-table": {"DL513"},
    "renaming-column": {"DL514"},
    "renaming-table": {"DL515"},
    "require-concurrent-reindex": {"DL519"},
}

# Where driftlint is quiet and Squawk is not: (revision, Squawk rule) -> the fact that proves the
# statement harmless, checked below against driftlint's reading of the history.
EACH_REVISION_ALONE = {
    ("r09", "changing-column-type"): ("catalog-only", "users", "nickname"),
    ("r13", "adding-not-nullable-field"): ("validated-check", "users", "email", "r11", "r12"),
    ("r26", "adding-required-field"): ("new-table", "drafts", "r26"),
    ("r30", "ban-drop-column"): ("column-added", "notes", "scratch", "r30"),
}
SINCE = "r27"  # r28-r30 are deployed together
DEPLOYED_AFTER_R27 = {
    **{key: fact for key, fact in EACH_REVISION_ALONE.items() if key[0] > SINCE},
    ("r29", "require-concurrent-index-creation"): ("new-table", "notes", "r28"),
    ("r29", "adding-required-field"): ("new-table", "notes", "r28"),
    ("r30", "renaming-table"): ("new-table", "notes", "r28"),
}


def _squawk() -> str:
    found = shutil.which("squawk")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("squawk (squawk-cli, in the [test] extra) must be installed in CI", pytrace=False)
        pytest.skip("squawk is not installed (pip install squawk-cli)")
    return found


def _revision_sql(root: Path) -> dict[str, str]:
    """Each revision's SQL, as `alembic upgrade <down>:<revision> --sql` prints it."""
    from alembic import command
    from alembic.config import Config

    sql: dict[str, str] = {}
    previous = None
    for revision in REVISIONS:
        buffer = io.StringIO()
        config = Config(str(root / "alembic.ini"), output_buffer=buffer)
        command.upgrade(config, f"{previous}:{revision}" if previous else revision, sql=True)
        sql[revision] = buffer.getvalue()
        previous = revision
    return sql


@pytest.fixture(scope="module")
def squawk_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The Squawk rules each revision's SQL breaks (those driftlint implements)."""
    squawk = _squawk()
    folder = tmp_path_factory.mktemp("sql")
    for revision, text in _revision_sql(FIXTURES / FIXTURE).items():
        (folder / f"{revision}.sql").write_text(text)
    completed = subprocess.run(
        [squawk, "--pg-version", "14", "--reporter", "json", *sorted(str(p) for p in folder.glob("*.sql"))],
        capture_output=True, text=True, check=False,
    )
    found: dict[str, set[str]] = {revision: set() for revision in REVISIONS}
    for violation in json.loads(completed.stdout):
        if violation["rule_name"] in IMPLEMENTED:
            found[Path(violation["file"]).stem].add(violation["rule_name"])
    return found


def _driftlint(root: Path, settings: str) -> tuple[list[Diagnostic], Project]:
    (root / "pyproject.toml").write_text(f"[tool.driftlint]\n{settings}")
    previous = Path.cwd()
    os.chdir(root)
    try:
        result = run_check(CheckOptions(paths=[Path(".")], cwd=root, use_cache=False, select=("DL5",)))
    finally:
        os.chdir(previous)
    assert result.project is not None
    return result.diagnostics, result.project


def _codes_by_revision(diagnostics: list[Diagnostic]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for diagnostic in diagnostics:
        stem = Path(diagnostic.path).stem
        if stem[:3] in REVISIONS:
            found.setdefault(stem[:3], set()).add(diagnostic.code)
    return found


def _compare(squawk: dict[str, set[str]], ours: dict[str, set[str]], exceptions: dict, checked: list[str]) -> list[tuple]:
    """The (revision, Squawk rule) pairs driftlint misses; every exception must be such a pair."""
    missed = []
    for revision in checked:
        for rule in sorted(squawk[revision]):
            if not IMPLEMENTED[rule] & ours.get(revision, set()):
                missed.append((revision, rule))
    assert sorted(missed) == sorted(exceptions), "driftlint misses what Squawk finds, with no history fact to explain it"
    return missed


def _prove(fact: tuple, project: Project, revision: str) -> None:
    """Check the named fact in driftlint's reading of the history."""
    [deployment] = deployments(project)
    operations = deployment.history.effects[revision].operations
    kind, table_name, *rest = fact
    table = ObjectRef("table", "public", table_name)
    on_table = [o for o in operations if o.table is not None and o.table.key == table.key]
    assert on_table, f"{revision} has no statement on {table_name}"
    if kind == "new-table":
        [creator] = rest
        state = deployment.table_state(table, revision, on_table[-1])
        assert isinstance(state, New) and state.creation is not None and state.creation.revision == creator
        assert deployment.together(creator, revision)
    elif kind == "column-added":
        column, adder = rest
        dropping = next(o for o in on_table if o.column == column and o.kind != ADD_COLUMN)
        added = deployment.column_added(table, column, revision, dropping)
        assert added is not None and added[0] == adder
    elif kind == "catalog-only":
        [column] = rest
        assert any(BINARY_COERCIBLE in o.flags and o.column == column for o in on_table)
    elif kind == "validated-check":
        column, adder, validator = rest
        [set_not_null] = [o for o in on_table if o.column == column]
        earlier = [(r, o) for r, o in deployment.earlier_operations(revision, set_not_null) if o.table == table]
        [added] = [o for r, o in earlier if r == adder and o.kind == "add_constraint" and o.column == column]
        assert any(r == validator and o.kind == "validate_constraint" and o.name == added.name for r, o in earlier)
    else:  # pragma: no cover - a typo in the table above
        raise AssertionError(kind)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / FIXTURE
    shutil.copytree(FIXTURES / FIXTURE, root)
    return root


def test_every_revision_squawk_faults_is_faulted_or_proven_harmless(squawk_findings, tmp_path: Path):
    diagnostics, project = _driftlint(_copy(tmp_path), "")
    missed = _compare(squawk_findings, _codes_by_revision(diagnostics), EACH_REVISION_ALONE, REVISIONS)
    for revision, rule in missed:
        _prove(EACH_REVISION_ALONE[(revision, rule)], project, revision)


def test_revisions_deployed_together_know_the_tables_they_create(squawk_findings, tmp_path: Path):
    diagnostics, project = _driftlint(_copy(tmp_path), f'migration-safety-since = "{SINCE}"\n')
    checked = REVISIONS[REVISIONS.index(SINCE) + 1:]
    ours = _codes_by_revision(diagnostics)
    assert set(ours) <= set(checked), "revisions up to migration-safety-since are history"
    missed = _compare(squawk_findings, ours, DEPLOYED_AFTER_R27, checked)
    for revision, rule in missed:
        _prove(DEPLOYED_AFTER_R27[(revision, rule)], project, revision)


def test_the_fixture_exercises_every_implemented_squawk_rule(squawk_findings):
    assert set().union(*squawk_findings.values()) == set(IMPLEMENTED)
