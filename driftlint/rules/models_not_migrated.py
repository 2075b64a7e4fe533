"""DL910 models-not-migrated: the models differ from the schema the migrations build, as `alembic check` finds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import Span, VerifyContext
    from driftlint.verify.outcome import ModelDifference

FIX_TITLE = "Write the migration for it (`alembic revision --autogenerate`), or change the model back"
CODE_LINES = 12
# Longer code (a whole create_table) shows its first line in the message, all of it below.
MESSAGE_CODE = 160


class ModelsNotMigrated(Gate):
    code = "DL910"
    name = "models-not-migrated"
    summary = "The models (env.py's target_metadata) differ from the schema the migrations build"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        if ctx.fresh is None or ctx.fresh.models is None:
            return
        models = ctx.fresh.models
        if models.failure is not None:
            path, span = _env_py(ctx)
            failure = models.failure
            yield self.diagnostic(
                f"`alembic check` fails on the database the migrations build: {failure.error}",
                path,
                span,
                fix_title="Make autogenerate run on this project (`alembic check`), then compare again",
                context=[("Error", [failure.error, failure.exception])],
                subject=("check-failed", failure.error),
            )
        for difference in models.differences:
            path, span = _where(ctx, difference)
            code = list(difference.code)
            joined = " ".join(line.strip() for line in code)
            shown = joined if len(joined) <= MESSAGE_CODE else code[0].rstrip() + " ..."
            yield self.diagnostic(
                f"{_describe(ctx, difference)}: autogenerate would write `{shown}`",
                path,
                span,
                fix_title=FIX_TITLE,
                context=[("Autogenerate would write", code[:CODE_LINES] + (["..."] if len(code) > CODE_LINES else []))],
                subject=(difference.kind, difference.schema or "", difference.table or "", difference.column or difference.name or ""),
            )


def _qualified(ctx: "VerifyContext", difference: "ModelDifference") -> str:
    table = difference.table or "?"
    return table if difference.schema in (None, ctx.default_schema) else f"{difference.schema}.{table}"


def _describe(ctx: "VerifyContext", d: "ModelDifference") -> str:
    table = _qualified(ctx, d)
    column = f"{table}.{d.column}"
    name = f"`{d.name}` " if d.name else ""
    constraint = "Foreign key" if d.kind.endswith("_fk") else "Constraint"
    messages = {
        "add_table": f"Table `{table}` is in the models but no migration creates it",
        "remove_table": f"Table `{table}` is created by the migrations but is not in the models",
        "add_column": f"Column `{column}` is in the models but no migration adds it",
        "remove_column": f"Column `{column}` is created by the migrations but is not in the models",
        "modify_type": f"Column `{column}` is `{d.was}` in the migrated database but `{d.now}` in the models",
        "modify_nullable": f"Column `{column}` is {d.was} in the migrated database but {d.now} in the models",
        "modify_default": f"The server default of `{column}` is `{d.was}` in the migrated database but `{d.now}` in the models",
        "modify_comment": f"The comment on `{column}` differs between the migrated database and the models",
        "add_index": f"Index {name}on `{table}` is in the models but no migration creates it",
        "remove_index": f"Index {name}on `{table}` is created by the migrations but is not in the models",
        "add_constraint": f"{constraint} {name}on `{table}` is in the models but no migration creates it",
        "add_fk": f"{constraint} {name}on `{table}` is in the models but no migration creates it",
        "remove_constraint": f"{constraint} {name}on `{table}` is created by the migrations but is not in the models",
        "remove_fk": f"{constraint} {name}on `{table}` is created by the migrations but is not in the models",
        "add_table_comment": f"The comment on table `{table}` is in the models but no migration sets it",
        "remove_table_comment": f"The comment on table `{table}` is set by the migrations but is not in the models",
    }
    return messages.get(d.kind, f"The models and the migrated database differ on `{table}` ({d.kind})")


def _where(ctx: "VerifyContext", difference: "ModelDifference") -> tuple[str, "Span"]:
    """The model's column, else its table, else env.py's target_metadata line."""
    from driftlint.verify.models import find_table

    if difference.table is not None:
        definition = find_table(ctx, difference.schema, difference.table)
        if definition is not None:
            span = definition.columns.get(difference.column or "", definition.span)
            return ctx.project.relpath(definition.path), span
    return _env_py(ctx)


def _env_py(ctx: "VerifyContext") -> tuple[str, "Span"]:
    from driftlint.verify.models import metadata_line

    env_py = ctx.env_py()
    if env_py is None:
        return ctx.anchor()
    line = metadata_line(env_py)
    return ctx.project.relpath(env_py), (line, 1, line, 1)
