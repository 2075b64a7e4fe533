"""Which app's beat schedule holds each entry found in the code (DL908 compares an app with its own)."""

from __future__ import annotations

from pathlib import Path

from .helpers import index_of

TWO_APPS = {
    "proj/__init__.py": "",
    "proj/worker.py": """
        from celery import Celery

        worker = Celery("worker")
        worker.config_from_object("proj.worker_config")
        worker.conf.beat_schedule["inline"] = {"task": "proj.jobs.a", "schedule": 5.0}
    """,
    "proj/worker_config.py": """
        beat_schedule = {"from-config-module": {"task": "proj.jobs.a", "schedule": 5.0}}
    """,
    "proj/reports.py": """
        from celery import Celery

        EXTRA = {"via-update": {"task": "proj.jobs.b", "schedule": 5.0}}
        reports = Celery("reports")
        reports.conf.update(beat_schedule=EXTRA)

        @reports.on_after_configure.connect
        def setup(sender, **kwargs):
            sender.add_periodic_task(10.0, nightly.s(), name="periodic")

        @reports.task
        def nightly():
            pass
    """,
    "proj/orphan.py": """
        import somewhere

        LOOSE = {"handed-over": {"task": "proj.jobs.c", "schedule": 5.0}}
        somewhere.register(LOOSE)
    """,
}


def test_entries_know_the_app_that_loads_them(tmp_path: Path):
    index = index_of(tmp_path, TWO_APPS)
    names = {app.identity: app.variable for app in index.apps}
    owners = {
        entry.key: None if entry.apps is None else sorted(names[identity] for identity in entry.apps)
        for entry in index.entries
    }
    assert owners == {
        "from-config-module": ["worker"],
        "inline": ["worker"],
        "via-update": ["reports"],
        "periodic": ["reports"],
        "handed-over": None,
    }
