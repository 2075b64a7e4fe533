"""The data a revision's upgrade() does to schema objects (references, effects, operations, unknowns), and what env.py sets."""

from __future__ import annotations

from dataclasses import dataclass, fields

Span = tuple[int, int, int, int]
# Where a statement sits among mutually exclusive code paths: one (choice, arm) pair per enclosing
# `if`/`else` the interpreter went through, outermost first. `choice` numbers each `if` statement
# as it was run, so two passes of a loop over one `if` are two choices.
Branch = tuple[tuple[int, int], ...]

TABLE = "table"
VIEW = "view"
MATVIEW = "matview"
INDEX = "index"
POLICY = "policy"
KINDS = (TABLE, VIEW, MATVIEW, INDEX, POLICY)
# Tables, views, materialized views and indexes share one namespace per schema (pg_class),
# so a name read from a view body or a FROM clause is the same object whatever its kind.
RELATION_KINDS = (TABLE, VIEW, MATVIEW, INDEX)

KIND_LABELS = {TABLE: "table", VIEW: "view", MATVIEW: "materialized view", INDEX: "index", POLICY: "policy"}

CREATE = "create"
DROP = "drop"
RENAME = "rename"  # detail: the new name (same schema)
ALTER = "alter"
REFERENCE = "reference"
READ = "read"  # a relation read by a view body or by a query
RLS_ENABLE = "rls_enable"
RLS_FORCE = "rls_force"
RLS_DISABLE = "rls_disable"
BACKFILL = "backfill"  # a DML statement whose rows depend on this table (RLS filters them)
ROW_SECURITY_OFF = "row_security_off"  # `SET [LOCAL] row_security = off`; obj is a placeholder
ACTIONS = (CREATE, DROP, RENAME, ALTER, REFERENCE, READ, RLS_ENABLE, RLS_FORCE, RLS_DISABLE, BACKFILL, ROW_SECURITY_OFF)

# Actions that fail when the object does not exist yet.
USES = (ALTER, REFERENCE, READ, RLS_ENABLE, RLS_FORCE, RLS_DISABLE, BACKFILL)


@dataclass(frozen=True, order=True)
class ObjectRef:
    """A schema object, normalised: `schema` is always set, names are compared as written.

    Policies are named per table, so `parent` holds the table name for them (same schema).
    """

    kind: str
    schema: str
    name: str
    parent: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        """Identity in PostgreSQL: relations share one namespace whatever their kind."""
        if self.kind == POLICY:
            return (POLICY, self.schema, self.parent, self.name)
        return ("relation", self.schema, self.name)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def label(self, default_schema: str = "public") -> str:
        """How messages name the object: `table tenants`, `policy p on s.t`."""
        where = self.name if self.schema == default_schema else self.qualified
        if self.kind == POLICY:
            table = self.parent if self.schema == default_schema else f"{self.schema}.{self.parent}"
            return f"policy `{self.name}` on `{table}`"
        return f"{KIND_LABELS.get(self.kind, self.kind)} `{where}`"


@dataclass(frozen=True)
class Effect:
    """One thing upgrade() does to one object, in execution order.

    `guarded` marks IF [NOT] EXISTS / OR REPLACE / if_not_exists=True: the statement does not
    fail when the object is already there (create) or missing (drop).
    `engine` is the multidb template's engine name (upgrade_<engine>), "" otherwise.
    """

    action: str
    obj: ObjectRef
    span: Span
    detail: str = ""
    guarded: bool = False
    engine: str = ""
    branch: Branch = ()


def exclusive(first: Branch, second: Branch) -> bool:
    """Whether two statements sit in different arms of one `if`: at most one of them runs."""
    if not first or not second:
        return False
    arms = dict(first)
    return any(arms.get(choice, arm) != arm for choice, arm in second)


@dataclass(frozen=True)
class IndexInfo:
    """An index created on a relation, with what REFRESH ... CONCURRENTLY needs to know."""

    index: ObjectRef
    table: ObjectRef
    unique: bool
    partial: bool
    expression: bool
    span: Span
    engine: str = ""

    @property
    def usable_for_concurrent_refresh(self) -> bool:
        return self.unique and not self.partial and not self.expression


@dataclass(frozen=True)
class UnknownSql:
    """SQL or an operation argument that cannot be known without running the code.

    `words` are the lower-cased identifiers visible in the source, so rules can stay quiet
    about an object an unknown statement may touch.
    """

    span: Span
    reason: str
    text: str
    words: frozenset[str] = frozenset()


