"""DL301 untenanted-refresh: a task reaches REFRESH MATERIALIZED VIEW with no tenant scope on the way."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.index import TaskIndex, task_index
from driftlint.celery.report import (
    call_keywords,
    function_line,
    other_sites,
    path_lines,
    reached_views,
    related_site,
    tenant_markers,
    views_phrase,
    words,
)
from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule


class UntenantedRefresh(Rule):
    code = "DL301"
    name = "untenanted-refresh"
    summary = "A task refreshes a materialized view outside tenant scope in a project that scopes work by tenant"
    reads = frozenset({CELERY})
    severity = Severity.WARNING
    options = {"tenant-decorators": [], "tenant-arguments": [], "tenant-context-calls": []}

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery or not index.refresh_sites or not index.tasks:
            return
        decorators = list(project.settings.option("tenant-decorators", []))
        arguments = list(project.settings.option("tenant-arguments", []))
        context_calls = list(project.settings.option("tenant-context-calls", []))
        evidence = self._convention(project, index, decorators)
        if not (decorators or arguments or context_calls or evidence):
            return

        scoped = set()
        for module in index.modules:
            for function in module.facts.functions:
                markers = tenant_markers(function, decorators, arguments, context_calls, call_keywords(function))
                if markers:
                    scoped.add((module.name, function.qualname))
        for task in sorted(index.tasks, key=lambda t: (str(t.module.path), t.span)):
            reached = index.reachable_sites(task.key, scoped)
            if not reached or task.function is None:
                continue
            site, path = reached[0]
            names, statement = reached_views(index, reached)
            yield self.diagnostic(
                f"Task `{task.label}` refreshes {views_phrase(names, statement)} without tenant scope: "
                "no tenant decorator, tenant argument or tenant setting on the way to the refresh",
                project.relpath(task.module.path),
                task.span,
                fix_title="Run the refresh per tenant (tenant decorator or tenant argument, and set the tenant "
                "setting before the REFRESH), or move it out of the tenant-scoped workers",
                related=[related_site(project, site, "the refresh runs here")],
                context=[
                    ("Call path", path_lines(project, index, path, site)),
                    *([("Also refreshes", other_sites(project, reached))] if len(reached) > 1 else []),
                    ("Tenant scope elsewhere in this project", evidence or ["configured tenant markers"]),
                ],
                subject=(task.label,),
            )

    @staticmethod
    def _convention(project: Project, index: TaskIndex, decorators: list[str]) -> list[str]:
        """Where the project visibly scopes work by tenant: a tenant decorator on a task, or a tenant setting in SQL."""
        seen: list[str] = []
        for task in index.tasks:
            if task.function is None:
                continue
            for note in tenant_markers(task.function, decorators, [], []).notes:
                if note.startswith("@"):
                    seen.append(f"{note} on {function_line(project, index, task.key)}")
        for module in index.modules:
            for function in module.facts.functions:
                for marker in function.markers:
                    if marker.startswith("tenant-guc:") and "tenant" in words(marker.partition(":")[2]):
                        seen.append(f"`{marker.partition(':')[2]}` in {function_line(project, index, (module.name, function.qualname))}")
        return sorted(set(seen))[:5]
