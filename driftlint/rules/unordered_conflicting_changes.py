"""DL203 unordered-conflicting-changes: two unordered revisions drop/rename or both create one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from driftlint.diagnostics import Diagnostic, Related, Severity
from driftlint.facts import HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import NONE, EnvironmentHistory, Event, schema_history
from driftlint.schema.model import DROP, USES
from driftlint.schema.report import depends_on_fix, label, related, upgrade_order_lines, verb


class UnorderedConflictingChanges(Rule):
    code = "DL203"
    name = "unordered-conflicting-changes"
    summary = "Two revisions with no order between them drop, rename or both create the same object"
    reads = frozenset({HEADER, SCHEMA})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for history in schema_history(project).environments:
            clashes: dict[tuple[str, str], list[_Clash]] = {}
            # An object with one event cannot have two revisions in conflict over it.
            for key in sorted(key for key, events in history.events.items() if len(events) > 1):
                if not history.creators(key):
                    continue
                by_revision: dict[str, list[Event]] = {}
                for event in history.events_for(key):
                    by_revision.setdefault(event.revision, []).append(event)
                if len(by_revision) < 2:
                    continue
                # Above a missing or unreadable revision, whether two revisions are ordered is not known.
                revisions = sorted((r for r in by_revision if history.certain(r)), key=history.index.__getitem__)
                for i, first in enumerate(revisions):
                    for second in revisions[i + 1:]:
                        if not history.unordered(first, second):
                            continue
                        conflict = _conflict(history, key, by_revision[first], by_revision[second])
                        if conflict is not None:
                            clashes.setdefault((first, second), []).append(_Clash(key, *conflict))
            # One finding per pair of revisions, however many objects they both change.
            for pair in sorted(clashes, key=lambda p: (history.index[p[0]], history.index[p[1]])):
                yield self._report(project, history, pair, clashes[pair])

    def _report(self, project: Project, history: EnvironmentHistory, pair: tuple[str, str], clashes: list[_Clash]) -> Diagnostic:
        order = history.upgrade_order()
        known = order is not None and order.stable
        # Where a fresh database fails today, if it does: the first such statement of the two.
        failing: list[tuple[Event, _Clash]] = []
        if order is not None and known:
            for clash in clashes:
                failing += [(f.event, clash) for f in history.failures(clash.key, order) if f.event.revision in pair]
        anchor, first_clash = failing[0] if failing else (clashes[0].anchor, clashes[0])
        other_revision = pair[1] if anchor.revision == pair[0] else pair[0]
        objects = [label(history.object(c.key), project) for c in clashes]
        single = len(clashes) == 1
        both_create = single and first_clash.anchor.creates and first_clash.other.creates
        if both_create:
            lead = (
                f"Revisions `{pair[0]}` and `{pair[1]}` have no order between them and both create {objects[0]}: "
                f"whichever `alembic upgrade heads` runs second fails with \"already exists\""
            )
        elif single:
            anchor_event = anchor
            other = first_clash.other if first_clash.anchor.revision == anchor.revision else first_clash.anchor
            lead = (
                f"Revision `{anchor_event.revision}` {verb(anchor_event.effect, anchor_event.action)} {objects[0]}, which revision "
                f"`{other.revision}` ({project.relpath(history.path(other.revision))}) {verb(other.effect, other.action)}, "
                f"and neither is an ancestor of the other"
            )
        else:
            shown = ", ".join(objects[:3]) + (f" and {len(objects) - 3} more" if len(objects) > 3 else "")
            lead = (
                f"Revisions `{pair[0]}` and `{pair[1]}` have no order between them and change the same "
                f"{len(objects)} objects ({shown})"
            )
        severity = Severity.ERROR
        if not known:
            outcome = "" if both_create else ": the outcome depends on which branch `alembic upgrade heads` runs first"
            fix_revision, needed, either = anchor.revision, other_revision, True
        else:
            assert order is not None
            early, late = sorted(pair, key=order.position.__getitem__)
            if failing:
                on = "" if single else f" (on `{history.object(first_clash.key).name}`)"
                outcome = "" if both_create else f": `alembic upgrade heads` runs `{early}` first, so a fresh database fails here{on}"
                # Today's order fails: the other one may work (both creating an object fails either way).
                fix_revision, needed, either = early, late, both_create
            else:
                severity = Severity.WARNING
                outcome = (
                    f": it works today only because `alembic upgrade heads` happens to run `{early}` first; nothing "
                    "declares that order, and a new sibling or merge can flip it"
                )
                fix_revision, needed, either = late, early, False
        fix = depends_on_fix(history, fix_revision, needed)
        context = [
            ("Objects", [_describe(project, history, clash) for clash in clashes]),
            ("Unordered revisions", [f"{r} ({project.relpath(history.path(r))})" for r in pair]),
        ]
        if order is not None:
            context.append(("Order of `alembic upgrade heads`", upgrade_order_lines(project, history, order, pair)))
        context.append(("Fix", [fix]))
        diagnostic = self.diagnostic(
            lead + outcome,
            project.relpath(history.path(anchor.revision)),
            anchor.effect.span,
            fix_title=f"Order the two revisions: add `{fix}` to `{fix_revision}`" + (" (or the reverse)" if either else ""),
            related=[_related(project, history, clash, anchor.revision) for clash in clashes],
            context=context,
            subject=pair,
        )
        return diagnostic if severity is Severity.ERROR else diagnostic.with_severity(severity)


@dataclass(frozen=True)
class _Clash:
    """Two unordered revisions' clashing changes to one object: where to report, and the other side."""

    key: tuple[str, tuple[str, ...]]
    anchor: Event
    other: Event


def _describe(project: Project, history: EnvironmentHistory, clash: _Clash) -> str:
    obj = history.object(clash.key)
    sides = sorted((clash.anchor, clash.other), key=lambda e: history.index[e.revision])
    return f"{label(obj, project)}: " + "; ".join(f"{e.revision} {verb(e.effect, e.action)} it ({project.relpath(history.path(e.revision))}:{e.effect.span[0]})" for e in sides)


def _related(project: Project, history: EnvironmentHistory, clash: _Clash, anchored: str) -> Related:
    """The side of a clash in the revision the finding is not anchored on."""
    event = clash.other if clash.anchor.revision == anchored else clash.anchor
    return related(project, history, event, f"revision `{event.revision}` {verb(event.effect, event.action)} `{history.object(clash.key).name}` here")


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
