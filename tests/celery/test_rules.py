"""The Celery rules on small projects: what each reports, and where each stays quiet."""

from __future__ import annotations

from pathlib import Path

from driftlint.celery.index import beat_entries, task_index
from driftlint.celery.unknowns import unknowns
from driftlint.celery.registry import matview_registry

from ..conftest import FIXTURES
from .helpers import APP, check, findings, index_of

TENANCY = """
import functools


def tenant_task(fn):
    @functools.wraps(fn)
    def wrapper(self, tenant_id, *args, **kwargs):
        return fn(self, tenant_id, *args, **kwargs)

    return wrapper
"""

MIGRATIONS = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": "",
}


def revision(rev: str, down: str | None, *statements: str) -> str:
    body = "\n".join(f"    op.execute({s!r})" for s in statements)
    return f"from alembic import op\n\nrevision = {rev!r}\ndown_revision = {down!r}\n\n\ndef upgrade():\n{body}\n"


# -- the seed --------------------------------------------------------------------------------------


def test_seed_fixture_shows_each_drift_of_the_evidence_log():
    diagnostics, _ = check(FIXTURES / "seed-celery-drift")
    found = sorted((d.code, d.path, d.location.row) for d in diagnostics)
    assert found == [
        ("DL301", "backend/app/tasks/maintenance.py", 29),
        ("DL302", "backend/app/tasks/maintenance.py", 53),
        ("DL303", "backend/app/tasks/maintenance.py", 55),
        ("DL304", "backend/app/tasks/maintenance.py", 29),
        ("DL401", "backend/app/tasks/maintenance.py", 12),
    ]


def test_seed_global_refresh_names_the_call_path_to_the_f_string_helper():
    diagnostics, _ = check(FIXTURES / "seed-celery-drift", select=("DL301",))
    (finding,) = diagnostics
    path = dict(finding.context)["Call path"]
    assert path[0].startswith("app.tasks.maintenance.refresh_all_matviews_global_legacy()")
    assert path[1].startswith("-> app.tasks.maintenance._refresh_view()")
    assert path[2].startswith("-> REFRESH MATERIALIZED VIEW CONCURRENTLY {view_name}")
    assert "`mv_channel_performance`, `mv_daily_revenue_summary`" in finding.message


def test_seed_registry_drift_names_the_missing_view_and_its_revision():
    diagnostics, _ = check(FIXTURES / "seed-celery-drift", select=("DL401",))
    (finding,) = diagnostics
    assert "`mv_allocation_summary`" in finding.message and "`202511131232`" in finding.message


def test_seed_renamed_task_suggests_the_current_name():
    diagnostics, _ = check(FIXTURES / "seed-celery-drift", select=("DL303",))
    (finding,) = diagnostics
    assert finding.fix_title == "Name the task as registered (`app.tasks.maintenance.refresh_all_matviews_global_legacy`)"


def test_remediated_seed_is_clean():
    diagnostics, project = check(FIXTURES / "seed-celery-drift-fixed")
    assert diagnostics == []
    assert unknowns(project) == []


# -- DL301 -----------------------------------------------------------------------------------------

REFRESH_TASKS = """
from sqlalchemy import text

from proj.celery_app import app
from proj.db import engine


@app.task
def refresh_sales():
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_try_advisory_xact_lock(1)"))
        conn.execute(text("REFRESH MATERIALIZED VIEW mv_sales"))
"""


def test_project_without_tenancy_convention_gets_no_untenanted_refresh(tmp_path: Path):
    files = {"proj/__init__.py": "", "proj/celery_app.py": APP, "proj/tasks.py": REFRESH_TASKS}
    assert findings(tmp_path, files, "DL301") == []


def test_configured_tenant_markers_turn_the_rule_on(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": APP,
        "proj/tasks.py": REFRESH_TASKS,
        "pyproject.toml": '[tool.driftlint]\ntenant-context-calls = ["activate_org"]\n',
    }
    (finding,) = findings(tmp_path, files, "DL301")
    assert "`proj.tasks.refresh_sales`" in finding.message
    assert dict(finding.context)["Tenant scope elsewhere in this project"] == ("configured tenant markers",)


