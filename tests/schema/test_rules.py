"""DL201-DL204 end to end through the engine, on small trees: what they find and where they stay quiet."""

from __future__ import annotations

from pathlib import Path

from ..conftest import lint, write_tree
from .helpers import alembic_tree, revision

TENANTS = 'op.create_table("tenants", sa.Column("id", sa.Uuid(), primary_key=True))'
JOBS = 'op.execute("CREATE TABLE jobs (id uuid PRIMARY KEY, tenant_id uuid REFERENCES tenants(id))")'


def check(tmp_path: Path, revisions: dict[str, str], code: str, extra: dict[str, str] | None = None):
    write_tree(tmp_path, alembic_tree(revisions, extra))
    return [d for d in lint(tmp_path, select=[code]) if d.code == code]


# -- DL201 cross-branch-reference ---------------------------------------------------------------


def test_dl201_reports_a_reference_to_a_table_created_on_an_independent_branch(tmp_path: Path):
    (finding,) = check(tmp_path, {
        "a1_core": revision("a1", None, TENANTS),
        "c1_celery": revision("c1", None, JOBS, labels=("celery_foundation",)),
    }, "DL201")
    assert finding.path == "migrations/versions/c1_celery.py"
    assert "`tenants`" in finding.message and "`a1`" in finding.message and "a1_core.py" in finding.message
    assert 'depends_on = "a1"' in (finding.fix_title or "")
    assert finding.subject == ("c1", "public.tenants")
    assert [(r.path, r.location.row) for r in finding.related] == [("migrations/versions/a1_core.py", 10)]


def test_dl201_is_quiet_once_depends_on_names_the_creating_revision_or_its_label(tmp_path: Path):
    assert check(tmp_path / "rev", {
        "a1_core": revision("a1", None, TENANTS),
        "c1_celery": revision("c1", None, JOBS, depends_on="a1"),
    }, "DL201") == []
    assert check(tmp_path / "label", {
        "a1_core": revision("a1", None, TENANTS, labels=("core",)),
        "c1_celery": revision("c1", None, JOBS, depends_on="core"),
    }, "DL201") == []


def test_dl201_a_label_resolves_to_the_revision_declaring_it_not_the_branch_head(tmp_path: Path):
    (finding,) = check(tmp_path, {
        "a0_base": revision("a0", None, "pass", labels=("core",)),
        "a1_core": revision("a1", "a0", TENANTS),
        "c1_celery": revision("c1", None, JOBS, depends_on="core"),
    }, "DL201")
    assert 'depends_on = ("core", "a1")' in (finding.fix_title or "")


def test_dl201_ignores_objects_no_revision_creates(tmp_path: Path):
    assert check(tmp_path, {"c1": revision("c1", None, JOBS)}, "DL201") == []


def test_dl201_ignores_uses_that_tolerate_a_missing_object(tmp_path: Path):
    assert check(tmp_path, {
        "a1_core": revision("a1", None, TENANTS),
        "c1": revision("c1", None, 'op.execute("ALTER TABLE IF EXISTS tenants ENABLE ROW LEVEL SECURITY")'),
    }, "DL201") == []


def test_dl201_is_quiet_when_unreadable_sql_before_it_may_create_the_object(tmp_path: Path):
    assert check(tmp_path, {
        "a1_core": revision("a1", None, TENANTS),
        "b1_legacy": revision("b1", None, 'op.execute(f"CREATE TABLE {prefix}tenants (id uuid)")'),
        "c1_celery": revision("c1", "b1", JOBS),
    }, "DL201") == []


def test_dl201_follows_reads_in_view_bodies_and_reports_each_object_once(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, 'op.execute("CREATE VIEW active_tenants AS SELECT 1 AS id")'),
        "b1": revision("b1", None, """
            op.execute("CREATE VIEW report AS SELECT * FROM active_tenants")
            op.execute("CREATE VIEW report2 AS SELECT * FROM active_tenants")
        """),
    }, "DL201")
    assert len(findings) == 1 and "reads view `active_tenants`" in findings[0].message


def test_dl201_engines_of_the_multidb_template_are_separate_databases(tmp_path: Path):
    multidb = '''"""multidb."""
from alembic import op

revision = "{rev}"
down_revision = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def upgrade_{engine}():
    op.execute("{sql}")
'''
    assert check(tmp_path, {
        "a1": multidb.format(rev="a1", engine="engine1", sql="CREATE TABLE t (id int)"),
        "b1": multidb.format(rev="b1", engine="engine2", sql="CREATE TABLE u (id int REFERENCES t(id))"),
    }, "DL201") == []


