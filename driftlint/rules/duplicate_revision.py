"""DL104 duplicate-revision: two files declare the same revision id."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import node_related, node_span


class DuplicateRevision(Rule):
    code = "DL104"
    name = "duplicate-revision"
    summary = "Two files declare the same revision id"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            for revision, nodes in sorted(analysis.graph.duplicates.items()):
                first, *later = nodes
                for node in later:
                    yield self.diagnostic(
                        f"Revision {revision} is present more than once: {project.relpath(first.facts.path)} declares it too; "
                        f"Alembic keeps the later file and lists the id twice among the heads",
                        project.relpath(node.facts.path),
                        node_span(node),
                        fix_title="Give one of the files a new revision id (and fix its children)",
                        related=[node_related(project, first, f"first declaration of {revision}")],
                        subject=(revision,),
                    )
