"""Migration safety (DL5xx): which revisions are deployed now, what that proves new, and what each statement locks.

Squawk judges each SQL file as if every table in it held production data. driftlint knows the
history: a table created by the same revision, or by an earlier revision deployed in the same run,
is new and empty, and nothing running uses it yet, so locking, rewriting or dropping it harms no
one. "Deployed in the same run" (Deployment) is, per environment:

- with `check --base REF`: the revision files REF does not have (new on this branch);
- else with `migration-safety-since = "<revision>"`: every revision that is neither that one nor
  one of its ancestors (what ran before is history);
- else each revision on its own: every revision is checked, as Squawk checks each file, and
  only what a revision creates itself is new to it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator

from driftlint.config import ConfigError
from driftlint.diagnostics import Diagnostic, Location, Related, Severity
from driftlint.facts.extractors import ALEMBIC_ENV, HEADER, SCHEMA
from driftlint.rule import Rule
from driftlint.schema.history import RENAME_INTO, EnvironmentHistory, Event, ObjectKey, schema_history
from driftlint.schema.model import (
    ADD_COLUMN,
    AUTOCOMMIT,
    CONCURRENTLY,
    CREATE_INDEX,
    DROP_INDEX,
    FROM_SQL,
    INDEX,
    RENAME,
    TABLE,
    Branch,
    EnvSettings,
    IndexInfo,
    ObjectRef,
    Operation,
    RevisionEffects,
    exclusive,
)

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.project import EnvironmentAnalysis, Project

SINCE_OPTION = "migration-safety-since"
VERSION_OPTION = "postgres-version"
# The oldest PostgreSQL release its developers still support when this was written (14; 13 reached
# end of life in November 2025). Every version-dependent rule behaves the same from 12 on.
DEFAULT_POSTGRES_VERSION = 14
SAFETY_OPTIONS = {SINCE_OPTION: "", VERSION_OPTION: DEFAULT_POSTGRES_VERSION}

EACH = "each"  # no scope configured: every revision, each as its own deployment
BASE = "base"
SINCE = "since"


@dataclass(frozen=True)
class New:
    """Why a table holds no rows anyone relies on when a statement runs: the event that created it
    (in the same revision or one deployed with it), or None when code driftlint cannot read in
    the deployment may have created it (`metadata.create_all()`, SQL built at run time)."""

    creation: Event | None


GONE = "gone"  # the table does not exist any more when the statement runs (DL202's business)


class Deployment:
    """One environment's revisions as migration safety sees them: which are checked, which run
    together, and the env.py settings every migration runs under."""

    def __init__(self, project: Project, analysis: EnvironmentAnalysis, history: EnvironmentHistory):
        self.project = project
        self.history = history
        # The environment's own settings (its config file's closest settings file).
        self.settings = history.settings(project)
        since = _since(self.settings)
        self.since = since
        self.env_path, self.env = _env_settings(project, analysis)
        self.version = _version(self.settings)
        order = history.order
        self.mode = EACH
        self.deployed: frozenset[str] = frozenset()
        if project.base_files is not None:
            self.mode = BASE
            base = project.base_files
            self.deployed = frozenset(r for r in order if not _in(project, history.path(r), base))
        elif since:
            anchors = [found for found in (_resolve(order, wanted) for wanted in since) if found is not None]
            if anchors:
                # What ran before is history: each named revision and its ancestors. Everything
                # else is being deployed, branches that fork below a named revision included.
                self.mode = SINCE
                ran = set(anchors)
                self.deployed = frozenset(
                    r for r in order if r not in ran and not any(history.is_ancestor(r, anchor) for anchor in anchors)
                )
        self.checked = [r for r in order if self.mode == EACH or r in self.deployed]
        # The checked revisions' operations by kind (each rule looks at a few kinds), and what
        # table_state answered, by operation and table (several rules ask about one statement).
        self._by_kind: dict[str, list[tuple[int, int, str, Operation]]] | None = None
        self._states: dict[tuple[int, tuple[str, ...]], New | str | None] = {}
        self._by_table: dict[tuple[object, ...], list[tuple[str, Operation]]] | None = None
        self._opaque: list[str] | None = None
        self._indexes: dict[tuple[str, tuple[str, ...]], tuple[IndexInfo, str]] | None = None
        self._events: dict[ObjectKey, _ObjectEvents] = {}

    # -- what runs together ---------------------------------------------------------------------

    def together(self, earlier: str, revision: str) -> bool:
        """Whether `earlier` is deployed in the same run as `revision`."""
        if earlier == revision:
            return True
        return self.mode != EACH and earlier in self.deployed and revision in self.deployed

    def outside_transaction(self, operation: Operation) -> bool:
        return AUTOCOMMIT in operation.flags or (self.env is not None and self.env.autocommit)

    def same_transaction(self, first: tuple[str, Operation], second: tuple[str, Operation]) -> bool:
        """Whether `first` (which runs before) and `second` run in one transaction."""
        (first_revision, first_op), (second_revision, second_op) = first, second
        if self.outside_transaction(first_op) or self.outside_transaction(second_op):
            return False
        if exclusive(first_op.branch, second_op.branch):
            return False
        if first_revision == second_revision:
            return True
        per_migration = self.env is not None and self.env.transaction_per_migration
        return not per_migration and self.together(first_revision, second_revision) and self.history.is_ancestor(
            first_revision, second_revision
        )

    # -- what the history proves ----------------------------------------------------------------

    def table_state(self, table: ObjectRef, revision: str, operation: Operation) -> New | str | None:
        """New(...) when the table is new in this deployment when `operation` runs, GONE when it
        does not exist then, None when it may hold rows that running code uses."""
        key = (id(operation), table.key)
        if key not in self._states:
            self._states[key] = self._state(table, operation.engine, revision, operation.position, operation.branch, 0)
        return self._states[key]

    def _state(self, table: ObjectRef, engine: str, revision: str, position: int, branch: Branch, depth: int) -> New | str | None:
        deciding = self._deciding(self.history.key(table, engine), revision, position, branch)
        if not deciding:
            return New(None) if self._opaque_before(table, revision) else None
        if all(e.removes for e in deciding):
            return GONE
        for event in deciding:
            if not event.creates or not self.together(event.revision, revision):
                return None
            if event.action == RENAME_INTO:
                # A renamed table is as new as it was under its old name.
                if depth > 16:
                    return None
                old = event.effect.obj
                state = self._state(old, engine, event.revision, event.position, event.effect.branch, depth + 1)
                if not isinstance(state, New):
                    return None
        return New(deciding[-1])

    def _object_events(self, key: ObjectKey) -> _ObjectEvents:
        index = self._events.get(key)
        if index is None:
            index = self._events[key] = _ObjectEvents(self.history, key)
        return index

    def _deciding(self, key: ObjectKey, revision: str, position: int, branch: Branch) -> list[Event]:
        """The events that decide whether the object exists when effect `position` of `revision`
        runs, as EnvironmentHistory.prior finds them (the creations and removals it weighs; none:
        nothing before it touched the object), answered from an index of the object's events,
        so that a table altered by thousands of revisions costs each question a few steps rather
        than a pass over all of them."""
        index = self._object_events(key)
        own = [
            e for e in index.by_revision.get(revision, ())
            if e.position < position and not (branch and e.effect.branch and exclusive(e.effect.branch, branch))
        ]
        if own:
            return [own[-1]]
        history = self.history
        mask = history.ancestors_mask(revision)
        remaining = index.mask & mask
        if not remaining:
            return []
        # The maximal touching ancestors: those no other touching ancestor descends from. A
        # descendant has more ancestors, so going down by that count, each candidate not yet
        # covered by an earlier one's ancestors is maximal.
        deciding: list[Event] = []
        covered = 0
        for count, bit, event in index.by_depth[bisect.bisect_left(index.depths, -_ancestor_count(history, revision) + 1):]:
            if not remaining:
                break
            if not remaining >> bit & 1 or covered >> bit & 1:
                continue
            deciding.append(event)
            covered |= history.ancestors_mask(event.revision)
            remaining &= ~covered & ~(1 << bit)
        deciding.sort(key=lambda e: (history.index[e.revision], e.position))
        return deciding

    def _opaque_before(self, table: ObjectRef, revision: str) -> bool:
        """Whether code deployed with `revision` (or in it) that driftlint cannot read may have
        created a table no readable statement creates."""
        history = self.history
        if self._opaque is None:
            # The revisions with such code, found once: most have none.
            self._opaque = [
                r for r in history.order
                if history.effects[r].creates_unknown_objects or history.effects[r].unknown
            ]
        name = table.name.lower()
        for candidate in self._opaque:
            if candidate != revision and not (self.together(candidate, revision) and history.is_ancestor(candidate, revision)):
                continue
            effects = history.effects[candidate]
            if effects.creates_unknown_objects or any(name in unknown.words for unknown in effects.unknown):
                return True
        return False

    def column_added(self, table: ObjectRef, column: str, revision: str, operation: Operation) -> tuple[str, Operation] | None:
        """The ADD COLUMN, in this revision before `operation` or in one deployed with it, that
        created `column`: no code running before the deployment reads or writes it."""
        for candidate, earlier in self.earlier_operations(revision, operation, column=column):
            if candidate != revision and not self.together(candidate, revision):
                continue
            if earlier.kind == ADD_COLUMN:
                return candidate, earlier
        return None

    def index_table(self, index: ObjectRef | None, revision: str, operation: Operation) -> ObjectRef | None:
        """The table an index was created on, under the name it has when `operation` runs (an
        index follows its table through renames)."""
        if index is None:
            return None
        history = self.history
        if self._indexes is None:
            self._indexes = {}
            for info, created_in in history.index_infos():
                if info.table.kind == TABLE:
                    self._indexes.setdefault((info.engine, info.index.key), (info, created_in))
        found = self._indexes.get((operation.engine, index.key))
        if found is not None:
            info, created_in = found
            table = info.table
            since = next(
                (e for e in history.events_for(history.key(index, info.engine)) if e.revision == created_in and e.creates),
                None,
            )
            for _ in range(16):
                renames = [
                    e for e in self._object_events(history.key(table, info.engine)).renames
                    if since is None or not history.runs_before(e, since)
                    and (history.is_ancestor(e.revision, revision) or (e.revision == revision and e.position < operation.position))
                ]
                if not renames:
                    break
                since = max(renames, key=lambda e: (history.index[e.revision], e.position))
                table = ObjectRef(table.kind, table.schema, since.effect.detail)
            return table
        return None

    def earlier_operations(
        self, revision: str, operation: Operation, *, column: str | None = None, name: str | None = None
    ) -> Iterator[tuple[str, Operation]]:
        """The operations on `operation`'s table that run before it, nearest first: earlier in its
        revision (not in another arm of an `if`), then in every ancestor, deployed with it or not.
        With `column` (or `name`), only those on that column (or of that index or constraint
        name): a table altered by thousands of revisions is then not walked whole for each."""
        table = operation.table
        if table is None:
            return
        history = self.history
        own = history.effects[revision].operations
        index = next((i for i, candidate in enumerate(own) if candidate is operation), len(own))
        for earlier in reversed(own[:index]):
            if (
                earlier.table is not None and earlier.table.key == table.key
                and (column is None or earlier.column == column) and (name is None or earlier.name == name)
                and not exclusive(earlier.branch, operation.branch)
            ):
                yield revision, earlier
        if self._by_table is None:
            self._index_operations()
        assert self._by_table is not None
        place = (operation.engine, table.key)
        if column is not None:
            found = self._by_table.get((*place, "column", column), [])
        elif name is not None:
            found = self._by_table.get((*place, "name", name), [])
        else:
            found = self._by_table.get(place, [])
        for candidate, earlier in reversed(found):
            if candidate != revision and history.is_ancestor(candidate, revision):
                yield candidate, earlier

    def _index_operations(self) -> None:
        """Every revision's operations by table, and by table and column or name, in load order."""
        index: dict[tuple[object, ...], list[tuple[str, Operation]]] = {}
        for candidate in self.history.order:
            for earlier in self.history.effects[candidate].operations:
                if earlier.table is None:
                    continue
                place = (earlier.engine, earlier.table.key)
                item = (candidate, earlier)
                index.setdefault(place, []).append(item)
                if earlier.column:
                    index.setdefault((*place, "column", earlier.column), []).append(item)
                if earlier.name:
                    index.setdefault((*place, "name", earlier.name), []).append(item)
        self._by_table = index

    def later_operations(self, revision: str, operation: Operation, *, own_only: bool = False) -> Iterator[tuple[str, Operation]]:
        """The operations that run after `operation` in the same `alembic upgrade`: later in its
        revision (not in another arm of an `if`), then, unless `own_only`, in descendants
        deployed with it."""
        history = self.history
        own = history.effects[revision].operations
        index = next((i for i, candidate in enumerate(own) if candidate is operation), len(own))
        for later in own[index + 1:]:
            if not exclusive(later.branch, operation.branch):
                yield revision, later
        if self.mode == EACH or own_only:
            return
        for descendant in history.order:
            if descendant in self.deployed and history.is_ancestor(revision, descendant):
                for later in history.effects[descendant].operations:
                    yield descendant, later

    # -- iteration ------------------------------------------------------------------------------

    def operations(self, kinds: Iterable[str]) -> Iterator[tuple[str, Operation]]:
        """The operations of the checked revisions, of the given kinds, in load and statement order."""
        if self._by_kind is None:
            self._by_kind = {}
            effects = self.history.effects
            for number, revision in enumerate(self.checked):
                for position, operation in enumerate(effects[revision].operations):
                    self._by_kind.setdefault(operation.kind, []).append((number, position, revision, operation))
        wanted = set(kinds)
        if len(wanted) == 1:
            found = self._by_kind.get(wanted.pop(), [])  # already in order
        else:
            found = sorted((item for kind in wanted for item in self._by_kind.get(kind, ())), key=lambda item: item[:2])
        for _, _, revision, operation in found:
            yield revision, operation

    # -- wording --------------------------------------------------------------------------------

    def path(self, revision: str) -> str:
        return self.project.relpath(self.history.path(revision))

    def label(self, table: ObjectRef) -> str:
        default = self.settings.default_schema or "public"
        return f"`{table.name}`" if table.schema == default else f"`{table.qualified}`"

    def related(self, revision: str, operation: Operation, note: str) -> Related:
        row, column, _, _ = operation.span
        return Related(self.path(revision), Location(row, column), note)


