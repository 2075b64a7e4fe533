"""DL902 fresh-provision-failed: `alembic upgrade heads` cannot build the schema from an empty database."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic, Location, Related
from driftlint.rule import Gate
from driftlint.rules._alembic import node_span

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext

# query_canceled (statement_timeout) and lock_not_available (lock_timeout): verify's own bounds.
TIMEOUT_SQLSTATES = frozenset({"57014", "55P03"})
MISSING_RELATION = re.compile(r'^relation "(?:(?P<schema>[^"]+)\.)?(?P<name>[^"]+)" does not exist')


class FreshProvisionFailed(Gate):
    code = "DL902"
    name = "fresh-provision-failed"
    summary = "Migrating an empty database with `alembic upgrade heads` fails"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        if ctx.fresh is None or ctx.fresh.failure is None:
            return
        failure = ctx.fresh.failure
        project = ctx.project
        node = ctx.node(failure.revision) or (ctx.node_for_path(failure.path) if failure.path else None)
        if node is not None:
            path = project.relpath(node.facts.path)
            span = node_span(node)
            if failure.line:
                span = (failure.line, 1, failure.line, 1)
            elif node.facts.header and node.facts.header.upgrade_span:
                span = node.facts.header.upgrade_span
            where = f"at revision {ctx.describe(node.revision)}"
        elif failure.path is not None:
            path, span = project.relpath(failure.path), (failure.line or 1, 1, failure.line or 1, 1)
            where = f"in {project.relpath(failure.path)}"
        else:
            env_py = ctx.env_py()
            path, span = (project.relpath(env_py), (1, 1, 1, 1)) if env_py else ctx.anchor()
            where = "before any revision ran (in env.py or the Alembic configuration)"
        context = failure.context()
        if failure.sqlstate in TIMEOUT_SQLSTATES:
            context[0][1].append(
                f"verify bounds every statement and lock wait of the migrations by --timeout ({ctx.options.timeout:g} s); "
                "raise it if this statement needs longer on an empty database"
            )
        if ctx.fresh.applied:
            context.append(
                ("Ran before it (rolled back with it when the run is one transaction)", list(ctx.fresh.applied))
            )
        if ctx.fresh.output:
            context.append(("Alembic output (last lines)", list(ctx.fresh.output)))
        yield self.diagnostic(
            f"`alembic upgrade heads` fails on an empty database {where}: {failure.error}",
            path,
            span,
            related=_creators(ctx, failure.error, node.revision if node is not None else None),
            fix_title=(
                "Make the history build from zero: declare what this revision needs "
                "(`depends_on` or reparent it), or fix the failing statement"
            ),
            context=context,
            subject=(failure.revision or path, failure.error),
        )


def _creators(ctx: "VerifyContext", error: str, failing: str | None) -> list[Related]:
    """For `relation "x" does not exist`: the revision that creates x, when the schema history knows it."""
    from driftlint.schema.model import CREATE
    from driftlint.verify.locate import last_effect

    match = MISSING_RELATION.match(error)
    if match is None:
        return []
    name = match["name"]
    found = last_effect(ctx, (CREATE,), match["schema"] or ctx.default_schema, name)
    if found is None:
        return []
    path, span = found
    creator = ctx.node_for_path(ctx.project.cwd / path)
    ordered = failing is not None and creator is not None and creator.revision in ctx.analysis.graph.ancestors(failing)
    note = f"`{name}` is created here" + (
        "" if ordered else ", by a revision that is not an ancestor of the failing one"
    )
    return [Related(path, Location(span[0], span[1]), note)]
