"""Rule.reads: what of each file's facts a rule depends on, checked against what it reads, and the
reuse of a rule's findings after an edit that changes only other parts."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

import driftlint.engine as engine
import driftlint.inputs as inputs
from driftlint.docs import parse_rule_doc
from driftlint.engine import CheckOptions, CheckResult, run_check
from driftlint.facts import Extractor
from driftlint.facts.extractors import fact_parts
from driftlint.facts.model import IDENTITY_FIELDS, FileFacts, changed_parts
from driftlint.graph import RevisionGraph
from driftlint.project import EnvironmentAnalysis, Project
from driftlint.rule import Rule, all_rules, static_rules

from ..conftest import FIXTURES, REPO, write_tree
from ..conftest import cached_check as check

STATIC_RULES = static_rules()
FIELDS = {f.name for f in dataclasses.fields(FileFacts)}


# -- recording what a rule reads --------------------------------------------------------------------


class _Log:
    parts: set[str] | None = None

    @classmethod
    def add(cls, *names: str) -> None:
        if cls.parts is not None:
            cls.parts.update(names)


class _WatchedExtra(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: str) -> Any:
        _Log.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        _Log.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        _Log.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        _Log.add(*self.keys())
        return super().__iter__()

    def items(self) -> Any:
        _Log.add(*self.keys())
        return super().items()

    def values(self) -> Any:
        _Log.add(*self.keys())
        return super().values()


class _WatchedFacts(FileFacts):
    def __getattribute__(self, name: str) -> Any:
        if name in FIELDS and name != "extra":
            _Log.add(name)
        return object.__getattribute__(self, name)


class _WatchedProject(Project):
    def __getattribute__(self, name: str) -> Any:
        if name == "environments":
            _Log.add("<environments>")
        return object.__getattribute__(self, name)


def _watched(facts: FileFacts) -> FileFacts:
    copy = _WatchedFacts.__new__(_WatchedFacts)
    copy.__dict__.update(facts.__dict__)
    copy.__dict__["extra"] = _WatchedExtra(facts.extra)
    return copy


def reads_of(rule: type[Rule], project: Project) -> set[str]:
    """The fact parts `rule` reads on `project`, on a fresh copy (no index another rule built).
    A rule that looks at the environments depends on what their revision graphs were built from."""
    files = {path: _watched(facts) for path, facts in project.files.items()}
    environments = [
        EnvironmentAnalysis(analysis.environment, [files[s.path] for s in analysis.scripts], None)  # type: ignore[arg-type]
        for analysis in project.environments
    ]
    _Log.parts = set()
    try:
        for analysis in environments:
            analysis.graph = RevisionGraph(analysis.scripts)
        graph_parts, _Log.parts = _Log.parts, set()
        copy = _WatchedProject(cwd=project.cwd, root=project.root, settings=project.settings, files=files)
        copy.environments = environments
        list(rule().check(copy))
        read = _Log.parts
    finally:
        _Log.parts = None
    if "<environments>" in read:
        read = (read - {"<environments>"}) | graph_parts
    return read


def _projects() -> Iterator[Any]:
    for folder in sorted(FIXTURES.iterdir()):
        yield pytest.param(("fixture", folder.name), id=folder.name)
    for rule in STATIC_RULES:
        doc = parse_rule_doc(REPO / "rules" / f"{rule.name}.md")
        for section in ("Example", "Use instead"):
            for number, _scenario in enumerate(doc.scenarios(section)):
                yield pytest.param(("doc", rule.name, section, number), id=f"{rule.name}-{section}-{number}")


def _materialise(source: tuple[Any, ...], tmp_path: Path) -> Path:
    if source[0] == "fixture":
        root = tmp_path / source[1]
        shutil.copytree(FIXTURES / source[1], root, symlinks=True)
        return root
    _, name, section, number = source
    scenario = parse_rule_doc(REPO / "rules" / f"{name}.md").scenarios(section)[number]
    return write_tree(tmp_path / "doc", scenario.files)


def test_declared_parts_are_fact_parts():
    parts = set(fact_parts())
    assert not parts & set(IDENTITY_FIELDS)
    assert len(parts) == len(fact_parts()), "an extractor key equals a FileFacts field name"
    for rule in STATIC_RULES:
        assert rule.reads is not None, f"{rule.code} declares no reads: every edit would run it again"
        keys = {extractor.key for extractor in rule.reads}
        assert all(isinstance(e, Extractor) for e in rule.reads), f"{rule.code} names something that is not an extractor"
        assert keys <= parts, f"{rule.code} declares unknown parts {sorted(keys - parts)}"


@pytest.mark.parametrize("source", list(_projects()))
def test_each_rule_reads_only_what_it_declares(source: tuple[Any, ...], tmp_path: Path):
    root = _materialise(source, tmp_path)
    previous = Path.cwd()
    os.chdir(root)
    try:
        result = run_check(CheckOptions(paths=[Path(".")], cwd=root, use_cache=False, jobs=1))
        if result.project is None:
            return
        for rule in STATIC_RULES:
            read = reads_of(rule, result.project)
            assert "digest" not in read, f"{rule.code} reads digests: a touched file would change its findings"
            declared = {extractor.key for extractor in rule.reads or ()}
            undeclared = read - set(IDENTITY_FIELDS) - declared
            assert not undeclared, f"{rule.code} reads {sorted(undeclared)} but declares {sorted(declared)}"
    finally:
        os.chdir(previous)


def test_the_recorder_sees_a_read_through_an_index(tmp_path: Path):
    """The harness itself: a Celery rule reads module facts only through the shared task index."""
    root = _materialise(("fixture", "seed-celery-drift"), tmp_path)
    previous = Path.cwd()
    os.chdir(root)
    try:
        project = run_check(CheckOptions(paths=[Path(".")], cwd=root, use_cache=False, jobs=1)).project
    finally:
        os.chdir(previous)
    assert project is not None
    rule = next(r for r in all_rules() if r.code == "DL303")
    assert "celery" in reads_of(rule, project)
    assert "schema" in reads_of(next(r for r in all_rules() if r.code == "DL201"), project)


def test_changed_parts_names_each_part_that_differs():
    old = FileFacts(path=Path("a.py"), kind="module", digest="1", extra={"celery": 1, "schema": 2})
    assert changed_parts(old, dataclasses.replace(old, digest="2")) == frozenset()
    assert changed_parts(old, dataclasses.replace(old, extra={"celery": 1, "schema": 3})) == {"schema"}
    assert changed_parts(old, dataclasses.replace(old, extra={"celery": 1})) == {"schema"}
    assert changed_parts(old, dataclasses.replace(old, looks_like_revision=True)) == {"looks_like_revision"}
    assert changed_parts(old, dataclasses.replace(old, kind="revision")) is None


# -- reusing the findings of the rules an edit cannot concern -------------------------------------

REVISION = '''"""{title}"""
from alembic import op

revision = "{rid}"
down_revision = {down}


def upgrade():
    op.execute("{sql}")
'''
TASKS = '''from celery import shared_task
from sqlalchemy import text


@shared_task
def refresh(conn):
    conn.execute(text("REFRESH MATERIALIZED VIEW {view}"))
'''
PROJECT = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": "",
    "migrations/versions/a1.py": REVISION.format(title="a1", rid="a1", down="None", sql="CREATE TABLE tenants (id int)"),
    "migrations/versions/b1.py": REVISION.format(title="b1", rid="b1", down='"a1"', sql="CREATE TABLE orders (id int)"),
    "migrations/versions/c1.py": REVISION.format(title="c1", rid="c1", down='"a1"', sql="CREATE MATERIALIZED VIEW totals AS SELECT 1"),
    "app/tasks.py": TASKS.format(view="totals"),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", PROJECT)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The code of every rule whose check runs."""
    codes: list[str] = []
    for rule in STATIC_RULES:
        original = rule.check

        def counting(self: Any, project: Any, _original: Any = original, _code: str = rule.code) -> Any:
            codes.append(_code)
            return _original(self, project)

        monkeypatch.setattr(rule, "check", counting)
    return codes


