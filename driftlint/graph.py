"""The revision DAG, built exactly as `alembic/script/revision.py` builds its RevisionMap."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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


@dataclass(frozen=True)
class UpgradeOrder:
    """The order `alembic upgrade heads` runs every revision in, from an empty database."""

    revisions: tuple[str, ...]
    # False when Alembic takes part of it from iterating a set of revision ids (a revision with two
    # or more depends_on its ancestors do not already declare): then it can differ between runs.
    stable: bool

    @cached_property
    def position(self) -> dict[str, int]:
        return {revision: index for index, revision in enumerate(self.revisions)}

    def runs_before(self, first: str, second: str) -> bool:
        return self.position[first] < self.position[second]


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

    # -- ancestry ------------------------------------------------------------------------------

    @cached_property
    def index(self) -> dict[str, int]:
        """Each revision's position in load order: its bit in the ancestor masks."""
        return {node.revision: position for position, node in enumerate(self.load_order())}

    @cached_property
    def ancestor_masks(self) -> dict[str, int]:
        """Each revision's ancestors (down_revision + depends_on) as a bit set over `index`."""
        return _closure(self.parents, self.index)

    @cached_property
    def versioned_ancestor_masks(self) -> dict[str, int]:
        return _closure(self.versioned_parents, self.index)

    def ancestors(self, revision: str) -> set[str]:
        """Everything that `upgrade` guarantees has run before `revision` (down_revision + depends_on)."""
        return self._members(self.ancestor_masks.get(revision, 0))

    def versioned_ancestors(self, revision: str) -> set[str]:
        """Ancestors through down_revision only: the graph branch labels follow."""
        return self._members(self.versioned_ancestor_masks.get(revision, 0))

    def is_ancestor(self, ancestor: str, revision: str) -> bool:
        """Whether `ancestor` always runs before `revision`."""
        position = self.index.get(ancestor)
        return position is not None and bool(self.ancestor_masks.get(revision, 0) >> position & 1)

    def is_ordered(self, first: str, second: str) -> bool:
        """Whether one of the two revisions is guaranteed to run before the other."""
        return self.is_ancestor(first, second) or self.is_ancestor(second, first)

    def _members(self, mask: int) -> set[str]:
        order = self.load_order()
        bits = bin(mask)[:1:-1]  # lowest bit first, without "0b"
        members = set()
        position = bits.find("1")
        while position >= 0:
            members.add(order[position].revision)
            position = bits.find("1", position + 1)
        return members

    @cached_property
    def uncertain(self) -> frozenset[str]:
        """Revisions whose ancestry driftlint does not fully know: a down_revision or depends_on
        names no revision it can place (missing, or a file it cannot read), or depends_on is not a
        literal; and every revision above such a one. What runs before them is unknown, and where
        a reference is missing Alembic does not run at all: nothing may be concluded about them
        from ancestry (DL2xx)."""
        start = {reference.node.revision for reference in (*self.missing, *self.unresolved)}
        start |= {
            node.revision for node in self.by_id.values()
            if node.facts.header is not None and any(p.attribute == "depends_on" for p in node.facts.header.problems)
        }
        found: set[str] = set()
        stack = [r for r in start if r in self.by_id]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self.by_id[current].all_nextrev)
        return frozenset(found)

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
        """The placed revisions in Alembic's load order (for a duplicated id, the file Alembic keeps)."""
        return self._load_order

    @cached_property
    def _load_order(self) -> list[Node]:
        return sorted(self.by_id.values(), key=lambda n: n.order)

    # -- the order `alembic upgrade heads` runs them in -------------------------------------------

    @cached_property
    def upgrade_order(self) -> UpgradeOrder | None:
        """The order `alembic upgrade heads` applies every revision to an empty database, computed
        as RevisionMap._topological_sort does; None where Alembic cannot load the history (a
        missing or unplaced revision, a cycle, a branch label clash)."""
        if not self.complete or self.missing or self.unresolved or self.self_loops or self.label_clashes:
            return None
        if self.uncertain:
            return None  # a depends_on driftlint cannot read: the edges Alembic follows are not all known
        if self.alembic_cycle() is not None:
            return None
        return _upgrade_order(self)


def _placeable(facts: FileFacts) -> bool:
    """A file with a dynamic header still joins the graph when `revision` itself is known
    and only optional attributes are dynamic: the rest of the graph stays checkable."""
    header = facts.header
    assert header is not None
    dynamic = {p.attribute for p in header.problems}
    return "revision" not in dynamic and "down_revision" not in dynamic


