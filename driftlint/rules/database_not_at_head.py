"""DL901 database-not-at-head: the live database lacks revisions the scripts have, or has unknown ones."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic, Location, Related
from driftlint.rule import Gate
from driftlint.rules._alembic import alembic_command, node_span

if TYPE_CHECKING:
    from driftlint.graph import RevisionGraph
    from driftlint.verify.context import VerifyContext
    from driftlint.verify.database import Inspection


class DatabaseNotAtHead(Gate):
    code = "DL901"
    name = "database-not-at-head"
    summary = "The database's alembic_version differs from the script heads"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        # A database we just migrated with `upgrade heads` is at head by construction.
        if ctx.target is None:
            return
        stamped = _stamped(ctx, ctx.target)
        if stamped is None:
            return
        graph = ctx.analysis.graph
        project = ctx.project
        path, span = ctx.anchor()
        applied: set[str] = set()
        for revision in stamped:
            if revision in graph.by_id:
                applied |= {revision} | graph.ancestors(revision)
        pending = _upgrade_order(graph, set(graph.by_id) - applied)
        upgrade = alembic_command(project, ctx.analysis.environment, "upgrade", "heads")
        if pending:
            shown = ", ".join(pending[:8]) + (f" and {len(pending) - 8} more" if len(pending) > 8 else "")
            state = f"is stamped {', '.join(sorted(stamped))}" if stamped else "has no applied revision"
            yield self.diagnostic(
                f"The database {state} and lacks {len(pending)} revision{'s' if len(pending) != 1 else ''} "
                f"of the script heads: {shown}",
                path,
                span,
                fix_title=f"Apply the pending revisions: `{upgrade}`",
                related=[
                    Related(
                        project.relpath(graph.by_id[r].facts.path),
                        Location(*node_span(graph.by_id[r])[:2]),
                        f"pending revision {r}",
                    )
                    for r in pending
                ],
                context=[
                    ("Stamped in alembic_version", sorted(stamped) or ["(nothing)"]),
                    ("Script heads", sorted(n.revision for n in graph.real_heads)),
                    ("Pending, in upgrade order", [ctx.describe(r) for r in pending]),
                ],
                subject=("pending", *sorted(pending)),
            )
        for revision in sorted(r for r in stamped if r not in graph.by_id):
            yield self.diagnostic(
                f"The database is stamped with revision {revision}, which no revision file defines "
                "(deleted, renamed, or applied from another branch)",
                path,
                span,
                fix_title=f"Restore the revision file for {revision}, or re-stamp the database to a known revision",
                context=[
                    ("Stamped in alembic_version", sorted(stamped)),
                    ("Script heads", sorted(n.revision for n in graph.real_heads)),
                ],
                subject=("unknown", revision),
            )


def _upgrade_order(graph: "RevisionGraph", pending: set[str]) -> list[str]:
    """The pending revisions parents first, the earliest loaded (then the smallest id) whenever
    several are ready: a lexicographical topological sort (Kahn's, over a heap)."""
    children: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for revision in pending:
        parents = [parent for parent in graph.parents[revision] if parent in pending]
        waiting[revision] = len(parents)
        for parent in parents:
            children.setdefault(parent, []).append(revision)
    ready = [(graph.by_id[revision].order, revision) for revision, count in waiting.items() if not count]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        _, revision = heapq.heappop(ready)
        ordered.append(revision)
        for child in children.get(revision, ()):
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, (graph.by_id[child].order, child))
    if len(ordered) < len(pending):
        # Revisions on a cycle have no upgrade order (Alembic refuses them; DL105 says why): they
        # are still missing from the database, listed after the rest in load order.
        done = set(ordered)
        ordered.extend(sorted((r for r in pending if r not in done), key=lambda r: (graph.by_id[r].order, r)))
    return ordered


def _stamped(ctx: "VerifyContext", inspection: "Inspection") -> set[str] | None:
    from driftlint.verify import alembic_env
    from driftlint.verify.database import quote_ident
    from driftlint.verify.errors import VerifyError

    configured = ctx.options.version_table
    if configured:
        schema, _, table = configured.rpartition(".")
        location: tuple[str | None, str] | str = (schema or None, table)
    else:
        location = alembic_env.version_table(ctx.env_py())
    if location == alembic_env.UNKNOWN:
        raise VerifyError(
            "env.py sets version_table at run time; name it with `version-table` in [tool.driftlint.verify]"
        )
    assert isinstance(location, tuple)
    in_schema, table = location[0], location[1]
    qualified = f"{quote_ident(in_schema)}.{quote_ident(table)}" if in_schema else quote_ident(table)
    if inspection.value("SELECT to_regclass(%s)", (qualified,)) is None:
        return set()
    return {str(row[0]) for row in inspection.rows(f"SELECT version_num FROM {qualified}")}
