"""DL904 concurrent-refresh-not-ready: a registered view cannot be REFRESHed CONCURRENTLY by the app role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext

# matview.c is_usable_unique_index(): unique, immediate, valid, no predicate, plain columns only.
VIEWS = """
SELECT m.schemaname, m.matviewname, m.ispopulated, m.matviewowner,
       EXISTS (
           SELECT 1 FROM pg_index i
           WHERE i.indrelid = format('%I.%I', m.schemaname, m.matviewname)::regclass
             AND i.indisunique AND i.indimmediate AND i.indisvalid
             AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT (0 = ANY (i.indkey::int2[]))
       )
FROM pg_matviews m
"""
# Up to 16 only the owner (or a member of the owning role) may refresh; 17 added MAINTAIN.
MAY_REFRESH_16 = """
SELECT r.rolsuper OR pg_has_role(%(role)s, %(owner)s, 'USAGE') FROM pg_roles r WHERE r.rolname = %(role)s
"""
MAY_REFRESH_17 = """
SELECT r.rolsuper OR has_table_privilege(%(role)s, %(view)s, 'MAINTAIN') FROM pg_roles r WHERE r.rolname = %(role)s
"""


class ConcurrentRefreshNotReady(Gate):
    code = "DL904"
    name = "concurrent-refresh-not-ready"
    summary = "A registered materialized view cannot be refreshed CONCURRENTLY by the app role"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.verify.database import quote_ident
        from driftlint.verify.registry import load_registry

        inspection = ctx.inspected
        registry = load_registry(ctx)
        if inspection is None or registry is None:
            return
        role = ctx.options.app_role or inspection.current_user
        views = {(row[0], row[1]): row[2:] for row in inspection.rows(VIEWS)}
        for entry in registry.entries:
            key = entry.key(ctx.default_schema)
            if key not in views:
                continue  # DL903 reports views the database lacks
            populated, owner, has_index = views[key]
            qualified = f"{quote_ident(key[0])}.{quote_ident(key[1])}"
            if inspection.version_num >= 170000:
                may = inspection.value(MAY_REFRESH_17, {"role": role, "view": qualified})
                permission = f"`{role}` lacks the MAINTAIN privilege on it (owner: {owner})"
                grant = f"GRANT MAINTAIN ON {entry.name} TO {role}"
            else:
                may = inspection.value(MAY_REFRESH_16, {"role": role, "owner": owner})
                permission = f"`{role}` is not its owner `{owner}` nor a member of that role (PostgreSQL 16 and older)"
                grant = f"GRANT {owner} TO {role} (or make {role} the owner)"
            problems: list[tuple[str, str, str]] = []
            if not has_index:
                problems.append(
                    (
                        "index",
                        "it has no unique index on plain columns without WHERE",
                        f"CREATE UNIQUE INDEX ON {entry.name} (<key columns>)",
                    )
                )
            if not populated:
                problems.append(
                    (
                        "populated",
                        "it is not populated (created WITH NO DATA)",
                        f"REFRESH MATERIALIZED VIEW {entry.name} once, without CONCURRENTLY",
                    )
                )
            if not may:
                problems.append(("privilege", permission, grant))
            if not problems:
                continue
            yield self.diagnostic(
                f"`REFRESH MATERIALIZED VIEW CONCURRENTLY {entry.name}` fails for `{role}` on {inspection.label}: "
                + "; ".join(text for _, text, _ in problems),
                entry.path,
                entry.span,
                fix_title="; ".join(fix for _, _, fix in problems),
                context=[("Checked on", [f"{inspection.label} ({inspection.url})"])],
                subject=(role, *key, *(tag for tag, _, _ in problems)),
            )
