"""What migration safety reads from a revision: one Operation per DDL statement or op.* call, from
op.* calls and SQL alike, with the facts that make it safe or not."""

from __future__ import annotations

import pickle

import pytest

from driftlint.schema.model import (
    ADD_COLUMN,
    ADD_CONSTRAINT,
    ADD_ENUM_VALUE,
    ALTER_COLUMN_TYPE,
    AUTOCOMMIT,
    BINARY_COERCIBLE,
    CHECK,
    COLUMN_TYPE,
    CONCURRENTLY,
    CREATE_INDEX,
    DROP_COLUMN,
    DROP_INDEX,
    DROP_TABLE,
    FOREIGN_KEY,
    FROM_SQL,
    GENERATED,
    HAS_DEFAULT,
    IDENTITY,
    NOT_NULL,
    NOT_VALID,
    PRIMARY_KEY,
    REINDEX,
    RENAME_COLUMN,
    RENAME_TABLE,
    SERIAL,
    SET_LOCK_TIMEOUT,
    SET_NOT_NULL,
    UNIQUE,
    USE_VALUES,
    USING_INDEX,
    VALIDATE_CONSTRAINT,
    VOLATILE_DEFAULT,
    Operation,
)

from .helpers import summary, upgrade


def ops(body: str, prelude: str = "") -> list[Operation]:
    return list(upgrade(body, prelude).operations)


def kinds(body: str) -> list[tuple[str, str, str]]:
    """(kind, table, column or name) of each operation."""
    return [(o.kind, o.table.name if o.table else "", o.column or o.name) for o in ops(body)]


def test_op_calls_and_their_sql_forms_give_the_same_operations():
    calls = kinds(
        """
        op.create_index("ix", "orders", ["email"])
        op.drop_index("ix", table_name="orders")
        op.drop_column("orders", "email")
        op.drop_table("orders")
        op.rename_table("orders", "purchases")
        op.alter_column("orders", "email", new_column_name="contact")
        """
    )
    sql = kinds(
        """
        op.execute("CREATE INDEX ix ON orders (email)")
        op.execute("DROP INDEX ix")
        op.execute("ALTER TABLE orders DROP COLUMN email")
        op.execute("DROP TABLE orders")
        op.execute("ALTER TABLE orders RENAME TO purchases")
        op.execute("ALTER TABLE orders RENAME COLUMN email TO contact")
        """
    )
    expected = [
        (CREATE_INDEX, "orders", "ix"), (DROP_INDEX, "orders", "ix"), (DROP_COLUMN, "orders", "email"),
        (DROP_TABLE, "orders", ""), (RENAME_TABLE, "orders", "purchases"), (RENAME_COLUMN, "orders", "email"),
    ]
    assert calls == expected
    # DROP INDEX in SQL does not name its table; the history knows it from the index's creation.
    assert sql == [expected[0], (DROP_INDEX, "", "ix"), *expected[2:]]


def test_concurrently_and_the_autocommit_block_are_recorded():
    found = ops(
        """
        op.create_index("a", "t", ["x"])
        op.create_index("b", "t", ["x"], postgresql_concurrently=True)
        with op.get_context().autocommit_block():
            op.drop_index("c", table_name="t", postgresql_concurrently=True)
            op.execute("CREATE INDEX CONCURRENTLY d ON t (x)")
        op.create_index("e", "t", ["x"])
        """
    )
    assert [(o.name, CONCURRENTLY in o.flags, AUTOCOMMIT in o.flags) for o in found] == [
        ("a", False, False), ("b", True, False), ("c", True, True), ("d", True, True), ("e", False, False),
    ]


def test_an_autocommit_isolation_level_takes_what_follows_out_of_the_transaction():
    found = ops(
        """
        op.create_index("before", "t", ["x"])
        connection = op.get_bind()
        connection.commit()
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql("CREATE INDEX CONCURRENTLY after ON t (x)")
        """
    )
    assert [(o.name, AUTOCOMMIT in o.flags) for o in found] == [("before", False), ("after", True)]