def _ancestor_count(history: EnvironmentHistory, revision: str) -> int:
    return history.ancestors_mask(revision).bit_count()


class _ObjectEvents:
    """One object's creations and removals, indexed for Deployment._deciding: by revision, and
    each revision's last one by how many ancestors the revision has (most first); and its renames."""

    def __init__(self, history: EnvironmentHistory, key: ObjectKey):
        self.by_revision: dict[str, list[Event]] = {}
        self.renames: list[Event] = []
        for event in history.events_for(key):
            if event.creates or event.removes:
                self.by_revision.setdefault(event.revision, []).append(event)
            if event.action == RENAME:
                self.renames.append(event)
        self.mask = 0
        ranked = []
        for revision, events in self.by_revision.items():
            bit = history.index[revision]
            self.mask |= 1 << bit
            ranked.append((-_ancestor_count(history, revision), bit, events[-1]))
        ranked.sort(key=lambda item: (item[0], item[1]))
        self.by_depth = ranked
        self.depths = [item[0] for item in ranked]


def deployments(project: Project) -> list[Deployment]:
    """Every environment's Deployment, computed once per run and shared by the DL5xx rules."""
    return project.memo("migration-safety", _deployments)  # type: ignore[no-any-return]


def _deployments(project: Project) -> list[Deployment]:
    histories = schema_history(project).environments
    for uses in since_uses(project):
        # A `since` that no environment it applies to knows is a typo, not "check everything".
        if not any(use.knows for use in uses):
            settings = uses[0].settings
            raise ConfigError(
                f"{settings.source or Path('settings')}: `{SINCE_OPTION}` names "
                f"{', '.join(f'`{s}`' for s in uses[0].since)}, which no Alembic environment's revisions are "
                "(a revision id, or the start of one)"
            )
    return [Deployment(project, analysis, history) for analysis, history in zip(project.environments, histories)]


