"""A comparable picture of a database's schema, read from the catalogs (for DL909 schema-drift)."""

from __future__ import annotations

from dataclasses import dataclass, field

from driftlint.verify.database import Inspection

USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"
RELKINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}

RELATIONS = f"""
SELECT n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_SCHEMAS}
"""
COLUMNS = f"""
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_SCHEMAS}
"""
INDEXES = f"""
SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE {USER_SCHEMAS}
"""
POLICIES = """
SELECT schemaname, tablename, policyname, permissive, array_to_string(roles, ','), cmd, qual, with_check
FROM pg_policies
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


@dataclass(frozen=True)
class Relation:
    kind: str
    row_security: bool
    force_row_security: bool
    definition: str | None


@dataclass
class SchemaSnapshot:
    relations: dict[tuple[str, str], Relation] = field(default_factory=dict)
    columns: dict[tuple[str, str, str], tuple[str, bool, str | None]] = field(default_factory=dict)
    indexes: dict[tuple[str, str], tuple[str, str]] = field(
        default_factory=dict
    )  # (schema, index) -> (table, definition)
    policies: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)


def snapshot(inspection: Inspection) -> SchemaSnapshot:
    result = SchemaSnapshot()
    for schema, name, kind, rls, forced, definition in inspection.rows(RELATIONS):
        result.relations[(schema, name)] = Relation(RELKINDS[kind], bool(rls), bool(forced), _normal(definition))
    for schema, table, column, type_, notnull, default in inspection.rows(COLUMNS):
        result.columns[(schema, table, column)] = (type_, bool(notnull), default)
    for schema, table, index, definition in inspection.rows(INDEXES):
        result.indexes[(schema, index)] = (table, definition)
    for schema, table, policy, permissive, roles, cmd, qual, check in inspection.rows(POLICIES):
        result.policies[(schema, table, policy)] = (permissive, roles or "", cmd, qual or "", check or "")
    return result


def _normal(definition: str | None) -> str | None:
    return " ".join(definition.split()) if definition else None