# What migration safety judges (driftlint.schema.safety): one Operation per DDL statement or op.*
# call that takes a lock, breaks running code, or changes what the migration transaction may do.
ADD_COLUMN = "add_column"  # column, detail: type; flags below
ALTER_COLUMN_TYPE = "alter_column_type"  # column, detail: new type, other_detail: the type it had
SET_NOT_NULL = "set_not_null"  # column
DROP_COLUMN = "drop_column"  # column
RENAME_COLUMN = "rename_column"  # column, name: the new name
COLUMN_TYPE = "column_type"  # a column of a new table; column, detail: its type
DROP_TABLE = "drop_table"
RENAME_TABLE = "rename_table"  # name: the new name
CREATE_INDEX = "create_index"  # name: the index
DROP_INDEX = "drop_index"  # name: the index; table when the call names it
REINDEX = "reindex"  # name: the index or table
ADD_CONSTRAINT = "add_constraint"  # name: the constraint, detail: CONSTRAINT_KINDS; other: FK target
VALIDATE_CONSTRAINT = "validate_constraint"  # name: the constraint
ADD_ENUM_VALUE = "add_enum_value"  # name: the value, detail: the type
USE_VALUES = "use_values"  # string literals a statement writes (values: them)
SET_LOCK_TIMEOUT = "set_lock_timeout"
COMMIT = "commit"  # a COMMIT (or ROLLBACK) in SQL: what follows runs outside the migration's transaction
BEGIN = "begin"  # a BEGIN in SQL: what follows runs in a transaction again

CHECK = "check"
FOREIGN_KEY = "foreign_key"
UNIQUE = "unique"
PRIMARY_KEY = "primary_key"
EXCLUDE = "exclude"
CONSTRAINT_KINDS = (CHECK, FOREIGN_KEY, UNIQUE, PRIMARY_KEY, EXCLUDE)

# Operation flags.
CONCURRENTLY = "concurrently"
AUTOCOMMIT = "autocommit"  # runs outside the migration's transaction (autocommit_block, after a COMMIT)
NOT_NULL = "not_null"
HAS_DEFAULT = "default"  # a server-side default (DEFAULT, server_default=)
VOLATILE_DEFAULT = "volatile_default"  # ... whose value PostgreSQL computes per row (a table rewrite)
GENERATED = "generated"  # GENERATED ALWAYS AS (...) STORED: a rewrite
IDENTITY = "identity"  # GENERATED ... AS IDENTITY: a rewrite
SERIAL = "serial"  # serial types, and SQLAlchemy's implicit SERIAL integer primary key
NOT_VALID = "not_valid"
USING_INDEX = "using_index"  # UNIQUE/PRIMARY KEY USING INDEX: no index build under the lock
IF_EXISTS = "if_exists"
BINARY_COERCIBLE = "binary_coercible"  # a type change PostgreSQL makes without a rewrite or a scan
FROM_SQL = "sql"  # written as SQL text, not as an op.* call (messages name the SQL form)


@dataclass
class Operation:
    """One statement as migration safety judges it: what it does, to which table, where.

    Not frozen, though nothing changes one once made: a frozen dataclass sets each of its fields
    through object.__setattr__, which made building the thousands of a large history cost a
    third of the schema extractor's time. It is not hashable either (nothing keys on one).

    `position` is the number of effects recorded before it in the revision, so the schema history
    can say what existed when it ran (EnvironmentHistory.prior). `flags` are the facts above.
    `other` is a second table it locks (a foreign key's target). `values` are string literals it
    writes (what a new enum value may be used by).
    """

    kind: str
    table: ObjectRef | None
    span: Span
    position: int
    name: str = ""
    column: str = ""
    detail: str = ""
    other_detail: str = ""
    flags: frozenset[str] = frozenset()
    other: ObjectRef | None = None
    values: frozenset[str] = frozenset()
    engine: str = ""
    branch: Branch = ()

    def __reduce__(self) -> tuple[type[Operation], tuple[object, ...]]:
        # Pickled as its fields in order, without their names: a 2,000-revision history holds
        # thousands, each file's facts are pickled on their own, and the names were most of it.
        return (Operation, tuple(getattr(self, name) for name in _OPERATION_FIELDS))


_OPERATION_FIELDS = tuple(f.name for f in fields(Operation))


@dataclass(frozen=True)
class RevisionEffects:
    effects: tuple[Effect, ...] = ()
    unknown: tuple[UnknownSql, ...] = ()
    indexes: tuple[IndexInfo, ...] = ()
    # True when upgrade() hands the database to code that can create any table
    # (e.g. `metadata.create_all(bind)`), so a missing creator proves nothing.
    creates_unknown_objects: bool = False
    operations: tuple[Operation, ...] = ()


EMPTY = RevisionEffects()


@dataclass(frozen=True)
class EnvSettings:
    """Read from env.py's source, never by running it.

    `lock_timeout`: some string in it names `lock_timeout` (`SET lock_timeout ...` through the
    connection, `-c lock_timeout=...` in a URL or `connect_args`, asyncpg's `server_settings`).
    `autocommit`: it asks for `isolation_level="AUTOCOMMIT"`, so no statement runs in a transaction.
    `transaction_per_migration`: `context.configure(transaction_per_migration=True)`; otherwise
    one `alembic upgrade` runs every revision in one transaction.
    `anchor`: the line of the `context.configure(...)` call findings about the environment point
    at (the one given a connection, else the first; 1 without any).
    """

    lock_timeout: bool = False
    autocommit: bool = False
    transaction_per_migration: bool = False
    anchor: int = 1