@dataclass(frozen=True)
class SinceUse:
    """One environment that a settings file's `migration-safety-since` applies to."""

    settings: Settings
    since: tuple[str, ...]
    analysis: EnvironmentAnalysis
    knows: bool  # the environment has a revision the setting names


def since_uses(project: Project) -> list[list[SinceUse]]:
    """Each settings file's `migration-safety-since`, with the environments it applies to; none
    under `--base`, which wins. Read from the revision graphs alone (cheap), once per run."""
    return project.memo("migration-safety-since", _since_uses)  # type: ignore[no-any-return]


def _since_uses(project: Project) -> list[list[SinceUse]]:
    if project.base_files is not None:
        return []
    by_settings: dict[int, list[SinceUse]] = {}
    for analysis in project.environments:
        settings = project.environment_settings(analysis.environment)
        since = _since(settings)
        if since:
            order = list(analysis.graph.by_id)
            knows = any(_resolve(order, wanted) is not None for wanted in since)
            by_settings.setdefault(id(settings), []).append(SinceUse(settings, since, analysis, knows))
    return list(by_settings.values())


def _since(settings: Settings) -> tuple[str, ...]:
    value = settings.option(SINCE_OPTION, "")
    return tuple(part for part in re.split(r"[\s,]+", str(value)) if part)


