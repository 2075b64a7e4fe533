"""DL401 matview-registry-drift: the code's list of materialized views differs from what the migrations leave."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.registry import matview_registry
from driftlint.celery.views import head_views, pick_environment, view_key
from driftlint.diagnostics import Diagnostic, Location, Related
from driftlint.facts import CELERY, HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.model import DROP, RENAME


class MatviewRegistryDrift(Rule):
    code = "DL401"
    name = "matview-registry-drift"
    summary = "The code's registry of materialized views misses views the migrations create, or names views they do not"
    reads = frozenset({HEADER, SCHEMA, CELERY})
    fixable = True
    options = {"matview-registry": ""}

    def check(self, project: Project) -> Iterator[Diagnostic]:
        if not head_views(project):
            # No revision creates a materialized view: there is nothing to compare the code with,
            # and an edit to a revision need not build the Celery task index to learn that.
            return
        registry = matview_registry(project)
        if registry is None:
            return
        environment = pick_environment(project, list(registry.names))
        if environment is None:
            return
        default = project.settings.default_schema
        path = project.relpath(registry.path)
        listed = {view_key(name, default): name for name in registry.names}
        label = f"`{registry.name}`"
        for key, creation in sorted(environment.views.items()):
            if key in listed or environment.unreadable(key[1]):
                continue
            shown = key[1] if key[0] == default else f"{key[0]}.{key[1]}"
            created = f"{project.relpath(creation.path)}:{creation.span[0]}"
            yield self.diagnostic(
                f"{label} does not list materialized view `{shown}`, which revision `{creation.revision}` creates and "
                "no later revision drops: code that refreshes the registry never refreshes it",
                path,
                registry.span,
                fix_title=f"Add \"{shown}\" to {registry.name}",
                related=[Related(project.relpath(creation.path), Location(creation.span[0], creation.span[1]),
                                 f"`{shown}` is created here by revision `{creation.revision}`")],
                context=[("Created by", [f"revision {creation.revision} ({created})"])],
                subject=(registry.module, registry.name, "missing", shown),
            )
        for key, name in sorted(listed.items()):
            if key in environment.views or environment.unreadable(key[1]):
                continue
            removed = self._removal(environment, key)
            why = (
                f"revision `{removed[0]}` {removed[1]} it" if removed else "no revision creates it"
            )
            yield self.diagnostic(
                f"{label} lists `{name}`, which is not a materialized view at the head of the migration history "
                f"({why}): refreshing it fails with `relation \"{key[1]}\" does not exist`",
                path,
                registry.span_of(name),
                fix_title=f"Remove \"{name}\" from {registry.name}, or add the migration that creates it",
                subject=(registry.module, registry.name, "stale", name),
            )

    @staticmethod
    def _removal(environment, key: tuple[str, str]) -> tuple[str, str] | None:
        history = environment.history
        ref = environment.ref(key)
        for event in history.final_events(history.key(ref)):
            if event.action == DROP:
                return (event.revision, "drops")
            if event.action == RENAME:
                return (event.revision, f"renames to `{event.effect.detail}`")
        return None
