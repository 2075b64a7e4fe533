"""What migration safety reads from env.py, without running it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from driftlint.config import Settings
from driftlint.schema.environment import extract
from driftlint.schema.model import EnvSettings
from driftlint.source import SourceFile


def env(code: str, name: str = "env.py") -> EnvSettings | None:
    source = SourceFile.from_bytes(Path(f"/project/migrations/{name}"), textwrap.dedent(code).encode("utf-8"))
    assert source.tree is not None
    return extract(source.tree, source, Settings(root=Path("/project")))


ONLINE = """
    \"\"\"Run migrations; set lock_timeout in the deployment.\"\"\"
    from alembic import context

    def run_migrations_offline():
        context.configure(url="postgresql://")

    def run_migrations_online(connection):
        {setup}
        context.configure(connection=connection{configure})
"""


def test_other_modules_have_no_env_settings():
    assert env("x = 1\n", name="tasks.py") is None


def test_a_lock_timeout_set_through_the_connection_the_url_or_connect_args_is_seen():
    for setup in (
        "connection.execute(text(\"SET lock_timeout = '4s'\"))",
        'create_engine(url + "?options=-c%20lock_timeout%3D4000")',
        'create_engine(url, connect_args={"options": "-c lock_timeout=4000"})',
        'create_async_engine(url, connect_args={"server_settings": {"lock_timeout": "4s"}})',
    ):
        found = env(ONLINE.format(setup=setup, configure=""))
        assert found is not None and found.lock_timeout, setup


def test_a_docstring_or_comment_naming_lock_timeout_sets_nothing():
    found = env(ONLINE.format(setup="pass  # lock_timeout is set by the platform", configure=""))
    assert found == EnvSettings(anchor=10)


def test_autocommit_and_one_transaction_per_migration_are_seen():
    found = env(ONLINE.format(setup="connection = connection.execution_options(isolation_level=\"AUTOCOMMIT\")",
                              configure=", transaction_per_migration=True"))
    assert found is not None and found.autocommit and found.transaction_per_migration


def test_the_anchor_is_the_configure_call_given_a_connection():
    found = env(ONLINE.format(setup="pass", configure=""))
    assert found is not None and found.anchor == 10
    assert env("from alembic import context\n") == EnvSettings(anchor=1)
