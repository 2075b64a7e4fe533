"""The revision DAG, built exactly as `alembic/script/revision.py` builds its RevisionMap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from driftlint.facts.model import FileFacts


@dataclass
class Node:
    """One loaded revision (a duplicate id yields two Nodes: Alembic keeps both as heads)."""

    revision: str
    down_revisions: tuple[str, ...]
    depends_on: tuple[str, ...]
    branch_labels: tuple[str, ...]
    facts: FileFacts
    order: int  # load order: location, then sorted file name, then sorted sub-folder
    nextrev: set[str] = field(default_factory=set)
    all_nextrev: set[str] = field(default_factory=set)
    resolved_dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingReference:
    node: Node
    target: str
    via: str  # "down_revision" or "depends_on"


@dataclass(frozen=True)
class LabelClash:
    label: str
    node: Node
    other: str  # the revision that already uses the label (or the id it equals)


class RevisionGraph:
    """Heads, real heads, bases, labels and cycles with Alembic's exact semantics.

    `self.parents` maps every revision to the revisions it runs after: its down_revisions first
    (those that exist), then its resolved depends_on. Plain dicts, not networkx: importing
    networkx costs more than every graph question a check asks of a 2,000-revision history.
    """

    def __init__(self, scripts: Iterable[FileFacts]):
        self.nodes: list[Node] = []
        self.by_id: dict[str, Node] = {}
        self.labels: dict[str, Node] = {}
        self.duplicates: dict[str, list[Node]] = {}
        self.missing: list[MissingReference] = []
        self.label_clashes: list[LabelClash] = []
        self.self_loops: list[tuple[Node, str]] = []
        # Files Alembic loads but driftlint cannot place: ids known but parents dynamic (unplaced),
        # and files whose id itself is unknown (a parse error, a dynamic `revision`). A reference
        # that may point at one of them is unknown, never reported as missing.
        self.unplaced: dict[str, FileFacts] = {}
        self.opaque: list[FileFacts] = []
        self.unresolved: list[MissingReference] = []
        for order, facts in enumerate(scripts):
            header = facts.header
            if header is None or header.revision is None:
                if header is None or header.has_revision:
                    self.opaque.append(facts)
                continue
            if header.is_dynamic and not _placeable(facts) or not header.has_down_revision:
                # Without `down_revision` Alembic fails with AttributeError (DL107): not a base.
                self.unplaced[header.revision] = facts
                continue
            node = Node(
                revision=header.revision,
                down_revisions=header.down_revision or (),
                depends_on=header.depends_on,
                branch_labels=header.branch_labels,
                facts=facts,
                order=order,
            )
            self.nodes.append(node)
            if node.revision in self.by_id:
                self.duplicates.setdefault(node.revision, [self.by_id[node.revision]]).append(node)
            self.by_id[node.revision] = node
        # Revisions whose branch_labels driftlint cannot read (`branch_labels = (cli.EXPAND_BRANCH,)`):
        # a depends_on naming no known revision or label may name one of theirs.
        self.unknown_labels: list[Node] = [
            n for n in self.nodes if n.facts.header is not None and any(p.attribute == "branch_labels" for p in n.facts.header.problems)
        ]
        self._heads: list[Node] = list(self.nodes)
        self._real_heads: list[Node] = list(self.nodes)
        self._link()
        self.parents: dict[str, tuple[str, ...]] = {}
        self.versioned_parents: dict[str, tuple[str, ...]] = {}
        for node in self.by_id.values():
            down = tuple(dict.fromkeys(d for d in node.down_revisions if d in self.by_id and d != node.revision))
            self.versioned_parents[node.revision] = down
            self.parents[node.revision] = tuple(dict.fromkeys((*down, *node.resolved_dependencies)))

    # -- construction, mirroring RevisionMap._revision_map -------------------------------------

    def _link(self) -> None:
        final = list(self.by_id.values())
        # Labels map to the revision that declares them (revision.py _map_branch_labels); a label
        # equal to any id, its own included, is already in that map, so Alembic raises.
        for node in final:
            for label in node.branch_labels:
                if label in self.by_id:
                    self.label_clashes.append(LabelClash(label, node, label))
                elif label in self.labels and self.labels[label] is not node:
                    self.label_clashes.append(LabelClash(label, node, self.labels[label].revision))
                else:
                    self.labels[label] = node
        heads = {id(n) for n in self.nodes}
        real_heads = {id(n) for n in self.nodes}
        for node in final:
            resolved = []
            for dep in node.depends_on:
                target = self.by_id.get(dep) or self.labels.get(dep)
                if target is None:
                    self._unknown_target(MissingReference(node, dep, "depends_on"))
                    continue
                if target.revision == node.revision:
                    self.self_loops.append((node, "depends_on"))
                    continue
                resolved.append(target.revision)
            node.resolved_dependencies = tuple(dict.fromkeys(resolved))
        for node in final:
            for down in node.down_revisions:
                if down == node.revision:
                    self.self_loops.append((node, "down_revision"))
                    continue
                parent = self.by_id.get(down)
                if parent is None:
                    self._unknown_target(MissingReference(node, down, "down_revision"))
                    continue
                parent.nextrev.add(node.revision)
                parent.all_nextrev.add(node.revision)
                heads.discard(id(parent))
                real_heads.discard(id(parent))
            for dep in node.resolved_dependencies:
                parent = self.by_id[dep]
                parent.all_nextrev.add(node.revision)
                real_heads.discard(id(parent))
        self._heads = [n for n in self.nodes if id(n) in heads]
        self._real_heads = [n for n in self.nodes if id(n) in real_heads]

    def _unknown_target(self, reference: MissingReference) -> None:
        if reference.target in self.unplaced or self.opaque or (reference.via == "depends_on" and self.unknown_labels):
            self.unresolved.append(reference)
        else:
            self.missing.append(reference)

    @property
    def complete(self) -> bool:
        """Whether every revision file is placed: otherwise heads and ancestry are only partly known.

        A file that does not parse is placed when its header can still be read (recover_header);
        one whose id or parents cannot be read may be any revision's parent or child.
        """
        return not self.unplaced and not self.opaque

    # -- vocabulary of revision.py -------------------------------------------------------------

    @property
    def heads(self) -> list[Node]:
        """`get_heads()`: no child through down_revision (depends_on children do not count)."""
        return self._heads

    @property
    def real_heads(self) -> list[Node]:
        """`get_heads(consider_depends_on=True)`: what `upgrade heads` targets."""
        return self._real_heads

    @property
    def effective_heads(self) -> list[Node]:
        """Heads that only a depends_on points at: `alembic heads` marks them (effective head)."""
        real = {id(n) for n in self._real_heads}
        return [n for n in self._heads if id(n) not in real]

    @property
    def bases(self) -> list[Node]:
        return [n for n in self.by_id.values() if not n.down_revisions]

    @property
    def real_bases(self) -> list[Node]:
        return [
            n for n in self.by_id.values()
            if not n.down_revisions and not n.depends_on and not (n.facts.header is not None and n.facts.header.depends_on_blank)
        ]

    def ancestors(self, revision: str) -> set[str]:
        """Everything that `upgrade` guarantees has run before `revision` (down_revision + depends_on)."""
        return _reachable(self.parents, revision)

    def versioned_ancestors(self, revision: str) -> set[str]:
        """Ancestors through down_revision only: the graph branch labels follow."""
        return _reachable(self.versioned_parents, revision)

    def is_ordered(self, first: str, second: str) -> bool:
        """Whether one of the two revisions is guaranteed to run before the other."""
        return first in self.ancestors(second) or second in self.ancestors(first)

    def cycles(self) -> list[tuple[list[str], bool]]:
        """Each cycle as (sorted ids, needs_depends_on), as CycleDetected/DependencyCycleDetected."""
        found: list[tuple[list[str], bool]] = []
        seen: set[frozenset[str]] = set()
        for component in _cyclic_components(self.versioned_parents):
            seen.add(frozenset(component))
            found.append((sorted(component), False))
        for component in _cyclic_components(self.parents):
            if frozenset(component) not in seen:
                found.append((sorted(component), True))
        return sorted(found)

    def alembic_cycle(self) -> tuple[str, list[str]] | None:
        """What RevisionMap._detect_cycles raises: ("CycleDetected" | "DependencyCycleDetected", ids)."""
        if not self.by_id:
            return None
        ids = set(self.by_id)

        def walk(starts: Iterable[Node], step: Any) -> set[str]:
            seen: set[str] = set()
            stack = [n.revision for n in starts]
            while stack:
                current = stack.pop()
                if current in seen or current not in self.by_id:
                    continue
                seen.add(current)
                stack.extend(step(self.by_id[current]))
            return seen

        heads = [n for n in self._heads if self.by_id.get(n.revision) is n]
        # A revision whose parent driftlint cannot place hangs below an unknown part of the graph:
        # walking up from it stands in for walking up from the real bases.
        hanging = [n for n in self.by_id.values() if any(r.node is n for r in self.unresolved)]
        bases = [*self.bases, *hanging]
        if not heads or not bases:
            return ("CycleDetected", sorted(ids))
        space = walk(heads, lambda n: n.down_revisions) & walk(bases, lambda n: n.nextrev)
        if ids - space:
            return ("CycleDetected", sorted(ids - space))
        real_heads = [n for n in self._real_heads if self.by_id.get(n.revision) is n]
        real_bases = [*self.real_bases, *hanging]
        if not real_heads or not real_bases:
            return ("DependencyCycleDetected", sorted(ids))
        space = walk(real_heads, lambda n: (*n.down_revisions, *n.resolved_dependencies)) & walk(
            real_bases, lambda n: n.all_nextrev
        )
        if ids - space:
            return ("DependencyCycleDetected", sorted(ids - space))
        return None

    def load_order(self) -> list[Node]:
        return sorted(self.by_id.values(), key=lambda n: n.order)


def _placeable(facts: FileFacts) -> bool:
    """A file with a dynamic header still joins the graph when `revision` itself is known
    and only optional attributes are dynamic: the rest of the graph stays checkable."""
    header = facts.header
    assert header is not None
    dynamic = {p.attribute for p in header.problems}
    return "revision" not in dynamic and "down_revision" not in dynamic


def _reachable(edges: Mapping[str, tuple[str, ...]], start: str) -> set[str]:
    """Every node reachable from `start` along `edges`, `start` itself excluded (unless on a cycle)."""
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(edges.get(current, ()))
    seen.discard(start)
    return seen


def _cyclic_components(edges: Mapping[str, tuple[str, ...]]) -> list[set[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative: a history of
    thousands of revisions is deeper than Python's recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in edges:
                    continue
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found
