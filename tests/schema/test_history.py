"""The per-environment history: object states along the graph, final objects, matview indexes."""

from __future__ import annotations

import os
from pathlib import Path

from driftlint.engine import CheckOptions, run_check
from driftlint.project import Project
from driftlint.schema.history import (
    ABSENT,
    MIXED,
    NONE,
    PRESENT,
    environment_history,
    final_objects,
    matview_unique_index,
    schema_history,
)
from driftlint.schema.model import INDEX, MATVIEW, POLICY, TABLE, VIEW, ObjectRef

from ..conftest import write_tree
from .helpers import alembic_tree, revision


def project_of(tmp_path: Path, revisions: dict[str, str]) -> Project:
    write_tree(tmp_path, alembic_tree(revisions))
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        project = run_check(CheckOptions(paths=[Path(".")], cwd=tmp_path, use_cache=False)).project
    finally:
        os.chdir(previous)
    assert project is not None and len(project.environments) == 1
    return project


def names(objects) -> set[tuple[str, str]]:
    return {(obj.kind, obj.qualified) for obj in objects}


def test_final_objects_apply_drops_renames_and_keep_the_creating_revision(tmp_path: Path):
    project = project_of(tmp_path, {
        "a1": revision("a1", None, """
            op.create_table("users")
            op.create_table("old")
            op.execute("CREATE VIEW v AS SELECT * FROM users")
            op.execute("CREATE POLICY p ON users USING (true)")
        """),
        "b1": revision("b1", "a1", """
            op.drop_table("old")
            op.rename_table("users", "accounts")
            op.execute("CREATE MATERIALIZED VIEW mv AS SELECT 1 AS id")
        """),
    })
    objects = final_objects(project.environments[0])
    assert names(objects) == {(TABLE, "public.accounts"), (VIEW, "public.v"), (MATVIEW, "public.mv"), (POLICY, "public.p")}
    # The policy follows its table through the rename.
    assert ObjectRef(POLICY, "public", "p", "accounts") in objects
    creation = objects[ObjectRef(MATVIEW, "public", "mv")]
    assert creation.revision == "b1" and creation.path.name == "b1.py" and creation.span[0] > 1
    assert objects[ObjectRef(TABLE, "public", "accounts")].revision == "b1"


def test_a_policy_goes_with_its_dropped_table(tmp_path: Path):
    project = project_of(tmp_path, {
        "a1": revision("a1", None, """
            op.create_table("t")
            op.execute("CREATE POLICY p ON t USING (true)")
            op.drop_table("t")
        """),
    })
    assert final_objects(project.environments[0]) == {}


def test_matview_unique_index_needs_unique_non_partial_plain_columns(tmp_path: Path):
    project = project_of(tmp_path, {
        "a1": revision("a1", None, """
            for name in ("mv_ok", "mv_partial", "mv_expr", "mv_none", "mv_dropped", "mv_recreated"):
                op.execute(f"CREATE MATERIALIZED VIEW {name} AS SELECT 1 AS id")
            op.create_index("ix_ok", "mv_ok", ["id"], unique=True)
            op.execute("CREATE UNIQUE INDEX ix_partial ON mv_partial (id) WHERE id > 0")
            op.execute("CREATE UNIQUE INDEX ix_expr ON mv_expr ((id + 0))")
            op.execute("CREATE INDEX ix_none ON mv_none (id)")
            op.execute("CREATE UNIQUE INDEX ix_dropped ON mv_dropped (id)")
            op.execute("CREATE UNIQUE INDEX ix_recreated ON mv_recreated (id)")
        """),
        "b1": revision("b1", "a1", """
            op.drop_index("ix_dropped")
            op.execute("DROP MATERIALIZED VIEW mv_recreated")
            op.execute("CREATE MATERIALIZED VIEW mv_recreated AS SELECT 2 AS id")
        """),
    })
    env = project.environments[0]

    def usable(name: str):
        return matview_unique_index(env, ObjectRef(MATVIEW, "public", name))

    assert usable("mv_ok") is True
    assert usable("mv_partial") is False
    assert usable("mv_expr") is False
    assert usable("mv_none") is False
    assert usable("mv_dropped") is False
    assert usable("mv_recreated") is False  # re-creating a view drops its indexes
    assert usable("mv_never_created") is None
    assert ObjectRef(INDEX, "public", "ix_recreated") not in final_objects(env)


def test_an_index_made_before_a_matview_rename_still_counts(tmp_path: Path):
    project = project_of(tmp_path, {
        "a1": revision("a1", None, """
            op.execute("CREATE MATERIALIZED VIEW mv_old AS SELECT 1 AS id")
            op.execute("CREATE UNIQUE INDEX ix ON mv_old (id)")
            op.execute("ALTER MATERIALIZED VIEW mv_old RENAME TO mv_new")
        """),
    })
    assert matview_unique_index(project.environments[0], ObjectRef(MATVIEW, "public", "mv_new")) is True


def test_prior_state_follows_branches(tmp_path: Path):
    project = project_of(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("t")'),
        "b1": revision("b1", "a1", 'op.drop_table("t")'),
        "c1": revision("c1", "a1", 'op.add_column("t", sa.Column("x", sa.Integer))'),
        "d1": revision("d1", "b1", 'op.add_column("t", sa.Column("y", sa.Integer))'),
        "m1": revision("m1", ("b1", "c1"), 'op.add_column("t", sa.Column("z", sa.Integer))'),
        "z1": revision("z1", None, 'op.add_column("t", sa.Column("w", sa.Integer))'),
    })
    history = schema_history(project).environments[0]
    key = history.key(ObjectRef(TABLE, "public", "t"))
    assert history.prior(key, "c1", 0).status == PRESENT
    assert history.prior(key, "d1", 0).status == ABSENT
    assert history.prior(key, "m1", 0).status == ABSENT  # b1 follows a1, and c1 does not recreate t
    assert history.prior(key, "z1", 0).status == NONE
    assert history.prior(key, "a1", 0).status == NONE
    assert history.unordered("b1", "c1") and not history.unordered("a1", "m1")


def test_prior_is_mixed_when_unordered_branches_disagree(tmp_path: Path):
    project = project_of(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("t")'),
        "b1": revision("b1", "a1", 'op.drop_table("t")'),
        "c1": revision("c1", "a1", 'op.execute("CREATE TABLE IF NOT EXISTS t ()")'),
        "m1": revision("m1", ("b1", "c1"), 'op.add_column("t", sa.Column("z", sa.Integer))'),
    })
    history = schema_history(project).environments[0]
    assert history.prior(history.key(ObjectRef(TABLE, "public", "t")), "m1", 0).status == MIXED


def test_the_history_is_built_once_per_environment(tmp_path: Path):
    project = project_of(tmp_path, {"a1": revision("a1", None, 'op.create_table("t")')})
    env = project.environments[0]
    assert environment_history(env) is environment_history(env)
    assert schema_history(project) is schema_history(project)
    assert schema_history(project).environments[0] is environment_history(env)
