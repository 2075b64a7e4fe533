"""The data a revision's upgrade() does to schema objects: object references, effects, unknowns."""

from __future__ import annotations

from dataclasses import dataclass

Span = tuple[int, int, int, int]

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


@dataclass(frozen=True)
class RevisionEffects:
    effects: tuple[Effect, ...] = ()
    unknown: tuple[UnknownSql, ...] = ()
    indexes: tuple[IndexInfo, ...] = ()
    # True when upgrade() hands the database to code that can create any table
    # (e.g. `metadata.create_all(bind)`), so a missing creator proves nothing.
    creates_unknown_objects: bool = False


EMPTY = RevisionEffects()
