"""Both arms of an `if` are alternatives: what one arm drops, the other may still use."""

from __future__ import annotations

from pathlib import Path

from driftlint.schema.model import exclusive

from ..conftest import lint, write_tree
from .helpers import alembic_tree, revision, upgrade


def branches(body: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """Each effect's branch, by `action object`."""
    return {f"{e.action} {e.obj.name}": e.branch for e in upgrade(body).effects}


def test_the_arms_of_an_if_are_exclusive_and_what_follows_is_not():
    found = branches(
        """
        if is_sqlite:
            op.drop_table("a")
        elif is_mysql:
            op.drop_table("b")
        else:
            op.alter_column("a", "x", nullable=True)
        op.create_table("c")
        """
    )
    assert exclusive(found["drop a"], found["alter a"])
    assert exclusive(found["drop a"], found["drop b"])
    assert exclusive(found["drop b"], found["alter a"])
    assert found["create c"] == ()


def test_an_arm_that_returns_makes_the_rest_of_the_body_the_other_arm():
    found = branches(
        """
        if not settings.pg_uri:
            op.drop_table("sqlite_only")
            return
        op.alter_column("sqlite_only", "x", nullable=True)
        """
    )
    assert exclusive(found["drop sqlite_only"], found["alter sqlite_only"])


def test_each_run_of_an_if_in_a_loop_is_its_own_choice():
    found = upgrade(
        """
        for name in ("a", "b"):
            if name == "a":
                op.drop_table(name)
            else:
                op.alter_column(name, "x", nullable=True)
        """
    ).effects
    by = {f"{e.action} {e.obj.name}": e.branch for e in found}
    assert exclusive(by["drop a"], by["alter a"])
    assert not exclusive(by["drop a"], by["alter b"])


def check(tmp_path: Path, revisions: dict[str, str], code: str):
    write_tree(tmp_path, alembic_tree(revisions))
    return [d for d in lint(tmp_path, select=[code]) if d.code == code]


TABLES = 'op.create_table("passages", sa.Column("id", sa.Text()))\nop.create_index("ix_passages_id", "passages", ["id"])'


def test_a_drop_in_one_arm_and_a_use_in_the_other_is_no_reference_to_a_dropped_object(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, TABLES),
        "b1": revision("b1", "a1", """
            if op.get_bind().dialect.name == "sqlite":
                op.drop_index("ix_passages_id", table_name="passages")
                op.drop_table("passages")
            else:
                op.add_column("passages", sa.Column("archive_id", sa.Text()))
                op.drop_index("ix_passages_id", table_name="passages")
        """),
    }, "DL202") == []


def test_a_use_after_a_drop_in_the_same_arm_is_still_reported(tmp_path: Path):
    [finding] = check(tmp_path, {
        "a1": revision("a1", None, TABLES),
        "b1": revision("b1", "a1", """
            if op.get_bind().dialect.name == "sqlite":
                op.drop_table("passages")
                op.add_column("passages", sa.Column("archive_id", sa.Text()))
        """),
    }, "DL202")
    assert "`passages`" in finding.message


def test_a_use_after_the_if_still_sees_a_drop_in_either_arm(tmp_path: Path):
    [finding] = check(tmp_path, {
        "a1": revision("a1", None, TABLES),
        "b1": revision("b1", "a1", """
            if op.get_bind().dialect.name == "sqlite":
                op.drop_table("passages")
            op.add_column("passages", sa.Column("archive_id", sa.Text()))
        """),
    }, "DL202")
    assert "already dropped it" in finding.message


def test_sql_longer_than_driftlint_reads_is_an_unknown_saying_so():
    result = upgrade("op.execute(SQL)", prelude=f'SQL = "{"SELECT 1;" * 30000}"')
    [unknown] = result.unknown
    assert "SQL of 270,000 characters is longer than driftlint reads (200,000)" in unknown.reason


def test_show_unknown_says_sql_was_too_long_to_read(tmp_path: Path):
    from ..adoption.helpers import invoke

    write_tree(tmp_path, alembic_tree({
        "a1": revision("a1", None, "op.execute(HUGE)", prelude=f'HUGE = "{"SELECT 1;" * 30000}"'),
    }))
    result = invoke(tmp_path, "check", "--no-cache", "--show-unknown", "--output-format", "concise")
    assert "unknown: SQL of 270,000 characters is longer than driftlint reads (200,000)" in result.stderr
