"""DL304 unlocked-refresh: a task reaches REFRESH MATERIALIZED VIEW with no lock against overlapping runs."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.index import task_index
from driftlint.celery.report import (
    lock_markers,
    other_sites,
    path_lines,
    reached_views,
    related_site,
    task_lock,
    views_phrase,
)
from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule


class UnlockedRefresh(Rule):
    code = "DL304"
    name = "unlocked-refresh"
    summary = "A task refreshes a materialized view with no advisory lock or task lock against overlapping runs"
    reads = frozenset({CELERY})
    severity = Severity.WARNING
    options = {"lock-helpers": []}

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery or not index.refresh_sites:
            return
        helpers = list(project.settings.option("lock-helpers", []))
        direct = set()
        for module in index.modules:
            for function in module.facts.functions:
                if lock_markers(function, helpers):
                    direct.add((module.name, function.qualname))
        # A function that calls a lock helper (a project function that takes a lock) holds the lock too.
        locked = set(direct)
        for key in list(index.graph.nodes):
            if any(callee in direct for callee in index.graph.successors(key)):
                locked.add(key)
        for task in sorted(index.tasks, key=lambda t: (str(t.module.path), t.span)):
            if task.function is None or task_lock(task, index, helpers):
                continue
            reached = index.reachable_sites(task.key, locked)
            if not reached:
                continue
            site, path = reached[0]
            names, statement = reached_views(index, reached)
            yield self.diagnostic(
                f"Task `{task.label}` refreshes {views_phrase(names, statement)} with no lock on the way: "
                "overlapping runs (beat ticks, retries, a manual run) refresh the same view at once",
                project.relpath(task.module.path),
                task.span,
                fix_title="Take `pg_try_advisory_xact_lock(<key>)` in the refresh's transaction and skip the run when "
                "it returns false (or use a task lock such as celery-once)",
                related=[related_site(project, site, "the refresh runs here")],
                context=[
                    ("Call path", path_lines(project, index, path, site)),
                    *([("Also refreshes", other_sites(project, reached))] if len(reached) > 1 else []),
                ],
                subject=(task.label,),
            )
