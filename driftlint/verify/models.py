"""Where a model table or column is defined, found by reading the project's modules (never importing them)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from driftlint.source import SourceFile, definition_span, node_location

if TYPE_CHECKING:
    from driftlint.verify.context import Span, VerifyContext

COLUMN_FACTORIES = frozenset({"Column", "mapped_column", "column_property"})


@dataclass(frozen=True)
class TableDefinition:
    path: Path
    span: "Span"  # `class Name` of a declarative model, or the `Table(...)` call
    columns: dict[str, "Span"]  # by database column name


def find_table(ctx: "VerifyContext", schema: str | None, table: str) -> TableDefinition | None:
    """The model that defines `table`: a class with `__tablename__ = "table"`, or `Table("table", ...)`.

    The first one in path order when several do (a schema given by `__table_args__` or `schema=`
    is not told apart); None when no module defines it with literals.
    """
    found = ctx.project.memo(f"verify:models:{id(ctx.analysis)}", lambda _project: _index(ctx))
    return found.get(table)


def _index(ctx: "VerifyContext") -> dict[str, TableDefinition]:
    revisions = {facts.path.resolve() for facts in ctx.analysis.scripts}
    env_py = ctx.env_py()
    skipped = revisions | ({env_py.resolve()} if env_py else set())
    index: dict[str, TableDefinition] = {}
    for facts in sorted(ctx.project.modules(), key=lambda f: str(f.path)):
        if facts.path.resolve() in skipped:
            continue
        try:
            data = facts.path.read_bytes()
        except OSError:
            continue
        # Only a module that names a table can define one: most are never parsed here.
        if b"__tablename__" not in data and b"Table(" not in data:
            continue
        source = SourceFile.from_bytes(facts.path, data)
        if source.tree is None:
            continue
        for name, definition in _definitions(facts.path, source):
            index.setdefault(name, definition)
    return index


def _definitions(path: Path, source: SourceFile) -> Iterator[tuple[str, TableDefinition]]:
    assert source.tree is not None
    lines = source.lines
    for node in ast.walk(source.tree):
        if isinstance(node, ast.ClassDef):
            name = _tablename(node)
            if name is not None:
                yield name, TableDefinition(path, definition_span(node, lines), _class_columns(node))
        elif isinstance(node, ast.Call) and _called(node) == "Table" and node.args:
            name = _string(node.args[0])
            if name is not None:
                yield name, TableDefinition(path, node_location(node), _call_columns(node))


def _tablename(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target] if isinstance(statement, ast.AnnAssign) else []
        value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
        if any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in targets) and value is not None:
            return _string(value)
    return None


def _class_columns(node: ast.ClassDef) -> dict[str, "Span"]:
    """Attribute assignments that build a column: the database name is the first string argument
    (`Column("admin_flag", Boolean)`) or else the attribute's name."""
    columns: dict[str, "Span"] = {}
    for statement in node.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        call = value if isinstance(value, ast.Call) and _called(value) in COLUMN_FACTORIES else None
        annotated_only = value is None and isinstance(statement, ast.AnnAssign) and "Mapped" in ast.dump(statement.annotation)
        if call is None and not annotated_only:
            continue
        explicit = _string(call.args[0]) if call is not None and call.args else None
        columns.setdefault(explicit or target.id, node_location(statement))
    return columns


def _call_columns(node: ast.Call) -> dict[str, "Span"]:
    columns: dict[str, "Span"] = {}
    for argument in node.args[1:]:
        if isinstance(argument, ast.Call) and _called(argument) == "Column" and argument.args:
            name = _string(argument.args[0])
            if name is not None:
                columns.setdefault(name, node_location(argument))
    return columns


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def metadata_line(env_py: Path) -> int:
    """The line of env.py that sets `target_metadata` (where a finding without a model points), else 1."""
    try:
        source = SourceFile.from_bytes(env_py, env_py.read_bytes())
    except OSError:
        return 1
    if source.tree is None:
        return 1
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "target_metadata" for t in node.targets):
            return node.lineno
    return 1
