"""Extraction split across forked children gives exactly what one process gives, and survives a failing child."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import driftlint.engine as engine
import driftlint.facts.extract as extraction
import driftlint.workers as workers
from driftlint.engine.analyse import in_child
from driftlint.engine import CheckOptions, CheckResult, run_check

from ..conftest import FIXTURES, write_tree

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="extraction is serial without fork")


def mixed_repo(root: Path) -> Path:
    """Revisions (schema facts, a fork in the history) and Celery modules (tasks, a schedule)."""
    files: dict[str, str] = {"alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n", "migrations/env.py": ""}
    for number in range(40):
        down = f'"r{number - 1:03d}"' if number else "None"
        files[f"migrations/versions/r{number:03d}.py"] = (
            f'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "r{number:03d}"\ndown_revision = {down}\n\n\n'
            f'def upgrade():\n    op.create_table("t{number}", sa.Column("id", sa.Integer(), primary_key=True))\n'
            f'    op.execute("UPDATE t{number} SET id = id")\n'
        )
    files["migrations/versions/side.py"] = 'revision = "side"\ndown_revision = "r010"\n'
    files["app/celery_app.py"] = 'from celery import Celery\napp = Celery("x")\napp.conf.beat_schedule = {"a": {"task": "app.tasks.t0.gone", "schedule": 5}}\n'
    for number in range(30):
        files[f"app/tasks/t{number}.py"] = (
            "from celery import shared_task\n\n\n@shared_task\ndef work():\n"
            f'    return "REFRESH MATERIALIZED VIEW mv_{number}"\n'
        )
    files["app/broken.py"] = "def broken(:\n"
    return write_tree(root, files)


def run(root: Path, jobs: int) -> CheckResult:
    previous = Path.cwd()
    os.chdir(root)
    try:
        return run_check(CheckOptions(paths=[Path(".")], cwd=root, use_cache=False, jobs=jobs))
    finally:
        os.chdir(previous)


def comparable(result: CheckResult) -> tuple[Any, ...]:
    assert result.project is not None
    facts = {str(path): f.extra for path, f in result.project.files.items()}
    headers = {str(path): repr(f.header) for path, f in result.project.files.items()}
    return (result.diagnostics, list(result.project.files), facts, headers)


@pytest.fixture
def parallel_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extraction, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr("driftlint.engine.check.PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr("driftlint.engine.analyse.OFFLOAD_MIN_REVISIONS", 1)


@pytest.mark.usefixtures("parallel_always")
@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_forked_extraction_equals_serial_extraction(tmp_path: Path, jobs: int):
    root = mixed_repo(tmp_path / "repo")
    serial = run(root, 1)
    assert {d.code for d in serial.diagnostics} >= {"DL001", "DL101"}
    assert comparable(run(root, jobs)) == comparable(serial)


@pytest.mark.usefixtures("parallel_always")
def test_forked_extraction_equals_serial_on_the_demo(tmp_path: Path):
    root = Path(shutil.copytree(FIXTURES / "demo", tmp_path / "demo"))
    assert comparable(run(root, 2)) == comparable(run(root, 1))


@pytest.mark.usefixtures("parallel_always")
def test_a_failing_child_costs_time_not_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = mixed_repo(tmp_path / "repo")
    expected = comparable(run(root, 1))
    parent = os.getpid()
    original = extraction.extract_batch

    def dies_in_children(batch: Any, settings: Any, active: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        return original(batch, settings, active)

    monkeypatch.setattr(extraction, "extract_batch", dies_in_children)
    assert comparable(run(root, 2)) == expected


@pytest.mark.usefixtures("parallel_always")
def test_a_child_that_fails_midway_keeps_what_it_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Chunks are taken one at a time: a child that delivered some and then died leaves the rest
    of what it took to the parent, and nothing is extracted twice into the result."""
    root = mixed_repo(tmp_path / "repo")
    expected = comparable(run(root, 1))
    parent = os.getpid()
    original = extraction.extract_batch
    batches = {"child": 0, "parent files": 0}
    sent = tmp_path / "sent"

    def slow_parent_mortal_child(batch: Any, settings: Any, active: Any) -> Any:
        if os.getpid() == parent:
            time.sleep(0.05)  # the child takes several chunks meanwhile
            batches["parent files"] += len(batch)
            return original(batch, settings, active)
        batches["child"] += 1
        if batches["child"] == 3:
            sent.write_text("2")
            os._exit(3)
        return original(batch, settings, active)

    monkeypatch.setattr(extraction, "extract_batch", slow_parent_mortal_child)
    result = run(root, 2)
    assert comparable(result) == expected
    assert sent.read_text() == "2", "the child delivered two chunks before it died"
    # Two full chunks came from the child; the parent extracted everything else, once.
    assert batches["parent files"] == len(result.project.files) - 2 * workers.CHUNK_ITEMS


def test_every_chunk_is_taken_once(tmp_path: Path):
    """The ticket pipe hands out each chunk number exactly once across processes."""
    tickets = workers.make_tickets(200)
    assert tickets is not None
    children = [workers.Child.start(lambda: iter(lambda: workers.take_ticket(tickets), None), streaming=True) for _ in range(3)]
    taken = []
    while (ticket := workers.take_ticket(tickets)) is not None:
        taken.append(ticket)
    os.close(tickets)
    for child in children:
        assert child is not None
        taken.extend(child.receive(wait=True))
    assert sorted(taken) == list(range(200))


