"""Reading a revision's upgrade() into schema effects: every source form, never running the code."""

from __future__ import annotations

import pickle

from driftlint.schema.model import (
    ALTER,
    BACKFILL,
    CREATE,
    DROP,
    EMPTY,
    INDEX,
    MATVIEW,
    POLICY,
    READ,
    REFERENCE,
    RENAME,
    RLS_ENABLE,
    ROW_SECURITY_OFF,
    TABLE,
    VIEW,
    ObjectRef,
)

from .helpers import effects_of, summary, upgrade


def test_only_upgrade_is_read_not_downgrade_or_module_level_code():
    result = effects_of(
        """
        from alembic import op
        op.execute("CREATE TABLE at_import (id int)")

        def upgrade():
            op.create_table("kept")

        def downgrade():
            op.drop_table("kept")
        """
    )
    assert summary(result) == [(CREATE, TABLE, "public.kept")]


def test_a_file_without_upgrade_has_no_effects():
    assert effects_of("x = 1\n") is EMPTY


def test_create_table_positional_keyword_and_legacy_name_and_schema():
    assert summary(upgrade(
        """
        op.create_table("a", sa.Column("id", sa.Integer))
        op.create_table(table_name="b", schema="s")
        op.create_table(name="c")
        """
    )) == [(CREATE, TABLE, "public.a"), (CREATE, TABLE, "s.b"), (CREATE, TABLE, "public.c")]


def test_a_dotted_table_name_is_never_split_but_a_foreign_key_target_is():
    result = upgrade('op.create_table("s.t", sa.Column("x", sa.Integer, sa.ForeignKey("billing.accounts.id")))')
    assert [(e.action, e.obj) for e in result.effects] == [
        (CREATE, ObjectRef(TABLE, "public", "s.t")),
        (REFERENCE, ObjectRef(TABLE, "billing", "accounts")),
    ]


def test_foreign_key_targets_do_not_inherit_the_table_schema():
    result = upgrade('op.create_table("t", sa.Column("x", sa.ForeignKey(column="orders.id")), schema="rep")')
    assert summary(result) == [(CREATE, TABLE, "rep.t"), (REFERENCE, TABLE, "public.orders")]


def test_foreign_key_constraint_and_add_column_references():
    assert summary(upgrade(
        """
        op.create_table("t", sa.Column("a", sa.Integer), sa.ForeignKeyConstraint(["a", "b"], ["u.id", "u.k"]))
        op.add_column("t", sa.Column("v", sa.Integer, sa.ForeignKey("v.id")), schema="s")
        fk = sa.ForeignKey("w.id")
        op.add_column("t", column=sa.Column("w", sa.Integer, fk))
        """
    )) == [
        (CREATE, TABLE, "public.t"),
        (REFERENCE, TABLE, "public.u"),
        (ALTER, TABLE, "s.t"),
        (REFERENCE, TABLE, "public.v"),
        (ALTER, TABLE, "public.t"),
        (REFERENCE, TABLE, "public.w"),
    ]


def test_create_foreign_key_positional_keyword_legacy_and_pre_1_11_schema_positions():
    assert summary(upgrade(
        """
        op.create_foreign_key("fk1", "src", "dst", ["a"], ["id"])
        op.create_foreign_key(constraint_name="fk2", source_table="src", referent_table="dst2",
                              local_cols=["a"], remote_cols=["id"], referent_schema="r")
        op.create_foreign_key(name="fk3", source="src", referent="dst3", local_cols=["a"], remote_cols=["id"])
        op.create_foreign_key("fk4", "src", "dst4", ["a"], ["id"], None, None, None, None, None, "ss", "rs")
        """
    )) == [
        (ALTER, TABLE, "public.src"), (REFERENCE, TABLE, "public.dst"),
        (ALTER, TABLE, "public.src"), (REFERENCE, TABLE, "r.dst2"),
        (ALTER, TABLE, "public.src"), (REFERENCE, TABLE, "public.dst3"),
        (ALTER, TABLE, "ss.src"), (REFERENCE, TABLE, "rs.dst4"),
    ]


