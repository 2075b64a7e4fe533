"""DL201 cross-branch-reference: a revision uses an object that only a non-ancestor revision creates."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import NONE, schema_history
from driftlint.schema.model import USES
from driftlint.schema.report import depends_on_fix, label, related, verb, where


class CrossBranchReference(Rule):
    code = "DL201"
    name = "cross-branch-reference"
    summary = "A revision uses a table or view that only a revision outside its ancestors creates"
    reads = frozenset({HEADER, SCHEMA})
    fixable = True

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for history in schema_history(project).environments:
            for revision in history.order:
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
                    obj = history.object(key)
                    creator = creators[0]
                    creating_path = project.relpath(history.path(creator.revision))
                    fix = depends_on_fix(history, revision, creator.revision)
                    others = "" if len(creators) == 1 else f" (and {len(creators) - 1} other unordered revision(s))"
                    yield self.diagnostic(
                        f"Revision `{revision}` {verb(effect)} {label(obj, project)}, which only revision "
                        f"`{creator.revision}` ({creating_path}){others} creates, and that revision is not among its "
                        f"ancestors: `alembic upgrade heads` may run `{revision}` first and fail",
                        project.relpath(history.path(revision)),
                        effect.span,
                        fix_title=f"Add `{fix}` to revision `{revision}`, or reparent it onto `{creator.revision}`",
                        related=[related(project, history, e, f"`{obj.name}` is created here by revision `{e.revision}`") for e in creators],
                        context=[("Created by", [where(project, history, e) for e in creators]), ("Fix", [fix])],
                        subject=(revision, obj.qualified),
                    )
