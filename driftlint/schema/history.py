"""Per environment, which revisions create, drop, rename and use each schema object, and in what order."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from driftlint.facts.extractors import SCHEMA
from driftlint.schema.model import (
    CREATE,
    DROP,
    EMPTY,
    INDEX,
    MATVIEW,
    POLICY,
    RENAME,
    ROW_SECURITY_OFF,
    Branch,
    Effect,
    IndexInfo,
    ObjectRef,
    RevisionEffects,
    Span,
    exclusive,
)

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.facts.model import FileFacts
    from driftlint.graph import UpgradeOrder
    from driftlint.project import EnvironmentAnalysis, Project

EXTRACTOR_KEY = SCHEMA.key
# An object's identity inside one environment: the multidb engine and ObjectRef.key.
ObjectKey = tuple[str, tuple[str, ...]]

PRESENT = "present"
ABSENT = "absent"
MIXED = "mixed"
NONE = "none"


@dataclass(frozen=True)
class Creation:
    """Where an object that exists after every revision has run was (last) created."""

    obj: ObjectRef
    revision: str
    path: Path
    span: Span
    engine: str = ""


@dataclass(frozen=True)
class Event:
    """One effect of one revision on one object. `action` is the effect's, except that a
    rename shows up twice: as RENAME on the old name and as "rename_into" on the new one."""

    revision: str
    position: int
    action: str
    effect: Effect

    @property
    def creates(self) -> bool:
        return self.action in (CREATE, RENAME_INTO)

    @property
    def removes(self) -> bool:
        return self.action in (DROP, RENAME)


RENAME_INTO = "rename_into"


@dataclass(frozen=True)
class Failure:
    """A statement that fails on a fresh database in the order Alembic runs the revisions today,
    and the last statement before it that created or removed the object (None: none did)."""

    event: Event
    after: Event | None


@dataclass(frozen=True)
class Prior:
    """An object's state when an effect runs: PRESENT, ABSENT, MIXED (depends on branch order)
    or NONE (nothing before it touched the object); `events` are the deciding ones."""

    status: str
    events: tuple[Event, ...] = ()


def _renamed(obj: ObjectRef, new_name: str) -> ObjectRef:
    return ObjectRef(obj.kind, obj.schema, new_name, obj.parent)


class EnvironmentHistory:
    """The schema-object history of one Alembic environment (one revision graph)."""

    def settings(self, project: Project) -> Settings:
        """The settings this environment is checked with: its config file's closest ones."""
        return project.environment_settings(self.environment)

    def __init__(self, analysis: "EnvironmentAnalysis"):
        graph = analysis.graph
        self.environment = analysis.environment
        self.graph = graph
        self.nodes = graph.by_id
        self.order = [node.revision for node in graph.load_order()]
        self.index = graph.index
        self.effects: dict[str, RevisionEffects] = {}
        self.events: dict[ObjectKey, list[Event]] = {}
        self.objects: dict[ObjectKey, ObjectRef] = {}
        # What the rules ask of every effect they look at, answered once here.
        self._creators: dict[ObjectKey, list[Event]] = {}
        self._removed: set[ObjectKey] = set()
        self._word_masks: dict[str, int] = {}
        self._opaque_mask = 0
        for revision in self.order:
            effects = self.nodes[revision].facts.extra.get(EXTRACTOR_KEY)
            bit = 1 << self.index[revision]
            if not isinstance(effects, RevisionEffects):
                # Not extracted: a file placed from its header alone (it does not parse, see
                # recover_header). What it does to the schema is unknown.
                effects = EMPTY
                self._opaque_mask |= bit
            self.effects[revision] = effects
            for position, effect in enumerate(effects.effects):
                if effect.action == ROW_SECURITY_OFF:
                    continue
                self._add(effect.engine, effect.obj, Event(revision, position, effect.action, effect))
                if effect.action == RENAME and effect.detail:
                    self._add(effect.engine, _renamed(effect.obj, effect.detail), Event(revision, position, RENAME_INTO, effect))
            for unknown in effects.unknown:
                for word in unknown.words:
                    self._word_masks[word] = self._word_masks.get(word, 0) | bit
            if effects.creates_unknown_objects:
                self._opaque_mask |= bit
        self._masks = graph.ancestor_masks
        self._final: dict[ObjectRef, Creation] | None = None

    def _add(self, engine: str, obj: ObjectRef, event: Event) -> None:
        key = (engine, obj.key)
        action = event.action
        creates = action == CREATE or action == RENAME_INTO  # Event.creates, without the property call
        events = self.events.get(key)
        if events is None:
            self.events[key] = [event]
        else:
            events.append(event)
        if creates:
            self._creators.setdefault(key, []).append(event)
        elif action == DROP or action == RENAME:
            self._removed.add(key)
        # Remember the most specific kind seen (a create says "view" where a read says "table").
        if events is None or creates:
            self.objects[key] = obj if action != RENAME_INTO else _renamed(event.effect.obj, event.effect.detail)

    # -- order ----------------------------------------------------------------------------------

    def checked(self) -> list[str]:
        """The revisions, in load order, whose ancestry is fully known (RevisionGraph.uncertain):
        the only ones a finding that rests on what ran before them may be about."""
        uncertain = self.graph.uncertain
        return [revision for revision in self.order if revision not in uncertain] if uncertain else self.order

    def certain(self, revision: str) -> bool:
        return revision not in self.graph.uncertain

    def ancestors_mask(self, revision: str) -> int:
        return self._masks.get(revision, 0)

    def is_ancestor(self, ancestor: str, revision: str) -> bool:
        """Whether `ancestor` always runs before `revision` (down_revision + depends_on)."""
        return bool(self.ancestors_mask(revision) >> self.index[ancestor] & 1) if ancestor in self.index else False

    def unordered(self, first: str, second: str) -> bool:
        return first != second and not self.is_ancestor(first, second) and not self.is_ancestor(second, first)

    def runs_before(self, first: Event, second: Event) -> bool:
        """Whether `first` is guaranteed to have run when `second` runs."""
        if first.revision == second.revision:
            return first.position < second.position
        return self.is_ancestor(first.revision, second.revision)

    def upgrade_order(self) -> "UpgradeOrder | None":
        """The order `alembic upgrade heads` runs the revisions in today (RevisionGraph.upgrade_order)."""
        return self.graph.upgrade_order

    def failures(self, key: ObjectKey, order: "UpgradeOrder") -> list[Failure]:
        """The statements on one object that fail when every revision runs in `order` on an empty
        database: a create of an object that is there, a use, drop or rename of one that is not
        (IF [NOT] EXISTS never fails). Each failing statement is assumed to have done its work, so
        later ones are judged too. The object existed before the first revision when the first
        revision to create or remove it removes it."""
        position = order.position
        events = sorted(self.events_for(key), key=lambda e: (position[e.revision], e.position))
        first = next((e for e in events if e.creates or e.removes), None)
        present = first is not None and first.removes
        last: Event | None = None
        found: list[Failure] = []
        for event in events:
            guarded = event.effect.guarded
            if event.creates:
                if present and not guarded:
                    found.append(Failure(event, last))
                present, last = True, event
            elif event.removes:
                if not present and not guarded:
                    found.append(Failure(event, last))
                present, last = False, event
            elif not present and not guarded:
                found.append(Failure(event, last))
        return found

    # -- facts ----------------------------------------------------------------------------------

    def facts(self, revision: str) -> "FileFacts":
        return self.nodes[revision].facts

    def path(self, revision: str) -> Path:
        return self.nodes[revision].facts.path

    def key(self, obj: ObjectRef, engine: str = "") -> ObjectKey:
        return (engine, obj.key)

    def object(self, key: ObjectKey) -> ObjectRef:
        return self.objects[key]

    def keys(self) -> Iterator[ObjectKey]:
        return iter(sorted(self.events))

    def events_for(self, key: ObjectKey) -> list[Event]:
        return self.events.get(key, [])

    def mentioned_by_unknown(self, name: str, revision: str) -> bool:
        """Whether SQL driftlint could not read, in `revision` or before it, may touch `name`
        (or code there creates tables we cannot name): then a missing creator proves nothing."""
        mask = self.ancestors_mask(revision) | 1 << self.index[revision]
        return bool((self._word_masks.get(name.lower(), 0) | self._opaque_mask) & mask)

    # -- state ----------------------------------------------------------------------------------

    def prior(
        self, key: ObjectKey, revision: str, position: int, actions: Iterable[str] = (), branch: Branch | None = None
    ) -> Prior:
        """The object's existence just before effect `position` of `revision` runs.

        Within the revision the last earlier event decides, leaving out events in another arm of
        an `if` than the effect's (`branch`, by default the effect's own). Otherwise the deciding
        events are the last ones of the ancestors that touch the object and that no other such
        ancestor follows: all creations means PRESENT, all removals ABSENT, a mix MIXED.
        `actions` widens the events considered (e.g. RLS changes), which then decide too.
        """
        wanted = {CREATE, RENAME_INTO, DROP, RENAME, *actions}
        if branch is None:
            effects = self.effects[revision].effects if revision in self.effects else ()
            branch = effects[position].branch if position < len(effects) else ()
        own = [
            e for e in self.events_for(key)
            if e.revision == revision and e.position < position and e.action in wanted
            and not (branch and e.effect.branch and exclusive(e.effect.branch, branch))
        ]
        if own:
            return Prior(self._status([own[-1]], actions), (own[-1],))
        mask = self.ancestors_mask(revision)
        last: dict[str, Event] = {}
        for event in self.events_for(key):
            if event.action in wanted and mask >> self.index[event.revision] & 1:
                last[event.revision] = event  # events are in effect order within a revision
        if not last:
            return Prior(NONE)
        deciding = [
            event
            for revision_id, event in last.items()
            if not any(other != revision_id and self.is_ancestor(revision_id, other) for other in last)
        ]
        deciding.sort(key=lambda e: (self.index[e.revision], e.position))
        return Prior(self._status(deciding, actions), tuple(deciding))

    @staticmethod
    def _status(events: list[Event], actions: Iterable[str]) -> str:
        extra = set(actions)
        states = set()
        for event in events:
            if event.action in extra:
                states.add(event.action)
            else:
                states.add(PRESENT if event.creates else ABSENT)
        if len(states) == 1:
            return states.pop()
        return MIXED

    def removed(self, key: ObjectKey) -> bool:
        """Whether any revision drops or renames the object (most never are)."""
        return key in self._removed

    def creators(self, key: ObjectKey) -> list[Event]:
        return list(self._creators.get(key, ()))

    # -- the state after every revision -----------------------------------------------------------

    def final_events(self, key: ObjectKey) -> list[Event]:
        """The deciding existence events after all revisions ran (no revision follows them)."""
        last: dict[str, Event] = {}
        for event in self.events_for(key):
            if event.creates or event.removes:
                last[event.revision] = event
        return [
            event
            for revision_id, event in last.items()
            if not any(other != revision_id and self.is_ancestor(revision_id, other) for other in last)
        ]

    def final_objects(self) -> dict[ObjectRef, Creation]:
        if self._final is None:
            self._final = self._compute_final()
        return dict(self._final)

    def _compute_final(self) -> dict[ObjectRef, Creation]:
        found: dict[ObjectKey, Event] = {}
        for key in self.events:
            present = [e for e in self.final_events(key) if e.creates]
            if present:
                found[key] = max(present, key=lambda e: (self.index[e.revision], e.position))
        result: dict[ObjectRef, Creation] = {}
        for key, event in sorted(found.items(), key=lambda item: item[0]):
            obj = self.objects[key]
            if obj.kind == POLICY:
                # A policy goes with its table, and follows it through renames.
                table_key = self.follow_renames((key[0], ("relation", obj.schema, obj.parent)), event)
                if table_key not in found:
                    continue
                obj = ObjectRef(POLICY, obj.schema, obj.name, table_key[1][-1])
            if obj.kind == INDEX and not self._index_survives(key, event, found):
                continue
            result[obj] = Creation(obj, event.revision, self.path(event.revision), event.effect.span, key[0])
        return result

    def follow_renames(self, key: ObjectKey, after: Event) -> ObjectKey:
        """The name a relation ends up with when it is renamed after `after`."""
        for _ in range(32):
            renames = [e for e in self.events_for(key) if e.action == RENAME and not self.runs_before(e, after)]
            if not renames:
                break
            after = max(renames, key=lambda e: (self.index[e.revision], e.position))
            key = (key[0], _renamed(after.effect.obj, after.effect.detail).key)
        return key

    def _index_survives(self, key: ObjectKey, created: Event, found: dict[ObjectKey, Event]) -> bool:
        for info, revision in self.index_infos():
            if (info.engine, info.index.key) != key or revision != created.revision:
                continue
            table_key = self.follow_renames((info.engine, info.table.key), created)
            table_created = found.get(table_key)
            if table_created is None and table_key in self.events:
                return False  # the table was dropped, and its indexes with it
            if table_created is not None and table_created.action == CREATE and self.runs_before(created, table_created):
                return False  # the table was re-created after the index
        return True

    def index_infos(self) -> Iterator[tuple[IndexInfo, str]]:
        for revision in self.order:
            for info in self.effects[revision].indexes:
                yield info, revision

    def matview_unique_index(self, obj: ObjectRef) -> bool | None:
        """Whether the materialized view ends up with a unique index usable by REFRESH ...
        CONCURRENTLY (unique, no WHERE, plain columns); None if no revision creates it."""
        keys = [key for key in self.events if key[1] == obj.key]
        finals = self.final_objects()
        for key in keys:
            current = self.objects[key]
            creation = finals.get(current)
            if creation is None or current.kind != MATVIEW:
                continue
            # Follow renames back: indexes made under an earlier name stay with the view.
            names = {key}
            origin = next(
                e for e in self.events_for(key)
                if e.creates and e.revision == creation.revision and e.effect.span == creation.span
            )
            while origin.action == RENAME_INTO:
                old = (key[0], origin.effect.obj.key)
                names.add(old)
                earlier = [e for e in self.events_for(old) if e.action == CREATE and self.runs_before(e, origin)]
                if not earlier:
                    break
                origin = max(earlier, key=lambda e: (self.index[e.revision], e.position))
            for info, revision in self.index_infos():
                if (info.engine, info.table.key) not in names:
                    continue
                index_event = next(
                    (e for e in self.events_for((info.engine, info.index.key)) if e.revision == revision and e.action == CREATE),
                    None,
                )
                if index_event is None or self.runs_before(index_event, origin):
                    continue  # made for an earlier incarnation of the view
                if self.objects[(info.engine, info.index.key)] not in finals:
                    continue
                if info.usable_for_concurrent_refresh:
                    return True
            return False
        return None


