"""What `--roundtrip` compares before an upgrade and after its downgrade: the schema, from the catalogs.

Loaded by path into the Alembic runner (standard library only) and run on the migrations' own
connection, inside their transaction: queries with no parameters and no `%` or `?`, so any
PostgreSQL driver env.py uses runs them as they are. Objects that belong to an extension are left
out (the extension itself is compared); data (rows, sequence values) is not part of the picture.

A round trip changes a table or two, and rendering every definition (pg_get_indexdef,
format_type...) after each step would cost more than the migrations: the last rendering is kept
and each look renders only what changed since a mark taken before the upgrade. A catalog row
written since then has an `xmin` at or past the mark (the runner puts each upgrade in a savepoint
of its own, so it gets a new transaction id); a row deleted since then changes its catalog's count
of objects, and any deletion makes the look render everything (objects only ever get new oids, so
count, highest oid and the count of oids past the old highest tell additions from deletions).
"""

from __future__ import annotations

from typing import Any, Iterable

USER_SCHEMA = "{ns}.nspname <> 'information_schema' AND {ns}.nspname !~ '^pg_'"
NOT_IN_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} "
    "AND e.deptype = 'e')"
)
# What the comparison says about a whole relation; its parts (columns, indexes...) go with it.
RELATIONS = ("table", "view", "materialized view", "foreign table", "sequence", "composite type")
RELATION_KINDS = "('r', 'p', 'v', 'm', 'f', 'S', 'c')"


FIRST_USER_OID = 16384
# Catalogs whose rows are objects with oids: (name, the user objects it holds).
COUNTED = {
    "pg_class": "oid >= 16384",
    "pg_constraint": "oid >= 16384",
    "pg_trigger": "oid >= 16384",
    "pg_policy": "oid >= 16384",
    "pg_attrdef": "oid >= 16384",
    "pg_rewrite": "oid >= 16384",
    "pg_type": "oid >= 16384 AND typtype IN ('e', 'd', 'r', 'm')",
    "pg_enum": "oid >= 16384",
    "pg_proc": "oid >= 16384",
    "pg_namespace": "oid >= 16384",
    "pg_extension": "oid >= 16384",
}
# The relation each catalog row written since the mark describes (`{new}`: its xmin is new).
TOUCHED_RELATIONS = """
SELECT t.oid FROM (
SELECT c.oid FROM pg_class c WHERE c.oid >= 16384 AND {new:c}
UNION SELECT x.indrelid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
  WHERE x.indrelid >= 16384 AND ({new:x} OR {new:i})
UNION SELECT a.attrelid FROM pg_attribute a WHERE a.attrelid >= 16384 AND a.attnum > 0 AND {new:a}
UNION SELECT d.adrelid FROM pg_attrdef d WHERE d.oid >= 16384 AND {new:d}
UNION SELECT k.conrelid FROM pg_constraint k WHERE k.oid >= 16384 AND k.conrelid <> 0 AND {new:k}
UNION SELECT g.tgrelid FROM pg_trigger g WHERE g.oid >= 16384 AND {new:g}
UNION SELECT y.polrelid FROM pg_policy y WHERE y.oid >= 16384 AND {new:y}
UNION SELECT w.ev_class FROM pg_rewrite w WHERE w.oid >= 16384 AND {new:w}
UNION SELECT e.objid FROM pg_depend e JOIN pg_class q ON q.oid = e.objid
  WHERE e.objid >= 16384 AND e.classid = 'pg_class'::regclass AND q.relkind = 'S'
  AND e.deptype IN ('a', 'i') AND {new:e}
) t JOIN pg_class c ON c.oid = t.oid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN {kinds} AND """ + USER_SCHEMA.format(ns="n") + " AND " + NOT_IN_EXTENSION.format(
    catalog="pg_class", oid="c.oid"
) + """
"""
TOUCHED_OTHERS = """
SELECT 1 FROM pg_type t WHERE t.oid >= 16384 AND t.typtype IN ('e', 'd', 'r', 'm') AND {new:t}
UNION ALL SELECT 1 FROM pg_enum v WHERE v.oid >= 16384 AND {new:v}
UNION ALL SELECT 1 FROM pg_proc p WHERE p.oid >= 16384 AND {new:p}
UNION ALL SELECT 1 FROM pg_namespace n WHERE n.oid >= 16384 AND {new:n}
UNION ALL SELECT 1 FROM pg_extension x WHERE x.oid >= 16384 AND {new:x}
UNION ALL SELECT 1 FROM pg_constraint k WHERE k.oid >= 16384 AND k.contypid <> 0 AND {new:k}
"""
PRESENT_RELATIONS = f"""
SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN {RELATION_KINDS} AND {USER_SCHEMA.format(ns="n")}
  AND {NOT_IN_EXTENSION.format(catalog="pg_class", oid="c.oid")}
"""
# The next transaction id: catalog rows written from now on have an xmin at or past it (mod 2^32).
NEXT_XID = "SELECT txid_snapshot_xmax(txid_current_snapshot())"
# Near the 32-bit wrap an xmin past the mark could compare as older: every look renders everything.
WRAP_MARGIN = 1 << 24