def shown(result: CheckResult) -> list[tuple[str, str, int, int, str]]:
    return [(d.code, d.path, d.location.row, d.location.column, d.message) for d in result.diagnostics]


def family(codes: list[str], prefix: str) -> list[str]:
    return [code for code in codes if code.startswith(prefix)]


@pytest.mark.usefixtures("trusted")
def test_a_schema_edit_runs_the_schema_rules_and_reuses_the_celery_ones(repo: Path, tmp_path: Path, ran: list[str]):
    cache = tmp_path / "cache"
    check(repo, cache)
    ran.clear()
    # b1 now refers to a table only its sibling c1 creates: a DL201 finding appears.
    (repo / "migrations/versions/b1.py").write_text(
        REVISION.format(title="b1", rid="b1", down='"a1"', sql="INSERT INTO totals_source SELECT * FROM orders")
        + '    op.execute("SELECT * FROM totals")\n'
    )
    result = check(repo, cache)
    assert result.project is not None
    assert "DL201" in ran and not family(ran, "DL30"), ran
    assert shown(result) == shown(check(repo, None))
    assert "DL201" in [code for code, *_ in shown(result)]


@pytest.mark.usefixtures("trusted")
def test_a_task_edit_runs_the_celery_rules_and_reuses_the_schema_ones(repo: Path, tmp_path: Path, ran: list[str]):
    cache = tmp_path / "cache"
    first = check(repo, cache)
    ran.clear()
    (repo / "app/tasks.py").write_text(TASKS.format(view="no_such_view"))
    result = check(repo, cache)
    assert result.project is not None
    assert "DL301" in ran and not family(ran, "DL2") and not family(ran, "DL1"), ran
    assert shown(result) == shown(check(repo, None))
    assert shown(result) != shown(first)


