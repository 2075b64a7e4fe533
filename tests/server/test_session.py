"""The server's session: after every kind of edit, its findings are exactly those of a full check of the
same contents, and it reran only what the edit concerns."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftlint.engine import CheckOptions, run_check
from driftlint.rule import static_rules
from driftlint.server.session import Session

VERSIONS = "alembic/versions"
ALLOCATION = f"{VERSIONS}/003_data_governance/202511131232_enhance_allocation_schema.py"
CELERY_TABLES = f"{VERSIONS}/006_celery_foundation/202512120900_celery_tables.py"
MAINTENANCE = "backend/app/tasks/maintenance.py"


def full_check(root: Path, buffers: dict[Path, bytes]) -> list[dict[str, object]]:
    """`driftlint check` of the folder with the buffers over the disk, from scratch."""
    options = CheckOptions(paths=[root], cwd=root, use_cache=False, overlay=dict(buffers) or None)
    return [d.to_dict() for d in run_check(options).diagnostics]


def same_as_full_check(session: Session) -> Session:
    outcome = session.check()
    assert [d.to_dict() for d in outcome.diagnostics] == full_check(session.folder, session.buffers)
    return session


@pytest.fixture
def demo(fixture_copy) -> Session:
    return same_as_full_check(Session(fixture_copy("demo"), jobs=1))


def edit(session: Session, relpath: str, old: bytes, new: bytes) -> bytes:
    path = session.folder / relpath
    before = session.buffers.get(path) or path.read_bytes()
    assert old in before
    after = before.replace(old, new)
    session.set_buffer(path, after)
    return after


def test_an_edit_to_a_revisions_sql_reruns_only_the_rules_that_read_it_and_keeps_the_graphs(demo: Session):
    edit(demo, ALLOCATION, b"WHERE idempotency_key IS NULL", b"WHERE idempotency_key IS NULL AND id IN (SELECT id FROM tenants)")
    outcome = demo.check()
    rules = [r for r in static_rules()]
    assert 0 < outcome.rules_run < len(rules)
    assert not outcome.graphs_rebuilt
    same_as_full_check(demo)


def test_a_comment_reruns_no_rule(demo: Session):
    before = demo.diagnostics
    edit(demo, ALLOCATION, b"def downgrade", b"# a thought\ndef downgrade")
    outcome = demo.check()
    # The file's facts are those it had (no fact of it lies below the comment): early cutoff.
    assert outcome.rules_run == 0 and outcome.diagnostics == before
    same_as_full_check(demo)


def test_a_header_edit_rebuilds_the_graphs_and_clears_two_heads(demo: Session):
    assert "DL101" in [d.code for d in demo.diagnostics]
    edit(demo, CELERY_TABLES, b'down_revision = None', b'down_revision = "202511171400"')
    outcome = same_as_full_check(demo).check()
    assert "DL101" not in [d.code for d in outcome.diagnostics]
    edit(demo, CELERY_TABLES, b'down_revision = "202511171400"', b'down_revision = None')
    assert same_as_full_check(demo).check().graphs_rebuilt is False  # nothing changed since the last check


def test_a_buffer_that_does_not_parse_is_a_finding_until_it_parses_again(demo: Session):
    path = demo.folder / ALLOCATION
    original = path.read_bytes()
    demo.set_buffer(path, original.replace(b"def upgrade() -> None:", b"def upgrade( -> None:"))
    assert "DL001" in [d.code for d in same_as_full_check(demo).diagnostics]
    demo.set_buffer(path, original)
    assert "DL001" not in [d.code for d in same_as_full_check(demo).diagnostics]


def test_a_new_revision_only_in_a_buffer_joins_the_history(demo: Session):
    new = demo.folder / VERSIONS / "003_data_governance" / "202601010000_next.py"
    demo.set_buffer(new, b'revision = "202601010000"\ndown_revision = "202511171400"\n')
    same_as_full_check(demo)
    demo.set_buffer(new, None)  # closed without saving: gone again
    same_as_full_check(demo)


def test_a_module_edit_keeps_the_revision_rules_findings(demo: Session):
    edit(demo, MAINTENANCE, b"MATERIALIZED_VIEWS", b"MATERIALIZED_VIEWS_RENAMED")
    outcome = demo.check()
    assert outcome.rules_run < len(static_rules()) and not outcome.graphs_rebuilt
    same_as_full_check(demo)


def test_closing_a_buffer_brings_back_the_disk(demo: Session):
    edit(demo, CELERY_TABLES, b'down_revision = None', b'down_revision = "202511171400"')
    same_as_full_check(demo)
    demo.set_buffer(demo.folder / CELERY_TABLES, None)
    assert "DL101" in [d.code for d in same_as_full_check(demo).diagnostics]


def test_files_changed_on_disk_are_read_again_when_told(demo: Session):
    path = demo.folder / CELERY_TABLES
    path.write_bytes(path.read_bytes().replace(b'down_revision = None', b'down_revision = "202511171400"'))
    demo.disk_changed(path)
    same_as_full_check(demo)
    created = demo.folder / VERSIONS / "001_core_schema" / "202601010000_more.py"
    created.write_text('revision = "202601010000"\ndown_revision = "202511131000"\n')
    demo.disk_changed(created, created_or_deleted=True)
    same_as_full_check(demo)
    created.unlink()
    demo.disk_changed(created, created_or_deleted=True)
    same_as_full_check(demo)


def test_a_settings_change_runs_everything_with_the_new_settings(demo: Session):
    settings = demo.folder / "pyproject.toml"
    settings.write_text('[tool.driftlint]\nignore = ["multiple-heads"]\ndefault-schema = "app"\n')
    demo.disk_changed(settings)
    outcome = same_as_full_check(demo).check()
    assert "DL101" not in [d.code for d in outcome.diagnostics]


def test_a_module_that_opens_the_celery_analysis_reads_every_module_for_it(project):
    root = project(
        {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
            "migrations/env.py": "",
            "migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n',
            "app/schedule.py": 'BEAT_SCHEDULE = {"every": {"task": "app.tasks.missing", "schedule": 60}}\n',
            "app/tasks.py": "def work():\n    return 1\n",
        }
    )
    session = same_as_full_check(Session(root, jobs=1))
    session.set_buffer(root / "app/tasks.py", b"from celery import Celery\n\napp = Celery()\napp.conf.beat_schedule = {}\n")
    same_as_full_check(session)


def test_the_session_writes_nothing(fixture_copy):
    root = fixture_copy("demo")
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*"))
    session = Session(root, jobs=1)
    session.check()
    session.set_buffer(root / ALLOCATION, b"x = (\n")
    session.check()
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*")) == before


def test_each_file_is_checked_with_its_closest_settings_as_check_does(fixture_copy):
    root = fixture_copy("demo")
    (root / "backend" / "driftlint.toml").write_text('ignore = ["untenanted-refresh"]\n')
    session = same_as_full_check(Session(root, jobs=1))
    assert "DL301" not in [d.code for d in session.diagnostics] and "DL304" in [d.code for d in session.diagnostics]
    (root / "backend" / "driftlint.toml").write_text('ignore = ["unlocked-refresh"]\n')
    session.disk_changed(root / "backend" / "driftlint.toml")
    assert "DL301" in [d.code for d in same_as_full_check(session).diagnostics]