def _version(settings: Settings) -> int:
    value = settings.option(VERSION_OPTION, DEFAULT_POSTGRES_VERSION)
    return value if isinstance(value, int) else DEFAULT_POSTGRES_VERSION


def _resolve(order: list[str], wanted: str) -> str | None:
    """A revision id, or a unique start of one, as Alembic resolves a partial id."""
    if wanted in order:
        return wanted
    matches = [r for r in order if r.startswith(wanted)]
    return matches[0] if len(matches) == 1 else None


def _in(project: Project, path: Path, files: frozenset[Path]) -> bool:
    if path in files:
        return True
    try:
        return project.disk.resolve(path) in files
    except (OSError, RuntimeError, ValueError):
        return False


def _env_settings(project: Project, analysis: EnvironmentAnalysis) -> tuple[Path | None, EnvSettings | None]:
    location = analysis.environment.script_location
    if location is None:
        return None, None
    candidate = location / "env.py"
    facts = project.files.get(candidate)
    if facts is None:
        try:
            candidate = project.disk.resolve(candidate)
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in a configured path
            return None, None
        facts = project.files.get(candidate)
    if facts is None:
        return None, None
    settings = facts.extra.get(ALEMBIC_ENV.key)
    return candidate, settings if isinstance(settings, EnvSettings) else None


