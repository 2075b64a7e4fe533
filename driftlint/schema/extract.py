"""What a revision's upgrade() does to schema objects, read from its AST without running it.

A small abstract interpreter walks upgrade() (or the multidb template's upgrade_<engine>()):
it follows assignments, loops over literal sequences, calls to helpers in the same module and
`with op.batch_alter_table(...)` blocks; it resolves strings built from literals and module
constants; and it hands SQL to `driftlint.schema.sql`. Whatever depends on run time becomes an
UnknownSql entry, never a guess.
"""

from __future__ import annotations

import ast
import re
import string
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, cast

from driftlint.config import Settings
from driftlint.schema import columns
from driftlint.schema.model import (
    ADD_COLUMN,
    ADD_CONSTRAINT,
    ALTER,
    ALTER_COLUMN_TYPE,
    AUTOCOMMIT,
    BACKFILL,
    BEGIN,
    BINARY_COERCIBLE,
    CHECK,
    COLUMN_TYPE,
    COMMIT,
    CONCURRENTLY,
    CREATE,
    CREATE_INDEX,
    DROP,
    DROP_COLUMN,
    DROP_INDEX,
    DROP_TABLE,
    EMPTY,
    EXCLUDE,
    FOREIGN_KEY,
    FROM_SQL,
    GENERATED,
    HAS_DEFAULT,
    IDENTITY,
    IF_EXISTS,
    INDEX,
    MATVIEW,
    NOT_NULL,
    NOT_VALID,
    POLICY,
    PRIMARY_KEY,
    REFERENCE,
    RENAME,
    RENAME_COLUMN,
    RENAME_TABLE,
    SERIAL,
    SET_NOT_NULL,
    TABLE,
    UNIQUE,
    USE_VALUES,
    VIEW,
    VOLATILE_DEFAULT,
    Branch,
    Effect,
    IndexInfo,
    ObjectRef,
    Operation,
    RevisionEffects,
    Span,
    UnknownSql,
)
from driftlint.schema.sql import SqlAnalyzer
from driftlint.source import SourceFile, node_location

MAX_LOOP = 500  # iterations unrolled per loop; longer literal sequences are still finite, but rare
MAX_DEPTH = 6  # nested helper calls followed
MAX_STRING = 200_000
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# Receivers whose `.execute(...)` runs SQL even when we cannot see where they came from.
_DB_NAMES = {"conn", "connection", "bind", "session", "db", "engine", "connectable", "context", "cursor", "cur", "op"}
# op.* calls that neither change nor use a schema object.
_HARMLESS_OPS = {
    "get_bind",
    "get_context",
    "f",
    "inline_literal",
    "implementation_for",
    "invoke",
    "run_async",
    "register_operation",
    "batch_alter_table",
    "create_sp",
    "replace_sp",
    "drop_sp",
    "create_sequence",
    "drop_sequence",
    # alembic-postgresql-enum: enum types are not objects driftlint tracks.
    "sync_enum_values",
}
# Other alembic_utils entities (functions, extensions, triggers, grants) are not tracked objects.
_OTHER_ENTITIES = {"PGFunction", "PGExtension", "PGTrigger", "PGGrantTable", "PGProcedure", "PGAggregate"}
# SQLAlchemy Core constructs a revision may execute that neither create nor change tracked objects.
_UNTRACKED_CONSTRUCTS = {"select", "exists", "union", "union_all", "CreateSequence", "DropSequence", "distinct", "join"}


class Unknown:
    """A value only known at run time, with the reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


class Database(Unknown):
    """What a revision can learn about the database it runs on, only at run time: `.dialect`
    (kind DIALECT), `.engine` (ENGINE), or a string naming it (NAME: `dialect.name`, `engine.name`,
    `str(engine.url)`, `url.drivername`). Still an Unknown wherever a value is needed."""

    __slots__ = ("kind",)

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind


class DialectTest(Unknown):
    """A condition on which database runs the migration (`bind.dialect.name == "sqlite"`,
    `url.startswith("mysql")`), with whether it holds on PostgreSQL."""

    __slots__ = ("on_postgres",)

    def __init__(self, on_postgres: bool, reason: str):
        super().__init__(reason)
        self.on_postgres = on_postgres


DIALECT, ENGINE, NAME = "dialect", "engine", "name"
# How PostgreSQL spells itself in a dialect name, an engine name and a URL's scheme.
_POSTGRES_NAMES = ("postgresql", "postgres")
# Calls a dialect test may go through without running anything a revision records.
_HARMLESS_CALLS = frozenset({"get_bind", "get_context", "get_connection", "str", "get_backend_name"})


@dataclass(frozen=True)
class Sql:
    """sa.text(...) / sa.DDL(...): SQL text (with the node it came from, to map positions)."""

    text: str
    node: ast.AST | None = None


@dataclass(frozen=True)
class TableConstruct:
    """sa.table("t", ...) / sa.Table("t", metadata, ...) / what op.create_table returns."""

    name: str
    schema: str | None


@dataclass(frozen=True)
class Dml:
    """A SQLAlchemy Core UPDATE/DELETE/INSERT on a table construct."""

    verb: str
    table: TableConstruct
    from_select: bool = False
    values: frozenset[str] = frozenset()  # string literals it writes (.values(status="new"))


@dataclass(frozen=True)
class Bind:
    """op.get_bind() and friends: a connection whose execute() runs SQL."""


@dataclass(frozen=True)
class BatchTable:
    """The `batch_op` of `with op.batch_alter_table(table, schema) as batch_op:`."""

    name: str
    schema: str | None


@dataclass(frozen=True)
class Entity:
    """A replaceable-objects recipe ReplaceableObject or an alembic_utils PGView/PGMaterializedView/PGPolicy."""

    kind: str  # "replaceable", VIEW, MATVIEW, POLICY
    name: str
    definition: str | None
    schema: str | None = None
    on: str | None = None


@dataclass(frozen=True)
class Deferred:
    """An expression kept as AST (sa.Column, sa.ForeignKey, sa.Index...), read where it is used."""

    node: ast.expr
    scope: "Scope"


@dataclass(frozen=True)
class Untracked:
    """A Core construct (a SELECT, a sequence DDL...) that touches no tracked object when run."""

    name: str


@dataclass(frozen=True)
class LocalFunction:
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(eq=False)
class Scope:
    names: dict[str, Any] = field(default_factory=dict)
    # Local names bound straight to a string literal, so SQL positions map into the file.
    origins: dict[str, ast.expr] = field(default_factory=dict)


@dataclass(eq=False)
class _Module:
    constants: dict[str, ast.expr]
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
    values: dict[str, Any] = field(default_factory=dict)
    evaluating: set[str] = field(default_factory=set)


def _call_name(node: ast.expr) -> str:
    """The last name of a callee: `sa.ForeignKey` -> "ForeignKey", `text` -> "text"."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _words(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(text))


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _module_index(tree: ast.Module) -> _Module:
    """Names bound once at module level to an expression (constants) and top-level functions."""
    counts: dict[str, int] = {}
    constants: dict[str, ast.expr] = {}
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for statement in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.AugAssign):
            targets = [statement.target]
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[statement.name] = statement
            continue
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                counts[(alias.asname or alias.name).split(".")[0]] = 2
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                counts[target.id] = counts.get(target.id, 0) + (1 if value is not None else 2)
                if value is not None:
                    constants[target.id] = value
            elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) and len(target.elts) == len(value.elts):
                for element, item in zip(target.elts, value.elts):
                    if isinstance(element, ast.Name):
                        counts[element.id] = counts.get(element.id, 0) + 1
                        constants[element.id] = item
    return _Module({k: v for k, v in constants.items() if counts.get(k) == 1}, functions)


@dataclass
class _Frame:
    scope: Scope
    depth: int
    site: Span | None  # call site in upgrade() while inside an inlined helper
    stack: tuple[str, ...] = ()
    returned: Any = None