@pytest.mark.usefixtures("trusted")
def test_a_header_edit_runs_every_rule_that_reads_the_graph(repo: Path, tmp_path: Path, ran: list[str]):
    cache = tmp_path / "cache"
    check(repo, cache)
    ran.clear()
    (repo / "migrations/versions/c1.py").write_text(
        REVISION.format(title="c1", rid="c1", down='"b1"', sql="CREATE MATERIALIZED VIEW totals AS SELECT 1")
    )
    result = check(repo, cache)
    assert {"DL101", "DL201", "DL401"} <= set(ran) and not family(ran, "DL30"), ran
    assert shown(result) == shown(check(repo, None))
    assert "DL101" not in [code for code, *_ in shown(result)]


@pytest.mark.usefixtures("trusted")
def test_a_rule_without_a_declaration_always_runs_again(repo: Path, tmp_path: Path, ran: list[str], monkeypatch: pytest.MonkeyPatch):
    rule = next(r for r in all_rules() if r.code == "DL302")
    monkeypatch.setattr(rule, "reads", None)
    cache = tmp_path / "cache"
    check(repo, cache)
    ran.clear()
    (repo / "migrations/versions/b1.py").write_text(
        REVISION.format(title="b1", rid="b1", down='"a1"', sql="UPDATE orders SET id = 2")
    )
    check(repo, cache)
    assert family(ran, "DL30") == ["DL302"], ran


@pytest.mark.usefixtures("trusted")
def test_a_suppression_added_hides_a_reused_finding(repo: Path, tmp_path: Path, ran: list[str]):
    """A comment that only adds a suppression changes no part a rule reads: every finding is
    reused, and the suppression applies to them as to fresh ones."""
    cache = tmp_path / "cache"
    [heads] = [d for d in check(repo, cache).diagnostics if d.code == "DL101"]
    target = repo / heads.path
    lines = target.read_text().splitlines(keepends=True)
    lines[heads.location.row - 1] = lines[heads.location.row - 1].rstrip("\n") + "  # driftlint: ignore[DL101]\n"
    target.write_text("".join(lines))
    ran.clear()
    result = check(repo, cache)
    assert ran == [] and result.project is not None
    assert "DL101" not in [d.code for d in result.diagnostics]
    assert shown(result) == shown(check(repo, None))


def test_an_edit_after_a_racy_run_can_still_reuse_the_findings(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The edited file changed just before the last run (its signature was not trusted then): the
    early cutoff compares it by content, as it does every file of the layout."""
    victim = repo / "migrations/versions/b1.py"
    racy_inode = victim.stat().st_ino

    def racy(sig: Any, started_ns: int) -> bool:
        return isinstance(sig, tuple) and sig[1] == racy_inode and sig[4] != 0  # a read, not a bare stat

    monkeypatch.setattr(inputs, "racy", racy)
    monkeypatch.setattr("driftlint.engine.memory.racy", racy)
    cache = tmp_path / "cache"
    first = check(repo, cache)
    with victim.open("a") as handle:
        handle.write("# a comment\n")
    second = check(repo, cache)
    assert second.project is None, "the facts are unchanged: the findings are reused"
    assert shown(second) == shown(first)
    victim.write_text(victim.read_text().replace("CREATE TABLE orders", "CREATE TABLE orders_v2"))
    third = check(repo, cache)
    assert third.project is not None
    assert shown(third) == shown(check(repo, None))
