"""The task index against the real Celery: task names and loaded schedules of the fixture projects.

Each fixture is copied to a temp dir and imported there in a subprocess (the fixtures are ours;
driftlint itself never imports project code).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from driftlint.celery.index import LOADED, NONE, task_index

from ..conftest import FIXTURES
from .helpers import check

pytest.importorskip("celery")

PROBE_SCHEDULES = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    sys.path.insert(0, ".")
    from celery import Celery
    import forms
    keys = {}
    for info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module(f"forms.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Celery) and value.main.startswith("f"):
                value.loader.import_default_modules()
                value.finalize()
                keys[f"{info.name}:{name}"] = sorted(value.conf.beat_schedule)
    print(json.dumps(keys))
    """
)

PROBE_TASKS = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, "src")
    from naming.celery_app import app
    app.loader.import_default_modules()
    app.finalize()
    print(json.dumps(sorted(name for name in app.tasks if not name.startswith("celery."))))
    """
)


def run_probe(root: Path, code: str) -> object:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", F12_CONFIG="forms.celeryconfig")
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def test_every_schedule_driftlint_calls_loaded_is_in_the_running_apps_schedule(tmp_path: Path):
    root = copy("beat-schedule-source-forms", tmp_path)
    runtime = run_probe(root, PROBE_SCHEDULES)
    assert isinstance(runtime, dict)
    loaded_at_run_time = {key for keys in runtime.values() for key in keys}
    _, project = check(root)
    index = task_index(project)
    unloaded = {h.name for h in index.holders.values() if h.fate == NONE}
    assert unloaded == {"NEVER_LOADED"}
    static_keys = {entry.key for entry in index.entries}
    never = {e.key for e in index.entries if e.module.name == "forms.f99_unloaded"}
    assert never == {"f99-never"}
    assert never.isdisjoint(loaded_at_run_time)
    assert static_keys - never == loaded_at_run_time
    assert all(h.fate == LOADED for h in index.holders.values() if h.name != "NEVER_LOADED" and h.module.name != "forms.f12_envvar")


def test_task_names_are_the_names_celery_registers(tmp_path: Path):
    root = copy("task-naming-forms", tmp_path)
    runtime = run_probe(root, PROBE_TASKS)
    _, project = check(root)
    index = task_index(project)
    static = sorted(task.name for task in index.tasks if task.name)
    assert static == runtime


PROBE_MIXED = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, ".")
    from celery import Celery
    from celery.exceptions import ImproperlyConfigured
    app = Celery("proj")
    app.config_from_object("proj.cfg")
    try:
        app.conf.timezone
    except ImproperlyConfigured:
        print("true")
    else:
        print("false")
    """
)


@pytest.mark.parametrize(
    "config",
    [
        "BROKER_URL = 'redis://'\nCELERY_TIMEZONE = 'UTC'\nbeat_schedule = {}\n",
        "task_serializer = 'json'\ntimezone = 'UTC'\nCELERYBEAT_SCHEDULE = {}\n",
        "CELERYBEAT_SCHEDULE = {}\nbeat_schedule = {}\n",
        "broker_url = 'redis://'\nbeat_schedule = {}\n",
        "BROKER_URL = 'redis://'\nCELERYBEAT_SCHEDULE = {}\n",
        "timezone = 'UTC'\nCELERYBEAT_SCHEDULE = {}\n",
    ],
)
def test_mixed_setting_names_are_reported_exactly_when_celery_raises(config: str, tmp_path: Path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj/__init__.py").write_text("")
    (tmp_path / "proj/cfg.py").write_text(config)
    (tmp_path / "proj/celery_app.py").write_text(
        "from celery import Celery\n\napp = Celery('proj')\napp.config_from_object('proj.cfg')\n"
    )
    raises = run_probe(tmp_path, PROBE_MIXED)
    diagnostics, _ = check(tmp_path, select=("DL306",))
    assert bool(diagnostics) == raises