def test_drop_rename_and_alter_operations_with_positional_schema():
    result = upgrade(
        """
        op.drop_table("a", "s")
        op.drop_table("b", if_exists=True)
        op.rename_table("c", "d", schema="s")
        op.alter_column("e", "col", nullable=False)
        op.alter_column("e", "col", new_column_name="col2")
        op.drop_column("f", "col")
        op.drop_constraint("ck", "g", type_="check")
        op.create_unique_constraint("uq", "h", ["x"])
        op.create_check_constraint("ck", source="i", condition="x > 0")
        op.create_table_comment("j", "hello")
        """
    )
    assert [(e.action, e.obj.qualified, e.detail, e.guarded) for e in result.effects] == [
        (DROP, "s.a", "drop_table", False),
        (DROP, "public.b", "drop_table", True),
        (RENAME, "s.c", "d", False),
        (ALTER, "public.e", "SET NOT NULL", False),
        (ALTER, "public.e", "alter_column", False),
        (ALTER, "public.f", "drop_column", False),
        (ALTER, "public.g", "drop_constraint", False),
        (ALTER, "public.h", "create_unique_constraint", False),
        (ALTER, "public.i", "create_check_constraint", False),
        (ALTER, "public.j", "create_table_comment", False),
    ]


def test_indexes_from_create_index_and_sa_index_with_their_flags():
    result = upgrade(
        """
        op.create_index("ix_plain", "mv", ["id"], unique=True)
        op.create_index("ix_where", "mv", ["id"], unique=True, postgresql_where=sa.text("id > 0"))
        op.create_index("ix_expr", "mv", [sa.text("lower(name)")], unique=True)
        op.create_index("ix_func", "mv", [sa.func.lower(sa.column("name"))], unique=True)
        op.create_index("ix_str_expr", "mv", ["lower(name)"], unique=True)
        op.create_index(op.f("ix_s"), "mv", ["id"], schema="s")
        op.create_table("t", sa.Column("id", sa.Integer), sa.Index("ix_t", "id", unique=True))
        op.drop_index("ix_old", table_name="mv")
        """
    )
    assert [(i.index.qualified, i.table.qualified, i.unique, i.partial, i.expression) for i in result.indexes] == [
        ("public.ix_plain", "public.mv", True, False, False),
        ("public.ix_where", "public.mv", True, True, False),
        ("public.ix_expr", "public.mv", True, False, True),
        ("public.ix_func", "public.mv", True, False, True),
        ("public.ix_str_expr", "public.mv", True, False, True),
        ("s.ix_s", "s.mv", False, False, False),
        ("public.ix_t", "public.t", True, False, False),
    ]
    assert (DROP, INDEX, "public.ix_old") in summary(result)


def test_batch_alter_table_block_acts_on_its_table():
    assert summary(upgrade(
        """
        with op.batch_alter_table("orders", schema="shop") as batch_op:
            batch_op.add_column(sa.Column("u", sa.Integer, sa.ForeignKey("users.id")))
            batch_op.alter_column("u", nullable=False)
            batch_op.create_foreign_key("fk", "regions", ["r"], ["id"], referent_schema="geo")
            batch_op.create_index("ix_u", ["u"], unique=True)
            batch_op.drop_column("old")
            batch_op.execute("UPDATE shop.orders SET u = 1")
        """
    )) == [
        (ALTER, TABLE, "shop.orders"),
        (REFERENCE, TABLE, "public.users"),
        (ALTER, TABLE, "shop.orders"),
        (ALTER, TABLE, "shop.orders"),
        (REFERENCE, TABLE, "geo.regions"),
        (REFERENCE, TABLE, "shop.orders"),
        (CREATE, INDEX, "shop.ix_u"),
        (ALTER, TABLE, "shop.orders"),
        (BACKFILL, TABLE, "shop.orders"),
    ]


def test_bulk_insert_into_a_table_construct():
    assert summary(upgrade(
        """
        plans = sa.table("plans", sa.column("id"), schema="billing")
        op.bulk_insert(plans, [{"id": 1}])
        op.bulk_insert(sa.Table("tiers", sa.MetaData(), sa.Column("id", sa.Integer)), [])
        created = op.create_table("levels", sa.Column("id", sa.Integer))
        op.bulk_insert(created, [])
        """
    )) == [
        (REFERENCE, TABLE, "billing.plans"),
        (REFERENCE, TABLE, "public.tiers"),
        (CREATE, TABLE, "public.levels"),
        (REFERENCE, TABLE, "public.levels"),
    ]


