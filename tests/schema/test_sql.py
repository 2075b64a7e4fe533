"""Raw SQL to schema effects, through PostgreSQL's own parser (pglast)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from driftlint.schema.model import (
    ALTER,
    BACKFILL,
    CREATE,
    DROP,
    INDEX,
    MATVIEW,
    POLICY,
    READ,
    REFERENCE,
    RENAME,
    RLS_DISABLE,
    RLS_ENABLE,
    RLS_FORCE,
    ROW_SECURITY_OFF,
    TABLE,
    VIEW,
    ObjectRef,
)
from driftlint.schema.sql import SqlAnalyzer


def analyze(text: str, default_schema: str = "public"):
    return SqlAnalyzer(default_schema).analyze(text)


def effects(text: str, default_schema: str = "public") -> list[tuple[str, str, str]]:
    return [(e.action, e.obj.kind, e.obj.qualified) for e in analyze(text, default_schema).effects]


def test_create_table_with_inline_and_table_level_references():
    assert effects(
        "CREATE TABLE jobs (id uuid PRIMARY KEY, tenant_id uuid REFERENCES tenants(id), "
        "x int, CONSTRAINT fk FOREIGN KEY (x) REFERENCES billing.accounts(id))"
    ) == [
        (CREATE, TABLE, "public.jobs"),
        (REFERENCE, TABLE, "public.tenants"),
        (REFERENCE, TABLE, "billing.accounts"),
    ]


def test_several_statements_in_one_string_are_all_read():
    assert effects("CREATE TABLE a (id int); CREATE TABLE b (id int); DROP TABLE a") == [
        (CREATE, TABLE, "public.a"),
        (CREATE, TABLE, "public.b"),
        (DROP, TABLE, "public.a"),
    ]


def test_views_record_the_relations_their_body_reads_but_not_ctes_or_catalogs():
    assert effects(
        "CREATE MATERIALIZED VIEW mv AS WITH recent AS (SELECT * FROM events) "
        "SELECT r.kind, count(*) FROM recent r JOIN s.kinds k ON true, pg_class "
        "WHERE r.id IN (SELECT id FROM flagged) GROUP BY 1"
    ) == [
        (CREATE, MATVIEW, "public.mv"),
        (READ, TABLE, "public.events"),
        (READ, TABLE, "s.kinds"),
        (READ, TABLE, "public.flagged"),
    ]
    assert effects("CREATE OR REPLACE VIEW v AS SELECT * FROM t")[0] == (CREATE, VIEW, "public.v")
    assert analyze("CREATE OR REPLACE VIEW v AS SELECT 1").effects[0].guarded


def test_row_level_security_commands():
    assert effects(
        "ALTER TABLE a ENABLE ROW LEVEL SECURITY; ALTER TABLE ONLY s.b FORCE ROW LEVEL SECURITY; "
        "ALTER TABLE c DISABLE ROW LEVEL SECURITY"
    ) == [(RLS_ENABLE, TABLE, "public.a"), (RLS_FORCE, TABLE, "s.b"), (RLS_DISABLE, TABLE, "public.c")]


def test_create_policy_references_its_table_and_is_named_per_table():
    result = analyze("CREATE POLICY tenant_isolation ON events USING (true)")
    assert [(e.action, e.obj) for e in result.effects] == [
        (REFERENCE, ObjectRef(TABLE, "public", "events")),
        (CREATE, ObjectRef(POLICY, "public", "tenant_isolation", "events")),
    ]
    dropped = analyze("DROP POLICY IF EXISTS tenant_isolation ON s.events").effects[0]
    assert (dropped.action, dropped.obj, dropped.guarded) == (DROP, ObjectRef(POLICY, "s", "tenant_isolation", "events"), True)


def test_dml_targets_and_what_they_read():
    assert effects("UPDATE t SET a = u.a FROM u WHERE t.id = u.id") == [(BACKFILL, TABLE, "public.t"), (READ, TABLE, "public.u")]
    assert effects("DELETE FROM t USING u WHERE t.id = u.id") == [(BACKFILL, TABLE, "public.t"), (READ, TABLE, "public.u")]
    assert effects("INSERT INTO t (a) SELECT a FROM u") == [(REFERENCE, TABLE, "public.t"), (READ, TABLE, "public.u")]
    assert [e.detail for e in analyze("INSERT INTO t (a) SELECT a FROM u").effects] == ["INSERT", "INSERT"]


def test_drop_if_exists_is_guarded_and_lists_every_object():
    result = analyze("DROP VIEW IF EXISTS v1, s.v2 CASCADE")
    assert [(e.action, e.obj.qualified, e.guarded) for e in result.effects] == [
        (DROP, "public.v1", True),
        (DROP, "s.v2", True),
    ]


def test_renames_of_tables_views_indexes_and_policies():
    assert [(e.action, e.obj.kind, e.obj.name, e.detail) for e in analyze(
        "ALTER TABLE a RENAME TO b; ALTER MATERIALIZED VIEW mv RENAME TO mv2; "
        "ALTER INDEX i RENAME TO j; ALTER POLICY p ON t RENAME TO q; ALTER TABLE t RENAME COLUMN x TO y"
    ).effects] == [
        (RENAME, TABLE, "a", "b"),
        (RENAME, MATVIEW, "mv", "mv2"),
        (RENAME, INDEX, "i", "j"),
        (RENAME, POLICY, "p", "q"),
        (ALTER, TABLE, "t", "RENAME COLUMN"),
    ]


def test_index_flags_unique_partial_expression():
    def flags(sql: str) -> tuple[bool, bool, bool]:
        (index,) = analyze(sql).indexes
        return index.unique, index.partial, index.expression

    assert flags("CREATE UNIQUE INDEX i ON mv (id)") == (True, False, False)
    assert flags("CREATE UNIQUE INDEX i ON mv (id) WHERE id > 0") == (True, True, False)
    assert flags("CREATE UNIQUE INDEX i ON mv ((id + 0))") == (True, False, True)
    assert flags("CREATE INDEX CONCURRENTLY i ON mv (id)") == (False, False, False)
    (index,) = analyze("CREATE UNIQUE INDEX i ON s.mv (id)").indexes
    assert index.index == ObjectRef(INDEX, "s", "i") and index.table.qualified == "s.mv"


def test_set_row_security_off_in_every_spelling():
    for sql in ("SET row_security = off", "SET LOCAL row_security = off", "SET row_security TO false", "SET LOCAL row_security = 0"):
        assert [e.action for e in analyze(sql).effects] == [ROW_SECURITY_OFF], sql
    assert analyze("SET row_security = on").effects == []


def test_search_path_changes_where_unqualified_names_live():
    assert effects("SET search_path TO app, public; CREATE TABLE a (); RESET search_path; CREATE TABLE b ()") == [
        (CREATE, TABLE, "app.a"),
        (CREATE, TABLE, "public.b"),
    ]
    assert effects("CREATE TABLE a ()", default_schema="tenant") == [(CREATE, TABLE, "tenant.a")]


def test_temporary_tables_are_not_schema_objects():
    assert effects("CREATE TEMP TABLE scratch AS SELECT * FROM events") == [(READ, TABLE, "public.events")]


def test_sqlalchemy_and_dbapi_placeholders_do_not_make_sql_unreadable():
    assert effects("UPDATE t SET a = :value WHERE id = :id") == [(BACKFILL, TABLE, "public.t")]
    assert effects("SELECT k FROM t WHERE filesystem_id=:a_rather_long_parameter_name") == [(READ, TABLE, "public.t")]
    assert effects("UPDATE t SET a = %(value)s WHERE id = %s") == [(BACKFILL, TABLE, "public.t")]
    assert effects("SELECT '10:30'::time, x::text FROM t") == [(READ, TABLE, "public.t")]


def test_sql_postgresql_cannot_parse_is_a_problem_not_an_exception():
    for sql in ("CREATE TABLE {{ name }} ()", "SELECT * FROM `mysql_table`", "CREATE TABLE t (", "\x00", "$$"):
        result = analyze(sql)
        assert result.effects == []
        assert len(result.problems) == 1 and "cannot parse" in result.problems[0].reason


def test_static_statements_in_a_do_block_count_and_dynamic_execute_is_unknown():
    result = analyze(
        "DO $$ BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'x') THEN\n"
        "    CREATE TABLE x (id int REFERENCES tenants(id));\n"
        "  END IF;\n"
        "  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', 'y');\n"
        "  UPDATE z SET a = 1;\n"
        "END $$"
    )
    assert [(e.action, e.obj.name, e.guarded) for e in result.effects] == [
        (CREATE, "x", True),
        (REFERENCE, "tenants", False),
        (BACKFILL, "z", False),
    ]
    assert [p.reason for p in result.problems] == ["a DO block EXECUTEs SQL built at run time"]


def test_offsets_are_characters_even_after_non_ascii_text():
    text = "SELECT 'ééé'; UPDATE tenants SET a = 1"
    (effect,) = analyze(text).effects
    assert text[effect.offset:].startswith("tenants")


def test_do_block_problem_quotes_the_block_even_after_non_ascii_text():
    (unread,) = analyze("SELECT '日本語'; DO LANGUAGE plv8 $$ x $$").problems
    (broken,) = analyze("SELECT '日本語'; DO $$ BEGIN EXECUTE 'x' || ; END $$").problems
    assert unread.text.startswith("DO LANGUAGE plv8") and broken.text.startswith("DO $$ BEGIN")


def test_refresh_truncate_grant_comment_and_trigger_use_their_relation():
    assert [(e.action, e.obj.qualified, e.detail) for e in analyze(
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv; TRUNCATE a; GRANT SELECT ON b TO r; "
        "COMMENT ON TABLE c IS 'x'; CREATE TRIGGER tr AFTER INSERT ON d FOR EACH ROW EXECUTE FUNCTION f()"
    ).effects] == [
        (REFERENCE, "public.mv", "REFRESH MATERIALIZED VIEW CONCURRENTLY"),
        (REFERENCE, "public.a", "TRUNCATE"),
        (REFERENCE, "public.b", "GRANT"),
        (ALTER, "public.c", "COMMENT"),
        (REFERENCE, "public.d", "CREATE TRIGGER"),
    ]


def test_alter_table_add_foreign_key_and_set_not_null():
    result = analyze("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u(id), ALTER COLUMN c SET NOT NULL")
    assert [(e.action, e.obj.name, e.detail) for e in result.effects] == [
        (REFERENCE, "u", "REFERENCES"),
        (ALTER, "t", ""),
        (ALTER, "t", "SET NOT NULL"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("CREATE TABLE DROP VIEW ALTER ;()$'\"-/*:%{}\n\x00é")), max_size=80))
def test_arbitrary_text_never_raises(text: str):
    result = analyze(text)
    assert isinstance(result.effects, list) and isinstance(result.problems, list)
