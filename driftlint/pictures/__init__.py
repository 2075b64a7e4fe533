"""Pictures of revision graphs (`driftlint graph`): one model, rendered as a text tree, Mermaid or DOT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

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
    # A folded run: the revisions, oldest first, this one node stands for (see fold_runs);
    # `revision` is then the first of them. An earlier part left out: how many revisions.
    folded: tuple[str, ...] = ()
    omitted: int = 0

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


# Runs of at least this many plain revisions (one parent, one child, nothing to mark) fold into one node.
COLLAPSE_AT = 3
# The key of the node standing for an earlier part left out (see recent): no revision id has a colon.
EARLIER = ":earlier"


def plain(node: PictureNode) -> bool:
    """A revision with nothing to show but its place in a line: foldable."""
    return (
        len(node.parents) == 1
        and len(node.children) == 1
        and not node.missing_parents
        and not node.depends_on
        and not node.labels
        and not node.findings
        and not node.head
        and not node.folded
        and not node.omitted
    )


def fold_runs(picture: Picture) -> Picture:
    """The picture with every run of at least COLLAPSE_AT plain revisions as one node, as the text
    format draws them: a 2,000-revision history is mostly such runs."""
    by_revision = picture.by_revision
    into: dict[str, str] = {}  # member of a folded run -> the run's key
    runs: dict[str, tuple[str, ...]] = {}
    for node in picture.nodes:
        if node.revision in into or not plain(node):
            continue
        parent = by_revision.get(node.parents[0])
        if parent is not None and plain(parent):
            continue  # not the first of its run
        run = [node.revision]
        child = by_revision.get(node.children[0])
        while child is not None and plain(child) and child.revision not in into and child.revision != node.revision:
            run.append(child.revision)
            child = by_revision.get(child.children[0])
        if len(run) >= COLLAPSE_AT:
            runs[run[0]] = tuple(run)
            into.update((member, run[0]) for member in run)
    if not runs:
        return picture

    def keys(revisions: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(into.get(r, r) for r in revisions))

    nodes = []
    for node in picture.nodes:
        if node.revision in runs:
            members = runs[node.revision]
            last = by_revision[members[-1]]
            nodes.append(replace(node, title="", children=keys(last.children), folded=members))
        elif node.revision not in into:
            nodes.append(replace(node, parents=keys(node.parents), children=keys(node.children), depends_on=keys(node.depends_on)))
    return Picture(picture.name, tuple(nodes))


def by_recency(picture: Picture) -> list[str]:
    """The revisions in the order a cut-down picture keeps them (see recent): the heads, those
    with findings, then the others by their distance from a head (down_revision steps), then any
    a head does not reach (a cycle)."""
    by_revision = picture.by_revision
    ranked = dict.fromkeys(node.revision for node in picture.nodes if node.head)
    ranked.update(dict.fromkeys(node.revision for node in picture.nodes if node.findings))
    frontier = [node.revision for node in picture.nodes if node.head]
    seen = set(frontier)
    while frontier:
        ranked.update(dict.fromkeys(frontier))
        following = []
        for revision in frontier:
            for parent in by_revision[revision].parents:
                if parent not in seen:
                    seen.add(parent)
                    following.append(parent)
        frontier = following
    ranked.update(dict.fromkeys(node.revision for node in picture.nodes))
    return list(ranked)


def recent(picture: Picture, keep: int, ranked: list[str] | None = None) -> Picture:
    """The picture with only the first `keep` revisions of by_recency; everything else is one
    node that the kept revisions whose parents are left out hang from."""
    kept = set((ranked or by_recency(picture))[:keep])
    left_out = [node for node in picture.nodes if node.revision not in kept]
    if not left_out:
        return picture
    earlier = PictureNode(
        revision=EARLIER, title="", path="", parents=(), missing_parents=(), depends_on=(), children=(),
        labels=(), head=False, base=False, findings=(), omitted=sum(max(1, len(n.folded)) for n in left_out),
    )
    nodes = [earlier]
    for node in picture.nodes:
        if node.revision not in kept:
            continue
        parents = tuple(dict.fromkeys(p if p in kept else EARLIER for p in node.parents))
        depends_on = tuple(d for d in node.depends_on if d in kept)
        nodes.append(replace(node, parents=parents, depends_on=depends_on, children=tuple(c for c in node.children if c in kept)))
    return Picture(picture.name, tuple(nodes))


def pictures(project: Project, diagnostics: Sequence[Diagnostic]) -> list[Picture]:
    return [picture(project, analysis, diagnostics) for analysis in project.environments]


def picture(project: Project, analysis: EnvironmentAnalysis, diagnostics: Sequence[Diagnostic]) -> Picture:
    graph = analysis.graph
    nodes = graph.load_order()
    order = {node.revision: index for index, node in enumerate(nodes)}
    heads = {node.revision for node in graph.heads}
    # A revision is marked with the findings in its file, and with those of this environment
    # that name it (a head listed by the finding on another head).
    in_file: dict[str, set[str]] = {}
    naming: dict[str, set[str]] = {}
    paths = _paths(project, analysis)
    for d in diagnostics:
        in_file.setdefault(d.path, set()).add(d.code)
        if d.path in paths:
            for item in d.subject:
                naming.setdefault(item, set()).add(d.code)
    result = []
    for node in nodes:
        path = project.relpath(node.facts.path)
        codes = in_file.get(path, set()) | naming.get(node.revision, set())
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
    return Picture(project.environment_label(analysis), tuple(result))


def _paths(project: Project, analysis: EnvironmentAnalysis) -> set[str]:
    """Where this environment's findings can be: its revision files and its config."""
    def compute(_: Project) -> set[str]:
        paths = {project.relpath(facts.path) for facts in analysis.scripts}
        if analysis.environment.config_path is not None:
            paths.add(project.relpath(analysis.environment.config_path))
        return paths

    return project.memo(f"pictures-paths-{id(analysis)}", compute)  # type: ignore[no-any-return]
