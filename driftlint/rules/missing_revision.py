"""DL103 missing-revision: a down_revision or depends_on names no known revision or label."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import node_span


class MissingRevision(Rule):
    code = "DL103"
    name = "missing-revision"
    summary = "A down_revision or depends_on names no known revision or branch label"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            graph = analysis.graph
            known = list(graph.by_id)
            for missing in graph.missing:
                node = missing.node
                target = missing.target
                if target == "":
                    message = (
                        f'Revision {node.revision} has `{missing.via} = ""`: before Alembic 1.12.1 an empty string '
                        f"meant base, since then Alembic looks up a revision named \"\" and crashes with KeyError: ''"
                    )
                    fix = f"Use `{missing.via} = None`"
                else:
                    prefixed = [k for k in known if k.startswith(target) and k != target]
                    message = f"Revision {target} referenced from {node.revision} ({missing.via}) is not present: Alembic crashes with KeyError: '{target}'"
                    if len(prefixed) == 1:
                        message += f"; `{target}` looks like a partial id of {prefixed[0]}, and Alembic never expands partial ids written in files"
                        fix = f"Write the full id `{prefixed[0]}`"
                    else:
                        fix = "Point it at an existing revision, or restore the missing revision file"
                yield self.diagnostic(
                    message,
                    project.relpath(node.facts.path),
                    node_span(node, missing.via),
                    fix_title=fix,
                    subject=(node.revision, missing.via, target),
                )