def test_a_commit_in_sql_ends_the_transaction_for_what_follows_until_a_begin():
    found = ops(
        """
        op.execute("COMMIT")
        op.execute("ALTER TYPE mood ADD VALUE 'calm'")
        op.execute("BEGIN; CREATE INDEX ix ON t (x)")
        """
    )
    assert [(o.kind, AUTOCOMMIT in o.flags) for o in found if o.kind in (ADD_ENUM_VALUE, CREATE_INDEX)] == [
        (ADD_ENUM_VALUE, True), (CREATE_INDEX, False),
    ]


@pytest.mark.parametrize(
    ("test", "judged"),
    [
        ('op.get_bind().dialect.name == "sqlite"', ["else"]),
        ('op.get_context().dialect.name != "postgresql"', ["else"]),
        ('bind.engine.name == "postgresql"', ["if"]),
        ('"postgresql" == bind.dialect.name', ["if"]),
        ('bind.dialect.name in ("mysql", "mariadb")', ["else"]),
        ('str(bind.engine.url).startswith(("mysql", "sqlite"))', ["else"]),
        ('bind.engine.url.get_backend_name() == "postgresql"', ["if"]),
        ('"sqlite" in str(bind.engine.url)', ["else"]),
        ("not is_sqlite", ["if"]),
        ("is_postgres()", ["if"]),
        ("is_sqlite and has_rows", ["else"]),  # False on PostgreSQL whatever has_rows is
        ("is_sqlite or has_rows", ["if", "else"]),
        ('bind.engine.url.drivername.startswith("postgresql+asyncpg")', ["if", "else"]),  # a driver, not a database
        ('bind.info.name == "sqlite"', ["if", "else"]),
        ("has_rows", ["if", "else"]),
    ],
)
def test_an_arm_that_runs_only_on_another_database_records_no_operation(test: str, judged: list[str]):
    prelude = """
        def is_postgres():
            \"\"\"Whether the migration runs on PostgreSQL.\"\"\"
            bind = op.get_bind()
            return bind.dialect.name == "postgresql"
    """
    body = f"""
        bind = op.get_bind()
        is_sqlite = bind.dialect.name == "sqlite"
        has_rows = bind.execute(sa.text("SELECT 1 FROM t")).scalar()
        if {test}:
            op.create_index("if", "t", ["x"])
        else:
            op.create_index("else", "t", ["x"])
    """
    assert [o.name for o in ops(body, prelude)] == judged
    # What the history records (DL2xx, what exists) still comes from both arms.
    assert [e for e in summary(upgrade(body, prelude)) if e[1] == "index"] == [
        ("create", "index", "public.if"), ("create", "index", "public.else"),
    ]


def test_after_an_early_return_for_one_database_only_the_others_run():
    found = ops(
        """
        if op.get_bind().dialect.name != "postgresql":
            return
        op.create_index("postgres_only", "t", ["x"])
        """
    )
    assert [o.name for o in found] == ["postgres_only"]
    found = ops(
        """
        if op.get_bind().dialect.name == "postgresql":
            op.create_index("postgres", "t", ["x"], postgresql_concurrently=True)
            return
        op.create_index("elsewhere", "t", ["x"])
        """
    )
    assert [o.name for o in found] == ["postgres"]


def test_added_columns_carry_nullability_defaults_and_volatility():
    found = {o.column: o for o in ops(
        """
        op.add_column("t", sa.Column("a", sa.Text(), nullable=False))
        op.add_column("t", sa.Column("b", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))
        op.add_column("t", sa.Column("c", sa.DateTime(timezone=True), server_default=sa.func.now()))
        op.add_column("t", sa.Column("d", sa.Boolean(), nullable=False, server_default=sa.false()))
        op.add_column("t", sa.Column("e", sa.Text(), server_default="new"))
        op.add_column("t", sa.Column("f", sa.BigInteger(), sa.Identity()))
        op.add_column("t", sa.Column("g", sa.Integer(), sa.Computed("a * 2")))
        op.add_column("t", sa.Column("h", sa.Integer(), sa.ForeignKey("s.p.id"), unique=True))
        op.add_column("t", sa.Column("i", sa.Integer(), primary_key=True))
        op.add_column("t", sa.Column("j", sa.Integer(), server_default=sa.text("my_function()")))
        """
    ) if o.kind == ADD_COLUMN}
    assert found["a"].flags == {NOT_NULL}
    assert found["b"].flags == {HAS_DEFAULT, VOLATILE_DEFAULT}
    assert found["c"].flags == {HAS_DEFAULT} and found["c"].detail == "timestamptz"
    assert found["d"].flags == {NOT_NULL, HAS_DEFAULT}
    assert found["e"].values == {"new"}
    assert found["f"].flags == {IDENTITY, NOT_NULL}
    assert found["g"].flags == {GENERATED}
    assert found["h"].flags == {FOREIGN_KEY, UNIQUE} and found["h"].other is not None and found["h"].other.qualified == "s.p"
    assert found["i"].flags >= {PRIMARY_KEY, SERIAL, VOLATILE_DEFAULT} and found["i"].detail == "serial"
    assert VOLATILE_DEFAULT in found["j"].flags  # a user function is VOLATILE unless declared otherwise


