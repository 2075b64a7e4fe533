"""DL903 matview-inventory-drift: the database's materialized views differ from the code's registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext

MATVIEWS = "SELECT schemaname, matviewname FROM pg_matviews ORDER BY 1, 2"


class MatviewInventoryDrift(Gate):
    code = "DL903"
    name = "matview-inventory-drift"
    summary = "pg_matviews differs from the code's registry of materialized views"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.verify.registry import load_registry

        inspection = ctx.inspected
        registry = load_registry(ctx)
        if inspection is None or registry is None:
            return
        in_db = {(schema, name) for schema, name in inspection.rows(MATVIEWS)}
        listed = {entry.key(ctx.default_schema): entry for entry in registry.entries}
        db_names = sorted(f"{s}.{n}" for s, n in in_db)
        context = [
            ("Registry", [f"{registry.label} ({len(listed)} views)"]),
            (f"pg_matviews in {inspection.label}", db_names or ["(none)"]),
        ]
        for key in sorted(listed.keys() - in_db):
            entry = listed[key]
            yield self.diagnostic(
                f"The registry {registry.label} lists materialized view `{entry.name}`, which {inspection.label} does not have: "
                "refreshing it fails",
                entry.path,
                entry.span,
                fix_title=f"Remove `{entry.name}` from the registry, or add a migration that creates it",
                context=context,
                subject=("missing", *key),
            )
        for key in sorted(in_db - listed.keys()):
            schema, name = key
            shown = name if schema == ctx.default_schema else f"{schema}.{name}"
            yield self.diagnostic(
                f"{inspection.label.capitalize()} has materialized view `{shown}`, which the registry {registry.label} does not list: "
                "nothing refreshes it",
                registry.path,
                registry.span,
                fix_title=f"Add `{shown}` to the registry, or drop the view in a migration",
                context=context,
                subject=("extra", *key),
            )
