"""DL202 reference-to-dropped-object: a revision uses an object that every path to it has dropped."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import ABSENT, schema_history
from driftlint.schema.model import DROP, RENAME, USES
from driftlint.schema.report import label, related, verb, where


class ReferenceToDroppedObject(Rule):
    code = "DL202"
    name = "reference-to-dropped-object"
    summary = "A revision uses a table or view that an earlier revision has already dropped or renamed"
    reads = frozenset({HEADER, SCHEMA})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for history in schema_history(project).environments:
            for revision in history.checked():  # what ran before the others is not known
                reported: set[tuple[str, tuple[str, ...]]] = set()
                for position, effect in enumerate(history.effects[revision].effects):
                    # Dropping or renaming a missing object fails too, unless IF EXISTS says otherwise.
                    if effect.guarded or effect.action not in (*USES, DROP, RENAME):
                        continue
                    key = history.key(effect.obj, effect.engine)
                    if key in reported or not history.removed(key) or not history.creators(key):
                        continue  # objects no revision creates existed before Alembic: nothing to compare
                    prior = history.prior(key, revision, position)
                    if prior.status != ABSENT or history.mentioned_by_unknown(effect.obj.name, revision):
                        continue
                    reported.add(key)
                    obj = history.object(key)
                    removal = prior.events[-1]
                    removed = f"renamed it to `{removal.effect.detail}`" if removal.action == RENAME else "dropped it"
                    if removal.revision == revision:
                        source = f"this revision already {removed} on line {removal.effect.span[0]}"
                    else:
                        path = project.relpath(history.path(removal.revision))
                        many = len(prior.events) > 1
                        source = (
                            f"revision `{removal.revision}` ({path}) already {removed}"
                            + (" (as do the other branches before it)" if many else "")
                        )
                    fix = (
                        f"Use the new name `{removal.effect.detail}`"
                        if removal.action == RENAME
                        else f"Remove the use of `{obj.name}`, or re-create it before this revision"
                    )
                    yield self.diagnostic(
                        f"Revision `{revision}` {verb(effect)} {label(obj, project)}, but {source}: "
                        f"the statement fails with \"does not exist\"",
                        project.relpath(history.path(revision)),
                        effect.span,
                        fix_title=fix,
                        related=[related(project, history, e, f"`{obj.name}` is {'renamed' if e.action == RENAME else 'dropped'} here") for e in prior.events],
                        context=[("Removed by", [where(project, history, e) for e in prior.events])],
                        subject=(revision, obj.qualified),
                    )