# Each row: the relation it describes, kind, qualified name, definition. `{within:column}`: that
# column names one of the relations to render.
RELATION_DEFINITIONS = """
SELECT c.oid::text,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
         WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence'
         ELSE 'composite type' END,
       n.nspname || '.' || c.relname,
       CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE '' END
       || CASE WHEN c.relrowsecurity THEN ' row level security' ELSE '' END
       || CASE WHEN c.relforcerowsecurity THEN ' forced' ELSE '' END
       || coalesce(' AS ' || pg_get_viewdef(c.oid), '')
       || coalesce(' owned by ' || (
            SELECT o.relnamespace::regnamespace::text || '.' || o.relname
            FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid
            WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
            LIMIT 1), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {within:c.oid} AND c.relkind IN {kinds}
UNION ALL
SELECT c.oid::text, 'column', n.nspname || '.' || c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
                             WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
       || CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' || a.attgenerated::text ELSE '' END
       || coalesce(' COLLATE ' || (SELECT quote_ident(o.collname) FROM pg_collation o
                                   WHERE o.oid = nullif(a.attcollation, t.typcollation)), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind <> 'S' AND c.relkind IN {kinds}
  AND {within:c.oid}
UNION ALL
SELECT r.oid::text, 'index', n.nspname || '.' || r.relname || '.' || i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class r ON r.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE {within:r.oid}
UNION ALL
SELECT c.oid::text, 'constraint', n.nspname || '.' || c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype <> 'n' AND {within:c.oid}
UNION ALL
SELECT c.oid::text, 'trigger', n.nspname || '.' || c.relname || '.' || g.tgname, pg_get_triggerdef(g.oid)
FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT g.tgisinternal AND {within:c.oid}
UNION ALL
SELECT c.oid::text, 'policy', n.nspname || '.' || c.relname || '.' || y.polname,
       y.polcmd::text || ' ' || y.polpermissive::text || ' ' || array_to_string(y.polroles::regrole[], ',')
       || coalesce(' USING ' || pg_get_expr(y.polqual, y.polrelid), '')
       || coalesce(' CHECK ' || pg_get_expr(y.polwithcheck, y.polrelid), '')
FROM pg_policy y JOIN pg_class c ON c.oid = y.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {within:c.oid}
"""

# Everything that is not a relation: few enough to render every time.
OTHER_DEFINITIONS = f"""
SELECT 'schema', n.nspname, ''
FROM pg_namespace n
WHERE {USER_SCHEMA.format(ns="n")} AND n.nspname <> 'public'
  AND {NOT_IN_EXTENSION.format(catalog="pg_namespace", oid="n.oid")}
UNION ALL
SELECT 'extension', x.extname, x.extversion || ' in ' || x.extnamespace::regnamespace::text
FROM pg_extension x WHERE x.extname <> 'plpgsql'
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname,
       CASE t.typtype
         WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
         WHEN 'd' THEN 'domain over ' || format_type(t.typbasetype, t.typtypmod)
                       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                       || coalesce(' DEFAULT ' || t.typdefault, '')
         ELSE t.typtype::text END
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'r', 'm') AND {USER_SCHEMA.format(ns="n")}
  AND {NOT_IN_EXTENSION.format(catalog="pg_type", oid="t.oid")}
UNION ALL
SELECT 'constraint', n.nspname || '.' || t.typname || '.' || k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE k.contype <> 'n' AND {USER_SCHEMA.format(ns="n")}
  AND {NOT_IN_EXTENSION.format(catalog="pg_type", oid="t.oid")}
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       p.prokind::text || ' returns ' || coalesce(pg_get_function_result(p.oid), '') || ' ' || md5(p.prosrc)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {USER_SCHEMA.format(ns="n")} AND {NOT_IN_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
"""