def test_tenant_argument_passed_on_the_way_is_tenant_scope(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": APP,
        "proj/tenancy.py": TENANCY,
        "proj/tasks.py": """
            from proj.celery_app import app
            from proj.tenancy import tenant_task


            def _refresh(conn, tenant_id):
                conn.execute("REFRESH MATERIALIZED VIEW mv_sales")


            @app.task
            def refresh_for(org):
                _refresh(None, tenant_id=org)


            @app.task(bind=True)
            @tenant_task
            def other(self, tenant_id):
                pass
        """,
    }
    assert findings(tmp_path, files, "DL301") == []


# -- DL302 -----------------------------------------------------------------------------------------


def test_schedule_handed_to_unknown_code_is_not_reported_but_listed_as_unknown(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery
            from proj.setup import install

            app = Celery("proj")
            SCHEDULE = {"a": {"task": "proj.tasks.a", "schedule": 5.0}}
            install(app, SCHEDULE)
        """,
    }
    assert findings(tmp_path, files, "DL302") == []
    _, project = check(tmp_path)
    assert any("beat schedule `SCHEDULE` may be loaded" in reason for _, _, reason in unknowns(project))


def test_merged_schedule_reports_only_the_merge_that_is_never_loaded(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            A = {"a": {"task": "proj.tasks.a", "schedule": 5.0}}
            B = dict(b={"task": "proj.tasks.b", "schedule": 6.0})
            ALL = {**A, **B}
        """,
    }
    assert [f.message.split("`")[1] for f in findings(tmp_path, files, "DL302")] == ["ALL"]


def test_schedule_in_a_config_class_or_django_settings_counts_as_loaded(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": "from celery import Celery\n\napp = Celery('proj')\n",
        "proj/config.py": """
            class CeleryConfig:
                beat_schedule = {"a": {"task": "proj.tasks.a", "schedule": 5.0}}
        """,
        "proj/settings.py": 'CELERY_BEAT_SCHEDULE = {"b": {"task": "proj.tasks.b", "schedule": 6.0}}\n',
    }
    assert findings(tmp_path, files, "DL302") == []


def test_test_modules_and_projects_without_an_app_are_quiet(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/jobs.py": "import celery\n\nSCHEDULE = {'a': {'task': 'proj.tasks.a', 'schedule': 5.0}}\n",
        "tests/test_jobs.py": "import celery\n\nSCHEDULE = {'a': {'task': 'proj.tasks.a', 'schedule': 5.0}}\n",
    }
    assert findings(tmp_path, files, "DL302") == []


# -- DL303 -----------------------------------------------------------------------------------------


def test_beat_names_outside_the_project_and_builtins_are_not_guessed_at(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.beat_schedule = {
                "lib": {"task": "django_otp.tasks.cleanup", "schedule": 60.0},
                "builtin": {"task": "celery.backend_cleanup", "schedule": 60.0},
            }
        """,
    }
    assert findings(tmp_path, files, "DL303") == []


def test_task_object_names_and_signature_strings_in_add_periodic_task(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery, signature

            app = Celery("proj")


            @app.task
            def ping():
                return "pong"


            @app.on_after_configure.connect
            def setup(sender, **kwargs):
                sender.add_periodic_task(10.0, ping.s(), name="ok")
                sender.add_periodic_task(10.0, signature("proj.celery_app.pong"), name="gone")


            app.conf.beat_schedule = {"by-object": {"task": ping.name, "schedule": 10.0}}
        """,
    }
    (finding,) = findings(tmp_path, files, "DL303")
    assert "'proj.celery_app.pong'" in finding.message and "`add_periodic_task` (gone)" in finding.message


