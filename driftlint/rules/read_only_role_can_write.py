"""DL906 read-only-role-can-write: a role meant to only read a table holds write privileges on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext

# INSERT and UPDATE may be granted per column: any column is enough to write rows.
PRIVILEGES = """
SELECT has_any_column_privilege(%(role)s, %(table)s, 'INSERT'),
       has_any_column_privilege(%(role)s, %(table)s, 'UPDATE'),
       has_table_privilege(%(role)s, %(table)s, 'DELETE'),
       has_table_privilege(%(role)s, %(table)s, 'TRUNCATE')
"""
NAMES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


class ReadOnlyRoleCanWrite(Gate):
    code = "DL906"
    name = "read-only-role-can-write"
    summary = "A read-only role holds INSERT, UPDATE, DELETE or TRUNCATE on a table it must not write"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.schema.model import CREATE
        from driftlint.verify.database import quote_ident
        from driftlint.verify.locate import locate

        inspection = ctx.inspected
        role = ctx.options.read_only_role
        if inspection is None or role is None:
            return
        for name in ctx.options.read_only_tables:
            schema, table = ctx.split_name(name)
            qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
            path, span = locate(ctx, (CREATE,), schema, table)
            if inspection.value("SELECT to_regclass(%s)", (qualified,)) is None:
                yield self.diagnostic(
                    f"Read-only table `{name}` does not exist in {inspection.label}, so its write block cannot be checked",
                    path,
                    span,
                    fix_title="Correct the table name in `read-only-tables`, or create the table",
                    subject=(role, f"{schema}.{table}", "missing"),
                )
                continue
            held = inspection.rows(PRIVILEGES, {"role": role, "table": qualified})[0]
            granted = [privilege for privilege, has in zip(NAMES, held) if has]
            if not granted:
                continue
            yield self.diagnostic(
                f"Read-only role `{role}` can write `{name}`: it holds {', '.join(granted)}",
                path,
                span,
                fix_title=f"REVOKE {', '.join(granted)} ON {name} FROM {role} (and from the roles it inherits from)",
                context=[
                    ("Checked on", [f"{inspection.label} ({inspection.url})"]),
                    ("Write privileges held", granted),
                ],
                subject=(role, f"{schema}.{table}"),
            )
