"""Pictures of revision graphs (`driftlint graph`): one model, rendered as a text tree, Mermaid or DOT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from driftlint.diagnostics import Diagnostic
from driftlint.project import EnvironmentAnalysis, Project


@dataclass(frozen=True)
class PictureNode:
    revision: str
    title: str  # first line of the docstring
    path: str  # relative to the cwd
    parents: tuple[str, ...]  # down_revision ids present in the graph, in declared order
    missing_parents: tuple[str, ...]  # down_revision ids no file defines
    depends_on: tuple[str, ...]  # resolved depends_on targets (revision ids)
    children: tuple[str, ...]  # through down_revision, in load order
    labels: tuple[str, ...]
    head: bool
    base: bool
    findings: tuple[str, ...]  # rule codes, sorted

    @property
    def merge(self) -> bool:
        return len(self.parents) + len(self.missing_parents) > 1

    @property
    def branch_point(self) -> bool:
        return len(self.children) > 1


@dataclass(frozen=True)
class Picture:
    """One Alembic environment's revision DAG, nodes in Alembic's load order."""

    name: str
    nodes: tuple[PictureNode, ...]

    @property
    def by_revision(self) -> dict[str, PictureNode]:
        return {node.revision: node for node in self.nodes}

    @property
    def heads(self) -> list[PictureNode]:
        return [node for node in self.nodes if node.head]


def pictures(project: Project, diagnostics: Sequence[Diagnostic]) -> list[Picture]:
    return [picture(project, analysis, diagnostics) for analysis in project.environments]


def environment_label(project: Project, analysis: EnvironmentAnalysis) -> str:
    env = analysis.environment
    if env.config_path is None:
        return env.name
    label = project.relpath(env.config_path)
    return f"{label} [{env.section}]" if env.section and env.section != "alembic" else label


def picture(project: Project, analysis: EnvironmentAnalysis, diagnostics: Sequence[Diagnostic]) -> Picture:
    graph = analysis.graph
    nodes = graph.load_order()
    order = {node.revision: index for index, node in enumerate(nodes)}
    heads = {node.revision for node in graph.heads}
    result = []
    for node in nodes:
        path = project.relpath(node.facts.path)
        codes = {
            d.code
            for d in diagnostics
            if d.path == path or (node.revision in d.subject and d.path in _paths(project, analysis))
        }
        result.append(
            PictureNode(
                revision=node.revision,
                title=node.facts.header.doc if node.facts.header is not None else "",
                path=path,
                parents=tuple(p for p in node.down_revisions if p in graph.by_id and p != node.revision),
                missing_parents=tuple(p for p in node.down_revisions if p not in graph.by_id),
                depends_on=tuple(node.resolved_dependencies),
                children=tuple(sorted(node.nextrev, key=lambda r: order.get(r, len(order)))),
                labels=tuple(node.branch_labels),
                head=node.revision in heads,
                base=not node.down_revisions,
                findings=tuple(sorted(codes)),
            )
        )
    return Picture(environment_label(project, analysis), tuple(result))


def _paths(project: Project, analysis: EnvironmentAnalysis) -> set[str]:
    """Where this environment's findings can be: its revision files and its config."""
    def compute(_: Project) -> set[str]:
        paths = {project.relpath(facts.path) for facts in analysis.scripts}
        if analysis.environment.config_path is not None:
            paths.add(project.relpath(analysis.environment.config_path))
        return paths

    return project.memo(f"pictures-paths-{id(analysis)}", compute)  # type: ignore[no-any-return]
