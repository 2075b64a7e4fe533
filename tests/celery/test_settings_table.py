"""The bundled Celery setting-name table is the installed Celery's."""

from __future__ import annotations

import pytest

from driftlint.celery.settings_table import NEW_TO_OLD, OLD_TO_NEW

defaults = pytest.importorskip("celery.app.defaults")


def test_setting_table_matches_installed_celery():
    assert NEW_TO_OLD == dict(defaults._TO_OLD_KEY)
    assert OLD_TO_NEW == dict(defaults._TO_NEW_KEY)


def test_beat_schedule_old_name_is_celerybeat_schedule():
    assert NEW_TO_OLD["beat_schedule"] == "CELERYBEAT_SCHEDULE"
