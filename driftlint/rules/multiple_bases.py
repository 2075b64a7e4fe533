"""DL102 multiple-bases: several roots, so independent branches have no order between them."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import describe, node_related, node_span

LISTED = 10


class MultipleBases(Rule):
    code = "DL102"
    name = "multiple-bases"
    summary = "The revision history has more than one base (down_revision = None)"
    reads = frozenset({HEADER})
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            bases = sorted(analysis.graph.real_bases, key=lambda n: (str(n.facts.path), n.revision))
            if len(bases) < 2:
                continue
            first, *others = bases
            # Every finding lists the bases, a bounded number of them: with thousands of bases,
            # listing all in each would make the report quadratic in their number.
            listed = [describe(project, n) for n in bases[:LISTED]]
            if len(bases) > LISTED:
                listed.append(f"… and {len(bases) - LISTED} more")
            for node in others:
                yield self.diagnostic(
                    f"Revision {node.revision} is a second base (down_revision = None) beside {first.revision}: "
                    f"its branch has no order relative to the rest of the history",
                    project.relpath(node.facts.path),
                    node_span(node, "down_revision"),
                    fix_title="Set `down_revision` to the revision this branch builds on, or add `depends_on`",
                    related=[node_related(project, first, f"first base {first.revision}")],
                    context=[("Bases", listed)],
                    subject=(node.revision,),
                )
