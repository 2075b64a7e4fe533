"""Column types and defaults as PostgreSQL sees them: type labels, and whether a default is volatile."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Callable

from driftlint.schema.model import (
    FOREIGN_KEY,
    GENERATED,
    HAS_DEFAULT,
    IDENTITY,
    NOT_NULL,
    PRIMARY_KEY,
    SERIAL,
    UNIQUE,
    VOLATILE_DEFAULT,
    ObjectRef,
)

Node = dict[str, Any]

# libpg_query spells built-in types by their internal names.
_SQL_TYPES = {
    "int4": "integer",
    "int": "integer",
    "integer": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "serial4": "serial",
    "serial2": "smallserial",
    "serial8": "bigserial",
    "bpchar": "char",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
}
SERIAL_TYPES = ("serial", "smallserial", "bigserial")


def sql_type(type_name: Node) -> str:
    """`integer`, `varchar(20)`, `timestamptz`, `text[]`... for a libpg_query TypeName."""
    names = [item.get("String", {}).get("sval", "") for item in type_name.get("names", [])]
    if not names:
        return ""
    base = _SQL_TYPES.get(names[-1], names[-1])
    if base == "varchar":
        modifiers = [m.get("A_Const", {}).get("ival", {}).get("ival") for m in type_name.get("typmods", [])]
        if modifiers and isinstance(modifiers[0], int):
            base = f"varchar({modifiers[0]})"
    if type_name.get("arrayBounds"):
        base += "[]"
    return base


def sql_column(column: Node, relation: Callable[[Node], ObjectRef | None]) -> tuple[str, frozenset[str], ObjectRef | None]:
    """(type label, flags, foreign key target) of a ColumnDef in ALTER TABLE ... ADD COLUMN."""
    label = sql_type(column.get("typeName", {}))
    flags: set[str] = set()
    target = None
    if label in SERIAL_TYPES:
        flags.update((SERIAL, NOT_NULL, HAS_DEFAULT, VOLATILE_DEFAULT))
    for item in column.get("constraints", []):
        constraint = item.get("Constraint", {})
        kind = constraint.get("contype")
        if kind == "CONSTR_NOTNULL":
            flags.add(NOT_NULL)
        elif kind == "CONSTR_PRIMARY":
            flags.update((PRIMARY_KEY, NOT_NULL))
        elif kind == "CONSTR_UNIQUE":
            flags.add(UNIQUE)
        elif kind == "CONSTR_DEFAULT":
            flags.add(HAS_DEFAULT)
            if sql_volatile(constraint.get("raw_expr")):
                flags.add(VOLATILE_DEFAULT)
        elif kind == "CONSTR_IDENTITY":
            flags.update((IDENTITY, NOT_NULL))
        elif kind == "CONSTR_GENERATED":
            flags.add(GENERATED)
        elif kind == "CONSTR_FOREIGN" and "pktable" in constraint:
            flags.add(FOREIGN_KEY)
            target = relation(constraint["pktable"])
    return label, frozenset(flags), target


def not_null_check(expression: Node | None) -> str:
    """The column of a CHECK (column IS NOT NULL), "" for any other condition."""
    test = (expression or {}).get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return ""
    fields = test.get("arg", {}).get("ColumnRef", {}).get("fields", [])
    names = [f.get("String", {}).get("sval") for f in fields]
    return names[-1] if len(names) == 1 and names[0] else ""


# -- volatility -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _stable_functions() -> frozenset[str]:
    """Built-in functions PostgreSQL marks IMMUTABLE or STABLE in every overload (pg_proc of
    PostgreSQL 15, `provolatile <> 'v'`). Any other function, a user's own included (CREATE
    FUNCTION defaults to VOLATILE), counts as volatile."""
    text = resources.files("driftlint.schema").joinpath("stable_functions.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def sql_volatile(expression: Node | None) -> bool:
    """Whether PostgreSQL evaluates a DEFAULT expression per row when a column is added with it:
    a volatile function anywhere in it (random(), gen_random_uuid(), nextval(), a user function).
    A constant, or a call of stable functions on constants (now(), lower('x')), is evaluated once
    and stored as the column's "missing value" from PostgreSQL 11 on, without a rewrite."""
    if expression is None:
        return False
    stack: list[Any] = [expression]
    while stack:
        current = stack.pop()
        if type(current) is list:
            stack.extend(current)
            continue
        if type(current) is not dict:
            continue
        if "FuncCall" in current:
            call = current["FuncCall"]
            names = [n.get("String", {}).get("sval", "") for n in call.get("funcname", [])]
            schema = names[0] if len(names) == 2 else "pg_catalog"
            if schema != "pg_catalog" or not names or names[-1] not in _stable_functions():
                return True
            stack.extend(call.get("args", []))
            continue
        if "SubLink" in current or "ColumnRef" in current:
            return True  # a query or a column: not a constant default (PostgreSQL rejects columns)
        stack.extend(current.values())
    return False


def expression_volatile(text: str) -> bool:
    """sql_volatile of an SQL expression given as text (`server_default=sa.text("now()")`);
    text that does not parse as an expression counts as volatile (the safe assumption)."""
    from driftlint.schema.sql import parse_statements

    statements, error = parse_statements(f"SELECT {text}")
    if error is not None or len(statements) != 1:
        return True
    targets = statements[0].get("stmt", {}).get("SelectStmt", {}).get("targetList", [])
    if len(targets) != 1:
        return True
    return sql_volatile(targets[0].get("ResTarget", {}).get("val"))


def function_volatile(name: str) -> bool:
    """A call by name (`sa.func.now()`), its arguments aside."""
    return name.lower() not in _stable_functions()


def checked_not_null(condition: str) -> str:
    """The column of a CHECK condition given as text when it is `column IS NOT NULL`, else ""."""
    from driftlint.schema.sql import parse_statements

    statements, error = parse_statements(f"SELECT {condition}")
    if error is not None or len(statements) != 1:
        return ""
    targets = statements[0].get("stmt", {}).get("SelectStmt", {}).get("targetList", [])
    return not_null_check(targets[0].get("ResTarget", {}).get("val")) if len(targets) == 1 else ""


def binary_coercible(old: str, new: str) -> bool:
    """Whether PostgreSQL changes a column from type `old` to `new` in the catalog only, with no
    rewrite and no scan: a longer or unbounded varchar, or varchar to text (types as sql_type or
    the SQLAlchemy reader spell them; "" when unknown)."""
    if not old or not new:
        return False
    if old == new:
        return True
    if new in ("text", "varchar"):
        return old == "text" or old == "varchar" or old.startswith("varchar(")
    if old.startswith("varchar(") and new.startswith("varchar("):
        try:
            return int(new[8:-1]) >= int(old[8:-1])
        except ValueError:
            return False
    return False