def _closure(edges: Mapping[str, tuple[str, ...]], index: Mapping[str, int]) -> dict[str, int]:
    """Every node's ancestors along `edges` (child -> parents) as a bit set over `index`, itself
    excluded. Strongly connected components are taken parents first (Tarjan emits a component
    after every component it reaches), so each component's set is built once from its parents'
    sets: linear in the edges whether or not the graph has cycles, where walking from every
    node on a cycle would take quadratic time."""
    masks: dict[str, int] = {}
    for component in _components(edges):
        members = set(component)
        shared = 0
        for member in component:
            for parent in edges[member]:
                if parent in edges and parent not in members:
                    shared |= masks[parent] | 1 << index[parent]
        if len(component) > 1:
            for member in component:
                shared |= 1 << index[member]
        for member in component:
            masks[member] = shared & ~(1 << index[member])
    return masks


def _cyclic_components(edges: Mapping[str, tuple[str, ...]]) -> list[set[str]]:
    """The strongly connected components with more than one node."""
    return [set(component) for component in _components(edges) if len(component) > 1]


def _components(edges: Mapping[str, tuple[str, ...]]) -> list[list[str]]:
    """Every strongly connected component, each after all the components it reaches (Tarjan,
    iterative: a history of thousands of revisions is deeper than Python's recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
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
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(component)
    return found


def _upgrade_order(graph: RevisionGraph) -> UpgradeOrder:
    """RevisionMap._topological_sort for `upgrade heads` from an empty database, step for step.

    Alembic keeps a list of current heads, pre-sorted by load order, each with the set of its
    ancestors (itself included). It takes the current candidate head, and when another head has
    it among its ancestors, switches to the first such head; otherwise it emits the candidate
    and puts its parents (down_revision, then the depends_on no ancestor already declares) in
    its place. The emitted list runs from the heads down; `upgrade` applies it reversed.

    A head's set is always its own ancestry: moving down a plain line keeps the set less the
    emitted candidate, which is the parent's ancestry with the parent itself; a candidate is
    never an emitted revision. So "another head holds the candidate" is asked of the ancestry
    bit masks the graph already has, instead of building and updating a set per head.
    """
    nodes = graph.load_order()
    masks = graph.ancestor_masks
    position = graph.index
    # The map's key order: an id's first file (a duplicated id keeps its first position).
    inserted: dict[str, int] = {}
    for node in graph.nodes:
        inserted.setdefault(node.revision, len(inserted))
    normalized = _normalized_parents(graph)
    stable = True
    todo = {node.revision for node in nodes}
    real_heads = {n.revision for n in graph.real_heads}
    current_heads = sorted((r for r in real_heads if r in todo), key=inserted.__getitem__)
    output: list[str] = []
    candidate_index = 0
    while current_heads:
        candidate = current_heads[candidate_index]
        bit = 1 << position[candidate]
        holder = next(
            (i for i, head in enumerate(current_heads) if i != candidate_index and masks.get(head, 0) & bit), None
        )
        if holder is not None:
            candidate_index = holder
            continue
        if candidate in todo:
            output.append(candidate)
            todo.remove(candidate)
        down, dependencies, versioned = normalized[candidate]
        heads_to_add = [r for r in dict.fromkeys((*down, *dependencies)) if r in todo and r not in current_heads]
        if sum(1 for r in heads_to_add if r not in down) > 1:
            stable = False  # Alembic takes these from a set: their order varies with the hash seed
        if not heads_to_add:
            del current_heads[candidate_index]
            candidate_index = max(candidate_index - 1, 0)
        else:
            current_heads[candidate_index] = heads_to_add[0]
            current_heads.extend(heads_to_add[1:])
    return UpgradeOrder(tuple(reversed(output)), stable)


def _normalized_parents(graph: RevisionGraph) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], int]]:
    """Each revision's `_normalized_down_revisions` as Alembic splits them: its down_revision as
    declared, and its resolved depends_on minus those a down_revision ancestor already declares
    (RevisionMap._normalize_depends_on; Alembic keeps these in a set, declared order here); and
    the length of `_versioned_down_revisions` (not deduplicated)."""
    result: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {}
    for node in graph.by_id.values():
        down = tuple(dict.fromkeys(node.down_revisions))
        dependencies = node.resolved_dependencies
        if dependencies:
            declared: set[str] = set()
            for ancestor in graph.versioned_ancestors(node.revision):
                declared.update(graph.by_id[ancestor].resolved_dependencies)
            dependencies = tuple(d for d in dependencies if d not in declared)
        result[node.revision] = (down, dependencies, len(node.down_revisions))
    return result
