"""The per-module extractor: what it records from the AST, and that it never fails or imports anything."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

from driftlint.celery.extract import extract
from driftlint.celery.facts import ModuleFacts
from driftlint.celery.values import CallV, Const, Element, Imported, Name, Param, Template
from driftlint.source import SourceFile

from .helpers import facts_of


def function(facts: ModuleFacts, qualname: str):
    return next(f for f in facts.functions if f.qualname == qualname)


def test_imports_keep_aliases_levels_and_dotted_modules():
    facts = facts_of(
        """
        import celery.schedules
        import json as j
        from celery import shared_task as st
        from ..core import registry
        from . import *
        """
    )
    by_local = {(i.local, i.module, i.level, i.attr) for i in facts.imports}
    assert ("celery", "celery", 0, None) in by_local
    assert ("", "celery.schedules", 0, None) in by_local
    assert ("j", "json", 0, None) in by_local
    assert ("st", "celery", 0, "shared_task") in by_local
    assert ("registry", "core", 2, "registry") in by_local
    assert facts.star_imports == (("", 1),)
    assert facts.imports_celery


def test_imports_inside_functions_are_lazy():
    facts = facts_of(
        """
        def configure():
            from app.tasks import BEAT_SCHEDULE
            celery_app.conf.beat_schedule = BEAT_SCHEDULE
        """
    )
    assert facts.imports == ()
    assert [(q, i.module, i.attr) for q, i in facts.lazy_imports] == [("configure", "app.tasks", "BEAT_SCHEDULE")]
    write = next(e for e in facts.events if e.kind == "conf-write")
    assert write.value == Imported("app.tasks", 0, "BEAT_SCHEDULE")


def test_f_string_refresh_records_the_interpolated_parameter():
    facts = facts_of(
        """
        async def _refresh_view(view_name, task_id):
            async with engine.begin() as conn:
                await conn.execute(text(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view_name}"))
        """
    )
    (site,) = function(facts, "_refresh_view").sql
    assert site.concurrently
    assert site.statement == "REFRESH MATERIALIZED VIEW CONCURRENTLY {view_name}"
    assert site.target.holes == (Param("_refresh_view", "view_name"),)
    assert not site.target.quoted


@pytest.mark.parametrize(
    "expression",
    [
        '"REFRESH MATERIALIZED VIEW {}".format(name)',
        '"REFRESH MATERIALIZED VIEW {view}".format(view=name)',
        '"REFRESH MATERIALIZED VIEW %s" % name',
        '"REFRESH MATERIALIZED VIEW %(v)s" % {"v": name}',
        '"REFRESH MATERIALIZED VIEW " + name',
        "TEMPLATE.format(name)",
    ],
)
def test_every_way_of_building_the_statement_finds_the_identifier(expression: str):
    facts = facts_of(
        f"""
        TEMPLATE = "REFRESH MATERIALIZED VIEW {{}}"

        def refresh(name):
            run({expression})
        """
    )
    (site,) = function(facts, "refresh").sql
    assert site.target.holes == (Param("refresh", "name"),)


def test_identifier_quoting_marks_the_target_quoted():
    facts = facts_of(
        """
        from psycopg import sql

        def refresh(cur, name):
            cur.execute(sql.SQL("REFRESH MATERIALIZED VIEW CONCURRENTLY {}").format(sql.Identifier(name)))
        """
    )
    (site,) = function(facts, "refresh").sql
    assert site.target.quoted and site.concurrently


def test_literal_view_names_fold_case_unless_quoted():
    facts = facts_of(
        """
        def refresh(conn):
            conn.execute('REFRESH MATERIALIZED VIEW analytics."Daily_MV"')
            conn.execute("refresh materialized view Mv_Sales with data")
        """
    )
    names = sorted(site.target.name for site in function(facts, "refresh").sql)
    assert names == ["analytics.Daily_MV", "mv_sales"]


def test_concurrently_chosen_at_run_time_counts_as_concurrent():
    facts = facts_of(
        """
        def refresh(conn, concurrent):
            mode = "CONCURRENTLY" if concurrent else ""
            conn.execute(f"REFRESH MATERIALIZED VIEW {mode} mv_sales")
        """
    )
    sites = function(facts, "refresh").sql
    assert {(s.concurrently, s.target.name) for s in sites} == {(True, "mv_sales"), (False, "mv_sales")}


def test_a_module_constant_statement_counts_where_a_function_reads_it():
    facts = facts_of(
        """
        REFRESH = "REFRESH MATERIALIZED VIEW CONCURRENTLY mv_sales"

        def refresh(conn):
            conn.execute(REFRESH)
        """
    )
    (site,) = function(facts, "refresh").sql
    assert site.target.name == "mv_sales" and site.span[0] == 2


def test_loop_variable_over_a_list_is_an_element_of_it():
    facts = facts_of(
        """
        async def _refresh_view(view_name, task_id):
            pass

        def refresh_all(self):
            for view_name in MATERIALIZED_VIEWS:
                asyncio.run(_refresh_view(view_name, self.request.id))
        """
    )
    call = next(c for c in function(facts, "refresh_all").calls if c.callee == Name("_refresh_view"))
    assert call.args[0] == Element(Name("MATERIALIZED_VIEWS"))


def test_advisory_locks_and_tenant_settings_are_markers():
    facts = facts_of(
        """
        def locked(conn, tenant_id):
            conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"))
            conn.execute(text("SELECT set_config('app.current_tenant_id', :t, true)"))
            conn.execute(text("SELECT pg_advisory_unlock(1)"))
        """
    )
    markers = function(facts, "locked").markers
    assert "advisory-lock:pg_try_advisory_xact_lock" in markers
    assert any(m.startswith("tenant-guc:") for m in markers)
    assert not any("unlock" in m for m in markers)


def test_membership_checks_and_validators_mark_names_checked():
    facts = facts_of(
        """
        def refresh(view_name, other, third):
            if view_name not in MATERIALIZED_VIEWS:
                raise ValueError(view_name)
            validate_matview_name(other)
            if "'" in third:
                raise ValueError(third)
        """
    )
    assert function(facts, "refresh").checked == frozenset({"view_name", "other"})


def test_conf_writes_reads_updates_and_item_assignments_are_events_in_order():
    facts = facts_of(
        """
        app = Celery("proj")
        print(app.conf.broker_url)
        app.conf.beat_schedule = SCHEDULE
        app.conf["timezone"] = "UTC"
        app.conf.update(task_serializer="json")
        app.config_from_object("proj.celeryconfig", namespace="CELERY")
        SCHEDULE["extra"] = {"task": "t", "schedule": 1.0}
        """
    )
    kinds = [(e.kind, e.name) for e in sorted(facts.events, key=lambda e: e.order)]
    assert kinds == [
        ("conf-read", "broker_url"),
        ("conf-write", "beat_schedule"),
        ("conf-write", "timezone"),
        ("call", "update"),
        ("call", "config_from_object"),
        ("setitem", ""),
    ]


def test_signal_handler_decorators_are_connect_events():
    facts = facts_of(
        """
        @app.on_after_configure.connect
        def setup(sender, **kwargs):
            sender.add_periodic_task(10.0, ping.s(), name="ping")
        """
    )
    connect = next(e for e in facts.events if e.name == "connect")
    assert connect.handler == "setup"
    periodic = next(e for e in facts.events if e.name == "add_periodic_task")
    assert periodic.receiver == Param("setup", "sender") and periodic.function == "setup"


def test_schedules_passed_to_unknown_code_escape_but_inspected_ones_do_not():
    facts = facts_of(
        """
        def f():
            sched = BEAT_SCHEDULE
            register(sched)
            print(len(OTHER), OTHER.keys())
        """
    )
    assert Name("BEAT_SCHEDULE") in facts.escapes
    assert Name("OTHER") not in facts.escapes


def test_local_dict_mutations_fold_into_the_returned_value():
    facts = facts_of(
        """
        def build():
            jobs = {}
            jobs["a"] = {"task": "t", "schedule": 1.0}
            jobs.update(MORE)
            return jobs
        """
    )
    (returned,) = function(facts, "build").returns
    keys = [k.value if isinstance(k, Const) else k for k, _ in returned.items]
    assert keys == ["a", None]


def test_methods_called_on_self_resolve_to_the_class_method():
    facts = facts_of(
        """
        class Refresher:
            def run(self):
                self._refresh("mv")

            def _refresh(self, name):
                pass
        """
    )
    callees = [c.callee for c in function(facts, "Refresher.run").calls]
    assert any(getattr(c, "qualname", None) == "Refresher._refresh" for c in callees)


def test_a_module_without_celery_words_gets_cheap_facts():
    facts = facts_of(
        """
        import json

        def dump(x):
            return json.dumps(x)
        """
    )
    assert not facts.deep and facts.events == () and function(facts, "dump").calls == ()


@pytest.mark.parametrize(
    "text",
    [
        "from django.conf import settings\n\ndef dump(x):\n    return settings.X\n",
        "def reload(order):\n    order.refresh_from_db()\n",
        "QUERY = 'mutation tokenRefresh($token: String) { tokenRefresh(refreshToken: $token) { token } }'\n",
        "def wait(items):\n    for block in items:\n        clock.sleep(block)\n",
    ],
    ids=["django-conf", "refresh-from-db", "token-refresh", "block-and-clock"],
)
def test_words_of_other_frameworks_do_not_make_a_module_deep(text: str):
    """Django's `django.conf` and `refresh_from_db`, a token refresh, "block" and "clock": a third of
    a large Django project's modules were read deep for these alone."""
    assert not facts_of(text).deep


@pytest.mark.parametrize(
    "text",
    [
        "from proj.worker import app\n\napp.conf.update(result_expires=60)\n",
        "def refresh_views(run):\n    run(VIEWS)\n",
        "def guarded(redis):\n    with redis.lock('x'):\n        go()\n",
    ],
    ids=["app-conf", "refresh-helper", "a-lock"],
)
def test_an_app_conf_a_refresh_helper_or_a_lock_makes_a_module_deep(text: str):
    assert facts_of(text).deep


def test_the_deep_test_answers_what_the_vocabulary_pattern_answers():
    """`is_deep` finds `_DEEP`'s literals with `str.find` instead of running the pattern at every
    position; on texts built from the pattern's edge cases (lookbehinds, lookaheads, the word
    boundary after `.conf`, overlaps, the ends of the text) both must agree."""
    import random

    from driftlint.celery.extract import _DEEP, is_deep

    pieces = [
        "django.conf", "djangoX.conf", ".conf", ".confx", ".conf_", ".conf.", ".conf\u00e9", "refresh", "token",
        "token_", "refresh_from_db", "refresh_token", "refreshtoken", "tokenrefresh", "token_refresh", "lock", "block",
        "clock", "blo", "ck", "bl", "ock", "c", "b", "l", "x", "_", " ", "\n", "\u00e9", "refres", "h", "tas", "k",
        "beat", "schedul", "celery", "django", "conf", ".",
    ]
    rng = random.Random(20261207)
    texts = ["", "lock", "block", ".conf", "django.conf", "refresh_from_db"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(20000)]
    disagree = [t for t in texts if is_deep(t) != (_DEEP.search(t) is not None)]
    assert disagree == []
    assert {is_deep(t) for t in texts} == {True, False}


def test_a_module_no_import_can_name_is_read_only_when_it_uses_celery_words():
    """`0001_initial.py` cannot be imported by name: without Celery's vocabulary the task index
    drops it, so the extractor skips it (None); with it, the index reads it under a synthetic name."""
    plain = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = []\n"
    celery_words = "from proj.tasks import refresh\n\nSCHEDULE = {'a': {'task': 'proj.tasks.refresh'}}\n"

    def read(name: str, text: str):
        source = SourceFile.from_bytes(Path("/project/app/migrations") / name, text.encode())
        assert source.tree is not None
        return extract(source.tree, source, None)

    assert read("0001_initial.py", plain) is None
    assert read("settings.dist.py", plain) is None
    assert read("initial.py", plain) is not None and read("__init__.py", plain) is not None
    deep = read("0001_initial.py", celery_words)
    assert deep is not None and deep.deep


def test_a_local_bound_to_a_builtin_does_not_escape_but_one_bound_to_a_module_name_does():
    facts = facts_of(
        """
        from proj.schedules import JOBS

        def task_runner(run):
            error = Exception
            jobs = JOBS
            run(error, jobs)
        """
    )
    assert facts.deep
    assert [value.id for value in facts.escapes if isinstance(value, Name)] == ["JOBS"]


def test_facts_pickle():
    facts = facts_of(
        """
        from celery import Celery
        app = Celery("x", beat_schedule={"a": {"task": "t", "schedule": 1.0}})

        @app.task(name=f"{__name__}.x")
        def x(view):
            run(f"REFRESH MATERIALIZED VIEW {view}")
        """
    )
    assert pickle.loads(pickle.dumps(facts)) == facts
    assert isinstance(function(facts, "x").decorators[0], CallV)
    assert isinstance(function(facts, "x").decorators[0].kwargs[0][1], Template)


@pytest.mark.parametrize("package", ["json", "email", "logging", "asyncio", "unittest"])
def test_extractor_never_fails_on_real_code(package: str):
    root = Path(sys.modules["os"].__file__).parent / package
    for path in sorted(root.rglob("*.py"))[:60]:
        source = SourceFile.from_bytes(path, path.read_bytes())
        if source.tree is None:
            continue
        facts = extract(source.tree, source, None)
        assert isinstance(facts, ModuleFacts)
        pickle.dumps(facts)
