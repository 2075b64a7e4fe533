"""DL302 unloaded-beat-schedule: a beat schedule dict that never reaches any Celery app's configuration."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.index import NONE, task_index
from driftlint.diagnostics import Diagnostic
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule


class UnloadedBeatSchedule(Rule):
    code = "DL302"
    name = "unloaded-beat-schedule"
    summary = "A beat schedule is defined but never reaches a Celery app's configuration, so beat runs none of it"
    reads = frozenset({CELERY})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery:
            return
        if not index.apps:
            return  # the app lives outside the scanned code and may load any schedule
        other_scheduler = index.uses_other_scheduler()
        for holder in sorted(index.holders.values(), key=lambda h: (str(h.module.path), h.span)):
            if holder.fate != NONE or holder.module.is_test or holder.module.synthetic:
                continue
            if any(target in index.holders for target in holder.flows_into):
                continue  # reported where it flows to
            if other_scheduler and any(holder.name in m.facts.referenced for m in index.modules if not m.is_test):
                continue  # code that feeds a database scheduler (django-celery-beat, RedBeat) may read it
            apps = ", ".join(app.label for app in index.apps[:3])
            entries = f"{holder.entries} entr{'y' if holder.entries == 1 else 'ies'}"
            yield self.diagnostic(
                f"`{holder.name}` is a beat schedule ({entries}) that never reaches a Celery app's configuration: "
                "beat runs none of its entries",
                project.relpath(holder.module.path),
                holder.span,
                fix_title=f"Load it: `app.conf.beat_schedule = {holder.name}` (or `beat_schedule = {holder.name}` "
                "in the config object the app reads)",
                context=[("Celery apps in this project", [apps])],
                subject=(holder.module.name, holder.name),
            )