@pytest.mark.usefixtures("parallel_always")
def test_no_child_outlives_the_check(tmp_path: Path):
    root = mixed_repo(tmp_path / "repo")
    run(root, 3)
    with pytest.raises(ChildProcessError):  # no child left to reap: each was waited for
        os.waitpid(-1, os.WNOHANG)


@pytest.mark.usefixtures("parallel_always")
def test_an_interrupted_parent_leaves_no_child_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Ctrl-C (or the fuzz tests' alarm) in the parent's own share: children are stopped and reaped."""
    root = mixed_repo(tmp_path / "repo")
    parent = os.getpid()
    original = extraction.extract_batch

    def interrupted_in_the_parent(batch: Any, settings: Any, active: Any) -> Any:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        return original(batch, settings, active)

    monkeypatch.setattr(extraction, "extract_batch", interrupted_in_the_parent)
    with pytest.raises(KeyboardInterrupt):
        run(root, 3)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def run_cached(root: Path, cache: Path, jobs: int) -> CheckResult:
    previous = Path.cwd()
    os.chdir(root)
    try:
        return run_check(CheckOptions(paths=[Path(".")], cwd=root, cache_dir=cache, reuse_result=True, jobs=jobs))
    finally:
        os.chdir(previous)


def celery_rule(code: str) -> Any:
    from driftlint.rule import all_rules

    return next(r for r in all_rules() if r.code == code)


@pytest.mark.usefixtures("parallel_always")
def test_rules_in_a_child_report_what_they_report_here(tmp_path: Path):
    root = mixed_repo(tmp_path / "repo")
    serial = run(root, 1)
    assert any(in_child(celery_rule(d.code)) for d in serial.diagnostics), "the child has findings to send"
    assert run(root, 2).diagnostics == serial.diagnostics


@pytest.mark.usefixtures("parallel_always")
def test_a_rule_failing_in_the_child_fails_the_check_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = mixed_repo(tmp_path / "repo")
    rule = celery_rule("DL302")

    def broken(self: Any, project: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(rule, "check", broken)
    with pytest.raises(engine.InternalError, match="DL302"):
        run(root, 2)


@pytest.mark.usefixtures("parallel_always", "trusted")
def test_what_rules_in_the_child_look_at_is_an_input_of_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A path only a child's rule stats joins the stored manifest, so its change ends the reuse."""
    from driftlint.storage import read_entry
    root = mixed_repo(tmp_path / "repo")
    marker = tmp_path / "elsewhere" / "registry.txt"  # outside the project: no walk lists its folder
    marker.parent.mkdir()
    rule = celery_rule("DL302")
    original = rule.check

    def looking(self: Any, project: Any) -> Any:
        found = list(original(self, project))
        return found if project.disk.exists(marker) else found[:0]

    monkeypatch.setattr(rule, "check", looking)
    run_cached(root, tmp_path / "cache", 2)
    (entry,) = (tmp_path / "cache").glob("run-*.pickle")
    manifest = read_entry(entry)[3]
    assert (str(marker), "stat", errno.ENOENT) in manifest.entries
    assert run_cached(root, tmp_path / "cache", 2).project is None, "nothing changed: reused"
    marker.write_text("")
    assert not manifest.unchanged()


@pytest.mark.usefixtures("parallel_always")
def test_the_pack_written_by_a_child_serves_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = mixed_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    first = run_cached(root, cache, 2)
    log = tmp_path / "extracted.log"  # a file: the one chunk left may be taken by a child process
    original = extraction.extract_facts

    def logged(path: Path, *args: Any) -> Any:
        with log.open("a") as handle:
            handle.write(path.name + "\n")
        return original(path, *args)

    monkeypatch.setattr(extraction, "extract_facts", logged)
    (root / "app" / "extra.py").write_text("x = 1\n")
    second = run_cached(root, cache, 2)
    assert log.read_text().split() == ["extra.py"]
    assert second.diagnostics == first.diagnostics


def test_rules_stay_in_the_parent_when_it_would_have_little_else_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The Celery rules go to a child only beside a large revision history: with few revisions the
    fork and the child's copying of the facts it touches cost more than the overlap saves."""
    from driftlint.engine import analyse

    monkeypatch.setattr(extraction, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr("driftlint.engine.check.PARALLEL_THRESHOLD", 1)
    started: list[object] = []

    class Recorded(analyse.Child):  # type: ignore[misc,valid-type]
        @classmethod
        def start(cls, work: Any) -> Any:
            started.append(work)
            return super().start(work)

    monkeypatch.setattr(analyse, "Child", Recorded)
    root = mixed_repo(tmp_path / "repo")
    serial = run(root, 1)
    assert run(root, 2).diagnostics == serial.diagnostics
    assert started == []
    monkeypatch.setattr(analyse, "OFFLOAD_MIN_REVISIONS", 1)
    assert run(root, 2).diagnostics == serial.diagnostics
    assert len(started) == 1