def test_unknown_beat_task_column_counts_characters_after_non_ascii_text(tmp_path: Path):
    line = 'app.conf.beat_schedule = {"nettoyage 🧹": {"schedule": 60.0, "task": "proj.tasks.nettoyer_gone"}}'
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": f"""
            from celery import Celery

            app = Celery("proj", include=["proj.tasks"])
            {line}
        """,
        "proj/tasks.py": """
            from proj.celery_app import app


            @app.task
            def nettoyer():
                pass
        """,
    }
    (finding,) = findings(tmp_path, files, "DL303")
    start = line.index('"proj.tasks.nettoyer_gone"') + 1
    assert (finding.location.row, finding.location.column, finding.end.row, finding.end.column) == (
        5, start, 5, start + len('"proj.tasks.nettoyer_gone"')
    )


def test_function_registered_by_an_unrecognised_decorator_is_not_reported(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery
            from vendor.jobs import periodic

            app = Celery("proj")
            app.conf.beat_schedule = {"x": {"task": "proj.celery_app.job", "schedule": 10.0}}


            @periodic(hours=1)
            def job():
                pass
        """,
    }
    assert findings(tmp_path, files, "DL303") == []


def test_custom_gen_task_name_makes_names_unverifiable(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery


            class MyCelery(Celery):
                def gen_task_name(self, name, module):
                    return name


            app = MyCelery("proj")
            app.conf.beat_schedule = {"x": {"task": "proj.celery_app.gone", "schedule": 10.0}}
        """,
    }
    assert findings(tmp_path, files, "DL303") == []


# -- DL304 -----------------------------------------------------------------------------------------


def test_redis_lock_context_and_celery_once_base_count_as_locks(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": APP,
        "proj/tasks.py": """
            from celery_once import QueueOnce

            from proj.celery_app import app
            from proj.db import engine, redis_client


            @app.task
            def with_redis():
                with redis_client.lock("refresh-sales", timeout=600, blocking=False):
                    engine.execute("REFRESH MATERIALIZED VIEW mv_sales")


            @app.task(base=QueueOnce, once={"graceful": True})
            def with_once():
                engine.execute("REFRESH MATERIALIZED VIEW mv_sales")
        """,
    }
    assert findings(tmp_path, files, "DL304") == []


def test_releasing_a_lock_is_not_taking_one_but_configured_helpers_are(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": APP,
        "proj/tasks.py": """
            from proj.celery_app import app
            from proj.db import engine, guard


            @app.task
            def refresh():
                engine.execute("REFRESH MATERIALIZED VIEW mv_sales")
                engine.execute("SELECT pg_advisory_unlock(1)")


            @app.task
            def guarded():
                with guard("mv_sales"):
                    engine.execute("REFRESH MATERIALIZED VIEW mv_sales")
        """,
    }
    assert [f.message.split("`")[1] for f in findings(tmp_path, files, "DL304")] == ["proj.tasks.refresh", "proj.tasks.guarded"]
    (tmp_path / "pyproject.toml").write_text('[tool.driftlint]\nlock-helpers = ["guard"]\n')
    assert [f.message.split("`")[1] for f in findings(tmp_path, {}, "DL304")] == ["proj.tasks.refresh"]


# -- DL305 -----------------------------------------------------------------------------------------


def test_entries_missing_task_or_schedule_and_string_signatures(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.beat_schedule = {
                "no-task": {"schedule": 10.0},
                "no-schedule": {"task": "proj.tasks.a"},
                "ok": {"task": "proj.tasks.a", "schedule": 10.0, "options": {"queue": "q"}},
            }
            app.add_periodic_task(10.0, "proj.tasks.a", name="string")
        """,
    }
    messages = [f.message for f in findings(tmp_path, files, "DL305")]
    assert any("'no-task' has no `task`" in m for m in messages)
    assert any("'no-schedule' has no `schedule`" in m for m in messages)
    assert any("given the string 'proj.tasks.a'" in m for m in messages)
    assert len(messages) == 3