def index_on(operation: Operation) -> ObjectRef | None:
    """The index a DROP INDEX or REINDEX INDEX names."""
    return operation.other if operation.other is not None and operation.other.kind == INDEX else None


def only_index_operations(effects: RevisionEffects) -> bool:
    """Whether upgrade() does nothing but build and drop indexes with op.* calls, outside any `if`
    and with nothing driftlint cannot read: then the whole revision can move out of the migration's
    transaction together (`driftlint fix` for DL501-DL503)."""
    operations = effects.operations
    return (
        bool(operations)
        and not effects.unknown
        and all(o.kind in (CREATE_INDEX, DROP_INDEX) and FROM_SQL not in o.flags and not o.branch for o in operations)
    )


def concurrently(operation: Operation) -> bool:
    return CONCURRENTLY in operation.flags


class SafetyRule(Rule):
    """A DL5xx rule: it judges the operations of the revisions being checked (Deployment)."""

    severity = Severity.WARNING
    reads = frozenset({HEADER, SCHEMA, ALEMBIC_ENV})
    options = dict(SAFETY_OPTIONS)
    # The Operation kinds the rule looks at.
    kinds: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def notices(cls, project: Project) -> list[str]:
        """An environment whose `migration-safety-since` names none of its revisions, while another
        environment with the same settings knows one (when none does, that is exit 2): its revisions
        are each checked as a deployment of their own, which the user may not expect."""
        lines = []
        for uses in since_uses(project):
            if not any(use.knows for use in uses):
                continue  # exit 2 (_deployments)
            for use in uses:
                if not use.knows:
                    source = project.relpath(use.settings.source) if use.settings.source else "the settings"
                    lines.append(
                        f"driftlint: warning: `{SINCE_OPTION}` ({source}) names no revision of the Alembic environment"
                        f" {project.environment_label(use.analysis)}: each of its revisions is checked as a deployment"
                        " of its own (name one of its revisions too)"
                    )
        return lines

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for deployment in deployments(project):
            for revision, operation in deployment.operations(self.kinds):
                yield from self.judge(deployment, revision, operation)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def existing(self, deployment: Deployment, revision: str, operation: Operation, table: ObjectRef | None = None) -> bool:
        """Whether the table the statement locks may hold rows that running code uses: neither new
        in this deployment nor gone (a statement on a dropped table fails: DL202 says so)."""
        table = table or operation.table
        if table is None:
            return True
        return deployment.table_state(table, revision, operation) is None

    def existing_table(self, deployment: Deployment, revision: str, operation: Operation) -> str | None:
        """How findings name the one table the statement locks, when it is `existing`; None when
        it is new in this deployment or gone."""
        assert operation.table is not None
        return deployment.label(operation.table) if self.existing(deployment, revision, operation) else None

    def finding(
        self, deployment: Deployment, revision: str, operation: Operation, message: str, fix: str,
        related: Iterable[Related] = (), subject: Iterable[str] = (),
    ) -> Diagnostic:
        table = operation.table.qualified if operation.table is not None else ""
        return self.diagnostic(
            message, deployment.path(revision), operation.span, fix_title=fix, related=related,
            subject=(revision, table, operation.column or operation.name, *subject),
        )
