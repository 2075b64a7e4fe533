"""DL909 schema-drift: the live schema differs from a database built from the migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.catalog import SchemaSnapshot
    from driftlint.verify.context import Span, VerifyContext

ONLY_TARGET = "exists in the database but not in one built from the migrations"
ONLY_FRESH = "is created by the migrations but missing from the database"


class SchemaDrift(Gate):
    code = "DL909"
    name = "schema-drift"
    summary = "The database's schema differs from the schema the migrations build"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.verify.catalog import snapshot

        if ctx.target is None or ctx.fresh_db is None:
            return
        live, built = snapshot(ctx.target), snapshot(ctx.fresh_db)
        yield from self._relations(ctx, live, built)
        yield from self._columns(ctx, live, built)
        yield from self._indexes(ctx, live, built)
        yield from self._policies(ctx, live, built)

    def _where(self, ctx: "VerifyContext", schema: str, name: str) -> tuple[str, "Span"]:
        from driftlint.schema.model import ALTER, CREATE, RLS_DISABLE, RLS_ENABLE, RLS_FORCE
        from driftlint.verify.locate import locate

        return locate(ctx, (CREATE, ALTER, RLS_ENABLE, RLS_FORCE, RLS_DISABLE), schema, name)

    def _name(self, ctx: "VerifyContext", schema: str, name: str) -> str:
        return name if schema == ctx.default_schema else f"{schema}.{name}"

    def _finding(
        self,
        ctx: "VerifyContext",
        schema: str,
        table: str,
        message: str,
        subject: tuple[str, ...],
        live: str | None = None,
        built: str | None = None,
    ) -> Diagnostic:
        path, span = self._where(ctx, schema, table)
        context = []
        if live is not None or built is not None:
            context = [("In the database", [live or "(absent)"]), ("Built from the migrations", [built or "(absent)"])]
        return self.diagnostic(
            message,
            path,
            span,
            fix_title="Write a migration that brings the database and the history together (or remove the manual change)",
            context=context,
            subject=subject,
        )

    def _relations(self, ctx: "VerifyContext", live: "SchemaSnapshot", built: "SchemaSnapshot") -> Iterator[Diagnostic]:
        for key in sorted(live.relations.keys() | built.relations.keys()):
            schema, name = key
            a, b = live.relations.get(key), built.relations.get(key)
            shown = self._name(ctx, schema, name)
            if a is None and b is not None:
                yield self._finding(
                    ctx, schema, name, f"{b.kind.capitalize()} `{shown}` {ONLY_FRESH}", (schema, name, "missing")
                )
            elif b is None and a is not None:
                yield self._finding(
                    ctx, schema, name, f"{a.kind.capitalize()} `{shown}` {ONLY_TARGET}", (schema, name, "extra")
                )
            elif a is not None and b is not None:
                if a.kind != b.kind:
                    yield self._finding(
                        ctx,
                        schema,
                        name,
                        f"`{shown}` is a {a.kind} in the database but a {b.kind} from the migrations",
                        (schema, name, "kind"),
                        a.kind,
                        b.kind,
                    )
                    continue
                if (a.row_security, a.force_row_security) != (b.row_security, b.force_row_security):
                    yield self._finding(
                        ctx,
                        schema,
                        name,
                        f"Row-level security on `{shown}` is {_rls(a.row_security, a.force_row_security)} in the database "
                        f"but {_rls(b.row_security, b.force_row_security)} from the migrations",
                        (schema, name, "rls"),
                    )
                if a.definition != b.definition:
                    yield self._finding(
                        ctx,
                        schema,
                        name,
                        f"The query of {a.kind} `{shown}` differs from the one the migrations create",
                        (schema, name, "definition"),
                        a.definition,
                        b.definition,
                    )

    def _columns(self, ctx: "VerifyContext", live: "SchemaSnapshot", built: "SchemaSnapshot") -> Iterator[Diagnostic]:
        for key in sorted(live.columns.keys() | built.columns.keys()):
            schema, table, column = key
            if (schema, table) not in live.relations or (schema, table) not in built.relations:
                continue  # the whole relation is already reported
            a, b = live.columns.get(key), built.columns.get(key)
            shown = f"{self._name(ctx, schema, table)}.{column}"
            if a is None:
                yield self._finding(
                    ctx, schema, table, f"Column `{shown}` {ONLY_FRESH}", (schema, table, column, "missing")
                )
            elif b is None:
                yield self._finding(
                    ctx, schema, table, f"Column `{shown}` {ONLY_TARGET}", (schema, table, column, "extra")
                )
            elif a != b:
                yield self._finding(
                    ctx,
                    schema,
                    table,
                    f"Column `{shown}` is `{_column(a)}` in the database but `{_column(b)}` from the migrations",
                    (schema, table, column, "changed"),
                    _column(a),
                    _column(b),
                )

    def _indexes(self, ctx: "VerifyContext", live: "SchemaSnapshot", built: "SchemaSnapshot") -> Iterator[Diagnostic]:
        for key in sorted(live.indexes.keys() | built.indexes.keys()):
            schema, index = key
            a, b = live.indexes.get(key), built.indexes.get(key)
            table = (a or b)[0]  # type: ignore[index]
            shown = self._name(ctx, schema, index)
            if a is None:
                yield self._finding(
                    ctx,
                    schema,
                    table,
                    f"Index `{shown}` {ONLY_FRESH}",
                    (schema, index, "missing"),
                    None,
                    b[1] if b else None,
                )
            elif b is None:
                yield self._finding(
                    ctx, schema, table, f"Index `{shown}` {ONLY_TARGET}", (schema, index, "extra"), a[1], None
                )
            elif a != b:
                yield self._finding(
                    ctx,
                    schema,
                    table,
                    f"Index `{shown}` is defined differently in the database",
                    (schema, index, "changed"),
                    a[1],
                    b[1],
                )

    def _policies(self, ctx: "VerifyContext", live: "SchemaSnapshot", built: "SchemaSnapshot") -> Iterator[Diagnostic]:
        for key in sorted(live.policies.keys() | built.policies.keys()):
            schema, table, policy = key
            a, b = live.policies.get(key), built.policies.get(key)
            shown = f"`{policy}` on `{self._name(ctx, schema, table)}`"
            if a is None:
                yield self._finding(
                    ctx,
                    schema,
                    table,
                    f"Policy {shown} {ONLY_FRESH}",
                    (schema, table, policy, "missing"),
                    None,
                    _policy(b),
                )
            elif b is None:
                yield self._finding(
                    ctx,
                    schema,
                    table,
                    f"Policy {shown} {ONLY_TARGET}",
                    (schema, table, policy, "extra"),
                    _policy(a),
                    None,
                )
            elif a != b:
                yield self._finding(
                    ctx,
                    schema,
                    table,
                    f"Policy {shown} differs from the one the migrations create",
                    (schema, table, policy, "changed"),
                    _policy(a),
                    _policy(b),
                )


def _rls(enabled: bool, forced: bool) -> str:
    return (
        "enabled and forced"
        if enabled and forced
        else "enabled"
        if enabled
        else "forced but disabled"
        if forced
        else "disabled"
    )


def _column(value: tuple[str, bool, str | None]) -> str:
    type_, notnull, default = value
    return f"{type_}{' NOT NULL' if notnull else ''}{f' DEFAULT {default}' if default else ''}"


def _policy(value: tuple[str, ...] | None) -> str | None:
    if value is None:
        return None
    permissive, roles, cmd, qual, check = value
    text = f"{permissive} FOR {cmd} TO {roles or 'PUBLIC'}"
    if qual:
        text += f" USING ({qual})"
    if check:
        text += f" WITH CHECK ({check})"
    return text