def test_dl201_unqualified_names_live_in_the_configured_default_schema(tmp_path: Path):
    revisions = {
        "a1_core": revision("a1", None, 'op.create_table("tenants", schema="app")'),
        "c1_celery": revision("c1", None, JOBS),
    }
    assert check(tmp_path / "public", revisions, "DL201") == []
    (finding,) = check(tmp_path / "app", revisions, "DL201", extra={"driftlint.toml": 'default-schema = "app"\n'})
    assert finding.subject == ("c1", "app.tenants") and "table `tenants`" in finding.message


def test_dl201_the_seed_fixture_and_its_fix(tmp_path: Path):
    from ..conftest import FIXTURES

    findings = [d for d in lint(FIXTURES / "seed-cross-branch-tenants", select=["DL201"])]
    assert [(d.code, d.subject) for d in findings] == [("DL201", ("202512151300", "public.tenants"))]
    assert lint(FIXTURES / "seed-cross-branch-tenants-fixed", select=["DL2"]) == []


def test_dl201_columns_count_characters_after_non_ascii_text(tmp_path: Path):
    create = 'note = "données"; op.create_table("tenants"); op.create_table("accounts")'
    by_call = 'note = "café 🎉"; op.create_foreign_key("fk_jobs_tenant", "jobs", "tenants", ["tenant_id"], ["id"])'
    in_sql = 'op.execute("CREATE TABLE runs (note text DEFAULT \'日本 🎉\', account_id int REFERENCES accounts(id))")'
    findings = check(tmp_path, {
        "a1_core": revision("a1", None, create),
        "c1_jobs": revision("c1", None, f"{by_call}\n{in_sql}"),
    }, "DL201")
    # upgrade() bodies are indented by 4: a line's text starts at column 5, on line 10 and 11.
    assert sorted((d.subject[1], d.location.row, d.location.column, d.end.column) for d in findings) == [
        ("public.accounts", 11, 5 + in_sql.index("accounts("), 5 + in_sql.index("accounts(") + len("accounts")),
        ("public.tenants", 10, 5 + by_call.index("op.create_foreign_key"), 5 + len(by_call)),
    ]
    assert {(r.location.row, r.location.column) for d in findings for r in d.related} == {
        (10, 5 + create.index('op.create_table("tenants")')),
        (10, 5 + create.index('op.create_table("accounts")')),
    }


# -- DL202 reference-to-dropped-object ------------------------------------------------------------


def test_dl202_reports_a_view_used_after_every_path_dropped_it(tmp_path: Path):
    (finding,) = check(tmp_path, {
        "a1": revision("a1", None, 'op.execute("CREATE MATERIALIZED VIEW mv_realtime_revenue AS SELECT 1 AS id")'),
        "b1": revision("b1", "a1", 'op.execute("DROP MATERIALIZED VIEW mv_realtime_revenue")'),
        "c1": revision("c1", "b1", 'op.execute("REFRESH MATERIALIZED VIEW mv_realtime_revenue")'),
    }, "DL202")
    assert finding.path == "migrations/versions/c1.py"
    assert "refreshes materialized view `mv_realtime_revenue`" in finding.message and "`b1`" in finding.message


def test_dl202_reports_a_use_after_a_drop_in_the_same_revision_and_after_a_rename(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, """
            op.create_table("t")
            op.create_table("old_name")
            op.drop_table("t")
            op.add_column("t", sa.Column("x", sa.Integer))
        """),
        "b1": revision("b1", "a1", 'op.rename_table("old_name", "new_name")'),
        "c1": revision("c1", "b1", 'op.execute("UPDATE old_name SET x = 1")'),
    }, "DL202")
    assert [(d.path, d.fix_title) for d in findings] == [
        ("migrations/versions/a1.py", "Remove the use of `t`, or re-create it before this revision"),
        ("migrations/versions/c1.py", "Use the new name `new_name`"),
    ]
    assert "this revision already dropped it on line" in findings[0].message


