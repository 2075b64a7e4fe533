"""Each gate passing on a healthy project and failing on a fixture project with real migrations."""

from __future__ import annotations

import time

import pytest

from .conftest import ensure_role, migrate


def test_healthy_project_passes_every_gate_fresh(project, verify):
    run = verify(project("tenant-app"), fresh=True, read_only_role="reporting", read_only_tables=("events",))
    assert run.result.diagnostics == []


def test_fresh_failure_names_revision_file_and_database_error(project, verify):
    run = verify(project("cross-branch-fk"), fresh=True)
    (finding,) = run.of("DL902")
    assert "202512151300" in finding.message
    assert 'relation "tenants" does not exist' in finding.message
    assert finding.path == "migrations/versions/202512151300_create_attribution_recompute_jobs.py"
    assert finding.location.row == 17  # the op.execute that failed
    assert dict(finding.context)["Database error"][:2] == ('relation "tenants" does not exist', "SQLSTATE 42P01")
    (creator,) = finding.related
    assert creator.path == "migrations/versions/202511131100_core_schema.py"
    assert creator.note == "`tenants` is created here, by a revision that is not an ancestor of the failing one"


def test_declaring_the_dependency_makes_the_fresh_build_pass(project, verify):
    root = project("cross-branch-fk")
    revision = root / "migrations/versions/202512151300_create_attribution_recompute_jobs.py"
    revision.write_text(revision.read_text().replace("depends_on = None", 'depends_on = "202511131100"'))
    run = verify(root, fresh=True)
    assert run.of("DL902") == []


def test_database_behind_the_heads_lists_pending_revisions(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name), "0001")
    (finding,) = verify(root, database_url=databases.url(name)).of("DL901")
    assert "lacks 2 revisions" in finding.message and "0002, 0003" in finding.message
    assert [r.note for r in finding.related] == ["pending revision 0002", "pending revision 0003"]


def test_database_at_the_heads_passes(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name))
    assert verify(root, database_url=databases.url(name)).of("DL901") == []


def test_database_stamped_with_an_unknown_revision(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name))
    databases.execute(name, "UPDATE alembic_version SET version_num = 'ffff9999'")
    messages = [d.message for d in verify(root, database_url=databases.url(name)).of("DL901")]
    assert any("stamped with revision ffff9999, which no revision file defines" in m for m in messages)


def test_verify_never_writes_to_the_target(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name), "0001")
    verify(root, database_url=databases.url(name))
    databases.execute(name, "SELECT 1")
    from .conftest import superuser

    with superuser(databases.server, name) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert conn.execute("SELECT to_regclass('events')").fetchone() == (None,)


def test_migration_role_subject_to_rls_on_existing_database(project, verify, databases, pg_server):
    root = project("rls-backfill")
    name = databases.create()
    migrate(root, databases.url(name), "202511151400")
    ensure_role(pg_server, "app_user")
    (finding,) = verify(root, database_url=databases.url(name), migration_role="app_user").of("DL905")
    assert "`app_user` is subject to row-level security on `attribution_events`" in finding.message
    assert "silently touch 0 rows" in finding.message


def test_superuser_or_bypassrls_migration_role_is_not_subject_to_rls(project, verify, databases, pg_server):
    root = project("rls-backfill")
    name = databases.create()
    migrate(root, databases.url(name), "202511151400")
    ensure_role(pg_server, "migrator", "BYPASSRLS")
    assert verify(root, database_url=databases.url(name), migration_role="migrator").of("DL905") == []
    assert verify(root, database_url=databases.url(name)).of("DL905") == []  # the URL's superuser


def test_forced_rls_subjects_even_the_owning_migration_role(project, verify):
    (finding,) = verify(project("forced-rls"), fresh=True).of("DL905")
    assert "FORCE ROW LEVEL SECURITY applies it even to the owner (migrator)" in finding.message
    assert finding.path == "migrations/versions/0001_accounts.py"


def test_bypass_assertion_is_checked_against_the_live_role(project, verify, databases, pg_server):
    root = project("rls-backfill")
    (root / "pyproject.toml").write_text("[tool.driftlint]\nmigration-role-bypasses-rls = true\n")
    name = databases.create()
    migrate(root, databases.url(name), "202511151400")
    ensure_role(pg_server, "app_user")
    run = verify(root, database_url=databases.url(name), migration_role="app_user")
    (assertion,) = [d for d in run.of("DL905") if "asserts" in d.message]
    assert assertion.path == "pyproject.toml" and assertion.location.row == 2


def test_read_only_role_with_insert_is_reported(project, verify):
    (finding,) = verify(project("worker-can-write-ingestion"), fresh=True).of("DL906")
    assert finding.message == "Read-only role `worker` can write `ingestion_events`: it holds INSERT"