@dataclass
class SchemaHistory:
    environments: list[EnvironmentHistory]

    def for_analysis(self, analysis: "EnvironmentAnalysis") -> EnvironmentHistory:
        return environment_history(analysis)


_CACHE: dict[int, tuple["weakref.ref[EnvironmentAnalysis]", EnvironmentHistory]] = {}


def environment_history(analysis: "EnvironmentAnalysis") -> EnvironmentHistory:
    """The history of one environment, built once per EnvironmentAnalysis object."""
    cached = _CACHE.get(id(analysis))
    if cached is not None and cached[0]() is analysis:
        return cached[1]
    history = EnvironmentHistory(analysis)
    key = id(analysis)

    def forget(_gone: object) -> None:
        _CACHE.pop(key, None)

    _CACHE[key] = (weakref.ref(analysis, forget), history)
    return history


def schema_history(project: "Project") -> SchemaHistory:
    """Every environment's history, computed once per run and shared by the rules."""
    return project.memo(
        "schema-history",
        lambda p: SchemaHistory([environment_history(analysis) for analysis in p.environments]),
    )


def final_objects(analysis: "EnvironmentAnalysis") -> dict[ObjectRef, Creation]:
    """Objects that exist after every revision ran (created minus dropped, renames applied),
    each with the revision, file and span that (last) created it."""
    return environment_history(analysis).final_objects()


def matview_unique_index(analysis: "EnvironmentAnalysis", obj: ObjectRef) -> bool | None:
    """Whether the migrations leave the materialized view `obj` with a unique, non-partial,
    non-expression index (what REFRESH ... CONCURRENTLY needs); None if they never create it."""
    return environment_history(analysis).matview_unique_index(obj)


def unknowns(project: "Project") -> Iterator[tuple[Path, Span, str]]:
    """What the schema analysis could not read, for `driftlint check --show-unknown`."""
    for facts in project.files.values():
        effects = facts.extra.get(EXTRACTOR_KEY)
        if isinstance(effects, RevisionEffects):
            for unknown in effects.unknown:
                yield facts.path, unknown.span, f"{unknown.reason}: {unknown.text}"


__all__ = [
    "Creation",
    "EnvironmentHistory",
    "Event",
    "Failure",
    "Prior",
    "SchemaHistory",
    "environment_history",
    "final_objects",
    "matview_unique_index",
    "schema_history",
    "unknowns",
]
