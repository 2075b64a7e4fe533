"""The Alembic runner `--fresh` starts before its database exists (no server needed here)."""

from __future__ import annotations

import time
from pathlib import Path

from driftlint.verify.database import DatabaseURL
from driftlint.verify.fresh import AlembicTarget, alembic_run

from ..conftest import write_tree

PROJECT = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": (
        "import os\n"
        "from alembic import context\n"
        "# What env.py sees: the URL the runner was handed, by every name it was asked to set.\n"
        "with open(os.environ['PROBE_FILE'], 'w') as handle:\n"
        "    handle.write(os.environ.get('APP_DATABASE_URL', '') + '\\n' + context.config.get_main_option('sqlalchemy.url'))\n"
        "raise SystemExit('probe written')\n"
    ),
    "migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n\ndef upgrade():\n    pass\n',
}


def target(root: Path) -> AlembicTarget:
    return AlembicTarget(config_file=root / "alembic.ini", section=None, toml_file=None, url_env=("APP_DATABASE_URL",))


def test_the_url_is_handed_over_on_stdin_and_env_py_sees_it(tmp_path: Path):
    root = write_tree(tmp_path / "repo", PROJECT)
    probe = tmp_path / "probe.txt"
    url = DatabaseURL.parse("postgresql+psycopg://app:s3cret@127.0.0.1:5999/scratch")
    with alembic_run(target(root), {"PROBE_FILE": str(probe), "PATH": "/usr/bin:/bin"}, "postgresql+psycopg", 10.0) as run:
        time.sleep(0.2)  # the runner loads meanwhile, and waits
        assert run.process.poll() is None and not probe.exists()
        assert not any("s3cret" in str(arg) for arg in run.process.args), "never on the command line"
        run.go(url)
        failure = run.finish(url, url).failure
    raw = url.render(hide_password=False)
    assert probe.read_text().splitlines() == [raw, raw]
    assert failure is not None and failure.exception == "builtins.SystemExit"


def test_a_run_called_off_before_its_url_leaves_nothing_running(tmp_path: Path):
    root = write_tree(tmp_path / "repo", PROJECT)
    probe = tmp_path / "probe.txt"
    with alembic_run(target(root), {"PROBE_FILE": str(probe), "PATH": "/usr/bin:/bin"}, "postgresql+psycopg", 10.0) as run:
        process = run.process
    assert process.poll() is not None
    assert not probe.exists(), "env.py never ran"


def test_a_killed_runs_folder_is_swept_and_a_live_ones_is_not(tmp_path: Path, monkeypatch):
    import tempfile

    from driftlint.verify.fresh import ALIVE_FILE, RUN_PREFIX, sweep_run_folders

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed = tmp_path / (RUN_PREFIX + "killed")
    killed.mkdir()
    (killed / ALIVE_FILE).write_text("")  # its lock went with its process
    legacy = tmp_path / (RUN_PREFIX + "before-the-lock")  # no lock file: nothing says it is dead
    legacy.mkdir()
    root = write_tree(tmp_path / "repo", PROJECT)
    with alembic_run(target(root), {"PATH": "/usr/bin:/bin"}, "postgresql+psycopg", 10.0) as run:
        assert not killed.exists()
        live = run.result_file.parent
        assert sweep_run_folders(tmp_path) == [] and live.exists()
    assert not live.exists() and legacy.exists()