def test_dl202_is_quiet_for_drop_if_exists_re_creation_and_pre_existing_objects(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("t")\nop.execute("DROP TABLE legacy")'),
        "b1": revision("b1", "a1", 'op.drop_table("t")'),
        "c1": revision("c1", "b1", """
            op.execute("DROP TABLE IF EXISTS t")
            op.execute("CREATE TABLE t (id int)")
            op.add_column("t", sa.Column("x", sa.Integer))
            op.execute("UPDATE legacy SET x = 1")
        """),
    }, "DL202") == []


def test_dl202_is_quiet_when_branch_order_decides(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("t")'),
        "b1": revision("b1", "a1", 'op.drop_table("t")'),
        "c1": revision("c1", "a1", 'op.execute("CREATE TABLE IF NOT EXISTS t (id int)")'),
        "m1": revision("m1", ("b1", "c1"), 'op.add_column("t", sa.Column("x", sa.Integer))'),
    }, "DL202") == []


# -- DL203 unordered-conflicting-changes ---------------------------------------------------------


def test_dl203_reports_a_drop_unordered_with_an_alter_and_a_double_create(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("events")'),
        "b1": revision("b1", "a1", 'op.drop_table("events")\nop.create_table("jobs")'),
        "c1": revision("c1", "a1", 'op.add_column("events", sa.Column("x", sa.Integer))\nop.create_table("jobs")'),
    }, "DL203")
    # One finding for the pair, listing both objects. `upgrade heads` runs c1 (the later head in
    # load order) first, so b1's CREATE TABLE jobs is where a fresh database fails.
    [finding] = findings
    assert (finding.path, finding.location.row, finding.subject) == ("migrations/versions/b1.py", 11, ("b1", "c1"))
    assert "change the same 2 objects (table `events`, table `jobs`)" in finding.message
    assert finding.message.endswith("runs `c1` first, so a fresh database fails here (on `jobs`)")
    assert [r.path for r in finding.related] == ["migrations/versions/c1.py", "migrations/versions/c1.py"]
    assert dict(finding.context)["Objects"] == (
        "table `events`: b1 drops it (migrations/versions/b1.py:10); c1 alters it (migrations/versions/c1.py:10)",
        "table `jobs`: b1 creates it (migrations/versions/b1.py:11); c1 creates it (migrations/versions/c1.py:11)",
    )


def test_dl203_is_quiet_for_ordered_revisions_idempotent_changes_and_dl201_cases(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("events")\nop.create_table("tmp")'),
        "b1": revision("b1", "a1", """
            op.drop_table("events")
            op.execute("DROP TABLE IF EXISTS tmp")
            op.execute("CREATE TABLE IF NOT EXISTS settings (k text)")
            op.create_table("shared")
        """),
        "c1": revision("c1", "b1", 'op.execute("CREATE TABLE events (id int)")'),
        "d1": revision("d1", "a1", """
            op.execute("DROP TABLE IF EXISTS tmp")
            op.execute("CREATE TABLE IF NOT EXISTS settings (k text)")
            op.add_column("shared", sa.Column("x", sa.Integer))
        """),
    }, "DL203") == []


def test_dl203_drop_if_exists_then_create_replaces_like_or_replace(tmp_path: Path):
    replace = 'op.execute("DROP POLICY IF EXISTS p ON t; CREATE POLICY p ON t USING (true)")'
    assert check(tmp_path / "both", {
        "a1": revision("a1", None, 'op.create_table("t")\nop.execute("CREATE POLICY p ON t USING (false)")'),
        "b1": revision("b1", "a1", replace),
        "c1": revision("c1", "a1", replace),
    }, "DL203") == []
    (finding,) = check(tmp_path / "plain-drop", {
        "a1": revision("a1", None, 'op.create_table("t")\nop.execute("CREATE POLICY p ON t USING (false)")'),
        "b1": revision("b1", "a1", replace),
        "c1": revision("c1", "a1", 'op.execute("DROP POLICY p ON t")'),
    }, "DL203")
    assert finding.path == "migrations/versions/c1.py" and "drops policy `p` on `t`" in finding.message


def test_dl203_and_dl201_do_not_report_the_same_pair(tmp_path: Path):
    write_tree(tmp_path, alembic_tree({
        "a1": revision("a1", None, 'op.create_table("t")\nop.rename_table("t", "t2")'),
        "b1": revision("b1", None, 'op.add_column("t", sa.Column("x", sa.Integer))'),
    }))
    assert [d.code for d in lint(tmp_path, select=["DL201", "DL203"])] == ["DL201"]