def test_database_scheduler_accepts_extra_entry_keys(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": 'INSTALLED_APPS = ["django_celery_beat"]\n',
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.beat_schedule = {"a": {"task": "proj.tasks.a", "schedule": 10.0, "queue": "q"}}
        """,
    }
    assert findings(tmp_path, files, "DL305") == []


# -- DL306 -----------------------------------------------------------------------------------------


def test_django_settings_without_namespace_ignore_celery_beat_schedule(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/settings/__init__.py": "from .base import *\n",
        "proj/settings/base.py": 'CELERY_BEAT_SCHEDULE = {"a": {"task": "proj.tasks.a", "schedule": 10.0}}\n',
        "proj/celery.py": """
            import os

            from celery import Celery

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            app = Celery("proj")
            app.config_from_object("django.conf:settings")
        """,
    }
    (finding,) = findings(tmp_path, files, "DL306")
    assert finding.path == "proj/settings/base.py" and "`CELERY_BEAT_SCHEDULE` is ignored" in finding.message
    (tmp_path / "proj/celery.py").write_text((tmp_path / "proj/celery.py").read_text().replace(
        '"django.conf:settings")', '"django.conf:settings", namespace="CELERY")'))
    assert findings(tmp_path, {}, "DL306") == []


# -- DL307 -----------------------------------------------------------------------------------------


def test_handler_in_a_module_the_app_imports_eagerly_runs(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj", include=["proj.tasks"])

            import proj.tasks  # noqa: E402
        """,
        "proj/tasks.py": """
            from proj.celery_app import app


            @app.on_after_configure.connect
            def setup(sender, **kwargs):
                pass
        """,
    }
    assert findings(tmp_path, files, "DL307") == []


# -- DL308 -----------------------------------------------------------------------------------------


def test_quoted_checked_and_registry_names_are_safe(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": APP,
        "proj/tasks.py": """
            from psycopg import sql

            from proj.celery_app import app
            from proj.db import cursor

            VIEWS = ["mv_a", "mv_b"]


            def _refresh(name):
                cursor.execute(f"REFRESH MATERIALIZED VIEW {name}")


            @app.task
            def quoted(name):
                cursor.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}").format(sql.Identifier(name)))


            @app.task
            def checked(name):
                assert name in VIEWS
                _refresh(name)


            @app.task
            def every():
                for name in VIEWS:
                    _refresh(name)
        """,
    }
    assert findings(tmp_path, files, "DL308") == []


# -- DL401 / DL402 ---------------------------------------------------------------------------------


def test_configured_registry_is_compared_and_schema_qualified_names_match(tmp_path: Path):
    files = {
        **MIGRATIONS,
        "migrations/versions/a1.py": revision(
            "a1", None,
            "CREATE TABLE t (id int PRIMARY KEY)",
            "CREATE MATERIALIZED VIEW analytics.mv_a AS SELECT id FROM t",
            "CREATE MATERIALIZED VIEW mv_b AS SELECT id FROM t",
        ),
        "app/__init__.py": "",
        "app/views.py": 'REFRESHED = ["analytics.mv_a", "public.mv_b"]\n',
        "pyproject.toml": '[tool.driftlint]\nmatview-registry = "app/views.py:REFRESHED"\n',
    }
    assert findings(tmp_path, files, "DL401") == []
    _, project = check(tmp_path)
    registry = matview_registry(project)
    assert registry is not None and registry.configured and registry.names == ("analytics.mv_a", "public.mv_b")
    assert registry.span_of("public.mv_b")[0] == 1


def test_unreadable_sql_that_names_a_view_keeps_the_registry_rule_quiet(tmp_path: Path):
    files = {
        **MIGRATIONS,
        "migrations/versions/a1.py": revision(
            "a1", None,
            "CREATE TABLE t (id int PRIMARY KEY)",
            "CREATE MATERIALIZED VIEW mv_a AS SELECT id FROM t",
            "CREATE MATERIALIZED VIEW mv_b AS SELECT id FROM t",
        ),
        "migrations/versions/b2.py": (
            "from alembic import op\n\nrevision = 'b2'\ndown_revision = 'a1'\n\n\n"
            "def upgrade():\n    op.execute(drop_sql('mv_b'))\n"
        ),
        "app/__init__.py": "",
        "app/registry.py": 'MATERIALIZED_VIEWS = ["mv_a"]\n',
    }
    assert findings(tmp_path, files, "DL401") == []


