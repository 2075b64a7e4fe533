"""DL203 unordered-conflicting-changes: two unordered revisions drop/rename or both create one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import NONE, EnvironmentHistory, Event, schema_history
from driftlint.schema.model import DROP, USES
from driftlint.schema.report import depends_on_fix, label, related, verb, where


class UnorderedConflictingChanges(Rule):
    code = "DL203"
    name = "unordered-conflicting-changes"
    summary = "Two revisions with no order between them drop, rename or both create the same object"
    reads = frozenset({HEADER, SCHEMA})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for history in schema_history(project).environments:
            # An object with one event cannot have two revisions in conflict over it.
            for key in sorted(key for key, events in history.events.items() if len(events) > 1):
                if not history.creators(key):
                    continue
                by_revision: dict[str, list[Event]] = {}
                for event in history.events_for(key):
                    by_revision.setdefault(event.revision, []).append(event)
                if len(by_revision) < 2:
                    continue
                revisions = sorted(by_revision, key=history.index.__getitem__)
                for i, first in enumerate(revisions):
                    for second in revisions[i + 1:]:
                        if not history.unordered(first, second):
                            continue
                        conflict = _conflict(history, key, by_revision[first], by_revision[second])
                        if conflict is not None:
                            yield self._report(project, history, key, *conflict)

    def _report(self, project: Project, history: EnvironmentHistory, key: tuple[str, tuple[str, ...]], anchor: Event, other: Event) -> Diagnostic:
        obj = history.object(key)
        both_create = anchor.creates and other.creates
        if both_create:
            message = (
                f"Revisions `{anchor.revision}` and `{other.revision}` have no order between them and both create "
                f"{label(obj, project)}: whichever `alembic upgrade heads` runs second fails with \"already exists\""
            )
        else:
            message = (
                f"Revision `{anchor.revision}` {verb(anchor.effect, anchor.action)} {label(obj, project)}, which revision "
                f"`{other.revision}` ({project.relpath(history.path(other.revision))}) {verb(other.effect, other.action)}, "
                f"and neither is an ancestor of the other: the outcome depends on which branch `alembic upgrade heads` runs first"
            )
        fix = depends_on_fix(history, anchor.revision, other.revision)
        return self.diagnostic(
            message,
            project.relpath(history.path(anchor.revision)),
            anchor.effect.span,
            fix_title=f"Order the two revisions: add `{fix}` to `{anchor.revision}` (or the reverse)",
            related=[related(project, history, other, f"revision `{other.revision}` {verb(other.effect, other.action)} `{obj.name}` here")],
            context=[("Unordered revisions", [where(project, history, anchor), where(project, history, other)]), ("Fix", [fix])],
            subject=(*sorted((anchor.revision, other.revision)), obj.qualified),
        )


@dataclass(frozen=True)
class _Side:
    """One revision's changes to one object, with idempotent re-creation told apart."""

    events: tuple[Event, ...]
    removals: tuple[Event, ...]  # drops and renames that leave the object gone
    creations: tuple[Event, ...]
    idempotent_create: bool  # IF NOT EXISTS / OR REPLACE / DROP IF EXISTS followed by CREATE


def _side(events: list[Event]) -> _Side:
    creations = [e for e in events if e.creates]
    removals = [e for e in events if e.removes]
    # `DROP ... IF EXISTS; CREATE ...` in one revision replaces the object, like OR REPLACE.
    recreated = [
        e for e in removals if e.action == DROP and e.effect.guarded and any(c.position > e.position for c in creations)
    ]
    idempotent = bool(creations) and all(
        c.effect.guarded or any(d.position < c.position for d in recreated) for c in creations
    )
    return _Side(tuple(events), tuple(e for e in removals if e not in recreated), tuple(creations), idempotent)


def _conflict(history: EnvironmentHistory, key: tuple[str, tuple[str, ...]], first: list[Event], second: list[Event]) -> tuple[Event, Event] | None:
    """(where to report, the other side) when the two revisions' changes to one object clash."""
    sides = (_side(first), _side(second))
    for removing, touching in (sides, sides[::-1]):
        relevant = [e for e in touching.events if e in touching.removals or e.creates or e.action in USES]
        if not removing.removals or not relevant:
            continue
        if all(e.action == DROP and e.effect.guarded for e in (*removing.removals, *relevant)):
            continue  # DROP ... IF EXISTS on both sides ends the same way in either order
        if _is_cross_branch_use(history, key, list(removing.events), list(touching.events)):
            continue
        return removing.removals[0], relevant[0]
    if sides[0].creations and sides[1].creations:
        if sides[0].idempotent_create and sides[1].idempotent_create:
            return None  # both replace the object: no statement fails
        return sides[1].creations[0], sides[0].creations[0]
    return None


def _is_cross_branch_use(history: EnvironmentHistory, key: tuple[str, tuple[str, ...]], creating: list[Event], using: list[Event]) -> bool:
    """One side creates the object and the other only uses it: that is DL201's finding."""
    if not any(e.creates for e in creating) or any(e.creates or e.removes for e in using):
        return False
    first_use = using[0]
    return history.prior(key, first_use.revision, first_use.position).status == NONE
