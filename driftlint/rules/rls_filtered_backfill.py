"""DL204 rls-filtered-backfill: a migration UPDATE/DELETE on a table under row-level security."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import EnvironmentHistory, Event, schema_history
from driftlint.schema.model import ALTER, BACKFILL, READ, RLS_DISABLE, RLS_ENABLE, RLS_FORCE, ROW_SECURITY_OFF, Effect
from driftlint.schema.report import label, related, where

OPTION = "migration-role-bypasses-rls"
_RLS_ACTIONS = (RLS_ENABLE, RLS_FORCE, RLS_DISABLE)
# Reads that feed a data change: under RLS they see no rows, and the change silently shrinks.
_DML_READS = ("UPDATE", "DELETE", "INSERT")
# SQL driftlint could not read that may switch row security off or change the role.
_GUARD_WORDS = ("row_security", "bypassrls", "role")


class RlsFilteredBackfill(Rule):
    code = "DL204"
    name = "rls-filtered-backfill"
    summary = "A migration backfills a table whose row-level security can silently filter out every row"
    reads = frozenset({HEADER, SCHEMA})
    options = {OPTION: False}

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for history in schema_history(project).environments:
            if history.settings(project).option(OPTION, False) is True:
                continue
            # Only tables some revision enables (or forces) row-level security on can filter rows.
            secured = {key for key, events in history.events.items() for e in events if e.action in (RLS_ENABLE, RLS_FORCE)}
            if not secured:
                continue
            for revision in history.checked():  # what ran before the others is not known
                yield from self._revision(project, history, revision, secured)

    def _revision(
        self, project: Project, history: EnvironmentHistory, revision: str, secured: set[tuple[str, tuple[str, ...]]]
    ) -> Iterator[Diagnostic]:
        effects = history.effects[revision]
        if any(word in unknown.words for unknown in effects.unknown for word in _GUARD_WORDS):
            return
        reported: set[tuple[str, tuple[str, ...]]] = set()
        guard_position = next((i for i, e in enumerate(effects.effects) if e.action == ROW_SECURITY_OFF), None)
        for position, effect in enumerate(effects.effects):
            if effect.action != BACKFILL and not (effect.action == READ and effect.detail in _DML_READS):
                continue
            if guard_position is not None and guard_position < position:
                continue  # `SET row_security = off` turns filtering into an error
            key = history.key(effect.obj, effect.engine)
            if key in reported or key not in secured:
                continue
            enabling = _rls_enabled_by(history, key, revision, position)
            if not enabling:
                continue
            reported.add(key)
            yield self._report(project, history, revision, position, effect, enabling)

    def _report(self, project: Project, history: EnvironmentHistory, revision: str, position: int, effect: Effect, enabling: tuple[Event, ...]) -> Diagnostic:
        obj = history.object(history.key(effect.obj, effect.engine))
        source = enabling[-1]
        forced = any(e.action == RLS_FORCE for e in enabling)
        by = "this revision" if source.revision == revision else f"revision `{source.revision}` ({project.relpath(history.path(source.revision))})"
        if effect.action == BACKFILL:
            doing = f"`{effect.detail or 'UPDATE'}` on {label(obj, project)}"
        else:
            doing = f"`{effect.detail}` reading {label(obj, project)}"
        consequence = (
            "so it silently affects 0 rows for every role but a superuser or one with BYPASSRLS (FORCE applies it to the owner too)"
            if forced
            else "so unless the migration role owns the table, is a superuser or has BYPASSRLS, it silently affects 0 rows"
        )
        later = _later_not_null(history, revision, position, effect)
        if later is not None:
            consequence += f", and the `SET NOT NULL` on line {later.span[0]} then fails"
        return self.diagnostic(
            f"Revision `{revision}` runs {doing}, whose row-level security {by} "
            f"{'forced' if forced else 'enabled'}, {consequence}",
            project.relpath(history.path(revision)),
            effect.span,
            fix_title=(
                "Run `SET LOCAL row_security = off` before the backfill so row-level security raises an error "
                f"instead of filtering, or set `{OPTION} = true` if migrations run as a role that bypasses it"
            ),
            related=[related(project, history, e, f"row-level security on `{obj.name}` is {'forced' if e.action == RLS_FORCE else 'enabled'} here") for e in enabling],
            context=[("Row-level security enabled by", [where(project, history, e) for e in enabling])],
            subject=(revision, obj.qualified),
        )


def _rls_enabled_by(history: EnvironmentHistory, key: tuple[str, tuple[str, ...]], revision: str, position: int) -> tuple[Event, ...]:
    """The events that leave row-level security on for the table when the backfill runs
    (the table is one that some revision enables or forces it on)."""
    prior = history.prior(key, revision, position, _RLS_ACTIONS)
    if not prior.events or any(e.action not in (RLS_ENABLE, RLS_FORCE) for e in prior.events):
        return ()  # created fresh, disabled, dropped, or it depends on branch order
    if all(e.revision == revision for e in prior.events) and all(e.action == RLS_ENABLE for e in prior.events):
        return ()  # who may ENABLE owns the table, and the owner bypasses RLS unless it is forced
    if all(e.action == RLS_FORCE for e in prior.events):
        # FORCE only matters once RLS is enabled.
        enabled = any(
            e.action == RLS_ENABLE and history.runs_before(e, prior.events[0]) for e in history.events_for(key)
        )
        if not enabled:
            return ()
    return prior.events


def _later_not_null(history: EnvironmentHistory, revision: str, position: int, effect: Effect) -> Effect | None:
    for later in history.effects[revision].effects[position + 1:]:
        if later.action == ALTER and later.detail == "SET NOT NULL" and later.obj.key == effect.obj.key:
            return later
    return None