def test_sql_added_columns_are_read_like_op_calls():
    found = {o.column: o for o in ops(
        """
        op.execute(
            "ALTER TABLE t ADD COLUMN a text NOT NULL, ADD COLUMN b uuid DEFAULT gen_random_uuid(), "
            "ADD COLUMN c timestamptz DEFAULT now(), ADD COLUMN d bigserial, "
            "ADD COLUMN e int REFERENCES p (id), ADD COLUMN f int DEFAULT lower('X')::int"
        )
        """
    ) if o.kind == ADD_COLUMN}
    assert found["a"].flags == {NOT_NULL, FROM_SQL}
    assert VOLATILE_DEFAULT in found["b"].flags
    assert VOLATILE_DEFAULT not in found["c"].flags and HAS_DEFAULT in found["c"].flags
    assert {SERIAL, VOLATILE_DEFAULT} <= found["d"].flags
    assert FOREIGN_KEY in found["e"].flags and found["e"].other is not None and found["e"].other.name == "p"
    assert VOLATILE_DEFAULT not in found["f"].flags  # stable functions of constants are evaluated once


def test_alter_column_gives_not_null_type_change_and_rename_with_the_type_it_had():
    found = ops(
        """
        op.alter_column("t", "a", nullable=False)
        op.alter_column("t", "b", type_=sa.String(200), existing_type=sa.String(100))
        op.alter_column("t", "c", type_=sa.Integer(), existing_type=sa.Text(), postgresql_using="c::integer")
        op.alter_column("t", "d", type_=sa.Text(), existing_type=sa.String(length=20))
        op.alter_column("t", "e", new_column_name="f")
        op.alter_column("t", "g", server_default="archived")
        """
    )
    assert [(o.kind, o.column, o.detail, o.other_detail, BINARY_COERCIBLE in o.flags) for o in found] == [
        (SET_NOT_NULL, "a", "", "", False),
        (ALTER_COLUMN_TYPE, "b", "varchar(200)", "varchar(100)", True),
        (ALTER_COLUMN_TYPE, "c", "integer", "text", False),
        (ALTER_COLUMN_TYPE, "d", "text", "varchar(20)", True),
        (RENAME_COLUMN, "e", "", "", False),
        (USE_VALUES, "g", "server_default", "", False),
    ]


def test_pre_1_11_positional_alter_column_arguments_are_read_in_alembics_order():
    [operation] = ops('op.alter_column("t", "a", False)')
    assert operation.kind == SET_NOT_NULL


