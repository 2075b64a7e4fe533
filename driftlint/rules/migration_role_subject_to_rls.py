"""DL905 migration-role-subject-to-rls: backfills by the migration role are silently filtered by RLS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext

ASSERTION = "migration-role-bypasses-rls"
RLS_TABLES = """
SELECT n.nspname, c.relname, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
       pg_has_role(%(role)s, c.relowner, 'USAGE'),
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
ORDER BY 1, 2
"""


class MigrationRoleSubjectToRls(Gate):
    code = "DL905"
    name = "migration-role-subject-to-rls"
    summary = "The migration role is subject to row-level security, so backfills silently touch no rows"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.schema.model import CREATE, RLS_ENABLE, RLS_FORCE
        from driftlint.verify.locate import locate

        inspection = ctx.inspected
        if inspection is None:
            return
        # Without --migration-role, the URL's user is the one that runs migrations.
        role = ctx.options.migration_role or inspection.current_user
        attributes = inspection.rows("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (role,))
        if not attributes:
            return
        superuser, bypass = attributes[0]
        if not (superuser or bypass) and ctx.project.settings.option(ASSERTION, False):
            yield self._assertion_finding(ctx, role, inspection.label)
        if superuser or bypass:
            return
        for schema, table, forced, owner, is_owner, policies in inspection.rows(RLS_TABLES, {"role": role}):
            if is_owner and not forced:
                continue
            shown = table if schema == ctx.default_schema else f"{schema}.{table}"
            if forced:
                why = "FORCE ROW LEVEL SECURITY applies it even to the owner" + (
                    f" ({owner})" if is_owner else f"; the owner is {owner}"
                )
            else:
                why = f"the role is not the owner ({owner}) nor a member of it"
            rule_text = (
                "no policy, so every row is hidden"
                if not policies
                else f"{policies} polic{'y' if policies == 1 else 'ies'}"
            )
            path, span = locate(ctx, (RLS_FORCE, RLS_ENABLE, CREATE), schema, table)
            yield self.diagnostic(
                f"Migration role `{role}` is subject to row-level security on `{shown}` ({rule_text}): {why}, "
                "has no BYPASSRLS and is no superuser, so UPDATE/DELETE backfills there silently touch 0 rows",
                path,
                span,
                fix_title=f"Run migrations as a role with BYPASSRLS (`ALTER ROLE {role} BYPASSRLS`) or as the table owner, "
                "or `SET LOCAL row_security = off` before backfills so filtering fails loudly",
                context=[
                    ("Checked on", [f"{inspection.label} ({inspection.url})"]),
                    ("Table", [f"{schema}.{table}: owner {owner}, RLS enabled{', forced' if forced else ''}"]),
                ],
                subject=(role, f"{schema}.{table}"),
            )

    def _assertion_finding(self, ctx: "VerifyContext", role: str, label: str) -> Diagnostic:
        settings = ctx.project.settings
        if settings.source is not None:
            path = ctx.project.relpath(settings.source)
            line = next(
                (
                    n
                    for n, text in enumerate(settings.source.read_text(encoding="utf-8").splitlines(), 1)
                    if text.strip().startswith(ASSERTION)
                ),
                1,
            )
            span = (line, 1, line, 1)
        else:
            path, span = ctx.anchor()
        return self.diagnostic(
            f"The config asserts `{ASSERTION} = true`, but migration role `{role}` on {label} is neither superuser nor BYPASSRLS: "
            "DL204 trusts this assertion and stays silent about backfills that RLS will filter",
            path,
            span,
            fix_title=f"Grant the role BYPASSRLS (`ALTER ROLE {role} BYPASSRLS`) or remove the assertion",
            subject=(role, ASSERTION),
        )