def test_every_way_to_run_raw_sql():
    assert summary(upgrade(
        """
        op.execute("CREATE TABLE a (id int)")
        op.execute(sqltext=sa.text("CREATE TABLE b (id int)"))
        op.get_bind().execute(sa.text("CREATE TABLE c (id int)"))
        conn = op.get_bind()
        conn.execute(sa.text("CREATE TABLE d (id int)").bindparams(x=1))
        conn.exec_driver_sql("CREATE TABLE e (id int)")
        op.get_context().bind.execute(sa.text("CREATE TABLE f (id int)"))
        op.execute(sa.DDL("CREATE TABLE g (id int)"))
        """
    )) == [(CREATE, TABLE, f"public.{name}") for name in "abcdefg"]


def test_strings_built_from_constants_formatting_and_concatenation():
    result = upgrade(
        """
        op.execute(CREATE_A)
        op.execute("CREATE TABLE %s (id int)" % NAME_B)
        op.execute("CREATE TABLE %(name)s (id int)" % {"name": "c"})
        op.execute("CREATE TABLE {} (id int)".format("d"))
        op.execute("CREATE TABLE {name} (id int)".format(name=PREFIX + "e"))
        op.execute(f"CREATE TABLE {PREFIX}f (id int)")
        op.execute("CREATE TABLE g "
                   "(id int)")
        sql = "CREATE TABLE h"
        sql += " (id int)"
        op.execute(sql)
        op.execute(textwrap.dedent('''
            CREATE TABLE i (id int)
        '''))
        op.execute("; ".join(f"CREATE TABLE {t} (id int)" for t in ["j"]) if False else "CREATE TABLE j (id int)")
        """,
        prelude="""
        import textwrap
        CREATE_A = "CREATE TABLE a (id int)"
        NAME_B = "b"
        PREFIX = ""
        """,
    )
    created = [e.obj.name for e in result.effects if e.action == CREATE]
    assert created == list("abcdefghi")
    assert [u.reason for u in result.unknown] == ["SQL only known at run time (a conditional expression is only known at run time)"]


def test_loops_over_literal_sequences_and_module_constants_are_unrolled():
    result = upgrade(
        """
        for table in TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for name, kind in (("v1", "VIEW"), ("v2", "VIEW")):
            op.execute(f"DROP {kind} {name}")
        for table in ["x"] + ["y"]:
            op.execute("ALTER TABLE %s FORCE ROW LEVEL SECURITY" % table)
        """,
        prelude='TENANT_TABLES = ("events", "allocations")',
    )
    assert [(e.action, e.obj.name) for e in result.effects] == [
        (RLS_ENABLE, "events"),
        (RLS_ENABLE, "allocations"),
        (DROP, "v1"),
        (DROP, "v2"),
        ("rls_force", "x"),
        ("rls_force", "y"),
    ]
    assert result.unknown == ()


def test_a_loop_over_run_time_values_records_unknown_sql_and_no_guess():
    result = upgrade(
        """
        for table in get_tables():
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(build_sql())
        """
    )
    assert result.effects == ()
    assert len(result.unknown) == 2
    assert "table" in result.unknown[0].words and "enable" in result.unknown[0].words


def test_helper_functions_in_the_module_are_followed_with_their_arguments():
    result = upgrade(
        """
        enable_rls("events")
        op.execute(policy_sql("events", using="true"))
        """,
        prelude='''
        def enable_rls(table, force=False):
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            if force:
                op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")

        def policy_sql(table, *, using):
            return f"CREATE POLICY p ON {table} USING ({using})"
        ''',
    )
    assert [(e.action, e.obj.kind, e.obj.name) for e in result.effects] == [
        (RLS_ENABLE, TABLE, "events"),
        ("rls_force", TABLE, "events"),
        (REFERENCE, TABLE, "events"),
        (CREATE, POLICY, "p"),
    ]
    # Effects inside a helper are reported where upgrade() calls it.
    assert {e.span[0] for e in result.effects[:2]} == {result.effects[0].span[0]}


def test_recursive_helpers_terminate():
    result = upgrade("loop(1)", prelude="def loop(n):\n    loop(n)\n")
    assert result.effects == ()


def test_sqlalchemy_core_dml_constructs():
    assert summary(upgrade(
        """
        events = sa.table("events", sa.column("k"))
        op.execute(events.update().where(events.c.k.is_(None)).values(k="x"))
        op.execute(sa.delete(events))
        op.execute(sa.insert(sa.table("log")).values(k=1))
        conn = op.get_bind()
        conn.execute(sa.update(events).values(k="y"))
        """
    )) == [
        (BACKFILL, TABLE, "public.events"),
        (BACKFILL, TABLE, "public.events"),
        (REFERENCE, TABLE, "public.log"),
        (BACKFILL, TABLE, "public.events"),
    ]


