"""Shapes from public projects that once raised false alarms: each now reads the way Celery does."""

from __future__ import annotations

import shutil
from pathlib import Path

from driftlint.celery.index import task_index

from ..conftest import FIXTURES
from .helpers import check


def field_copy(tmp_path: Path) -> Path:
    root = tmp_path / "celery-field-shapes"
    shutil.copytree(FIXTURES / "celery-field-shapes", root)
    return root


def test_field_shapes_raise_no_celery_finding(tmp_path: Path):
    diagnostics, _ = check(field_copy(tmp_path))
    assert diagnostics == []


def test_every_beat_entry_of_the_field_shapes_names_a_known_task(tmp_path: Path):
    _, project = check(field_copy(tmp_path))
    index = task_index(project)
    entries = {entry.key: entry.task for entry in index.entries}
    assert entries == {
        "send-digests": "proj.digests.tasks.send_digests",
        "heartbeats": "proj.common.heartbeat.check_heartbeats",
        "train-classifier": "proj.digests.tasks.train_classifier",
    }
    assert set(entries.values()) <= index.task_names


def test_a_package_module_named_celery_does_not_shadow_the_library(tmp_path: Path):
    _, project = check(field_copy(tmp_path))
    index = task_index(project)
    assert "proj.digests.tasks.send_digests" in index.task_names
    assert index.symbols.module("celery") is None


def test_the_entries_are_checked_so_a_stale_name_there_is_reported(tmp_path: Path):
    root = field_copy(tmp_path)
    settings = root / "proj/settings/settings.dist.py"
    settings.write_text(settings.read_text().replace("send_digests\"", "send_daily_digests\""))
    diagnostics, _ = check(root, select=("DL303",))
    assert [(d.code, d.path) for d in diagnostics] == [("DL303", "proj/settings/settings.dist.py")]
