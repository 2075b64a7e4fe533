"""DL105 revision-cycle: a cycle through down_revision and/or depends_on."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import describe, node_related, node_span


class RevisionCycle(Rule):
    code = "DL105"
    name = "revision-cycle"
    summary = "Revisions form a cycle through down_revision or depends_on"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            graph = analysis.graph
            for node, via in graph.self_loops:
                kind = "Self-loop" if via == "down_revision" else "Dependency self-loop"
                yield self.diagnostic(
                    f"{kind} is detected in revisions ({node.revision}): it names itself in `{via}`",
                    project.relpath(node.facts.path),
                    node_span(node, via),
                    fix_title=f"Remove {node.revision} from its own `{via}`",
                    subject=(node.revision, via),
                )
            if graph.missing:
                continue  # Alembic fails on the missing revision first; DL103 reports it.
            detected = graph.alembic_cycle()
            if detected is None:
                continue
            kind, ids = detected
            members = [m for m, _ in graph.cycles()] or [ids]
            involved = sorted({r for group in members for r in group if r in graph.by_id}) or ids
            nodes = sorted((graph.by_id[r] for r in involved if r in graph.by_id), key=lambda n: (str(n.facts.path), n.revision))
            if not nodes:
                continue
            anchor = nodes[0]
            text = "Dependency cycle" if kind == "DependencyCycleDetected" else "Cycle"
            yield self.diagnostic(
                f"{text} is detected in revisions ({', '.join(ids)}): Alembic raises {kind}",
                project.relpath(anchor.facts.path),
                node_span(anchor, "down_revision"),
                fix_title="Break the cycle: one of these revisions must not point back at its descendants",
                related=[node_related(project, n, f"in the cycle: {n.revision}", "down_revision") for n in nodes[1:]],
                context=[("Cycle", [describe(project, n) for n in nodes])],
                subject=tuple(ids),
            )