# -- DL204 rls-filtered-backfill -----------------------------------------------------------------

RLS_BASE = """
op.execute("CREATE TABLE events (id uuid PRIMARY KEY, tenant_id uuid, k text, src text)")
op.execute("CREATE TABLE archive (id uuid, k text)")
for table in ("events",):
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
"""
BACKFILL = """
op.execute("UPDATE events SET k = src WHERE k IS NULL")
op.alter_column("events", "k", nullable=False)
"""


def test_dl204_reports_a_backfill_on_a_table_an_ancestor_put_under_rls(tmp_path: Path):
    (finding,) = check(tmp_path, {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", BACKFILL),
    }, "DL204")
    assert finding.path == "migrations/versions/b1.py"
    assert "`UPDATE` on table `events`" in finding.message and "`SET NOT NULL` on line" in finding.message
    assert finding.related[0].path == "migrations/versions/a1.py"
    assert "row_security = off" in (finding.fix_title or "")


def test_dl204_guards_set_row_security_off_and_disabling_rls_first(tmp_path: Path):
    assert check(tmp_path / "guc", {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", 'op.execute("SET LOCAL row_security = off")\n' + BACKFILL),
    }, "DL204") == []
    assert check(tmp_path / "disable", {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", 'op.execute("ALTER TABLE events DISABLE ROW LEVEL SECURITY")\n' + BACKFILL
                       + 'op.execute("ALTER TABLE events ENABLE ROW LEVEL SECURITY")'),
    }, "DL204") == []


def test_dl204_a_guard_after_the_backfill_does_not_count(tmp_path: Path):
    assert len(check(tmp_path, {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", BACKFILL + 'op.execute("SET LOCAL row_security = off")'),
    }, "DL204")) == 1


def test_dl204_option_declares_the_migration_role_bypasses_rls(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", BACKFILL),
    }, "DL204", extra={"driftlint.toml": "migration-role-bypasses-rls = true\n"}) == []


def test_dl204_same_revision_enable_is_the_owner_but_force_filters_the_owner_too(tmp_path: Path):
    assert check(tmp_path / "enable", {"a1": revision("a1", None, RLS_BASE + BACKFILL)}, "DL204") == []
    (finding,) = check(tmp_path / "force", {
        "a1": revision("a1", None, RLS_BASE + 'op.execute("ALTER TABLE events FORCE ROW LEVEL SECURITY")\n' + BACKFILL),
    }, "DL204")
    assert "forced" in finding.message


def test_dl204_core_constructs_deletes_and_insert_select_reads(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", """
            events = sa.table("events", sa.column("k"))
            op.execute(events.update().values(k="x"))
        """),
        "c1": revision("c1", "a1", 'op.execute("DELETE FROM events WHERE k IS NULL")'),
        "d1": revision("d1", "a1", 'op.execute("INSERT INTO archive (id, k) SELECT id, k FROM events")'),
    }, "DL204")
    assert [(d.path.rsplit("/", 1)[-1], d.subject) for d in findings] == [
        ("b1.py", ("b1", "public.events")),
        ("c1.py", ("c1", "public.events")),
        ("d1.py", ("d1", "public.events")),
    ]
    assert "`INSERT` reading table `events`" in findings[2].message


def test_dl204_is_quiet_when_rls_was_disabled_or_the_table_re_created_later(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, RLS_BASE),
        "b1": revision("b1", "a1", 'op.execute("ALTER TABLE events DISABLE ROW LEVEL SECURITY")\nop.execute("ALTER TABLE archive ENABLE ROW LEVEL SECURITY")'),
        "c1": revision("c1", "b1", 'op.drop_table("archive")\nop.execute("CREATE TABLE archive (id uuid, k text)")'),
        "d1": revision("d1", "c1", 'op.execute("UPDATE events SET k = 1")\nop.execute("UPDATE archive SET k = 1")'),
    }, "DL204") == []


def test_dl204_the_seed_fixture(tmp_path: Path):
    from ..conftest import FIXTURES

    findings = lint(FIXTURES / "seed-cross-branch-tenants", select=["DL204"])
    assert [(d.code, d.subject) for d in findings] == [("DL204", ("202511151410", "public.attribution_events"))]
