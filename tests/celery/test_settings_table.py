"""The bundled Celery setting-name table is the installed Celery's."""

from __future__ import annotations

import pytest

from driftlint.celery.settings_table import NEW_TO_OLD, OLD_TO_NEW

defaults = pytest.importorskip("celery.app.defaults")


def test_setting_table_matches_installed_celery():
    assert dict(defaults._TO_OLD_KEY) == NEW_TO_OLD
    assert dict(defaults._TO_NEW_KEY) == OLD_TO_NEW


def test_beat_schedule_old_name_is_celerybeat_schedule():
    assert NEW_TO_OLD["beat_schedule"] == "CELERYBEAT_SCHEDULE"
