"""DL201 cross-branch-reference: a revision uses an object that only a non-ancestor revision creates."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import NONE, EnvironmentHistory, Event, schema_history
from driftlint.schema.model import USES
from driftlint.schema.report import depends_on_fix, label, related, upgrade_order_lines, verb, where


class CrossBranchReference(Rule):
    code = "DL201"
    name = "cross-branch-reference"
    summary = "A revision uses a table or view that only a revision outside its ancestors creates"
    reads = frozenset({HEADER, SCHEMA})
    fixable = True

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for history in schema_history(project).environments:
            for revision in history.checked():  # what ran before the others is not known
                reported: set[tuple[str, tuple[str, ...]]] = set()
                for position, effect in enumerate(history.effects[revision].effects):
                    if effect.action not in USES or effect.guarded:
                        continue  # ALTER TABLE IF EXISTS and the like do not fail on a missing object
                    key = history.key(effect.obj, effect.engine)
                    if key in reported:
                        continue
                    creators = [e for e in history.creators(key) if history.unordered(e.revision, revision)]
                    if not creators or history.prior(key, revision, position).status != NONE:
                        continue
                    if history.mentioned_by_unknown(effect.obj.name, revision):
                        continue
                    reported.add(key)
                    use = next(e for e in history.events_for(key) if e.revision == revision and e.position == position)
                    yield self._report(project, history, use, creators)

    def _report(self, project: Project, history: EnvironmentHistory, use: Event, creators: list[Event]) -> Diagnostic:
        revision, effect = use.revision, use.effect
        key = history.key(effect.obj, effect.engine)
        obj = history.object(key)
        order = history.upgrade_order()
        creator = creators[0]
        severity = Severity.ERROR
        if order is None or not order.stable:
            # Alembic cannot load the history, or takes part of its order from a set.
            outcome = f"`alembic upgrade heads` may run `{revision}` first and fail"
        elif any(failure.event == use for failure in history.failures(key, order)):
            creator = min(creators, key=lambda e: order.position[e.revision])
            outcome = (
                f"`alembic upgrade heads` runs `{revision}` before `{creator.revision}`, so a fresh database fails here "
                f"(`{obj.name}` does not exist yet)"
            )
        else:
            creator = min(creators, key=lambda e: order.position[e.revision])
            severity = Severity.WARNING
            outcome = (
                f"it works today only because `alembic upgrade heads` happens to run `{creator.revision}` first; "
                "nothing declares that order, and a new sibling or merge can flip it"
            )
        creating_path = project.relpath(history.path(creator.revision))
        fix = depends_on_fix(history, revision, creator.revision)
        others = "" if len(creators) == 1 else f" (and {len(creators) - 1} other unordered revision(s))"
        context = [("Created by", [where(project, history, e) for e in creators]), ("Fix", [fix])]
        if order is not None:
            context.append(("Order of `alembic upgrade heads`", upgrade_order_lines(project, history, order, [revision, *(e.revision for e in creators)])))
        diagnostic = self.diagnostic(
            f"Revision `{revision}` {verb(effect)} {label(obj, project)}, which only revision "
            f"`{creator.revision}` ({creating_path}){others} creates, and that revision is not among its "
            f"ancestors: {outcome}",
            project.relpath(history.path(revision)),
            effect.span,
            fix_title=f"Add `{fix}` to revision `{revision}`, or reparent it onto `{creator.revision}`",
            related=[related(project, history, e, f"`{obj.name}` is created here by revision `{e.revision}`") for e in creators],
            context=context,
            subject=(revision, obj.qualified),
        )
        return diagnostic if severity is Severity.ERROR else diagnostic.with_severity(severity)