def test_read_only_role_with_select_only_passes(project, verify):
    root = project("worker-can-write-ingestion")
    revision = root / "migrations/versions/0001_ingestion_events.py"
    revision.write_text(revision.read_text().replace("GRANT SELECT, INSERT", "GRANT SELECT"))
    assert verify(root, fresh=True).of("DL906") == []


def test_read_only_table_that_does_not_exist_is_reported(project, verify):
    run = verify(project("tenant-app"), fresh=True, read_only_role="reporting", read_only_tables=("ingestion",))
    (finding,) = run.of("DL906")
    assert "does not exist" in finding.message


def test_async_url_with_sync_env_py_is_reported(project, verify, databases):
    root = project("async-migration-url")
    name = databases.create()
    (finding,) = verify(root, database_url=databases.url(name)).of("DL907")
    assert "async driver `asyncpg`" in finding.message and "MissingGreenlet" in finding.message
    assert finding.path == "alembic.ini" and finding.location.row == 4
    assert "app-secret-pw" not in finding.message


def test_async_database_url_variable_read_by_env_py_is_reported(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name))
    environ_url = databases.url(name, driver="postgresql+asyncpg")
    from .conftest import clean_environ

    run = verify(root, environ=clean_environ(DATABASE_URL=environ_url), database_url=databases.url(name))
    (finding,) = run.of("DL907")
    assert "environment variable `DATABASE_URL`" in finding.message
    assert finding.path == "migrations/env.py"


def test_sync_urls_pass_the_async_driver_gate(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    assert verify(root, database_url=databases.url(name, driver="postgresql+asyncpg")).of("DL907") == []


def test_beat_entry_naming_an_unregistered_task(project, verify):
    run = verify(project("beat-schedule-never-loaded"), fresh=True)
    messages = [d.message for d in run.of("DL908")]
    assert any(
        "'refresh-matviews-every-5-min' names task 'app.tasks.refresh_all_matviews_global_legacy'" in m
        for m in messages
    )
    assert any("this runs your code" in note for note in run.notes)


def test_schedule_defined_in_code_but_never_loaded(project, verify):
    run = verify(project("beat-schedule-never-loaded"), fresh=True)
    (unloaded,) = [d for d in run.of("DL908") if "never schedules it" in d.message]
    assert "'pii-audit-scanner'" in unloaded.message
    assert unloaded.path == "app/tasks.py" and unloaded.location.row == 8


def test_loaded_schedule_with_registered_tasks_passes(project, verify):
    run = verify(project("tenant-app"), fresh=True, celery_app="app.celery_app:celery_app")
    assert run.of("DL908") == []


def test_each_app_is_compared_with_its_own_schedule_only(project, verify):
    """Two services, two apps: the reports app's entry is not missing from the worker app."""
    run = verify(project("two-celery-apps"), fresh=True, celery_app="app.worker:worker_app")
    unloaded = [d for d in run.of("DL908") if "never schedules it" in d.message]
    # The worker app's own schedule, set only when SEARCH_REBUILD is: reported, it is this app's.
    assert [d.message.split("'")[1] for d in unloaded] == ["rebuild-search"]
    assert unloaded[0].path == "app/worker.py"
    # The entry handed to unknown code is neither reported nor silently dropped.
    assert any("1 beat entry found in the code not compared with `app.worker:worker_app`" in n for n in run.notes)


def test_the_other_app_sees_none_of_the_worker_entries(project, verify):
    run = verify(project("two-celery-apps"), fresh=True, celery_app="reports.celery:reports_app")
    assert run.of("DL908") == []


def test_a_spec_without_attribute_finds_the_app_as_celery_does(project, verify):
    """`-A reports.celery` has no `:attr`; Celery then takes the module's Celery instance."""
    run = verify(project("two-celery-apps"), fresh=True, celery_app="reports.celery")
    assert [d for d in run.of("DL908") if "never schedules it" in d.message] == []


def test_celery_app_that_cannot_be_imported_is_reported(project, verify):
    run = verify(project("tenant-app"), fresh=True, celery_app="app.missing:celery_app")
    (finding,) = run.of("DL908")
    assert "cannot be loaded" in finding.message and "ModuleNotFoundError" in finding.message


def test_schema_drift_between_target_and_fresh_build(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name))
    databases.execute(
        name,
        "ALTER TABLE events ADD COLUMN note text",
        "ALTER TABLE tenants ALTER COLUMN name DROP NOT NULL",
        "DROP POLICY tenant_isolation ON events",
        "CREATE INDEX events_kind ON events (kind)",
        "CREATE TABLE scratch_copy (id int)",
    )
    run = verify(root, database_url=databases.url(name), fresh=True)
    messages = sorted(d.message for d in run.of("DL909"))
    assert messages == sorted(
        [
            "Column `events.note` exists in the database but not in one built from the migrations",
            "Column `tenants.name` is `text` in the database but `text NOT NULL` from the migrations",
            "Index `events_kind` exists in the database but not in one built from the migrations",
            "Policy `tenant_isolation` on `events` is created by the migrations but missing from the database",
            "Table `scratch_copy` exists in the database but not in one built from the migrations",
        ]
    )