Snapshot = dict[tuple[str, str], str]
Counts = dict[str, tuple[int, int]]  # catalog -> (count, highest oid)
Rows = list[tuple[str, str, str]]  # (kind, qualified name, definition)


class State:
    """The schema at one moment: each relation's rendered rows, and the other objects'. A relation
    that did not change between two states keeps the same list, so comparing them costs only
    what changed."""

    def __init__(self, relations: dict[str, Rows], others: Rows) -> None:
        self.relations = relations
        self.others = others


class Mark:
    """Where the catalogs stood: the next transaction id then, and each catalog's objects."""

    def __init__(self, next_xid: int, counts: Counts) -> None:
        self.next_xid = next_xid
        self.counts = counts

    @property
    def trusted(self) -> bool:
        """Whether xmin values can be compared with it: not too close to the 32-bit wrap."""
        return self.next_xid < (1 << 32) - WRAP_MARGIN


class Prober:
    """The schema as last rendered on one connection, brought up to date by looking again.

    One query per look tells what changed since the mark and renders it: each catalog's counts,
    the relations with rows written since (and their definitions), the other objects when any
    of them has such rows, and the next mark's transaction id. Only a deletion (or a mark too
    close to the xid wrap) costs a second query, which renders everything.
    """

    def __init__(self) -> None:
        self._relations: dict[str, Rows] = {}
        self._others: Rows = []
        self._mark: Mark | None = None

    def mark(self, connection: Any) -> Mark:
        """Where the schema stands now (as of the last look; the first renders all of it), also
        left in a setting of the session for the looks to read. Taken outside the savepoints the
        round trip rolls back, which would take the setting with them."""
        if self._mark is None:
            self._render_all(connection)
        mark = self._mark
        assert mark is not None
        numbers = " ".join(str(n) for n in (mark.next_xid, *(mark.counts.get(c, (0, 0))[1] for c in COUNTED)))
        connection.exec_driver_sql(f"SELECT set_config('{MARK_SETTING}', '{numbers}', false)")
        return mark

    def look(self, connection: Any, mark: Mark) -> State:
        """The schema now, when it was as last rendered at `mark`; becomes the last rendering."""
        changes = _Changes(connection.exec_driver_sql(_changes_since(mark)).fetchall())
        if not mark.trusted or any(
            changes.counts[c][0] != mark.counts.get(c, (0, 0))[0] + changes.added[c] for c in changes.counts
        ):
            self._render_all(connection)
            return self.state()
        for oid in changes.touched:
            if changes.rendered.get(oid):
                self._relations[oid] = changes.rendered[oid]
            else:
                self._relations.pop(oid, None)
        if changes.others is not None:
            self._others = changes.others
        self._mark = Mark(changes.next_xid, changes.counts)
        return self.state()

    def state(self) -> State:
        return State(dict(self._relations), self._others)

    def _render_all(self, connection: Any) -> None:
        changes = _Changes(connection.exec_driver_sql(_changes_since(None)).fetchall())
        self._relations = {oid: changes.rendered.get(oid, []) for oid in changes.touched}
        self._others = changes.others or []
        self._mark = Mark(changes.next_xid, changes.counts)