class Interpreter:
    """Walks upgrade() in order and records effects; one instance per revision file."""

    def __init__(self, tree: ast.Module, source: SourceFile, settings: Settings):
        self.source = source
        self.tree = tree
        self._module: _Module | None = None
        self.default_schema = settings.default_schema or "public"
        self.sql = SqlAnalyzer(self.default_schema)
        self.effects: list[Effect] = []
        self.unknown: list[UnknownSql] = []
        self.indexes: list[IndexInfo] = []
        # One instance per distinct object and span: the pickled result (worker to parent, fact
        # cache) then stores each once, and unpickling builds fewer objects.
        self._shared: dict[Any, Any] = {}
        self.creates_unknown_objects = False
        self.engine = ""
        self.operations: list[Operation] = []
        # Which arm of which `if` the statements being run sit in (model.Branch), and how many
        # `if` statements have been run: each run is a new choice.
        self.branch: Branch = ()
        self.choices = 0
        # Inside `op.get_context().autocommit_block()`, or after a COMMIT in SQL: statements run
        # outside the migration's transaction.
        self.autocommit = False
        # How many effects were recorded when the op.* call being read began (Operation.position).
        self.op_start = 0
        # The arms (model.Branch items) of `if` statements that run only on another database
        # than PostgreSQL: migration safety judges PostgreSQL, so they record no Operation.
        self.elsewhere: set[tuple[int, int]] = set()

    @property
    def module(self) -> _Module:
        """Module constants and functions, indexed on first use (most revisions never need them)."""
        if self._module is None:
            self._module = _module_index(self.tree)
        return self._module

    # -- results --------------------------------------------------------------------------------

    def result(self) -> RevisionEffects:
        if not (self.effects or self.unknown or self.indexes or self.creates_unknown_objects or self.operations):
            return EMPTY
        return RevisionEffects(
            tuple(self.effects), tuple(self.unknown), tuple(self.indexes), self.creates_unknown_objects, tuple(self.operations)
        )

    def run_function(self, function: ast.FunctionDef | ast.AsyncFunctionDef, engine: str = "") -> None:
        self.engine = engine
        self.autocommit = False
        self.sql.search_schema = self.default_schema
        frame = _Frame(Scope(), 0, None, (function.name,))
        for argument in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]:
            frame.scope.names[argument.arg] = Unknown(f"`{argument.arg}` is a parameter of {function.name}()")
        self.run_body(function.body, frame)

    # -- recording ------------------------------------------------------------------------------

    def span(self, node: ast.AST, frame: _Frame) -> Span:
        return frame.site or node_location(node)

    def shared(self, value: Any) -> Any:
        """The instance of an ObjectRef or span equal to `value` that this file already uses."""
        return self._shared.setdefault(value, value)

    def add(self, action: str, obj: ObjectRef | None, node: ast.AST, frame: _Frame, detail: str = "", guarded: bool = False) -> None:
        if obj is not None:
            self.effects.append(
                Effect(action, self.shared(obj), self.shared(self.span(node, frame)), detail, guarded, self.engine, self.branch)
            )

    def operation(
        self, kind: str, table: ObjectRef | None, span: Span, *, position: int | None = None, name: str = "", column: str = "",
        detail: str = "", other_detail: str = "", flags: Iterable[str] = (), other: ObjectRef | None = None,
        values: frozenset[str] = frozenset(),
    ) -> None:
        """Record what migration safety judges (model.Operation); `position` defaults to the effects
        recorded before the current op.* call began."""
        if self.elsewhere and any(arm in self.elsewhere for arm in self.branch):
            return
        if self.autocommit:
            flags = (*flags, AUTOCOMMIT)
        shared = self.shared
        self.operations.append(Operation(
            kind, shared(table) if table is not None else None, shared(span), self.op_start if position is None else position,
            name, column, detail, other_detail, shared(frozenset(flags)) if flags else _NO_FLAGS,
            shared(other) if other is not None else None, values, self.engine, self.branch,
        ))

    def add_index(self, index: ObjectRef, table: ObjectRef, unique: bool, partial: bool, expression: bool, span: Span) -> None:
        shared = self.shared
        self.indexes.append(IndexInfo(shared(index), shared(table), unique, partial, expression, shared(span), self.engine))

    def add_unknown(self, node: ast.AST, frame: _Frame, reason: str, text: str | None = None) -> None:
        segment = text if text is not None else self.segment(node)
        self.unknown.append(UnknownSql(self.span(node, frame), reason, _excerpt(segment), _words(segment)))

    def segment(self, node: ast.AST) -> str:
        """The node's source text. Not ast.get_source_segment: it re-splits the whole file on every
        call, and it reads the columns as UTF-8 bytes where a SourceFile's tree has characters."""
        lines = self.source.lines
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if start is None or end is None or end > len(lines):
            return ""
        if start == end:
            return lines[start - 1][node.col_offset : node.end_col_offset]  # type: ignore[attr-defined]
        parts = [lines[start - 1][node.col_offset :]]  # type: ignore[attr-defined]
        parts.extend(lines[start : end - 1])
        parts.append(lines[end - 1][: node.end_col_offset])  # type: ignore[attr-defined]
        return "\n".join(parts)

    # -- statements -----------------------------------------------------------------------------

    def run_body(self, body: Iterable[ast.stmt], frame: _Frame, top: bool = True) -> None:
        outer = self.branch
        try:
            for statement in body:
                if isinstance(statement, ast.Return):
                    if statement.value is not None and frame.returned is None:
                        frame.returned = self.evaluate(statement.value, frame)
                    if top:
                        return
                    continue
                rest = self.run_statement(statement, frame)
                if rest is not None:
                    self.branch = rest
        finally:
            self.branch = outer

    def run_if(self, statement: ast.If, frame: _Frame) -> Branch | None:
        """Both arms run, each tagged as one alternative of a new choice (model.Branch): what one
        arm drops the other may still use. When one arm ends in `return` or `raise` and the other
        does not, the statements after the `if` belong to the other arm; the new branch for them
        is returned. When the test asks which database runs the migration, the arm that does not
        run on PostgreSQL is marked elsewhere."""
        test = self.evaluate(statement.test, frame)
        outer = self.branch
        self.choices += 1
        choice = self.choices
        if isinstance(test, DialectTest):
            self.elsewhere.add((choice, 1 if test.on_postgres else 0))
        self.branch = (*outer, (choice, 0))
        self.run_body(statement.body, frame, top=False)
        self.branch = (*outer, (choice, 1))
        self.run_body(statement.orelse, frame, top=False)
        self.branch = outer
        body_leaves, else_leaves = _leaves(statement.body), _leaves(statement.orelse)
        if body_leaves != else_leaves:
            return (*outer, (choice, 1 if body_leaves else 0))
        return None

    def run_statement(self, statement: ast.stmt, frame: _Frame) -> Branch | None:
        scope = frame.scope.names
        if isinstance(statement, ast.Expr):
            self.evaluate(statement.value, frame)
        elif isinstance(statement, ast.Assign):
            value = self.evaluate(statement.value, frame)
            for target in statement.targets:
                self.bind(target, value, frame)
                if isinstance(target, ast.Name):
                    literal = _unwrap(statement.value)
                    if isinstance(literal, ast.Constant):
                        frame.scope.origins[target.id] = literal
                    else:
                        frame.scope.origins.pop(target.id, None)
        elif isinstance(statement, ast.AnnAssign):
            if statement.value is not None:
                self.bind(statement.target, self.evaluate(statement.value, frame), frame)
        elif isinstance(statement, ast.AugAssign):
            value = self.evaluate(statement.value, frame)
            if isinstance(statement.target, ast.Name):
                current = scope.get(statement.target.id, Unknown("augmented before assignment"))
                scope[statement.target.id] = _binary(statement.op, current, value)
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            self.run_for(statement, frame)
        elif isinstance(statement, ast.While):
            self.evaluate(statement.test, frame)
            self.run_body(statement.body, frame, top=False)
            self.run_body(statement.orelse, frame, top=False)
        elif isinstance(statement, ast.If):
            return self.run_if(statement, frame)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            autocommit = self.autocommit
            for item in statement.items:
                value = self.evaluate(item.context_expr, frame)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, value, frame)
                if isinstance(item.context_expr, ast.Call) and _call_name(item.context_expr.func) == "autocommit_block":
                    self.autocommit = True
            self.run_body(statement.body, frame, top=False)
            self.autocommit = autocommit
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            self.run_body(statement.body, frame, top=False)  # type: ignore[attr-defined]
            for handler in statement.handlers:  # type: ignore[attr-defined]
                self.run_body(handler.body, frame, top=False)
            self.run_body(statement.orelse, frame, top=False)  # type: ignore[attr-defined]
            self.run_body(statement.finalbody, frame, top=False)  # type: ignore[attr-defined]
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope[statement.name] = LocalFunction(statement)
        return None

    def bind(self, target: ast.expr, value: Any, frame: _Frame) -> None:
        if isinstance(target, ast.Name):
            frame.scope.names[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value if isinstance(value, (tuple, list)) and len(value) == len(target.elts) else None
            for index, element in enumerate(target.elts):
                self.bind(element, items[index] if items is not None else Unknown("unpacked from a run-time value"), frame)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, Unknown("starred assignment"), frame)

    def run_for(self, statement: ast.For | ast.AsyncFor, frame: _Frame) -> None:
        iterable = self.evaluate(statement.iter, frame)
        if isinstance(iterable, dict):
            iterable = tuple(iterable)
        if isinstance(iterable, (tuple, list)) and 0 < len(iterable) <= MAX_LOOP:
            for item in iterable:
                self.bind(statement.target, item, frame)
                self.run_body(statement.body, frame, top=False)
        else:
            self.bind(statement.target, Unknown("the loop runs over a value only known at run time"), frame)
            self.run_body(statement.body, frame, top=False)
        self.run_body(statement.orelse, frame, top=False)

    # -- expressions ----------------------------------------------------------------------------

    def lookup(self, name: str, frame: _Frame) -> Any:
        if name in frame.scope.names:
            return frame.scope.names[name]
        module = self.module
        if name in module.values:
            return module.values[name]
        if name in module.constants and name not in module.evaluating:
            module.evaluating.add(name)
            try:
                value = self.evaluate(module.constants[name], _Frame(Scope(), MAX_DEPTH, frame.site))
            finally:
                module.evaluating.discard(name)
            module.values[name] = value
            return value
        if name in module.functions:
            return LocalFunction(module.functions[name])
        return Unknown(f"`{name}` is only known at run time")

    def evaluate(self, node: ast.expr, frame: _Frame) -> Any:
        # Literals, names and calls first: they are nearly every node a migration evaluates.
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.lookup(node.id, frame)
        if isinstance(node, ast.Call):
            return self.call(node, frame)
        if isinstance(node, ast.JoinedStr):
            return self.fstring(node, frame)
        if isinstance(node, ast.BinOp):
            return _binary(node.op, self.evaluate(node.left, frame), self.evaluate(node.right, frame))
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items: list[Any] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.evaluate(element.value, frame)
                    if not isinstance(inner, (tuple, list)):
                        return Unknown("a starred item is only known at run time")
                    items.extend(inner)
                else:
                    items.append(self.evaluate(element, frame))
            if isinstance(node, ast.Set) and len(items) > 1:
                return Unknown("a set has no defined order")
            return tuple(items)
        if isinstance(node, ast.Dict):
            result: dict[Any, Any] = {}
            for key, value in zip(node.keys, node.values):
                if key is None:
                    return Unknown("a dict unpacking is only known at run time")
                key_value = self.evaluate(key, frame)
                if isinstance(key_value, Unknown) or not _hashable(key_value):
                    return Unknown("a dict key is only known at run time")
                result[key_value] = self.evaluate(value, frame)
            return result
        if isinstance(node, ast.Subscript):
            container = self.evaluate(node.value, frame)
            index = self.evaluate(node.slice, frame)
            try:
                if isinstance(container, (tuple, list, dict, str)) and _plain(index):
                    return container[index]
            except (IndexError, KeyError, TypeError):
                pass
            return Unknown("a subscript only known at run time")
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Call) and _call_name(base.func) == "get_context" and node.attr in ("bind", "connection"):
                self.evaluate(base, frame)
                return Bind()
            reason = f"`{_dotted(node) or node.attr}` is only known at run time"
            return self.database_attribute(node, frame, reason) or Unknown(reason)
        if isinstance(node, (ast.Compare, ast.BoolOp, ast.UnaryOp)):
            reason = f"a {type(node).__name__} expression is only known at run time"
            held = self.dialect_test(node, frame)
            return Unknown(reason) if held is None else DialectTest(held, reason)
        if isinstance(node, ast.IfExp):
            self.evaluate(node.test, frame)
            return Unknown("a conditional expression is only known at run time")
        if isinstance(node, (ast.Await,)):
            return self.evaluate(node.value, frame)
        return Unknown(f"a {type(node).__name__} expression is only known at run time")

    # -- which database runs the migration -------------------------------------------------------

    def database_attribute(self, node: ast.Attribute, frame: _Frame, reason: str) -> Database | None:
        """`x.dialect`, `x.engine`, and the name of a dialect, an engine or its URL."""
        if node.attr == "dialect":
            return Database(DIALECT, reason)
        if node.attr == "engine":
            return Database(ENGINE, reason)
        if node.attr in ("name", "url", "drivername"):
            base = self.harmless(node.value, frame)
            if isinstance(base, Database) and (base.kind == ENGINE or node.attr != "url"):
                return Database(NAME, reason)
            if isinstance(base, Bind) and node.attr == "url":
                return Database(NAME, reason)
        return None

    def harmless(self, node: ast.expr, frame: _Frame) -> Any:
        """The value of `node` when evaluating it records nothing (names, attributes, literals,
        op.get_bind(), str(...)); None otherwise."""
        if isinstance(node, (ast.Constant, ast.Name, ast.Attribute)):
            return self.evaluate(node, frame)
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.harmless(element, frame) for element in node.elts]
            return tuple(items) if all(isinstance(item, str) for item in items) else None
        if isinstance(node, ast.Call) and _call_name(node.func) in _HARMLESS_CALLS:
            if _call_name(node.func) in ("str", "get_backend_name"):
                inner = node.args[0] if node.args else node.func.value if isinstance(node.func, ast.Attribute) else None
                value = self.harmless(inner, frame) if inner is not None else None
                return Database(NAME, "the database is only known at run time") if isinstance(value, Database) else None
            return Bind() if _call_name(node.func) in ("get_bind", "get_connection") else None
        return None

    def dialect_test(self, node: ast.expr, frame: _Frame) -> bool | None:
        """Whether `node` holds on PostgreSQL, when all it asks is which database runs the
        migration; None when it asks anything else. Evaluates nothing that records."""
        if isinstance(node, ast.UnaryOp):
            held = self.dialect_test(node.operand, frame) if isinstance(node.op, ast.Not) else None
            return None if held is None else not held
        if isinstance(node, ast.BoolOp):
            values = [self.dialect_test(value, frame) for value in node.values]
            decisive = isinstance(node.op, ast.Or)  # True decides an `or`, False an `and`
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                return None
            left, right = self.harmless(node.left, frame), self.harmless(node.comparators[0], frame)
            operator = node.ops[0]
            if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(left, str) and _is_name(right):
                held = _names_postgres(left, substring=True)  # "sqlite" in str(engine.url)
            elif _is_name(left) and isinstance(operator, (ast.Eq, ast.NotEq)) and isinstance(right, str):
                held = _names_postgres(right)
            elif _is_name(right) and isinstance(operator, (ast.Eq, ast.NotEq)) and isinstance(left, str):
                held = _names_postgres(left)
            elif _is_name(left) and isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, tuple):
                found = [_names_postgres(item) for item in right]
                held = True if True in found else None if None in found else False
            else:
                return None
            if held is None:
                return None
            return not held if isinstance(operator, (ast.NotEq, ast.NotIn)) else held
        if isinstance(node, ast.Name):
            value = self.lookup(node.id, frame)
            return value.on_postgres if isinstance(value, DialectTest) else None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "startswith" and len(node.args) == 1 and not node.keywords:
                if not _is_name(self.harmless(func.value, frame)):
                    return None
                prefixes = self.harmless(node.args[0], frame)
                if isinstance(prefixes, str):
                    prefixes = (prefixes,)
                if not isinstance(prefixes, tuple):
                    return None
                found = [_names_postgres(prefix, prefix=True) for prefix in prefixes]
                return True if True in found else None if None in found else False
            if isinstance(func, ast.Name) and not node.args and not node.keywords:
                callee = self.lookup(func.id, frame)
                if isinstance(callee, LocalFunction):
                    return self.dialect_function(callee.node, frame)
        return None

    def dialect_function(self, function: ast.FunctionDef | ast.AsyncFunctionDef, frame: _Frame) -> bool | None:
        """What a helper such as `def is_postgres(): return op.get_bind().dialect.name == "postgresql"`
        answers on PostgreSQL: a body of harmless assignments and one `return` of a dialect test."""
        if function.args.args or function.args.posonlyargs or frame.depth >= MAX_DEPTH:
            return None
        body = list(function.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
            return None
        inner = _Frame(Scope(), frame.depth + 1, frame.site, (*frame.stack, function.name))
        for statement in body[:-1]:
            if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)):
                return None
            value = self.harmless(statement.value, inner)
            if value is None:
                return None
            inner.scope.names[statement.targets[0].id] = value
        return self.dialect_test(body[-1].value, inner)

    def fstring(self, node: ast.JoinedStr, frame: _Frame) -> Any:
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            assert isinstance(value, ast.FormattedValue)
            inner = self.evaluate(value.value, frame)
            if not _plain(inner) or isinstance(inner, bytes):
                return Unknown("an f-string with a value only known at run time")
            spec = ""
            if value.format_spec is not None:
                spec_value = self.fstring(value.format_spec, frame) if isinstance(value.format_spec, ast.JoinedStr) else Unknown("")
                if not isinstance(spec_value, str):
                    return spec_value
                spec = spec_value
            # !s, !r and !a (the conversion is the character's code); -1 is none.
            conversions: dict[int, Callable[[Any], Any]] = {115: str, 114: repr, 97: ascii}
            converted = conversions.get(value.conversion, lambda x: x)(inner)
            try:
                parts.append(format(converted, spec))
            except (ValueError, TypeError):
                return Unknown("an f-string format that does not apply")
        return "".join(parts)

    def call(self, node: ast.Call, frame: _Frame) -> Any:
        func = node.func
        name = _call_name(func)
        # op.<operation>(...) and alembic.op.<operation>(...)
        if isinstance(func, ast.Attribute) and _is_op(func.value, frame):
            return self.op_call(func.attr, node, frame)
        receiver = self.evaluate(func.value, frame) if isinstance(func, ast.Attribute) else None
        if isinstance(receiver, BatchTable) and isinstance(func, ast.Attribute):
            return self.batch_call(receiver, func.attr, node, frame)
        if name == "startswith" and _is_name(receiver):
            held = self.dialect_test(node, frame)
            if held is not None:
                return DialectTest(held, f"the result of `{_dotted(func) or name}()` is only known at run time")
        if name in ("execute", "exec_driver_sql", "executescript") and isinstance(func, ast.Attribute):
            argument: ast.expr | None
            if node.args:
                argument = node.args[0]
            else:
                argument = next((k.value for k in node.keywords if k.arg in ("statement", "sqltext", "sql", "clause")), None)
            if argument is None:
                return Unknown("a query result")
            db_like = isinstance(receiver, Bind) or (isinstance(func.value, ast.Name) and func.value.id in _DB_NAMES)
            self.execute(argument, node, frame, quiet=not db_like)
            return Unknown("a query result")
        if name == "execution_options" and any(
            k.arg == "isolation_level" and self.evaluate(k.value, frame) == "AUTOCOMMIT" for k in node.keywords
        ):
            # SQLAlchemy switches the connection itself (it returns it), so whatever runs after
            # this, through it or through op, runs outside a transaction.
            self.autocommit = True
            return Bind()
        if isinstance(receiver, Dml) and name == "values":
            written = [self.evaluate(k.value, frame) for k in node.keywords]
            written += [self.evaluate(a, frame) for a in node.args]
            literals = frozenset(_string_values(written))
            return replace(receiver, values=receiver.values | literals) if literals else receiver
        if isinstance(receiver, (Sql, Dml)) and name in (
            "bindparams", "columns", "execution_options", "where", "returning", "filter", "inline", "with_only_columns",
        ):
            self.evaluate_arguments(node, frame)
            return receiver
        if isinstance(receiver, Dml) and name == "from_select":
            return replace(receiver, from_select=True)
        if isinstance(receiver, TableConstruct) and name in ("update", "delete", "insert"):
            return Dml(name.upper(), receiver)
        if isinstance(receiver, TableConstruct) and name == "create":
            self.add(CREATE, self.table_ref(receiver.name, receiver.schema), node, frame, "Table.create")
            return None
        if isinstance(receiver, str):
            return self.string_method(receiver, name, node, frame)
        if name == "create_all":
            self.creates_unknown_objects = True
            self.add_unknown(node, frame, "metadata.create_all() creates tables that cannot be named statically")
            return None
        if name in ("get_bind", "get_connection") or _dotted(func) in ("context.get_bind", "op.get_bind"):
            return Bind()
        if name in ("text", "DDL", "literal_column") and node.args:
            value = self.evaluate(node.args[0], frame)
            return Sql(value, _unwrap(node.args[0])) if isinstance(value, str) else value
        if name in ("dedent", "cleandoc") and node.args:
            value = self.evaluate(node.args[0], frame)
            if isinstance(value, str):
                return textwrap.dedent(value) if name == "dedent" else _cleandoc(value)
            return value
        if name in ("f", "conv", "quoted_name") and node.args:
            return self.evaluate(node.args[0], frame)
        if name in ("str",) and node.args:
            value = self.evaluate(node.args[0], frame)
            return str(value) if _plain(value) else value
        if name in ("table", "Table") and node.args:
            return self.table_construct(node, frame)
        if name in ("update", "delete", "insert") and node.args:
            target = self.evaluate(node.args[0], frame)
            if isinstance(target, TableConstruct):
                return Dml(name.upper(), target)
            return Unknown("a statement on a table only known at run time")
        if name == "ReplaceableObject":
            return self.entity(node, frame, "replaceable", ("name", "sqltext"))
        if name == "PGView":
            return self.entity(node, frame, VIEW, ("schema", "signature", "definition"))
        if name == "PGMaterializedView":
            return self.entity(node, frame, MATVIEW, ("schema", "signature", "definition"))
        if name == "PGPolicy":
            return self.entity(node, frame, POLICY, ("schema", "signature", "on_entity", "definition"))
        if name in _OTHER_ENTITIES:
            return Entity("other", name, None)
        if name in _UNTRACKED_CONSTRUCTS or isinstance(receiver, Untracked):
            self.evaluate_arguments(node, frame)
            return Untracked(name)
        if name in ("Column", "ForeignKey", "ForeignKeyConstraint", "Index", "UniqueConstraint", "PrimaryKeyConstraint", "CheckConstraint"):
            return Deferred(node, frame.scope)
        callee = receiver if isinstance(func, ast.Attribute) else self.lookup(func.id, frame) if isinstance(func, ast.Name) else None
        if isinstance(callee, LocalFunction):
            return self.inline(callee.node, node, frame)
        self.evaluate_arguments(node, frame)
        return Unknown(f"the result of `{_dotted(func) or name}()` is only known at run time")

    def evaluate_arguments(self, node: ast.Call, frame: _Frame) -> None:
        """Arguments may themselves run operations (e.g. a helper call passed along)."""
        for argument in node.args:
            if isinstance(argument, ast.Call):
                self.evaluate(argument, frame)
        for keyword in node.keywords:
            if isinstance(keyword.value, ast.Call):
                self.evaluate(keyword.value, frame)

    def string_method(self, value: str, name: str, node: ast.Call, frame: _Frame) -> Any:
        args = [self.evaluate(a, frame) for a in node.args]
        kwargs = {k.arg: self.evaluate(k.value, frame) for k in node.keywords if k.arg}
        if any(isinstance(a, Unknown) for a in [*args, *kwargs.values()]) or any(k.arg is None for k in node.keywords):
            return Unknown(f"str.{name}() over a value only known at run time")
        try:
            if name == "format":
                if not _safe_format(value) or not all(_plain(a) for a in [*args, *kwargs.values()]):
                    return Unknown("str.format() with a value only known at run time")
                return value.format(*args, **kwargs)
            if name == "join" and len(args) == 1 and isinstance(args[0], (tuple, list)) and all(isinstance(a, str) for a in args[0]):
                return value.join(args[0])
            if name in ("strip", "lstrip", "rstrip", "lower", "upper", "replace", "removeprefix", "removesuffix") and all(
                isinstance(a, str) for a in args
            ):
                return getattr(value, name)(*args)
        except (ValueError, TypeError, IndexError, KeyError):
            pass
        return Unknown(f"str.{name}() is not followed")

    def inline(self, function: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.Call, frame: _Frame) -> Any:
        if frame.depth >= MAX_DEPTH or function.name in frame.stack:
            self.evaluate_arguments(node, frame)
            return Unknown(f"{function.name}() is called too deeply to follow")
        scope = Scope()
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        values = [self.evaluate(a, frame) if not isinstance(a, ast.Starred) else Unknown("*args") for a in node.args]
        defaults = arguments.defaults
        for index, parameter in enumerate(positional):
            default_index = index - (len(positional) - len(defaults))
            if index < len(values):
                scope.names[parameter.arg] = values[index]
            elif default_index >= 0:
                scope.names[parameter.arg] = self.evaluate(defaults[default_index], frame)
            else:
                scope.names[parameter.arg] = Unknown(f"`{parameter.arg}` has no value")
        if arguments.vararg is not None:
            scope.names[arguments.vararg.arg] = tuple(values[len(positional):])
        for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
            scope.names[parameter.arg] = self.evaluate(default, frame) if default is not None else Unknown("no value")
        for keyword in node.keywords:
            if keyword.arg is not None:
                scope.names[keyword.arg] = self.evaluate(keyword.value, frame)
        site = frame.site or node_location(node)
        inner = _Frame(scope, frame.depth + 1, site, (*frame.stack, function.name))
        self.run_body(function.body, inner)
        return inner.returned

    # -- arguments ------------------------------------------------------------------------------

    def argument(self, node: ast.Call, position: int | None, *keywords: str) -> ast.expr | None:
        for keyword in node.keywords:
            if keyword.arg in keywords:
                return keyword.value
        if position is None or position >= len(node.args):
            return None
        for argument in node.args[: position + 1]:
            if isinstance(argument, ast.Starred):
                return None  # after *args, positions are only known at run time
        return node.args[position]

    def name_argument(self, node: ast.Call, frame: _Frame, position: int | None, *keywords: str, what: str = "table name") -> str | None:
        """A name argument that must be a string; anything else is recorded as unknown."""
        expression = self.argument(node, position, *keywords)
        if expression is None:
            return None
        value = self.evaluate(expression, frame)
        if isinstance(value, TableConstruct):
            return value.name
        if isinstance(value, str):
            return value
        if value is None:
            return None  # e.g. create_index(None, ...): the naming convention names it
        reason = value.reason if isinstance(value, Unknown) else f"the {what} is not a string"
        self.add_unknown(node, frame, f"the {what} is only known at run time ({reason})")
        return None

    def schema_argument(self, node: ast.Call, frame: _Frame, position: int | None, *keywords: str) -> tuple[bool, str | None]:
        """(known, schema): `known` is False when the schema is given but only known at run time."""
        expression = self.argument(node, position, *keywords)
        if expression is None:
            return True, None
        value = self.evaluate(expression, frame)
        if value is None or isinstance(value, str):
            return True, value or None
        self.add_unknown(node, frame, "the schema is only known at run time")
        return False, None

    def flag(self, node: ast.Call, frame: _Frame, position: int | None, *keywords: str) -> bool:
        expression = self.argument(node, position, *keywords)
        return expression is not None and self.evaluate(expression, frame) is True

    def table_ref(self, name: str, schema: str | None, kind: str = TABLE) -> ObjectRef:
        # Alembic never splits a table name on dots: "s.t" is a table named "s.t".
        return ObjectRef(kind, schema or self.sql.search_schema, name)

    def object_argument(
        self, node: ast.Call, frame: _Frame, name_pos: int | None, name_kws: tuple[str, ...], schema_pos: int | None,
        schema_kws: tuple[str, ...] = ("schema",), kind: str = TABLE, what: str = "table name",
    ) -> ObjectRef | None:
        name = self.name_argument(node, frame, name_pos, *name_kws, what=what)
        if name is None:
            return None
        known, schema = self.schema_argument(node, frame, schema_pos, *schema_kws)
        if not known:
            return None
        expression = self.argument(node, name_pos, *name_kws)
        if schema is None and expression is not None:
            value = self.evaluate(expression, frame)
            if isinstance(value, TableConstruct):
                schema = value.schema
        return self.table_ref(name, schema, kind)

    # -- op.* -----------------------------------------------------------------------------------

    def op_call(self, operation: str, node: ast.Call, frame: _Frame) -> Any:
        self.op_start = len(self.effects)
        handler = getattr(self, f"op_{operation}", None)
        if handler is not None:
            return handler(node, frame)
        if operation == "get_bind":
            return Bind()
        if operation in ("f",) and node.args:
            return self.evaluate(node.args[0], frame)
        if operation not in _HARMLESS_OPS:
            self.evaluate_arguments(node, frame)
            self.add_unknown(node, frame, f"op.{operation}() is not an operation driftlint knows")
        return Unknown(f"the result of op.{operation}()")

    def op_create_table(self, node: ast.Call, frame: _Frame) -> Any:
        table = self.object_argument(node, frame, 0, ("table_name", "name"), None)
        if table is None:
            return Unknown("a table only known at run time")
        guarded = self.flag(node, frame, None, "if_not_exists")
        self.add(CREATE, table, node, frame, "create_table", guarded)
        for item in node.args[1:]:
            self.schema_item(item, table, node, frame)
        self.column_types(table, node.args[1:], frame)
        return TableConstruct(table.name, table.schema)

    def op_drop_table(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 0, ("table_name", "name"), 1)
        guarded = self.flag(node, frame, None, "if_exists")
        if table is not None:
            self.operation(DROP_TABLE, table, self.span(node, frame), flags=(IF_EXISTS,) if guarded else ())
        self.add(DROP, table, node, frame, "drop_table", guarded)

    def op_rename_table(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 0, ("old_table_name",), 2)
        new = self.name_argument(node, frame, 1, "new_table_name")
        if table is not None and new is not None:
            self.operation(RENAME_TABLE, table, self.span(node, frame), name=new)
            self.add(RENAME, table, node, frame, new)

    def op_add_column(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 0, ("table_name",), 2)
        if table is None:
            return
        self.add(ALTER, table, node, frame, "add_column")
        column = self.argument(node, 1, "column")
        if column is not None:
            self.schema_item(column, table, node, frame)
            self.added_column(table, column, node, frame)

    def op_drop_column(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 0, ("table_name",), 2)
        self.dropped_column(table, self.argument(node, 1, "column_name"), node, frame)
        self.add(ALTER, table, node, frame, "drop_column")

    def op_alter_column(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 0, ("table_name",), 11)
        nullable = self.argument(node, 2, "nullable")
        not_null = nullable is not None and self.evaluate(nullable, frame) is False
        if table is not None:
            self.altered_column(table, node, frame, 1)
        self.add(ALTER, table, node, frame, "SET NOT NULL" if not_null else "alter_column")

    def op_create_foreign_key(self, node: ast.Call, frame: _Frame) -> None:
        source = self.object_argument(node, frame, 1, ("source_table", "source"), 10, ("source_schema",))
        referent = self.object_argument(node, frame, 2, ("referent_table", "referent"), 11, ("referent_schema",))
        if source is not None:
            self.constraint(FOREIGN_KEY, source, node, frame, other=referent)
        self.add(ALTER, source, node, frame, "create_foreign_key")
        self.add(REFERENCE, referent, node, frame, "create_foreign_key")

    def op_drop_constraint(self, node: ast.Call, frame: _Frame) -> None:
        self.add(ALTER, self.object_argument(node, frame, 1, ("table_name",), 3), node, frame, "drop_constraint")

    def op_create_unique_constraint(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 1, ("table_name", "source"), 3)
        if table is not None:
            self.constraint(UNIQUE, table, node, frame)
        self.add(ALTER, table, node, frame, "create_unique_constraint")

    def op_create_primary_key(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 1, ("table_name",), 3)
        if table is not None:
            self.constraint(PRIMARY_KEY, table, node, frame)
        self.add(ALTER, table, node, frame, "create_primary_key")

    def op_create_check_constraint(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 1, ("table_name", "source"), 3)
        if table is not None:
            self.constraint(CHECK, table, node, frame, condition=self.argument(node, 2, "condition"))
        self.add(ALTER, table, node, frame, "create_check_constraint")

    def op_create_exclude_constraint(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 1, ("table_name",), None)
        if table is not None:
            self.constraint(EXCLUDE, table, node, frame)
        self.add(ALTER, table, node, frame, "create_exclude_constraint")

    # -- what migration safety judges in op.* calls ---------------------------------------------

    def constraint(
        self, kind: str, table: ObjectRef, node: ast.Call, frame: _Frame, other: ObjectRef | None = None,
        condition: ast.expr | None = None, name_position: int | None = 0,
    ) -> None:
        """An ADD_CONSTRAINT operation from create_foreign_key, create_check_constraint..."""
        name = self.argument(node, name_position, "constraint_name", "name")
        value = self.evaluate(name, frame) if name is not None else None
        checked = ""
        if condition is not None:
            text = self.evaluate(condition, frame)
            text = text.text if isinstance(text, Sql) else text
            if isinstance(text, str):
                checked = columns.checked_not_null(text)
        flags = (NOT_VALID,) if self.flag(node, frame, None, "postgresql_not_valid") else ()
        self.operation(
            ADD_CONSTRAINT, table, self.span(node, frame), name=value if isinstance(value, str) else "", column=checked,
            detail=kind, flags=flags, other=other,
        )

    def column_types(self, table: ObjectRef, items: Iterable[ast.expr], frame: _Frame) -> None:
        """COLUMN_TYPE operations for the columns of a new table: what the opt-in type rules judge,
        and the type a later type change starts from. Every column of every new table comes
        through here, so the common `sa.Column("name", sa.Type(...), ...)` is read directly."""
        calls: list[tuple[ast.Call, _Frame, bool]] = []
        keys = 0
        for item in items:
            found = self.column_call(item, frame) if not isinstance(item, ast.Call) or _call_name(item.func) != "Column" else (item, frame)
            if found is None:
                continue
            primary = _keyword_true(found[0], "primary_key")
            keys += primary
            calls.append((found[0], found[1], primary))
        position = len(self.effects)
        # SQLAlchemy makes a lone integer primary key SERIAL on PostgreSQL (autoincrement="auto").
        lone_key = keys == 1
        for call, scope, primary in calls:
            name, label = self.column_type(call, scope, lone_key and primary)
            if name and label:
                self.operation(COLUMN_TYPE, table, frame.site or node_location(call), position=position, column=name, detail=label)

    def column_type(self, call: ast.Call, frame: _Frame, serial_candidate: bool) -> tuple[str, str]:
        """(name, PostgreSQL type) of a new table's `sa.Column(...)`, as column_facts reads it.
        `serial_candidate`: it is the table's lone primary-key column."""
        arguments = call.args
        if not arguments:
            return "", ""
        first = arguments[0]
        name = first.value if isinstance(first, ast.Constant) else self.evaluate(first, frame)
        if not isinstance(name, str):
            return "", ""
        type_node = None
        for keyword in call.keywords:
            if keyword.arg == "type_":
                type_node = keyword.value
        if type_node is None and len(arguments) > 1 and _looks_like_type(arguments[1]):
            type_node = arguments[1]
        label = self.type_label(type_node, frame) if type_node is not None else ""
        if serial_candidate and label in _SERIAL_OF:
            # SERIAL, unless something else gives it its values.
            keywords = {k.arg: k.value for k in call.keywords}
            items = {_call_name(a.func) for a in arguments if isinstance(a, ast.Call)}
            automatic = keywords.get("autoincrement")
            if (
                "server_default" not in keywords and not items & {"Identity", "Sequence"}
                and not (automatic is not None and self.evaluate(automatic, frame) is False)
            ):
                label = _SERIAL_OF[label]
        return name, label

    def added_column(self, table: ObjectRef, expression: ast.expr, node: ast.Call, frame: _Frame) -> None:
        found = self.column_call(expression, frame)
        if found is None:
            return
        facts = self.column_facts(found[0], found[1], True)
        if facts is not None:
            self.operation(ADD_COLUMN, table, self.span(node, frame), column=facts.name, detail=facts.label,
                           flags=facts.flags, other=facts.target, values=facts.values)

    def dropped_column(self, table: ObjectRef | None, expression: ast.expr | None, node: ast.Call, frame: _Frame) -> None:
        name = self.evaluate(expression, frame) if expression is not None else None
        if table is not None and isinstance(name, str):
            flags = (IF_EXISTS,) if self.flag(node, frame, None, "if_exists") else ()
            self.operation(DROP_COLUMN, table, self.span(node, frame), column=name, flags=flags)

    def altered_column(self, table: ObjectRef, node: ast.Call, frame: _Frame, column_position: int) -> None:
        """alter_column(...) and batch_op.alter_column(...): `column_position` is where the column
        name sits; the pre-1.11 positional parameters follow it in Alembic's order."""
        expression = self.argument(node, column_position, "column_name")
        column = self.evaluate(expression, frame) if expression is not None else None
        if not isinstance(column, str):
            return
        span = self.span(node, frame)
        after = column_position + 1
        nullable = self.argument(node, after, "nullable")
        if nullable is not None and self.evaluate(nullable, frame) is False:
            self.operation(SET_NOT_NULL, table, span, column=column)
        default = self.argument(node, after + 2, "server_default")
        if default is not None:
            literal = self.evaluate(default, frame)
            if isinstance(literal, str) and literal:
                self.operation(USE_VALUES, table, span, column=column, detail="server_default", values=frozenset({literal}))
        new_type = self.argument(node, after + 4, "type_")
        if new_type is not None:
            label = self.type_label(new_type, frame)
            existing = self.argument(node, after + 5, "existing_type")
            old = self.type_label(existing, frame) if existing is not None else ""
            using = self.argument(node, None, "postgresql_using") is not None
            flags = (BINARY_COERCIBLE,) if not using and columns.binary_coercible(old, label) else ()
            self.operation(ALTER_COLUMN_TYPE, table, span, column=column, detail=label, other_detail=old, flags=flags)
        new_name = self.argument(node, after + 3, "new_column_name")
        if new_name is not None:
            renamed = self.evaluate(new_name, frame)
            if isinstance(renamed, str) and renamed != column:
                self.operation(RENAME_COLUMN, table, span, column=column, name=renamed)

    def column_call(self, expression: ast.expr, frame: _Frame) -> tuple[ast.Call, _Frame] | None:
        """The `sa.Column(...)` an argument stands for (through a local name), and its frame."""
        if isinstance(expression, ast.Name):
            value = self.lookup(expression.id, frame)
            if isinstance(value, Deferred) and isinstance(value.node, ast.Call) and _call_name(value.node.func) == "Column":
                return value.node, _Frame(value.scope, frame.depth, frame.site, frame.stack)
            return None
        if isinstance(expression, ast.Call) and _call_name(expression.func) == "Column":
            return expression, frame
        return None

    def column_facts(self, call: ast.Call, frame: _Frame, lone_key: bool) -> _ColumnFacts | None:
        """Name, PostgreSQL type, flags and foreign-key target of a `sa.Column(...)`.

        `lone_key`: whether it is the table's only primary-key column, which SQLAlchemy renders as
        SERIAL when it is an integer with no other default."""
        arguments = list(call.args)
        name = ""
        if arguments and not _looks_like_type(arguments[0]):
            value = self.evaluate(arguments.pop(0), frame)
            if not isinstance(value, str):
                return None
            name = value
        keyword = {k.arg: k.value for k in call.keywords if k.arg}
        type_node = keyword.get("type_") or (arguments[0] if arguments and _looks_like_type(arguments[0]) else None)
        label = self.type_label(type_node, frame) if type_node is not None else ""
        flags: set[str] = set()
        target = None
        items = {_call_name(a.func): a for a in arguments if isinstance(a, ast.Call)}
        primary = "primary_key" in keyword and self.evaluate(keyword["primary_key"], frame) is True
        if primary:
            flags.update((PRIMARY_KEY, NOT_NULL))
        if "nullable" in keyword:
            nullable = self.evaluate(keyword["nullable"], frame)
            if nullable is False:
                flags.add(NOT_NULL)
            elif nullable is True:
                flags.discard(NOT_NULL)
        if "unique" in keyword and self.evaluate(keyword["unique"], frame) is True:
            flags.add(UNIQUE)
        values: frozenset[str] = frozenset()
        default = keyword.get("server_default")
        if default is not None and not (isinstance(default, ast.Constant) and default.value is None):
            flags.add(HAS_DEFAULT)
            volatile, literal = self.default_value(default, frame)
            if volatile:
                flags.add(VOLATILE_DEFAULT)
            if literal:
                values = frozenset({literal})
        if "Identity" in items:
            flags.update((IDENTITY, NOT_NULL))
        if "Computed" in items:
            flags.add(GENERATED)
        if "ForeignKey" in items:
            foreign = items["ForeignKey"]
            target_node = self.argument(foreign, 0, "column")
            target_value = self.evaluate(target_node, frame) if target_node is not None else None
            flags.add(FOREIGN_KEY)
            if isinstance(target_value, str) and "." in target_value:
                tokens = target_value.split(".")
                target = self.table_ref(tokens[-2], ".".join(tokens[:-2]) or None)
        automatic = keyword.get("autoincrement")
        if (
            primary and lone_key and label in _SERIAL_OF and HAS_DEFAULT not in flags and IDENTITY not in flags
            and "Sequence" not in items and not (automatic is not None and self.evaluate(automatic, frame) is False)
        ):
            label = _SERIAL_OF[label]
            flags.update((SERIAL, HAS_DEFAULT, VOLATILE_DEFAULT))
        return _ColumnFacts(name, label, frozenset(flags), target, values)

    def default_value(self, node: ast.expr, frame: _Frame) -> tuple[bool, str]:
        """(volatile, the string literal it writes) for a `server_default=`."""
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name == "DefaultClause" and node.args:
                return self.default_value(node.args[0], frame)
            if "func" in _dotted(node.func).split("."):
                return columns.function_volatile(name), ""
            if name in ("false", "true", "null", "literal"):
                return False, ""
        value = self.evaluate(node, frame)
        if isinstance(value, Sql):
            return (columns.expression_volatile(value.text) if isinstance(value.text, str) else False), ""
        if isinstance(value, str):
            return False, value
        return False, ""

    def type_label(self, node: ast.expr, frame: _Frame) -> str:
        """The PostgreSQL type a SQLAlchemy type expression renders as: `integer`, `varchar(200)`,
        `timestamptz`...; a lower-cased class name for types no rule distinguishes."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
            return self.type_label(node.func.value, frame)
        name = _call_name(node.func) if isinstance(node, ast.Call) else _call_name(node)
        base = _SA_TYPES.get(name, name.lower())
        if not isinstance(node, ast.Call):
            return base
        if base == "varchar":
            length = self.argument(node, 0, "length")
            value = self.evaluate(length, frame) if length is not None else None
            return f"varchar({value})" if isinstance(value, int) and not isinstance(value, bool) else base
        if base == "timestamp":
            timezone = self.argument(node, 0, "timezone")
            return "timestamptz" if timezone is not None and self.evaluate(timezone, frame) is True else base
        return base

    def op_create_table_comment(self, node: ast.Call, frame: _Frame) -> None:
        self.add(ALTER, self.object_argument(node, frame, 0, ("table_name",), 3), node, frame, "create_table_comment")

    def op_drop_table_comment(self, node: ast.Call, frame: _Frame) -> None:
        self.add(ALTER, self.object_argument(node, frame, 0, ("table_name",), 2), node, frame, "drop_table_comment")

    def op_create_index(self, node: ast.Call, frame: _Frame) -> None:
        table = self.object_argument(node, frame, 1, ("table_name",), 3)
        name = self.name_argument(node, frame, 0, "index_name", "name", what="index name")
        if table is None:
            return
        self.add(REFERENCE, table, node, frame, "create_index")
        columns = self.argument(node, 2, "columns")
        unique = self.flag(node, frame, 4, "unique")
        self.record_index(name, table, columns, unique, node, frame)

    def record_index(
        self, name: str | None, table: ObjectRef, columns: ast.expr | None, unique: bool, node: ast.Call, frame: _Frame
    ) -> None:
        """An index built on `table`. Without a name (`create_index(None, ...)`, named by the
        metadata's naming convention at run time) it is still built, locks and all, but there is
        no object for the history to follow."""
        flags = (CONCURRENTLY,) if self.flag(node, frame, None, "postgresql_concurrently") else ()
        self.operation(CREATE_INDEX, table, self.span(node, frame), name=name or "", flags=flags)
        if name is None:
            return
        index = ObjectRef(INDEX, table.schema, name)
        partial = self.argument(node, None, "postgresql_where", "sqlite_where") is not None
        if isinstance(columns, (ast.List, ast.Tuple)):
            elements: list[ast.expr] = list(columns.elts)
        else:
            elements = [columns] if columns is not None else []
        expression = any(self.is_expression(element, frame) for element in elements)
        self.add(CREATE, index, node, frame, "create_index", self.flag(node, frame, None, "if_not_exists"))
        self.add_index(index, table, unique, partial, expression, self.span(node, frame))

    def is_expression(self, element: ast.expr, frame: _Frame) -> bool:
        """Whether an index element is an expression (not a plain column), as PostgreSQL sees it."""
        if isinstance(element, ast.Attribute):
            return False  # table.c.name, Model.name
        if isinstance(element, ast.Call):
            name = _call_name(element.func)
            if name == "column":
                return False
            if name in ("text", "literal_column") or "func" in _dotted(element.func).split("."):
                return True
            if name in ("desc", "asc", "nulls_first", "nulls_last") and element.args:
                return self.is_expression(element.args[0], frame)
        value = self.evaluate(element, frame)
        if isinstance(value, (tuple, list)):
            return any(isinstance(v, Sql) or isinstance(v, str) and not _IDENTIFIER.match(v) for v in value)
        if isinstance(value, str):
            # Alembic turns a string that is not a bare name into text (an expression).
            return not _IDENTIFIER.match(value)
        return isinstance(value, Sql)

    def op_drop_index(self, node: ast.Call, frame: _Frame) -> None:
        name = self.name_argument(node, frame, 0, "index_name", "name", what="index name")
        known, schema = self.schema_argument(node, frame, 2, "schema")
        if name is not None and known:
            table_name = self.argument(node, 1, "table_name", "tablename")
            table_value = self.evaluate(table_name, frame) if table_name is not None else None
            table = self.table_ref(table_value, schema) if isinstance(table_value, str) else None
            self.dropped_index(name, table, schema, node, frame)
            self.add(DROP, self.table_ref(name, schema, INDEX), node, frame, "drop_index", self.flag(node, frame, None, "if_exists"))

    def dropped_index(self, name: str, table: ObjectRef | None, schema: str | None, node: ast.Call, frame: _Frame) -> None:
        flags = [CONCURRENTLY] if self.flag(node, frame, None, "postgresql_concurrently") else []
        if self.flag(node, frame, None, "if_exists"):
            flags.append(IF_EXISTS)
        self.operation(DROP_INDEX, table, self.span(node, frame), name=name, flags=flags, other=self.table_ref(name, schema, INDEX))

    def op_bulk_insert(self, node: ast.Call, frame: _Frame) -> None:
        expression = self.argument(node, 0, "table")
        value = self.evaluate(expression, frame) if expression is not None else None
        if isinstance(value, TableConstruct):
            table = self.table_ref(value.name, value.schema)
            rows = self.argument(node, 1, "rows")
            literals = frozenset(_string_values(self.evaluate(rows, frame))) if rows is not None else frozenset()
            if literals:
                self.operation(USE_VALUES, table, self.span(node, frame), detail="bulk_insert", values=literals)
            self.add(REFERENCE, table, node, frame, "INSERT")
        elif expression is not None:
            self.add_unknown(node, frame, "op.bulk_insert() on a table only known at run time")

    def op_execute(self, node: ast.Call, frame: _Frame) -> None:
        argument = self.argument(node, 0, "sqltext", "sql")
        if argument is not None:
            self.execute(argument, node, frame)

    def op_batch_alter_table(self, node: ast.Call, frame: _Frame) -> Any:
        name = self.name_argument(node, frame, 0, "table_name")
        known, schema = self.schema_argument(node, frame, 1, "schema")
        if name is None or not known:
            return Unknown("a batch on a table only known at run time")
        return BatchTable(name, schema)

    def op_create_view(self, node: ast.Call, frame: _Frame) -> None:
        self.replaceable(node, frame, "CREATE VIEW {name} AS {definition}")

    def op_replace_view(self, node: ast.Call, frame: _Frame) -> None:
        self.replaceable(node, frame, "CREATE OR REPLACE VIEW {name} AS {definition}")

    def op_drop_view(self, node: ast.Call, frame: _Frame) -> None:
        self.replaceable(node, frame, "DROP VIEW {name}")

    def op_create_entity(self, node: ast.Call, frame: _Frame) -> None:
        self.alembic_utils(node, frame, "create")

    def op_replace_entity(self, node: ast.Call, frame: _Frame) -> None:
        self.alembic_utils(node, frame, "replace")

    def op_drop_entity(self, node: ast.Call, frame: _Frame) -> None:
        self.alembic_utils(node, frame, "drop")

    # -- batch_op.* -----------------------------------------------------------------------------

    def batch_call(self, batch: BatchTable, operation: str, node: ast.Call, frame: _Frame) -> Any:
        table = self.table_ref(batch.name, batch.schema)
        self.op_start = len(self.effects)
        if operation == "execute":
            self.op_execute(node, frame)
        elif operation == "f" and node.args:
            return self.evaluate(node.args[0], frame)
        elif operation == "add_column":
            self.add(ALTER, table, node, frame, "add_column")
            column = self.argument(node, 0, "column")
            if column is not None:
                self.schema_item(column, table, node, frame)
                self.added_column(table, column, node, frame)
        elif operation == "alter_column":
            nullable = self.argument(node, 1, "nullable")
            not_null = nullable is not None and self.evaluate(nullable, frame) is False
            self.altered_column(table, node, frame, 0)
            self.add(ALTER, table, node, frame, "SET NOT NULL" if not_null else "alter_column")
        elif operation == "create_foreign_key":
            referent = self.object_argument(node, frame, 1, ("referent_table", "referent"), None, ("referent_schema",))
            self.constraint(FOREIGN_KEY, table, node, frame, other=referent)
            self.add(ALTER, table, node, frame, "create_foreign_key")
            self.add(REFERENCE, referent, node, frame, "create_foreign_key")
        elif operation == "create_index":
            self.add(REFERENCE, table, node, frame, "create_index")
            name = self.name_argument(node, frame, 0, "index_name", "name", what="index name")
            self.record_index(name, table, self.argument(node, 1, "columns"), self.flag(node, frame, None, "unique"), node, frame)
        elif operation == "drop_index":
            name = self.name_argument(node, frame, 0, "index_name", "name", what="index name")
            if name is not None:
                self.dropped_index(name, table, table.schema, node, frame)
                self.add(DROP, ObjectRef(INDEX, table.schema, name), node, frame, "drop_index", self.flag(node, frame, None, "if_exists"))
        elif operation in (
            "drop_column", "create_unique_constraint", "create_primary_key", "create_check_constraint",
            "drop_constraint", "create_table_comment", "drop_table_comment", "create_exclude_constraint",
        ):
            if operation == "drop_column":
                self.dropped_column(table, self.argument(node, 0, "column_name"), node, frame)
            elif operation in _BATCH_CONSTRAINTS:
                condition = self.argument(node, 1, "condition") if operation == "create_check_constraint" else None
                self.constraint(_BATCH_CONSTRAINTS[operation], table, node, frame, condition=condition)
            self.add(ALTER, table, node, frame, operation)
        else:
            self.evaluate_arguments(node, frame)
        return None

    # -- SQLAlchemy schema items ----------------------------------------------------------------

    def schema_item(self, expression: ast.expr, table: ObjectRef, call: ast.Call, frame: _Frame, depth: int = 0) -> None:
        """Foreign keys and indexes inside create_table/add_column arguments."""
        if depth > 4:
            return
        scope_frame = frame
        if isinstance(expression, ast.Name):
            value = self.lookup(expression.id, frame)
            if isinstance(value, Deferred):
                self.schema_item(value.node, table, call, _Frame(value.scope, frame.depth, frame.site, frame.stack), depth + 1)
            return
        if isinstance(expression, ast.Starred):
            value = self.evaluate(expression.value, frame)
            if isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, Deferred):
                        self.schema_item(item.node, table, call, _Frame(item.scope, frame.depth, frame.site, frame.stack), depth + 1)
            return
        if not isinstance(expression, ast.Call):
            return
        kind = _call_name(expression.func)
        if kind == "Column":
            for argument in expression.args:
                # Only a ForeignKey (inline or through a name) matters among a column's arguments.
                if isinstance(argument, ast.Name) or isinstance(argument, ast.Call) and _call_name(argument.func) == "ForeignKey":
                    self.schema_item(argument, table, call, scope_frame, depth + 1)
        elif kind == "ForeignKey":
            target = self.argument(expression, 0, "column")
            self.foreign_key_target(target, expression, scope_frame)
        elif kind == "ForeignKeyConstraint":
            targets = self.argument(expression, 1, "refcolumns")
            value = self.evaluate(targets, scope_frame) if targets is not None else ()
            if isinstance(value, (tuple, list)):
                seen: set[ObjectRef] = set()
                for item in value:
                    ref = self.dotted_target(item, expression, scope_frame)
                    if ref is not None and ref not in seen:
                        seen.add(ref)
                        self.add(REFERENCE, ref, expression, scope_frame, "ForeignKeyConstraint")
            else:
                self.add_unknown(expression, scope_frame, "a foreign key target only known at run time")
        elif kind == "Index":
            name = self.evaluate(expression.args[0], scope_frame) if expression.args else None
            if isinstance(name, str):
                index = ObjectRef(INDEX, table.schema, name)
                expressions = expression.args[1:]
                is_expression = any(not (isinstance(e, ast.Constant) and isinstance(e.value, str) and _IDENTIFIER.match(e.value)) and not _is_column_attribute(e) for e in expressions)
                unique = self.flag(expression, scope_frame, None, "unique")
                partial = self.argument(expression, None, "postgresql_where") is not None
                self.add(CREATE, index, expression, scope_frame, "Index")
                self.add_index(index, table, unique, partial, is_expression, self.span(expression, scope_frame))

    def foreign_key_target(self, target: ast.expr | None, node: ast.Call, frame: _Frame) -> None:
        if target is None:
            return
        ref = self.dotted_target(self.evaluate(target, frame), node, frame)
        if ref is not None:
            self.add(REFERENCE, ref, node, frame, "ForeignKey")

    def dotted_target(self, value: Any, node: ast.Call, frame: _Frame) -> ObjectRef | None:
        """SQLAlchemy splits "schema.table.column": the last two tokens are table and column."""
        if not isinstance(value, str):
            self.add_unknown(node, frame, "a foreign key target only known at run time")
            return None
        tokens = value.split(".")
        if len(tokens) < 2:
            return None
        schema = ".".join(tokens[:-2]) or None
        return self.table_ref(tokens[-2], schema)

    # -- SQL ------------------------------------------------------------------------------------

    def execute(self, argument: ast.expr, call: ast.Call, frame: _Frame, quiet: bool = False) -> None:
        value = self.evaluate(argument, frame)
        if isinstance(value, Sql):
            self.run_sql(value.text, self.origin(value.node or _unwrap(argument), frame), call, frame)
        elif isinstance(value, str):
            self.run_sql(value, self.origin(_unwrap(argument), frame), call, frame)
        elif isinstance(value, Dml):
            table = self.table_ref(value.table.name, value.table.schema)
            if value.values:
                self.operation(USE_VALUES, table, self.span(call, frame), position=len(self.effects), detail=value.verb,
                               values=value.values)
            if value.verb == "INSERT":
                self.add(REFERENCE, table, call, frame, "INSERT" + (" ... SELECT" if value.from_select else ""))
            else:
                self.add(BACKFILL, table, call, frame, value.verb)
        elif isinstance(value, Unknown) and not quiet:
            self.add_unknown(argument, frame, f"SQL only known at run time ({value.reason})")

    def origin(self, node: ast.AST | None, frame: _Frame) -> ast.AST | None:
        """The literal a SQL string comes from, following a module constant's name."""
        if isinstance(node, ast.Name) and node.id in frame.scope.origins:
            return frame.scope.origins[node.id]
        seen = 0
        while isinstance(node, ast.Name) and node.id not in frame.scope.names and node.id in self.module.constants and seen < 5:
            node = _unwrap(self.module.constants[node.id])
            seen += 1
        return node

    def run_sql(self, text: str, origin: ast.AST | None, call: ast.Call, frame: _Frame) -> None:
        if not text.strip():
            return
        if len(text) > MAX_STRING:
            self.add_unknown(
                call, frame, f"SQL of {len(text):,} characters is longer than driftlint reads ({MAX_STRING:,})", text[:200]
            )
            return
        result = self.sql.analyze(text)
        locate = self.locator(origin, text, call, frame)
        shared = self.shared
        first = len(self.effects)
        call_span = self.span(call, frame)
        for effect in result.effects:
            span = locate(effect.offset, _name_length(text, effect.offset, effect.obj.name))
            self.effects.append(
                Effect(effect.action, shared(effect.obj), shared(span), effect.detail, effect.guarded, self.engine, self.branch)
            )
        for operation in result.operations:
            if operation.kind == COMMIT:
                self.autocommit = True
            elif operation.kind == BEGIN:
                self.autocommit = False
            name = operation.table.name if operation.table is not None else operation.name
            span = locate(operation.offset, _name_length(text, operation.offset, name))
            if span[0] != call_span[0]:
                # Begin on the call's line: a suppression comment cannot go inside the SQL string.
                span = (call_span[0], call_span[1], span[2], span[3])
            self.operation(
                operation.kind, operation.table, span, position=first + operation.effects_before, name=operation.name,
                column=operation.column, detail=operation.detail, flags=(*operation.flags, FROM_SQL),
                other=operation.other, values=operation.values,
            )
        for index in result.indexes:
            span = locate(index.offset, _name_length(text, index.offset, index.table.name))
            self.add_index(index.index, index.table, index.unique, index.partial, index.expression, span)
        for problem in result.problems:
            self.unknown.append(UnknownSql(locate(problem.offset, 0), problem.reason, _excerpt(problem.text), _words(problem.text)))

    def locator(self, origin: ast.AST | None, text: str, call: ast.Call, frame: _Frame) -> Any:
        """Map an offset in the SQL to its line in the file when the SQL is one verbatim literal."""
        fallback = self.span(call, frame)
        if frame.site is not None or not isinstance(origin, ast.Constant) or origin.value != text:
            return lambda offset, length: fallback
        segment = self.segment(origin)
        if not segment:
            return lambda offset, length: fallback
        prefix = len(segment) - len(segment.lstrip("rRuUbBfF"))
        body = segment[prefix:]
        quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
        if body[len(quote):len(body) - len(quote)] != text:
            return lambda offset, length: fallback
        # Characters throughout: the tree's columns, the literal's prefix and quote, and the SQL
        # offsets (driftlint.schema.sql converts libpg_query's bytes).
        start_column = origin.col_offset + prefix + len(quote)
        line_starts = [0]
        newline = text.find("\n")
        while newline >= 0:
            line_starts.append(newline + 1)
            newline = text.find("\n", newline + 1)

        def locate(offset: int | None, length: int) -> Span:
            if offset is None:
                return fallback
            line = _bisect(line_starts, offset)
            column = offset - line_starts[line] + (start_column if line == 0 else 0)
            row = origin.lineno + line
            return (row, column + 1, row, column + 1 + length)

        return locate

    # -- views and policies from libraries ------------------------------------------------------

    def entity(self, node: ast.Call, frame: _Frame, kind: str, parameters: tuple[str, ...]) -> Any:
        values: dict[str, Any] = {}
        for index, parameter in enumerate(parameters):
            expression = self.argument(node, index, parameter)
            values[parameter] = self.evaluate(expression, frame) if expression is not None else None
        if kind == "replaceable":
            name, definition = values["name"], values["sqltext"]
            if not isinstance(name, str):
                return Unknown("a replaceable object whose name is only known at run time")
            return Entity(kind, name, definition if isinstance(definition, str) else None)
        name = values["signature"]
        schema = values["schema"]
        if not isinstance(name, str) or not isinstance(schema, str):
            return Unknown("an entity whose name is only known at run time")
        definition = values["definition"]
        on = values.get("on_entity")
        return Entity(kind, name, definition if isinstance(definition, str) else None, schema, on if isinstance(on, str) else None)

    def replaceable(self, node: ast.Call, frame: _Frame, template: str) -> None:
        expression = self.argument(node, 0, "operation", "target", "obj")
        value = self.evaluate(expression, frame) if expression is not None else None
        if not isinstance(value, Entity) or value.kind != "replaceable":
            self.add_unknown(node, frame, "a view whose definition is only known at run time")
            return
        if value.definition is None and "{definition}" in template:
            self.add(CREATE, self.sql.qualified([{"String": {"sval": p}} for p in value.name.split(".")], VIEW), node, frame, "create_view")
            self.add_unknown(node, frame, "a view body only known at run time")
            return
        self.run_sql(template.format(name=value.name, definition=value.definition), None, node, frame)

    def alembic_utils(self, node: ast.Call, frame: _Frame, verb: str) -> None:
        expression = self.argument(node, 0, "entity", "target")
        value = self.evaluate(expression, frame) if expression is not None else None
        if not isinstance(value, Entity) or value.kind in ("replaceable", "other"):
            if not isinstance(value, Entity):
                self.add_unknown(node, frame, "an alembic_utils entity only known at run time")
            return
        if value.kind == POLICY:
            if value.on is None:
                return
            table_schema, _, table_name = value.on.rpartition(".")
            schema = _unquote(table_schema) or value.schema or self.default_schema
            table = ObjectRef(TABLE, schema, _unquote(table_name))
            policy = ObjectRef(POLICY, schema, value.name, table.name)
            self.add(REFERENCE, table, node, frame, "PGPolicy")
            self.add(DROP if verb == "drop" else CREATE, policy, node, frame, f"{verb}_entity", verb == "replace")
            return
        keyword = "MATERIALIZED VIEW" if value.kind == MATVIEW else "VIEW"
        target = f'{value.schema}."{value.name}"'
        if verb == "drop":
            self.run_sql(f"DROP {keyword} {target}", None, node, frame)
        elif value.definition is None:
            self.add(CREATE, ObjectRef(value.kind, value.schema or self.default_schema, value.name), node, frame, f"{verb}_entity", verb == "replace")
        else:
            replace = "OR REPLACE " if verb == "replace" and value.kind == VIEW else ""
            self.run_sql(f"CREATE {replace}{keyword} {target} AS {value.definition}", None, node, frame)

    def table_construct(self, node: ast.Call, frame: _Frame) -> Any:
        name = self.evaluate(node.args[0], frame)
        known, schema = self.schema_argument(node, frame, None, "schema")
        if not isinstance(name, str) or not known:
            return Unknown("a table whose name is only known at run time")
        if _call_name(node.func) == "Table" and self.argument(node, None, "autoload_with", "autoload") is not None:
            self.add(REFERENCE, self.table_ref(name, schema), node, frame, "reflect")
        return TableConstruct(name, schema)


# -- helpers ----------------------------------------------------------------------------------------


def _is_op(node: ast.expr, frame: _Frame) -> bool:
    if isinstance(node, ast.Name):
        # A helper's `op` parameter is still Alembic's op (nothing else is passed as `op`).
        return node.id == "op" and isinstance(frame.scope.names.get("op", Unknown("")), Unknown)
    return _dotted(node) == "alembic.op"


@dataclass(frozen=True)
class _ColumnFacts:
    name: str
    label: str
    flags: frozenset[str]
    target: ObjectRef | None
    values: frozenset[str]  # a string server_default: the value it writes into every row


_NO_FLAGS: frozenset[str] = frozenset()
# SQLAlchemy type names, generic and dialect spellings, as the PostgreSQL types they render.
_SA_TYPES = {
    "Integer": "integer", "INTEGER": "integer", "INT": "integer",
    "SmallInteger": "smallint", "SMALLINT": "smallint",
    "BigInteger": "bigint", "BIGINT": "bigint",
    "String": "varchar", "VARCHAR": "varchar", "Unicode": "varchar", "NVARCHAR": "varchar",
    "Text": "text", "TEXT": "text", "UnicodeText": "text",
    "DateTime": "timestamp", "TIMESTAMP": "timestamp",
    "CHAR": "char", "Boolean": "boolean", "BOOLEAN": "boolean",
}
_SERIAL_OF = {"integer": "serial", "smallint": "smallserial", "bigint": "bigserial"}
_SCHEMA_ITEMS = {"ForeignKey", "Identity", "Computed", "Sequence", "CheckConstraint", "FetchedValue", "DefaultClause"}
_BATCH_CONSTRAINTS = {
    "create_unique_constraint": UNIQUE,
    "create_primary_key": PRIMARY_KEY,
    "create_check_constraint": CHECK,
    "create_exclude_constraint": EXCLUDE,
}


def _looks_like_type(node: ast.expr) -> bool:
    """Whether a positional `sa.Column` argument is its type rather than its name or a schema item."""
    if isinstance(node, ast.Constant):
        return False
    name = _call_name(node.func) if isinstance(node, ast.Call) else _call_name(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
        return True
    return bool(name) and name not in _SCHEMA_ITEMS and name[:1].isupper()


def _keyword_true(call: ast.Call, name: str) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)


def _string_values(value: Any) -> Iterator[str]:
    """The short string literals inside evaluated values (rows, `.values(...)` arguments)."""
    if isinstance(value, str):
        if 0 < len(value) <= 63:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _string_values(item)
    elif isinstance(value, (tuple, list)):
        for item in value[:MAX_LOOP]:
            yield from _string_values(item)


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether a block ends by leaving the function (`return`, `raise`)."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def _is_name(value: Any) -> bool:
    """Whether a value is the name of the database a migration runs on (Extractor.database_attribute)."""
    return isinstance(value, Database) and value.kind == NAME


def _names_postgres(text: str, *, prefix: bool = False, substring: bool = False) -> bool | None:
    """Whether a dialect name, a URL scheme prefix (`prefix`) or a piece of a URL (`substring`)
    is PostgreSQL's; None when it names one PostgreSQL driver (`postgresql+asyncpg`), which the
    database alone does not decide."""
    text = text.lower()
    if text.startswith("postgresql+"):
        return None
    if prefix:
        return any(name.startswith(text) for name in _POSTGRES_NAMES) or text.startswith(("postgresql:", "postgres:"))
    if substring:
        return any(text in name for name in _POSTGRES_NAMES)
    return text in _POSTGRES_NAMES


def _unwrap(node: ast.expr) -> ast.expr:
    """The literal inside sa.text("...") / textwrap.dedent("...") (for positions)."""
    while isinstance(node, ast.Call) and node.args and _call_name(node.func) in ("text", "DDL", "dedent"):
        node = node.args[0]
    return node


def _binary(operator: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    try:
        if isinstance(operator, ast.Add):
            if isinstance(left, Sql):
                left = left.text
            if isinstance(right, Sql):
                right = right.text
            if isinstance(left, (str, tuple, list, int, float)) and type(left) is type(right):
                return cast(Any, left) + right
            if isinstance(left, (tuple, list)) and isinstance(right, (tuple, list)):
                return tuple(left) + tuple(right)
        elif isinstance(operator, ast.Mod) and isinstance(left, str):
            if isinstance(right, tuple) and all(_plain(v) for v in right) or _plain(right) or (
                isinstance(right, dict) and all(_plain(v) for v in right.values())
            ):
                return left % right
        elif isinstance(operator, ast.Mult) and isinstance(left, (str, tuple)) and isinstance(right, int) and right < 1000:
            return left * right
    except (TypeError, ValueError, KeyError):
        pass
    return Unknown("an expression only known at run time")


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _safe_format(template: str) -> bool:
    """Only positional and simple named fields: no attribute or item access in str.format."""
    try:
        for _, field_name, _, _ in string.Formatter().parse(template):
            if field_name and not (field_name.isdigit() or field_name.isidentifier()):
                return False
    except ValueError:
        return False
    return True


def _cleandoc(value: str) -> str:
    import inspect

    return inspect.cleandoc(value)


def _unquote(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name


def _is_column_attribute(node: ast.expr) -> bool:
    """`table.c.name` / `Model.name` / `sa.column("x")`: a plain column in an index."""
    if isinstance(node, ast.Attribute):
        return True
    return isinstance(node, ast.Call) and _call_name(node.func) == "column"


def _bisect(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def upgrade_functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """upgrade(), or for the multidb template (upgrade(engine_name)) every upgrade_<engine>()."""
    functions = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    upgrade = functions.get("upgrade")
    engines = {name[len("upgrade_"):]: f for name, f in functions.items() if name.startswith("upgrade_")}
    takes_engine = upgrade is not None and bool(upgrade.args.args or upgrade.args.posonlyargs)
    if takes_engine and engines:
        for engine in sorted(engines):
            yield engines[engine], engine
    elif upgrade is not None:
        yield upgrade, ""


def extract(tree: ast.Module, source: SourceFile, settings: Settings) -> RevisionEffects:
    """The schema effects of one revision file's upgrade path, in execution order."""
    if "def upgrade" not in source.text:
        return EMPTY
    interpreter = Interpreter(tree, source, settings)
    for function, engine in upgrade_functions(tree):
        interpreter.run_function(function, engine)
    return interpreter.result()


_SQL_IDENTIFIER = re.compile(r'"(?:[^"]|"")*"|[^\W\d][\w$]*')
_SQL_DOT = re.compile(r"[ \t]*\.[ \t]*")


def _name_length(text: str, offset: int | None, name: str) -> int:
    """How many characters of `text` from `offset` name the object `name` as the SQL writes it:
    with its schema (`public.tenants`) and quotes (`"Tenants"`); len(name) when that is not what
    stands there, or when it goes on past the line."""
    if offset is None:
        return len(name)
    position, end = offset, None
    for _part in range(3):  # database.schema.name at most
        match = _SQL_IDENTIFIER.match(text, position)
        if match is None:
            break
        part = match.group(0)
        if part.startswith('"'):
            if part[1:-1].replace('""', '"') == name:
                end = match.end()
        elif part.lower() == name.lower():
            end = match.end()
        dot = _SQL_DOT.match(text, match.end())
        if dot is None:
            break
        position = dot.end()
    return end - offset if end is not None else len(name)