def test_registry_loop_refreshing_concurrently_checks_every_view(tmp_path: Path):
    files = {
        **MIGRATIONS,
        "migrations/versions/a1.py": revision(
            "a1", None,
            "CREATE TABLE t (id int PRIMARY KEY, k int)",
            "CREATE MATERIALIZED VIEW mv_ok AS SELECT id FROM t",
            "CREATE UNIQUE INDEX mv_ok_id ON mv_ok (id)",
            "CREATE MATERIALIZED VIEW mv_partial AS SELECT id FROM t",
            "CREATE UNIQUE INDEX mv_partial_id ON mv_partial (id) WHERE id > 0",
            "CREATE MATERIALIZED VIEW mv_expression AS SELECT id FROM t",
            "CREATE UNIQUE INDEX mv_expression_id ON mv_expression ((id + 0))",
        ),
        "app/__init__.py": "",
        "app/registry.py": 'MATERIALIZED_VIEWS = ["mv_ok", "mv_partial", "mv_expression"]\n',
        "app/refresh.py": """
            from app.registry import MATERIALIZED_VIEWS


            def _refresh(conn, view_name):
                conn.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view_name}")


            def refresh_all(conn):
                for view_name in MATERIALIZED_VIEWS:
                    _refresh(conn, view_name)
        """,
    }
    reported = sorted(f.message.split("`")[3] for f in findings(tmp_path, files, "DL402"))
    assert reported == ["mv_expression", "mv_partial"]


# -- the public API other commands use -------------------------------------------------------------


def test_beat_entries_carry_key_task_path_and_span(tmp_path: Path):
    index = index_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.beat_schedule = {"a": {"task": "proj.tasks.a", "schedule": 10.0}}
        """,
    })
    (entry,) = index.entries
    assert (entry.key, entry.task, entry.path.name, entry.span[0]) == ("a", "proj.tasks.a", "celery_app.py", 5)
    _, project = check(tmp_path)
    assert [e.key for e in beat_entries(project)] == ["a"]
    assert task_index(project) is task_index(project)


def test_schedule_read_by_name_from_a_string_may_be_loaded(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/schedules.py": "import celery\n\nJOBS = {'a': {'task': 'proj.tasks.a', 'schedule': 5.0}}\n",
        "proj/celery_app.py": """
            from celery import Celery

            from proj import schedules

            app = Celery("proj")
            app.conf.beat_schedule = getattr(schedules, "JOBS")
        """,
    }
    assert findings(tmp_path, files, "DL302") == []


def test_a_list_named_like_a_registry_must_name_a_view_the_migrations_create(tmp_path: Path):
    files = {
        **MIGRATIONS,
        "migrations/versions/a1.py": revision(
            "a1", None, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE MATERIALIZED VIEW mv_a AS SELECT id FROM t"
        ),
        "app/__init__.py": "",
        "app/shell.py": 'MV_COMMANDS = ["mv", "cp"]\n',
    }
    assert findings(tmp_path, files, "DL401") == []
    _, project = check(tmp_path)
    assert matview_registry(project) is None


def test_registry_returned_by_a_helper_is_iterated_by_name(tmp_path: Path):
    files = {
        **MIGRATIONS,
        "migrations/versions/a1.py": revision(
            "a1", None, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE MATERIALIZED VIEW mv_a AS SELECT id FROM t"
        ),
        "app/__init__.py": "",
        "app/registry.py": """
            MATERIALIZED_VIEWS = ["mv_a"]


            def get_all_matviews():
                return list(MATERIALIZED_VIEWS)
        """,
        "app/refresh.py": """
            from app.registry import get_all_matviews


            def refresh_all(conn):
                for name in get_all_matviews():
                    conn.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name}")
        """,
    }
    (finding,) = findings(tmp_path, files, "DL402")
    assert "refreshes `mv_a` concurrently" in finding.message


def test_show_unknown_lists_what_the_celery_analysis_cannot_resolve(tmp_path: Path):
    import subprocess
    import sys

    root = tmp_path / "forms"
    import shutil

    shutil.copytree(FIXTURES / "beat-schedule-source-forms", root)
    done = subprocess.run(
        [sys.executable, "-m", "driftlint", "check", ".", "--no-cache", "--select", "DL302", "--show-unknown",
         "--output-format", "concise"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert "forms/f12_envvar.py:8:1: unknown: app `app` (forms.f12_envvar): `config_from_envvar`" in done.stdout + done.stderr


def test_a_filtered_copy_of_a_schedule_in_the_sink_loads_it(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            import os

            from celery import Celery

            app = Celery("proj")
            JOBS = {"a": {"task": "proj.tasks.a", "schedule": 5.0}, "b": {"task": "proj.tasks.b", "schedule": 5.0}}
            app.conf.beat_schedule = {k: v for k, v in JOBS.items() if k not in os.environ.get("DISABLED", "")}
        """,
    }
    assert findings(tmp_path, files, "DL302") == []