class _Changes:
    """The rows of a _changes_since query, sorted out."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str, str]]) -> None:
        self.counts: Counts = {}
        self.added: dict[str, int] = {}
        self.touched: list[str] = []
        self.rendered: dict[str, Rows] = {}
        self.others: Rows | None = None
        self.next_xid = 0
        for what, first, second, third, fourth in rows:
            if what == "count":
                self.counts[first] = (int(second), int(third))
                self.added[first] = int(fourth)
            elif what == "relation":
                self.touched.append(first)
            elif what == "definition":
                self.rendered.setdefault(first, []).append((second, third, fourth))
            elif what == "other":
                if self.others is None:
                    self.others = []
                if second:
                    self.others.append((second, third, fourth))
            else:
                self.next_xid = int(first) % (1 << 32)


MARK_SETTING = "driftlint.mark"


def _changes_since(mark: Mark | None) -> str:
    """One query: each catalog's count, highest oid and count past the mark's highest; the
    relations with rows written since the mark and their definitions; the other objects'
    definitions when any of them has such rows; the next mark's transaction id. Without a mark
    (or one too close to the wrap): every relation and every other object.

    The mark's numbers are read from a setting (see Prober.mark), so the text never changes and
    the drivers' statement caches (psycopg prepares a query it sees again) skip planning it.
    """
    trusted = mark is not None and mark.trusted
    tops = ", ".join(
        f"split_part(current_setting('{MARK_SETTING}'), ' ', {position + 2})::bigint AS top_{position}"
        for position in range(len(COUNTED))
    )
    counts = [
        f"SELECT 'count', '{catalog}', count(*)::text, coalesce(max(oid), 0)::text, "
        f"(count(*) FILTER (WHERE oid > {f'(SELECT top_{position} FROM mark)' if trusted else '0'}))::text "
        f"FROM {catalog} WHERE {where}"
        for position, (catalog, where) in enumerate(COUNTED.items())
    ]
    if trusted:
        new = {"kinds": RELATION_KINDS, "new": _Condition(lambda alias: f"{alias}.xmin::text::bigint >= (SELECT xid FROM mark)")}
        relations = TOUCHED_RELATIONS.format_map(new)
        others_changed = f"EXISTS ({TOUCHED_OTHERS.format_map(new)})"
        marked = (
            f"mark AS MATERIALIZED (SELECT split_part(current_setting('{MARK_SETTING}'), ' ', 1)::bigint AS xid, {tops}), "
        )
    else:
        relations = PRESENT_RELATIONS
        others_changed = "true"
        marked = ""
    definitions = RELATION_DEFINITIONS.format_map(
        {"kinds": RELATION_KINDS, "within": _Condition(lambda column: f"{column} IN (SELECT oid FROM touched)")}
    )
    return f"""
WITH {marked}touched(oid) AS ({relations}), others_changed(yes) AS (SELECT {others_changed})
{" UNION ALL ".join(counts)}
UNION ALL SELECT 'relation', oid::text, '', '', '' FROM touched
UNION ALL SELECT 'definition', d.* FROM ({definitions}) d
UNION ALL SELECT 'other', '', '', '', '' FROM others_changed WHERE yes
UNION ALL SELECT 'other', '', o.* FROM ({OTHER_DEFINITIONS}) o, others_changed WHERE yes
UNION ALL SELECT 'xid', ({NEXT_XID})::text, '', '', ''
"""


class _Condition:
    """`{name:alias}` in a query template: a condition on that alias (or column)."""

    def __init__(self, write: Any) -> None:
        self.write = write

    def __format__(self, alias: str) -> str:
        return str(self.write(alias))


def _entries(rows: Iterable[tuple[str, str, str]]) -> Snapshot:
    return {(kind, name): " ".join((definition or "").split()) for kind, name, definition in rows}


def differences(earlier: State, later: State) -> list[dict[str, str]]:
    """What `later` has that `earlier` had not, lacks, or has otherwise, sorted by kind and name."""
    before: Snapshot = {}
    after: Snapshot = {}
    for oid in earlier.relations.keys() | later.relations.keys():
        rows_before, rows_after = earlier.relations.get(oid), later.relations.get(oid)
        if rows_before is not rows_after:
            before.update(_entries(rows_before or []))
            after.update(_entries(rows_after or []))
    if earlier.others is not later.others:
        before.update(_entries(earlier.others))
        after.update(_entries(later.others))
    found = []
    for key in sorted(before.keys() | after.keys()):
        kind, name = key
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        change = "left" if was is None else "removed" if now is None else "changed"
        found.append({"change": change, "kind": kind, "name": name, "before": was or "", "after": now or ""})
    # A table's columns, indexes, constraints and the sequences it owns go with it: name the table only.
    whole = {d["name"] for d in found if d["kind"] in RELATIONS and d["change"] != "changed"}
    return [d for d in found if not _part_of(d, whole)]


def _part_of(difference: dict[str, str], relations: set[str]) -> bool:
    name = difference["name"]
    definition = " " + (difference["after"] or difference["before"])
    owner = definition.partition(" owned by ")[2]
    return owner in relations or any(name.startswith(relation + ".") for relation in relations)
