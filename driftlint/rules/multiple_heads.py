"""DL101 multiple-heads: more than one head, so `alembic upgrade head` fails."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import alembic_command, describe, node_related, node_span


class MultipleHeads(Rule):
    code = "DL101"
    name = "multiple-heads"
    summary = "The revision history has more than one head"
    fixable = True

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            graph = analysis.graph
            if not graph.complete:
                continue  # a file driftlint cannot place may be any head's child (DL001/DL108 say which)
            heads = sorted(graph.heads, key=lambda n: (str(n.facts.path), n.revision))
            if len(heads) < 2:
                continue
            effective = {id(n) for n in graph.effective_heads}
            ids = [n.revision for n in heads]
            anchor = heads[-1]
            lines = [
                describe(project, n) + (" (effective head)" if id(n) in effective else "")
                for n in heads
            ]
            merge = alembic_command(project, analysis.environment, "merge", "-m", '"merge heads"', *ids)
            fix_title = f"Merge the heads: `{merge}`"
            if len(set(ids)) < len(ids):
                # `alembic merge a100 a100` cannot help: the duplicated id has to go first.
                fix_title = "Give the duplicated revision a new id (see DL104), then merge what heads remain"
            if len(graph.real_heads) == 1:
                message = (
                    f"{len(heads)} heads ({', '.join(ids)}): only a depends_on ties them, so `upgrade heads` works "
                    f"but `upgrade head` fails with \"Multiple head revisions are present\""
                )
            else:
                message = (
                    f"{len(heads)} heads ({', '.join(ids)}): `alembic upgrade head` fails with "
                    f"\"Multiple head revisions are present\", and `upgrade heads` runs the branches in no defined order"
                )
            yield self.diagnostic(
                message,
                project.relpath(anchor.facts.path),
                node_span(anchor),
                fix_title=fix_title,
                related=[node_related(project, n, f"head {n.revision}") for n in heads if n is not anchor],
                context=[("Heads", lines)],
                subject=tuple(sorted(ids)),
            )