def test_a_filtered_list_is_not_a_list_of_known_view_names(tmp_path: Path):
    files = {
        **MIGRATIONS,
        "migrations/versions/a1.py": revision(
            "a1", None, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE MATERIALIZED VIEW mv_a AS SELECT id FROM t"
        ),
        "app/__init__.py": "",
        "app/refresh.py": """
            ALL = ["mv_a", "mv_b"]
            FAST = [v for v in ALL if v.endswith("_b")]


            def refresh_fast(conn):
                for name in FAST:
                    conn.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name}")
        """,
    }
    assert findings(tmp_path, files, "DL402") == []


def test_a_schedule_read_by_code_that_feeds_a_database_scheduler_is_not_reported(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": 'INSTALLED_APPS = ["django_celery_beat"]\n',
        "proj/celery_app.py": "from celery import Celery\n\napp = Celery('proj')\n",
        "proj/schedules.py": "import celery\n\nJOBS = {'a': {'task': 'proj.tasks.a', 'schedule': 5.0}}\n",
        "proj/sync_beat.py": """
            from django_celery_beat.models import PeriodicTask

            from proj.schedules import JOBS


            def sync():
                for name, entry in JOBS.items():
                    PeriodicTask.objects.update_or_create(name=name, task=entry["task"])
        """,
    }
    assert findings(tmp_path, files, "DL302") == []


def test_mixed_setting_names_are_reported_only_when_celery_would_raise(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": "from celery import Celery\n\napp = Celery('proj')\napp.config_from_object('proj.cfg')\n",
        "proj/cfg.py": "BROKER_URL = 'redis://'\nCELERY_TIMEZONE = 'UTC'\nbeat_schedule = {}\n",
    }
    (finding,) = findings(tmp_path, files, "DL306")
    assert finding.path == "proj/cfg.py" and finding.location.row == 3
    assert "BROKER_URL, CELERY_TIMEZONE with beat_schedule" in finding.message
    assert finding.fix_title == "Rename the old names: BROKER_URL -> broker_url, CELERY_TIMEZONE -> timezone"
    # Both spellings of the one setting: Celery does not count it as mixed.
    (tmp_path / "proj/cfg.py").write_text("CELERYBEAT_SCHEDULE = {}\nbeat_schedule = {}\n")
    assert findings(tmp_path, {}, "DL306") == []


def test_a_library_call_named_like_a_signature_does_not_finalize_the_app(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            import inspect

            from celery import Celery

            app = Celery("proj")
            PARAMETERS = inspect.signature(print)


            @app.on_after_configure.connect
            def setup(sender, **kwargs):
                pass
        """,
    }
    assert findings(tmp_path, files, "DL307") == []


def test_tasks_registered_in_a_loop_with_built_names_are_not_guessed_at(tmp_path: Path):
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.beat_schedule = {
                "a": {"task": "proj.jobs.export_a", "schedule": 60.0},
                "b": {"task": "proj.jobs.export_b", "schedule": 60.0},
                "gone": {"task": "proj.celery_app.gone", "schedule": 60.0},
            }
        """,
        "proj/jobs.py": """
            from proj.celery_app import app


            def make_export(kind):
                def export():
                    return kind

                return export


            for kind in ("a", "b"):
                app.task(name=f"proj.jobs.export_{kind}")(make_export(kind))
        """,
    }
    (finding,) = findings(tmp_path, files, "DL303")
    assert "'proj.celery_app.gone'" in finding.message