def test_target_built_from_the_same_migrations_has_no_schema_drift(project, verify, databases):
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name))
    run = verify(root, database_url=databases.url(name), fresh=True)
    assert run.of("DL909") == [] and run.of("DL901") == []


def test_registry_and_pg_matviews_differ_both_ways(project, verify):
    run = verify(project("matview-not-refreshable"), fresh=True)
    messages = sorted(d.message for d in run.of("DL903"))
    assert len(messages) == 2
    assert "lists materialized view `mv_realtime_revenue`, which the fresh database does not have" in messages[1]
    assert "has materialized view `mv_allocation_summary`, which the registry" in messages[0]
    missing = [d for d in run.of("DL903") if "mv_realtime_revenue" in d.message][0]
    assert missing.path == "app/matview_registry.py" and missing.location.row == 6


def test_views_that_cannot_be_refreshed_concurrently_by_the_app_role(project, verify):
    run = verify(project("matview-not-refreshable"), fresh=True)
    by_view = {d.subject[2]: d for d in run.of("DL904")}
    assert set(by_view) == {"mv_daily_revenue_summary", "mv_channel_performance"}
    daily = by_view["mv_daily_revenue_summary"].message
    assert "no unique index on plain columns without WHERE" in daily and "is not its owner `postgres`" in daily
    assert "not populated" in by_view["mv_channel_performance"].message
    assert "no unique index" not in by_view["mv_channel_performance"].message


def test_owning_app_role_with_unique_index_can_refresh_concurrently(project, verify):
    root = project("matview-not-refreshable")
    revision = root / "migrations/versions/0001_revenue.py"
    text = revision.read_text()
    text = text.replace(
        "CREATE INDEX mv_daily_revenue_summary_day ON mv_daily_revenue_summary (day)",
        "CREATE UNIQUE INDEX mv_daily_revenue_summary_key ON mv_daily_revenue_summary (tenant_id, day)",
    )
    text = text.replace(" WITH NO DATA", "")
    text = text.replace(
        """    op.execute("CREATE UNIQUE INDEX mv_allocation_summary_key ON mv_allocation_summary (tenant_id)")""",
        """    op.execute("CREATE UNIQUE INDEX mv_allocation_summary_key ON mv_allocation_summary (tenant_id)")
    op.execute("GRANT SELECT ON revenue TO app_user")
    for view in ("mv_daily_revenue_summary", "mv_channel_performance"):
        op.execute(f"ALTER MATERIALIZED VIEW {view} OWNER TO app_user")""",
    )
    revision.write_text(text)
    assert verify(root, fresh=True).of("DL904") == []


BLOCKING = {
    "sleep": 'op.execute("SELECT pg_sleep(60)")',
    # A second session takes the lock the migration then waits for: a lock wait that never ends.
    "lock wait": (
        "import sqlalchemy as sa\n"
        "    url = op.get_bind().engine.url\n"
        "    holder = sa.create_engine(url).connect()\n"
        '    holder.execute(sa.text("SELECT pg_advisory_lock(42)"))\n'
        '    op.execute("SELECT pg_advisory_lock(42)")'
    ),
}


def _blocking_project(project, body: str):
    root = project("tenant-app")
    (root / "migrations/versions/0004_blocks.py").write_text(
        '"""Blocks\\n\\nRevision ID: 0004\\nRevises: 0003\\n"""\n\nfrom alembic import op\n\n'
        'revision = "0004"\ndown_revision = "0003"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade() -> None:\n    {body}\n"
    )
    return root


@pytest.mark.parametrize("kind", sorted(BLOCKING))
def test_a_migration_that_blocks_fails_within_the_timeout(project, verify, kind):
    started = time.monotonic()
    run = verify(_blocking_project(project, BLOCKING[kind]), fresh=True, timeout=2.0)
    assert time.monotonic() - started < 40
    (finding,) = run.of("DL902")
    assert "0004" in finding.message
    # Both bounds are --timeout: whichever fires first cancels a lock wait.
    assert "due to statement timeout" in finding.message or "due to lock timeout" in finding.message
    error = dict(finding.context)["Database error"]
    assert "verify bounds every statement and lock wait of the migrations by --timeout (2 s)" in error[-1]
