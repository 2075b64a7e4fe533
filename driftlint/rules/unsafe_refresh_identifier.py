"""DL308 unsafe-refresh-identifier: a view name from a task argument is pasted into REFRESH SQL unchecked."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.index import task_index
from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule


class UnsafeRefreshIdentifier(Rule):
    code = "DL308"
    name = "unsafe-refresh-identifier"
    summary = "REFRESH SQL interpolates a name that reaches it unchecked and unquoted from a task argument"
    reads = frozenset({CELERY})
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery:
            return
        seen: set[tuple[str, tuple[int, int, int, int]]] = set()
        for site in index.refresh_sites:
            target = site.site.target
            if not target.holes or target.quoted:
                continue
            key = (site.module.name, site.site.span)
            if key in seen:
                continue
            seen.add(key)
            origins = [
                origin
                for hole in target.holes
                for origin in index.origins(hole, site.module, site.function[1] if site.function else None)
            ]
            unsafe = [o for o in origins if o.kind == "task-argument"]
            if not unsafe:
                continue
            yield self.diagnostic(
                f"`{site.site.statement}` interpolates `{target.text}`, which comes from {unsafe[0].detail} with no "
                "check against a known list and no identifier quoting: a crafted task message runs its own SQL",
                project.relpath(site.module.path),
                site.site.span,
                fix_title="Check the name against the registry (`if name not in MATERIALIZED_VIEWS: raise ...`) or "
                "build the statement with `psycopg.sql.Identifier`",
                context=[("Comes from", sorted({o.detail for o in unsafe}))],
                subject=(site.module.name, site.site.statement),
            )