def test_constraints_from_op_calls_batch_calls_and_sql():
    found = ops(
        """
        op.create_foreign_key("fk", "t", "p", ["p_id"], ["id"], postgresql_not_valid=True)
        op.create_check_constraint("ck", "t", "a IS NOT NULL")
        op.create_unique_constraint("uq", "t", ["a"])
        op.create_primary_key("pk", "t", ["id"])
        with op.batch_alter_table("u") as batch_op:
            batch_op.create_check_constraint("ck2", "b > 0")
        op.execute("ALTER TABLE t ADD CONSTRAINT uq2 UNIQUE USING INDEX ix, VALIDATE CONSTRAINT fk")
        """
    )
    assert [(o.kind, o.table.name if o.table else "", o.name, o.detail, o.column, sorted(o.flags - {FROM_SQL})) for o in found] == [
        (ADD_CONSTRAINT, "t", "fk", FOREIGN_KEY, "", [NOT_VALID]),
        (ADD_CONSTRAINT, "t", "ck", CHECK, "a", []),
        (ADD_CONSTRAINT, "t", "uq", UNIQUE, "", []),
        (ADD_CONSTRAINT, "t", "pk", PRIMARY_KEY, "", []),
        (ADD_CONSTRAINT, "u", "ck2", CHECK, "", []),
        (ADD_CONSTRAINT, "t", "uq2", UNIQUE, "", [USING_INDEX]),
        (VALIDATE_CONSTRAINT, "t", "fk", "", "", []),
    ]
    assert found[0].other is not None and found[0].other.name == "p"


def test_enum_values_lock_timeout_reindex_and_written_literals():
    found = ops(
        """
        op.execute("SET LOCAL lock_timeout = '5s'")
        op.execute("SET lock_timeout = 0")
        op.execute("ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'calm' BEFORE 'sad'")
        op.execute("UPDATE people SET mood = 'calm' WHERE mood = 'ok'")
        op.execute("REINDEX INDEX CONCURRENTLY ix")
        op.bulk_insert(sa.table("people", sa.column("mood")), [{"mood": "calm"}])
        op.execute(sa.table("people", sa.column("mood")).update().values(mood="calm"))
        """
    )
    assert [o.kind for o in found] == [SET_LOCK_TIMEOUT, ADD_ENUM_VALUE, USE_VALUES, REINDEX, USE_VALUES, USE_VALUES]
    assert (found[1].name, found[1].detail) == ("calm", "public.mood")
    assert found[2].values == {"calm", "ok"}
    assert CONCURRENTLY in found[3].flags
    assert found[4].values == found[5].values == {"calm"}


def test_every_column_of_a_new_table_records_its_type():
    found = ops(
        """
        op.create_table(
            "t",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("at", sa.DateTime()),
            sa.Column("name", sa.String(50)),
            sa.Column("note", sa.Text()),
            sa.Column("big", sa.BigInteger()),
        )
        op.execute("CREATE TABLE u (id serial PRIMARY KEY, at timestamp, tz timestamptz, v varchar(9))")
        """
    )
    assert [(o.table.name if o.table else "", o.column, o.detail) for o in found if o.kind == COLUMN_TYPE] == [
        ("t", "id", "serial"), ("t", "at", "timestamp"), ("t", "name", "varchar(50)"), ("t", "note", "text"),
        ("t", "big", "bigint"), ("u", "id", "serial"), ("u", "at", "timestamp"), ("u", "tz", "timestamptz"),
        ("u", "v", "varchar(9)"),
    ]


def test_sqlalchemy_makes_only_a_lone_integer_primary_key_serial():
    found = ops(
        """
        op.create_table("a", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False))
        op.create_table("b", sa.Column("x", sa.Integer(), primary_key=True), sa.Column("y", sa.Integer(), primary_key=True))
        op.create_table("c", sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True))
        """
    )
    assert [(o.table.name if o.table else "", o.detail) for o in found if o.kind == COLUMN_TYPE] == [
        ("a", "integer"), ("b", "integer"), ("b", "integer"), ("c", "integer"),
    ]


def test_operations_know_the_effects_recorded_before_them_and_pickle():
    result = upgrade(
        """
        op.create_table("t", sa.Column("id", sa.BigInteger(), primary_key=True))
        op.drop_table("t")
        """
    )
    [drop] = [o for o in result.operations if o.kind == DROP_TABLE]
    assert drop.position == 1  # the CREATE effect runs before it, its own DROP effect does not
    assert pickle.loads(pickle.dumps(result)) == result


def test_sql_operations_start_on_the_call_line_so_a_comment_can_silence_them():
    body = '''
op.execute("""
    CREATE INDEX ix ON orders (email)
""")
'''
    [operation] = ops(body)
    call_line = 6 + body.splitlines().index('op.execute("""')  # upgrade()'s body starts on line 6
    assert (operation.span[0], operation.span[2]) == (call_line, call_line + 1)
