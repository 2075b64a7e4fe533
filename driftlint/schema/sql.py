"""Schema effects of raw PostgreSQL text, parsed with pglast (libpg_query) and never executed."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from driftlint.schema import columns
from driftlint.schema.model import (
    ADD_COLUMN,
    ADD_CONSTRAINT,
    ADD_ENUM_VALUE,
    ALTER,
    ALTER_COLUMN_TYPE,
    BACKFILL,
    BEGIN,
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
    EXCLUDE,
    FOREIGN_KEY,
    IF_EXISTS,
    INDEX,
    MATVIEW,
    NOT_VALID,
    POLICY,
    PRIMARY_KEY,
    READ,
    REFERENCE,
    REINDEX,
    RENAME,
    RENAME_COLUMN,
    RENAME_TABLE,
    RLS_DISABLE,
    RLS_ENABLE,
    RLS_FORCE,
    ROW_SECURITY_OFF,
    SET_LOCK_TIMEOUT,
    SET_NOT_NULL,
    TABLE,
    UNIQUE,
    USE_VALUES,
    USING_INDEX,
    VALIDATE_CONSTRAINT,
    VIEW,
    ObjectRef,
)

Node = dict[str, Any]

_OBJECT_KINDS = {
    "OBJECT_TABLE": TABLE,
    "OBJECT_FOREIGN_TABLE": TABLE,
    "OBJECT_VIEW": VIEW,
    "OBJECT_MATVIEW": MATVIEW,
    "OBJECT_INDEX": INDEX,
}
_RLS_COMMANDS = {
    "AT_EnableRowSecurity": RLS_ENABLE,
    "AT_ForceRowSecurity": RLS_FORCE,
    "AT_DisableRowSecurity": RLS_DISABLE,
}
_OFF_VALUES = {"off", "false", "0", "no"}
# SQLAlchemy binds (`:name`, in text() and in op.execute strings) and DB-API placeholders
# (`%(name)s`, `%s`) are not PostgreSQL syntax; they only stand where a value goes.
_COLON_PARAM = re.compile(r"(?<![:\w\\]):([A-Za-z_]\w*)")
_PYFORMAT_PARAM = re.compile(r"%\((\w+)\)s|%s")
_CATALOG_SCHEMAS = {"pg_catalog", "information_schema"}
PLACEHOLDER = ObjectRef(TABLE, "", "")
_CONSTRAINT_KINDS = {
    "CONSTR_CHECK": CHECK,
    "CONSTR_FOREIGN": FOREIGN_KEY,
    "CONSTR_UNIQUE": UNIQUE,
    "CONSTR_PRIMARY": PRIMARY_KEY,
    "CONSTR_EXCLUSION": EXCLUDE,
}
_NONE: frozenset[str] = frozenset()
_IF_EXISTS = frozenset({IF_EXISTS})
_CONCURRENT = frozenset({CONCURRENTLY})


@dataclass(frozen=True)
class SqlEffect:
    action: str
    obj: ObjectRef
    offset: int | None  # character offset in the analysed text
    detail: str = ""
    guarded: bool = False


@dataclass(frozen=True)
class SqlIndex:
    index: ObjectRef
    table: ObjectRef
    unique: bool
    partial: bool
    expression: bool
    offset: int | None


@dataclass(frozen=True)
class SqlProblem:
    offset: int | None
    reason: str
    text: str


@dataclass(frozen=True)
class SqlOperation:
    """What migration safety judges in one statement (see driftlint.schema.model.Operation);
    `effects_before` counts the effects of the analysed text recorded before it."""

    kind: str
    table: ObjectRef | None
    offset: int | None
    name: str = ""
    column: str = ""
    detail: str = ""
    flags: frozenset[str] = frozenset()
    other: ObjectRef | None = None
    values: frozenset[str] = frozenset()
    effects_before: int = 0


@dataclass
class SqlResult:
    effects: list[SqlEffect] = field(default_factory=list)
    indexes: list[SqlIndex] = field(default_factory=list)
    problems: list[SqlProblem] = field(default_factory=list)
    operations: list[SqlOperation] = field(default_factory=list)


@functools.lru_cache(maxsize=4096)
def parse_statements(text: str) -> tuple[list[Node], str | None]:
    """pglast's JSON parse tree (an order of magnitude faster than its Python objects).

    Memoized, since revisions repeat statements (`SET LOCAL row_security = off`, refreshes,
    grants): the trees are shared, so they are only ever read.
    """
    from pglast import parser as pg_parser  # imported on first SQL: most revisions have none

    if "\x00" in text:
        # libpg_query would stop at the NUL; the server rejects such a query outright.
        return [], "the text contains a NUL character"
    try:
        return json.loads(pg_parser.parse_sql_json(text)).get("stmts", []), None
    except pg_parser.ParseError as exc:
        error = exc
    if ":" in text or "%" in text:
        # Replace placeholders by `$1` padded to the same length so offsets stay valid, then retry.
        def positional(match: re.Match[str]) -> str:
            return "$1".ljust(len(match.group(0)))

        substituted = _PYFORMAT_PARAM.sub(positional, _COLON_PARAM.sub(positional, text))
        if substituted != text:
            try:
                return json.loads(pg_parser.parse_sql_json(substituted)).get("stmts", []), None
            except pg_parser.ParseError:
                pass
    return [], str(error.args[0]) if error.args else str(error)


class SqlAnalyzer:
    """Turns SQL text into effects; keeps `search_path` across the statements of one revision."""

    def __init__(self, default_schema: str):
        self.default_schema = default_schema
        self.search_schema = default_schema

    # -- entry points ---------------------------------------------------------------------------

    def analyze(self, text: str, *, conditional: bool = False) -> SqlResult:
        result = SqlResult()
        statements, error = parse_statements(text)
        if error is not None:
            result.problems.append(SqlProblem(None, f"PostgreSQL cannot parse it ({error})", text))
            return result
        to_char = _offset_converter(text)
        for raw in statements:
            statement = raw.get("stmt")
            if not statement:
                continue
            start = raw.get("stmt_location", 0)
            (kind, body), = statement.items()
            handler = getattr(self, f"_{kind}", None)
            if handler is None:
                continue
            for item in handler(body, start, text):
                if isinstance(item, SqlEffect):
                    guarded = item.guarded or (conditional and item.action in (CREATE, DROP))
                    result.effects.append(
                        SqlEffect(item.action, item.obj, _convert(to_char, item.offset), item.detail, guarded)
                    )
                elif isinstance(item, SqlIndex):
                    result.indexes.append(
                        SqlIndex(item.index, item.table, item.unique, item.partial, item.expression, _convert(to_char, item.offset))
                    )
                elif isinstance(item, SqlOperation):
                    result.operations.append(
                        replace(item, offset=_convert(to_char, item.offset), effects_before=len(result.effects))
                    )
                else:
                    result.problems.append(SqlProblem(_convert(to_char, item.offset), item.reason, item.text))
        return result

    # -- names ----------------------------------------------------------------------------------

    def relation(self, range_var: Node, kind: str = TABLE) -> ObjectRef | None:
        if range_var.get("relpersistence") == "t":
            return None  # temporary tables live for one session and are nobody else's concern
        schema = range_var.get("schemaname") or self.search_schema
        name = range_var.get("relname")
        if not name:
            return None
        return ObjectRef(kind, schema, name)

    def qualified(self, items: list[Node], kind: str) -> ObjectRef | None:
        names = [_string(item) for item in items]
        if not names or any(n is None for n in names):
            return None
        if kind == POLICY:
            if len(names) < 2:
                return None
            *table, policy = names
            schema = table[-2] if len(table) >= 2 else self.search_schema
            return ObjectRef(POLICY, schema, policy, table[-1])  # type: ignore[arg-type]
        schema = names[-2] if len(names) >= 2 else self.search_schema
        return ObjectRef(kind, schema, names[-1])  # type: ignore[arg-type]

    def reads(self, node: Any, detail: str, skip: tuple[int, ...] = ()) -> Iterator[SqlEffect]:
        """Every relation a query reads, minus its own CTE names and the system catalogs."""
        range_vars, ctes = _relations_and_ctes(node)
        seen: set[tuple[str, ...]] = set()
        for range_var in range_vars:
            if id(range_var) in skip:
                continue
            if not range_var.get("schemaname") and (range_var.get("relname") in ctes or str(range_var.get("relname", "")).startswith("pg_")):
                continue
            if range_var.get("schemaname") in _CATALOG_SCHEMAS:
                continue
            obj = self.relation(range_var)
            if obj is None or obj.key in seen:
                continue
            seen.add(obj.key)
            yield SqlEffect(READ, obj, range_var.get("location"), detail)

    # -- statements (named after libpg_query node types) ----------------------------------------

    def _CreateStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        relation = node.get("relation", {})
        obj = self.relation(relation)
        guarded = bool(node.get("if_not_exists"))
        if obj is not None:
            yield SqlEffect(CREATE, obj, relation.get("location", start), "CREATE TABLE", guarded)
        for parent in node.get("inhRelations", []):
            parent_obj = self.relation(parent.get("RangeVar", parent))
            if parent_obj is not None:
                yield SqlEffect(REFERENCE, parent_obj, parent.get("RangeVar", parent).get("location", start), "INHERITS")
        for element in node.get("tableElts", []):
            if "ColumnDef" in element:
                definition = element["ColumnDef"]
                label = columns.sql_type(definition.get("typeName", {}))
                if obj is not None and label:
                    yield SqlOperation(COLUMN_TYPE, obj, definition.get("location", start), column=definition.get("colname", ""), detail=label)
                for constraint in definition.get("constraints", []):
                    yield from self._foreign_key(constraint.get("Constraint", {}), start)
            elif "Constraint" in element:
                yield from self._foreign_key(element["Constraint"], start)
            elif "TableLikeClause" in element:
                like = element["TableLikeClause"].get("relation", {})
                like_obj = self.relation(like)
                if like_obj is not None:
                    yield SqlEffect(REFERENCE, like_obj, like.get("location", start), "LIKE")

    def _foreign_key(self, constraint: Node, start: int) -> Iterator[SqlEffect]:
        if constraint.get("contype") == "CONSTR_FOREIGN" and "pktable" in constraint:
            target = self.relation(constraint["pktable"])
            if target is not None:
                yield SqlEffect(REFERENCE, target, constraint["pktable"].get("location", start), "REFERENCES")

    def _CreateTableAsStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        into = node.get("into", {}).get("rel", {})
        kind = MATVIEW if node.get("objtype") == "OBJECT_MATVIEW" else TABLE
        obj = self.relation(into, kind)
        detail = "CREATE MATERIALIZED VIEW" if kind == MATVIEW else "CREATE TABLE AS"
        if obj is not None:
            yield SqlEffect(CREATE, obj, into.get("location", start), detail, bool(node.get("if_not_exists")))
        yield from self.reads(node.get("query"), detail)

    def _ViewStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        view = node.get("view", {})
        obj = self.relation(view, VIEW)
        if obj is not None:
            yield SqlEffect(CREATE, obj, view.get("location", start), "CREATE VIEW", bool(node.get("replace")))
        yield from self.reads(node.get("query"), "CREATE VIEW")

    def _AlterTableStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        relation = node.get("relation", {})
        obj = self.relation(relation, _OBJECT_KINDS.get(node.get("objtype", ""), TABLE))
        if obj is None:
            return
        location = relation.get("location", start)
        guarded = bool(node.get("missing_ok"))
        altered = False
        for command in node.get("cmds", []):
            command = command.get("AlterTableCmd", {})
            subtype = command.get("subtype", "")
            definition = command.get("def", {})
            if subtype in _RLS_COMMANDS:
                yield SqlEffect(_RLS_COMMANDS[subtype], obj, location, "", guarded)
                continue
            if subtype == "AT_AddConstraint":
                yield from self._foreign_key(definition.get("Constraint", {}), start)
            elif subtype == "AT_AddColumn":
                for constraint in definition.get("ColumnDef", {}).get("constraints", []):
                    yield from self._foreign_key(constraint.get("Constraint", {}), start)
            detail = "SET NOT NULL" if subtype == "AT_SetNotNull" else ""
            if detail or not altered:
                altered = True
                yield SqlEffect(ALTER, obj, location, detail, guarded)
            operation = self._table_command(obj, subtype, command, definition, location)
            if operation is not None:
                yield operation

    def _table_command(self, table: ObjectRef, subtype: str, command: Node, definition: Node, location: int) -> SqlOperation | None:
        """The operation migration safety judges in one ALTER TABLE command, if any."""
        name = command.get("name", "")
        if subtype == "AT_AddColumn":
            column = definition.get("ColumnDef", {})
            label, flags, target = columns.sql_column(column, self.relation)
            return SqlOperation(ADD_COLUMN, table, column.get("location", location), column=column.get("colname", ""),
                                detail=label, flags=flags, other=target)
        if subtype == "AT_AlterColumnType":
            label = columns.sql_type(definition.get("ColumnDef", {}).get("typeName", {}))
            return SqlOperation(ALTER_COLUMN_TYPE, table, location, column=name, detail=label)
        if subtype == "AT_SetNotNull":
            return SqlOperation(SET_NOT_NULL, table, location, column=name)
        if subtype == "AT_DropColumn":
            return SqlOperation(DROP_COLUMN, table, location, column=name, flags=_IF_EXISTS if command.get("missing_ok") else _NONE)
        if subtype == "AT_ValidateConstraint":
            return SqlOperation(VALIDATE_CONSTRAINT, table, location, name=name)
        if subtype == "AT_AddConstraint":
            constraint = definition.get("Constraint", {})
            kind = _CONSTRAINT_KINDS.get(constraint.get("contype", ""))
            if kind is None:
                return None
            marks: set[str] = set()
            if constraint.get("skip_validation"):
                marks.add(NOT_VALID)
            if constraint.get("indexname"):
                marks.add(USING_INDEX)
            target = self.relation(constraint["pktable"]) if kind == FOREIGN_KEY and "pktable" in constraint else None
            checked = columns.not_null_check(constraint.get("raw_expr")) if kind == CHECK else ""
            return SqlOperation(ADD_CONSTRAINT, table, constraint.get("location", location), name=constraint.get("conname", ""),
                                column=checked, detail=kind, flags=frozenset(marks), other=target)
        return None

    def _RenameStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        rename_type = node.get("renameType", "")
        relation = node.get("relation")
        guarded = bool(node.get("missing_ok"))
        if relation is None:
            return
        location = relation.get("location", start)
        if rename_type in _OBJECT_KINDS:
            obj = self.relation(relation, _OBJECT_KINDS[rename_type])
            if obj is not None and node.get("newname"):
                if obj.kind == TABLE:
                    yield SqlOperation(RENAME_TABLE, obj, location, name=node["newname"])
                yield SqlEffect(RENAME, obj, location, node["newname"], guarded)
        elif rename_type == "OBJECT_POLICY":
            table = self.relation(relation)
            if table is not None and node.get("subname") and node.get("newname"):
                policy = ObjectRef(POLICY, table.schema, node["subname"], table.name)
                yield SqlEffect(RENAME, policy, location, node["newname"], guarded)
        else:
            obj = self.relation(relation, _OBJECT_KINDS.get(node.get("relationType", ""), TABLE))
            if obj is not None:
                if rename_type == "OBJECT_COLUMN" and node.get("subname") and node.get("newname"):
                    yield SqlOperation(RENAME_COLUMN, obj, location, name=node["newname"], column=node["subname"])
                yield SqlEffect(ALTER, obj, location, "RENAME " + rename_type.removeprefix("OBJECT_"), guarded)

    def _DropStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        remove_type = node.get("removeType", "")
        kind = POLICY if remove_type == "OBJECT_POLICY" else _OBJECT_KINDS.get(remove_type)
        if kind is None:
            return
        guarded = bool(node.get("missing_ok"))
        detail = "CASCADE" if node.get("behavior") == "DROP_CASCADE" else ""
        for item in node.get("objects", []):
            items = item.get("List", {}).get("items", []) if isinstance(item, dict) else []
            obj = self.qualified(items, kind)
            if obj is not None:
                offset = _name_offset(text, start, obj.name)
                if kind == TABLE:
                    yield SqlOperation(DROP_TABLE, obj, offset, flags=_IF_EXISTS if guarded else _NONE)
                elif kind == INDEX:
                    flags = {CONCURRENTLY} if node.get("concurrent") else set()
                    if guarded:
                        flags.add(IF_EXISTS)
                    yield SqlOperation(DROP_INDEX, None, offset, name=obj.name, flags=frozenset(flags), other=obj)
                yield SqlEffect(DROP, obj, offset, detail, guarded)

    def _IndexStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        relation = node.get("relation", {})
        table = self.relation(relation)
        if table is None:
            return
        location = relation.get("location", start)
        yield SqlOperation(CREATE_INDEX, table, location, name=node.get("idxname") or "",
                           flags=_CONCURRENT if node.get("concurrent") else _NONE)
        yield SqlEffect(REFERENCE, table, location, "CREATE INDEX")
        name = node.get("idxname")
        if not name:
            return  # PostgreSQL picks the name; nothing can refer to it by a name we know
        index = ObjectRef(INDEX, table.schema, name)
        guarded = bool(node.get("if_not_exists"))
        yield SqlEffect(CREATE, index, _name_offset(text, start, name), "CREATE INDEX", guarded)
        expression = any("expr" in p.get("IndexElem", {}) for p in node.get("indexParams", []))
        yield SqlIndex(index, table, bool(node.get("unique")), "whereClause" in node, expression, location)

    def _CreatePolicyStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        table_node = node.get("table", {})
        table = self.relation(table_node)
        if table is None or not node.get("policy_name"):
            return
        location = table_node.get("location", start)
        yield SqlEffect(REFERENCE, table, location, "CREATE POLICY")
        policy = ObjectRef(POLICY, table.schema, node["policy_name"], table.name)
        yield SqlEffect(CREATE, policy, _name_offset(text, start, node["policy_name"]), "CREATE POLICY")

    def _AlterPolicyStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        table_node = node.get("table", {})
        table = self.relation(table_node)
        if table is not None and node.get("policy_name"):
            policy = ObjectRef(POLICY, table.schema, node["policy_name"], table.name)
            yield SqlEffect(ALTER, policy, table_node.get("location", start), "ALTER POLICY")

    def _UpdateStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        yield from self._dml(node, start, "UPDATE", BACKFILL, text)

    def _DeleteStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        yield from self._dml(node, start, "DELETE", BACKFILL, text)

    def _InsertStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        # An INSERT target under RLS fails loudly (WITH CHECK); what it reads is filtered silently.
        yield from self._dml(node, start, "INSERT", REFERENCE, text)

    def _dml(self, node: Node, start: int, detail: str, target_action: str, text: str) -> Iterator[Any]:
        relation = node.get("relation", {})
        target = self.relation(relation)
        if target is not None:
            yield SqlEffect(target_action, target, relation.get("location", start), detail)
            # A string literal needs a quote: most backfills have none, and walking the tree costs.
            values = _string_literals(node) if "'" in text or "$" in text else frozenset()
            if values:
                yield SqlOperation(USE_VALUES, target, relation.get("location", start), detail=detail, values=values)
        yield from self.reads(node, detail, skip=(id(relation),))

    def _SelectStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        yield from self.reads(node, "SELECT")

    def _RefreshMatViewStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        relation = node.get("relation", {})
        obj = self.relation(relation, MATVIEW)
        if obj is not None:
            detail = "REFRESH MATERIALIZED VIEW" + (" CONCURRENTLY" if node.get("concurrent") else "")
            yield SqlEffect(REFERENCE, obj, relation.get("location", start), detail)

    def _TruncateStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        for item in node.get("relations", []):
            range_var = item.get("RangeVar", item)
            obj = self.relation(range_var)
            if obj is not None:
                yield SqlEffect(REFERENCE, obj, range_var.get("location", start), "TRUNCATE")

    def _GrantStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        if node.get("targtype") != "ACL_TARGET_OBJECT" or node.get("objtype") != "OBJECT_TABLE":
            return
        for item in node.get("objects", []):
            range_var = item.get("RangeVar", item)
            obj = self.relation(range_var)
            if obj is not None:
                yield SqlEffect(REFERENCE, obj, range_var.get("location", start), "GRANT")

    def _CommentStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        kind = _OBJECT_KINDS.get(node.get("objtype", ""))
        target = node.get("object", {})
        if kind is None or "List" not in target:
            return
        obj = self.qualified(target["List"].get("items", []), kind)
        if obj is not None:
            yield SqlEffect(ALTER, obj, _name_offset(text, start, obj.name), "COMMENT")

    def _CreateTrigStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        relation = node.get("relation", {})
        obj = self.relation(relation)
        if obj is not None:
            yield SqlEffect(REFERENCE, obj, relation.get("location", start), "CREATE TRIGGER")

    def _VariableSetStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        name = node.get("name", "")
        values = [_const_text(arg) for arg in node.get("args", [])]
        if name == "row_security" and node.get("kind") == "VAR_SET_VALUE":
            if values and values[0] is not None and values[0].lower() in _OFF_VALUES:
                yield SqlEffect(ROW_SECURITY_OFF, PLACEHOLDER, start, "SET LOCAL" if node.get("is_local") else "SET")
        elif name == "lock_timeout" and node.get("kind") == "VAR_SET_VALUE":
            if values and values[0] is not None and values[0].strip() not in ("0", "0s", "0ms"):
                yield SqlOperation(SET_LOCK_TIMEOUT, None, start)
        elif name == "search_path":
            if node.get("kind") == "VAR_SET_VALUE" and values and values[0]:
                self.search_schema = values[0] if values[0] != "$user" else (values[1] if len(values) > 1 and values[1] else self.default_schema)
            elif node.get("kind") in ("VAR_RESET", "VAR_SET_DEFAULT"):
                self.search_schema = self.default_schema

    def _TransactionStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        kind = node.get("kind", "")
        if kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_COMMIT_PREPARED", "TRANS_STMT_PREPARE"):
            yield SqlOperation(COMMIT, None, start)
        elif kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            yield SqlOperation(BEGIN, None, start)

    def _AlterEnumStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        if node.get("newVal") and not node.get("oldVal"):
            type_name = ".".join(filter(None, (_string(item) for item in node.get("typeName", []))))
            flags = _IF_EXISTS if node.get("skipIfNewValExists") else _NONE
            yield SqlOperation(ADD_ENUM_VALUE, None, start, name=node["newVal"], detail=type_name, flags=flags)

    def _ReindexStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        kind = node.get("kind", "")
        relation = node.get("relation")
        if kind not in ("REINDEX_OBJECT_INDEX", "REINDEX_OBJECT_TABLE") or relation is None:
            return  # a whole schema or database: no one table to judge
        concurrent = node.get("concurrent") or any(
            p.get("DefElem", {}).get("defname") == "concurrently" for p in node.get("params", [])
        )
        obj = self.relation(relation, INDEX if kind == "REINDEX_OBJECT_INDEX" else TABLE)
        if obj is not None:
            table = obj if obj.kind == TABLE else None
            yield SqlOperation(REINDEX, table, relation.get("location", start), name=obj.name,
                               flags=_CONCURRENT if concurrent else _NONE, other=obj)

    def _DoStmt(self, node: Node, start: int, text: str) -> Iterator[Any]:
        body = None
        language = "plpgsql"
        for arg in node.get("args", []):
            element = arg.get("DefElem", {})
            if element.get("defname") == "as":
                body = _string(element.get("arg", {}))
            elif element.get("defname") == "language":
                language = _string(element.get("arg", {})) or language
        if body is None or language != "plpgsql":
            yield SqlProblem(start, "a DO block in a language driftlint does not read", _text_at(text, start))
            return
        yield from _do_block(self, body, text, start)


def _do_block(analyzer: SqlAnalyzer, body: str, text: str, start: int) -> Iterator[Any]:
    """Static statements inside a PL/pgSQL DO block count; EXECUTE of a built string is unknown."""
    from pglast import parser as pg_parser

    tag = "driftlint"
    while f"${tag}$" in body:
        tag += "_"
    try:
        functions = json.loads(
            pg_parser.parse_plpgsql_json(f"CREATE FUNCTION driftlint_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$")
        )
    except (pg_parser.ParseError, ValueError) as exc:
        yield SqlProblem(start, f"PostgreSQL cannot parse the DO block ({exc})", _text_at(text, start))
        return
    # Offsets handed back are bytes, like libpg_query's own.
    encoded = text.encode("utf-8")
    body_bytes = body.encode("utf-8")
    body_start = encoded.find(body_bytes, start)
    body_start = body_start if body_start >= 0 else start
    line_starts = [0] + [i + 1 for i, byte in enumerate(body_bytes) if byte == 0x0A]

    def line_offset(line: int | None) -> int:
        if not line or line > len(line_starts):
            return body_start
        return body_start + line_starts[line - 1]

    for statement, line, nested in _plpgsql_statements(functions):
        where = line_offset(line)
        if "PLpgSQL_stmt_execsql" in statement:
            query = statement["PLpgSQL_stmt_execsql"].get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
            found = encoded.find(query.encode("utf-8"), where)
            inner = analyzer.analyze(query, conditional=nested)

            for effect in inner.effects:
                offset = _inner_offset(query, found, where, effect.offset)
                yield SqlEffect(effect.action, effect.obj, offset, effect.detail, effect.guarded)
            for index in inner.indexes:
                offset = _inner_offset(query, found, where, index.offset)
                yield SqlIndex(index.index, index.table, index.unique, index.partial, index.expression, offset)
            for operation in inner.operations:
                yield replace(operation, offset=_inner_offset(query, found, where, operation.offset))
            for problem in inner.problems:
                yield SqlProblem(where, problem.reason, problem.text)
        elif "PLpgSQL_stmt_dynexecute" in statement:
            query = statement["PLpgSQL_stmt_dynexecute"].get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
            yield SqlProblem(where, "a DO block EXECUTEs SQL built at run time", query)


def _inner_offset(query: str, found: int, line_start: int, offset: int | None) -> int:
    """A character offset inside a DO block's statement, as a byte offset in the whole text."""
    if found < 0 or offset is None:
        return line_start
    return found + len(query[:offset].encode("utf-8"))


