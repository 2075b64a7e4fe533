"""DL101 multiple-heads: more than one head, so `alembic upgrade head` fails."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER
from driftlint.graph import Node, RevisionGraph
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import alembic_command, describe, node_related, node_span


class MultipleHeads(Rule):
    code = "DL101"
    name = "multiple-heads"
    summary = "The revision history has more than one head"
    reads = frozenset({HEADER})
    fixable = True

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for analysis in project.environments:
            graph = analysis.graph
            if not graph.complete:
                continue  # a file driftlint cannot place may be any head's child (DL001/DL108 say which)
            heads = sorted(graph.heads, key=lambda n: (str(n.facts.path), n.revision))
            if len(heads) < 2 or _named_branches(graph, heads):
                continue
            effective = {id(n) for n in graph.effective_heads}
            ids = [n.revision for n in heads]
            anchor = heads[-1]
            lines = [
                describe(project, n) + (" (effective head)" if id(n) in effective else "")
                for n in heads
            ]
            merge = alembic_command(project, analysis.environment, "merge", "-m", '"merge heads"', *ids)
            where = f" of environment `{analysis.environment.name}`" if analysis.environment.declared else ""
            fix_title = f"Merge the heads{where}: `{merge}`"
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


def _named_branches(graph: RevisionGraph, heads: list[Node]) -> bool:
    """Whether the heads are branches kept apart on purpose: every head carries a branch label no
    other head has. Alembic gives a revision the labels of all its down_revision ancestors, so
    `alembic heads` shows `(expand) (head)` / `(contract) (head)` and `upgrade expand@head` picks
    one. An unlabelled head beside labelled ones is the evidence log's drift: the trunk's
    `upgrade head` fails and `upgrade heads` interleaves the labelled branch in no defined order."""
    lineages = [graph.versioned_ancestors(head.revision) for head in heads]
    labels = [
        set(head.branch_labels).union(*(graph.by_id[r].branch_labels for r in lineage))
        for head, lineage in zip(heads, lineages)
    ]
    unreadable = {n.revision for n in graph.unknown_labels}
    unnamed = 0
    for index, own in enumerate(labels):
        others = set().union(*(other for position, other in enumerate(labels) if position != index))
        head = heads[index].revision
        # A label driftlint cannot read on the head's branch may be the one that names it.
        if not own - others and not ({head} | lineages[index]) & unreadable:
            unnamed += 1
    return unnamed == 0
