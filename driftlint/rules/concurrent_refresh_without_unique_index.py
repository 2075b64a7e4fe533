"""DL402 concurrent-refresh-without-unique-index: REFRESH ... CONCURRENTLY on a view no usable unique index covers."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.index import task_index
from driftlint.celery.report import site_views
from driftlint.celery.views import head_views, pick_environment, view_key
from driftlint.diagnostics import Diagnostic, Location, Related
from driftlint.facts import CELERY, HEADER, SCHEMA
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.schema.history import matview_unique_index


class ConcurrentRefreshWithoutUniqueIndex(Rule):
    code = "DL402"
    name = "concurrent-refresh-without-unique-index"
    summary = "Code refreshes a materialized view CONCURRENTLY but no migration gives it a usable unique index"
    reads = frozenset({HEADER, SCHEMA, CELERY})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        if not head_views(project):
            # No revision creates a materialized view: there is nothing to compare the code with,
            # and an edit to a revision need not build the Celery task index to learn that.
            return
        index = task_index(project)
        default = project.settings.default_schema
        seen: set[tuple[str, tuple[int, int, int, int], str]] = set()
        for site in index.refresh_sites:
            if not site.site.concurrently:
                continue
            names, _origins = site_views(index, site)
            if not names:
                continue
            environment = pick_environment(project, names)
            if environment is None:
                continue
            for name in names:
                key = view_key(name, default)
                marker = (site.module.name, site.site.span, name)
                if marker in seen or key not in environment.views or environment.unreadable(key[1]):
                    continue
                seen.add(marker)
                if matview_unique_index(environment.analysis, environment.ref(key)) is not False:
                    continue
                creation = environment.views[key]
                shown = key[1] if key[0] == default else f"{key[0]}.{key[1]}"
                yield self.diagnostic(
                    f"`{site.site.statement}` refreshes `{shown}` concurrently, but no migration creates a unique "
                    "index without WHERE or expressions on it: PostgreSQL raises "
                    f"`cannot refresh materialized view \"{key[0]}.{key[1]}\" concurrently`",
                    project.relpath(site.module.path),
                    site.site.span,
                    fix_title=f"Add a migration with `CREATE UNIQUE INDEX ... ON {shown} (<key columns>)`, or refresh "
                    "without CONCURRENTLY",
                    related=[Related(project.relpath(creation.path), Location(creation.span[0], creation.span[1]),
                                     f"`{shown}` is created here by revision `{creation.revision}`")],
                    subject=(site.module.name, site.site.statement, shown),
                )