def _plpgsql_statements(node: Any, nested: bool = False) -> Iterator[tuple[Node, int | None, bool]]:
    """Every PL/pgSQL statement, with its line and whether it sits under IF/LOOP/CASE/EXCEPTION."""
    if isinstance(node, list):
        for item in node:
            yield from _plpgsql_statements(item, nested)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key.startswith("PLpgSQL_stmt_") and isinstance(value, dict):
            yield node, value.get("lineno"), nested
            inner_nested = nested or key != "PLpgSQL_stmt_block"
            for child_key, child in value.items():
                if isinstance(child, (list, dict)):
                    yield from _plpgsql_statements(child, inner_nested or child_key == "exceptions")
        elif isinstance(value, (list, dict)):
            yield from _plpgsql_statements(value, nested)


# -- JSON parse-tree helpers ----------------------------------------------------------------------


def _relations_and_ctes(node: Any) -> tuple[list[Node], set[str]]:
    """Every RangeVar under `node` in source order, and the names its WITH clauses define."""
    found: list[Node] = []
    ctes: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is dict:
            if "relname" in current:
                found.append(current)
                continue
            if "ctename" in current:
                ctes.add(current["ctename"])
            stack.extend(current.values())
        elif type(current) is list:
            stack.extend(current)
    if len(found) > 1:
        found.sort(key=lambda r: r.get("location", -1))
    return found, ctes