def test_replaceable_objects_recipe_views():
    result = upgrade(
        """
        op.create_view(customer_view)
        op.replace_view(ReplaceableObject("reports.v2", "SELECT * FROM orders"), replaces="abc.v2")
        op.drop_view(customer_view)
        """,
        prelude='''
        from myapp.ops import ReplaceableObject
        customer_view = ReplaceableObject("customer_view", "SELECT id, name FROM customers WHERE active")
        ''',
    )
    assert summary(result) == [
        (CREATE, VIEW, "public.customer_view"),
        (READ, TABLE, "public.customers"),
        (CREATE, VIEW, "reports.v2"),
        (READ, TABLE, "public.orders"),
        (DROP, VIEW, "public.customer_view"),
    ]


def test_alembic_utils_views_materialized_views_and_policies():
    result = upgrade(
        """
        mv = PGMaterializedView(schema="public", signature="mv_sessions", definition="SELECT count(*) FROM sessions", with_data=True)
        op.create_entity(mv)
        op.replace_entity(PGView("api", "Active", "SELECT * FROM accounts"))
        op.create_entity(PGPolicy(schema="public", signature="tenant_isolation", on_entity="public.accounts", definition="AS PERMISSIVE FOR ALL USING (true)"))
        op.drop_entity(mv)
        """,
        prelude="from alembic_utils.pg_view import PGView\nfrom alembic_utils.pg_materialized_view import PGMaterializedView\nfrom alembic_utils.pg_policy import PGPolicy\n",
    )
    assert [(e.action, e.obj.kind, e.obj.qualified, e.obj.parent) for e in result.effects] == [
        (CREATE, MATVIEW, "public.mv_sessions", ""),
        (READ, TABLE, "public.sessions", ""),
        (CREATE, VIEW, "api.Active", ""),
        (READ, TABLE, "public.accounts", ""),
        (REFERENCE, TABLE, "public.accounts", ""),
        (CREATE, POLICY, "public.tenant_isolation", "accounts"),
        (DROP, MATVIEW, "public.mv_sessions", ""),
    ]


def test_multidb_template_reads_each_upgrade_engine_function():
    result = effects_of(
        """
        from alembic import op

        def upgrade(engine_name: str) -> None:
            globals()["upgrade_%s" % engine_name]()

        def upgrade_engine1():
            op.create_table("a")

        def upgrade_engine2():
            op.create_table("b")
        """
    )
    assert [(e.engine, e.obj.name) for e in result.effects] == [("engine1", "a"), ("engine2", "b")]


def test_a_plain_upgrade_calling_upgrade_helpers_is_not_multidb():
    result = effects_of(
        """
        from alembic import op

        def upgrade():
            upgrade_data()

        def upgrade_data():
            op.execute("UPDATE t SET a = 1")
        """
    )
    assert [(e.engine, e.action, e.obj.name) for e in result.effects] == [("", BACKFILL, "t")]


def test_row_security_off_and_search_path_carry_through_the_revision():
    result = upgrade(
        """
        op.execute("SET search_path TO app")
        op.create_table("a")
        op.execute("SET LOCAL row_security = off")
        """
    )
    assert [(e.action, e.obj.qualified) for e in result.effects] == [(CREATE, "app.a"), (ROW_SECURITY_OFF, ".")]


def test_dynamic_names_and_sql_become_unknown_entries_with_the_source_text():
    result = upgrade(
        """
        op.create_table(table_name_from_settings())
        op.execute(f"CREATE TABLE {tenant}_events (id int)")
        op.execute("CREATE TABLE {{ name }} ()")
        metadata.create_all(op.get_bind())
        """
    )
    assert result.effects == ()
    reasons = [u.reason for u in result.unknown]
    assert reasons[0].startswith("the table name is only known at run time")
    assert reasons[1].startswith("SQL only known at run time")
    assert reasons[2].startswith("PostgreSQL cannot parse it")
    assert reasons[3].startswith("metadata.create_all()")
    assert result.creates_unknown_objects
    assert "tenant" in result.unknown[1].words


