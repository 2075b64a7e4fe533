"""DL110 duplicate-branch-label: a branch label used twice, or equal to a revision id."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import node_related, node_span


class DuplicateBranchLabel(Rule):
    code = "DL110"
    name = "duplicate-branch-label"
    summary = "A branch label is declared by two revisions, or equals a revision id"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            graph = analysis.graph
            for clash in analysis.graph.label_clashes:
                other = graph.by_id.get(clash.other)
                what = "is also a revision id" if clash.label == clash.other else f"is already used by revision {clash.other}"
                yield self.diagnostic(
                    f"Branch name '{clash.label}' in revision {clash.node.revision} {what}: Alembic raises RevisionError",
                    project.relpath(clash.node.facts.path),
                    node_span(clash.node, "branch_labels"),
                    fix_title="Rename the label so it is unique and differs from every revision id",
                    related=[node_related(project, other, f"revision {other.revision}", "branch_labels")] if other and other is not clash.node else [],
                    subject=(clash.label, clash.node.revision),
                )