def _string_literals(node: Any) -> frozenset[str]:
    """The string constants a statement holds (what it may write into an enum column)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is dict:
            const = current.get("A_Const")
            if const is not None:
                value = const.get("sval", {}).get("sval")
                if isinstance(value, str) and len(value) <= 63:  # longer than an enum label can be
                    found.add(value)
                continue
            stack.extend(current.values())
        elif type(current) is list:
            stack.extend(current)
    return frozenset(found)


def _string(node: Node) -> str | None:
    if "String" in node:
        return node["String"].get("sval")
    if "sval" in node and isinstance(node["sval"], str):
        return node["sval"]
    return None


def _const_text(node: Node) -> str | None:
    const = node.get("A_Const", {})
    if "sval" in const:
        return const["sval"].get("sval")
    if "boolval" in const:
        return "true" if const["boolval"].get("boolval") else "false"
    if "ival" in const:
        return str(const["ival"].get("ival", 0))
    return None


def _text_at(text: str, start: int, limit: int = 200) -> str:
    """Up to `limit` characters of `text` from a byte offset, libpg_query's unit."""
    if text.isascii():
        return text[start : start + limit]
    return text.encode("utf-8")[start:].decode("utf-8", errors="ignore")[:limit]


def _name_offset(text: str, start: int, name: str) -> int:
    """Where a name without a parse-tree location first appears in its statement (bytes)."""
    encoded = text.encode("utf-8")
    found = encoded.find(name.encode("utf-8"), start)
    return found if found >= 0 else start


def _offset_converter(text: str) -> Any:
    """libpg_query reports byte offsets; positions in Python are characters."""
    if text.isascii():
        return None
    encoded = text.encode("utf-8")
    return lambda offset: len(encoded[:offset].decode("utf-8", errors="ignore"))


def _convert(converter: Any, offset: int | None) -> int | None:
    if offset is None or offset < 0:
        return None
    return converter(offset) if converter is not None else offset
