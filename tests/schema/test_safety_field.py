"""Shapes found in public histories that once gave false findings, each a fixture named for it."""

from __future__ import annotations

from pathlib import Path

from ..conftest import FIXTURES, lint


def findings(name: str, *select: str) -> list[tuple[str, str, int]]:
    return sorted((d.code, Path(d.path).name, d.location.row) for d in lint(FIXTURES / name, select=select))


def test_indexes_built_on_an_autocommit_connection_are_outside_the_transaction():
    # letta: connection.commit(), then execution_options(isolation_level="AUTOCOMMIT") and
    # CREATE INDEX CONCURRENTLY through it. That runs outside any transaction, as it must.
    assert findings("autocommit-connection-indexes") == []


def test_the_arms_of_a_dialect_if_are_alternatives():
    # letta: the SQLite arm drops and re-creates a table, the PostgreSQL arm alters and renames
    # it. Nothing refers to a dropped object; what is reported is true of the PostgreSQL arm, and
    # the SQLite arm (`is_sqlite = bind.dialect.name == "sqlite"`) never runs on PostgreSQL.
    assert findings("dialect-branches", "DL2") == []
    assert findings("dialect-branches", "DL5") == [
        ("DL501", "74e860718e0d_add_archival_memory_sharing.py", 36),
        ("DL502", "74e860718e0d_add_archival_memory_sharing.py", 33),
        ("DL512", "74e860718e0d_add_archival_memory_sharing.py", 34),
        ("DL515", "74e860718e0d_add_archival_memory_sharing.py", 35),
    ]


def test_arms_that_run_only_on_another_database_are_not_judged():
    # CTFd: `if url.startswith("mysql"): ... elif url.startswith("postgres"): ...` re-creates a
    # foreign key under each database's name; mealie: `if is_postgres(): ... else:` with a batch
    # rebuild for SQLite. The rules judge PostgreSQL: only the PostgreSQL arm is reported, once.
    assert findings("other-database-arms", "DL5") == [
        ("DL507", "c3_rating_to_float.py", 22),
        ("DL510", "b2_cascade_solution_files.py", 29),
    ]
    assert findings("other-database-arms", "DL2") == []