def test_unknown_custom_operations_are_recorded():
    result = upgrade('op.create_materialized_view("mv", "SELECT 1")')
    assert [u.reason for u in result.unknown] == ["op.create_materialized_view() is not an operation driftlint knows"]


def test_sql_positions_point_into_a_verbatim_literal_and_otherwise_at_the_call():
    result = effects_of(
        '''
        from alembic import op

        def upgrade():
            op.execute("""
                CREATE TABLE jobs (
                    tenant_id uuid REFERENCES tenants(id)
                )
            """)
            op.execute("CREATE TABLE a (id int); " "CREATE TABLE b (id int)")
        '''
    )
    reference = next(e for e in result.effects if e.obj.name == "tenants")
    assert reference.span == (7, 39, 7, 46)
    assert {e.span for e in result.effects if e.obj.name in ("a", "b")} == {(10, 5, 10, 70)}


def test_spans_count_characters_after_non_ascii_text_on_the_line():
    call = 'op.execute("UPDATE t SET note = \'café\'"); op.drop_table("orders")'
    sql = 'note = "日本 🎉"; op.execute("UPDATE t SET note = \'ü 🎉\'; DROP TABLE invoices")'
    later = "DELETE FROM 🎉_log; DROP TABLE refunds"
    result = upgrade(f'{call}\n{sql}\nop.execute("""UPDATE t SET note = \'é\';\n{later}""")')
    # upgrade() bodies are indented by 4 from line 6 on; so is the literal's second line (line 9).
    spans = {e.obj.name: e.span for e in result.effects if e.action == DROP}
    assert spans["orders"] == (6, 5 + call.index("op.drop_table"), 6, 5 + len(call))
    assert spans["invoices"] == (7, 5 + sql.index("invoices"), 7, 5 + sql.index("invoices") + len("invoices"))
    assert spans["refunds"] == (9, 5 + later.index("refunds"), 9, 5 + later.index("refunds") + len("refunds"))


def test_sql_positions_keep_their_row_after_form_feeds_and_line_separators():
    # Python starts a new line only at \\n, \\r\\n and \\r; str.splitlines() also at \\f and \\u2028.
    result = effects_of(
        'from alembic import op\n\x0c\n# a comment\u2028still the comment\n\ndef upgrade():\n'
        '    op.execute("DROP TABLE invoices")\n'
    )
    (drop,) = result.effects
    line = '    op.execute("DROP TABLE invoices")'
    assert drop.span == (6, line.index("invoices") + 1, 6, line.index("invoices") + 1 + len("invoices"))


def test_sql_from_a_module_constant_points_at_the_constant():
    result = effects_of(
        '''
        from alembic import op

        SQL = "CREATE TABLE a (id int REFERENCES t(id))"

        def upgrade():
            op.execute(SQL)
        '''
    )
    assert result.effects[1].span[:2] == (4, 42)


def test_results_are_picklable_for_the_cache():
    result = upgrade('op.execute("CREATE TABLE a (id int)")\nop.execute(x)')
    assert pickle.loads(pickle.dumps(result)) == result


def test_no_crash_on_odd_but_valid_python():
    result = upgrade(
        """
        x = [*y]
        a, *b = c
        async def inner():
            await op.execute("CREATE TABLE never (id int)")
        try:
            op.execute({1: 2}[1])
        except Exception:
            pass
        finally:
            op.execute(None)
        while True:
            break
        lambda: op.execute("CREATE TABLE l (id int)")
        op.execute("CREATE TABLE %s" % (1,))
        op.execute("{0.__class__}".format("x"))
        op.execute("CREATE TABLE x" * 10**9)
        """
    )
    assert all(e.obj.name != "never" for e in result.effects)


def test_sql_spans_cover_the_name_as_written_with_schema_and_quotes():
    sql = 'CREATE TABLE a (t_id int REFERENCES public.tenants(id), o_id int REFERENCES "Orders"(id), u int REFERENCES  users(id))'
    result = upgrade(f"op.execute('{sql}')")
    line = f"    op.execute('{sql}')"
    spans = {e.obj.name: e.span for e in result.effects if e.action == REFERENCE}
    start = line.index("public.tenants") + 1
    assert spans["tenants"] == (6, start, 6, start + len("public.tenants"))
    start = line.index('"Orders"') + 1
    assert spans["Orders"] == (6, start, 6, start + len('"Orders"'))
    start = line.index("users(") + 1
    assert spans["users"] == (6, start, 6, start + len("users"))
