"""DL307 late-signal-handler: an on_after_configure handler connected after the app's configuration is loaded."""

from __future__ import annotations

from typing import Iterator

from driftlint.celery.index import task_index
from driftlint.celery.signals import SIGNAL, handler_timings
from driftlint.diagnostics import Diagnostic
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule


class LateSignalHandler(Rule):
    code = "DL307"
    name = "late-signal-handler"
    summary = "A Celery signal handler (`on_after_configure`, `on_after_finalize`) is connected after the signal is sent"
    reads = frozenset({CELERY})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery:
            return
        for timing in handler_timings(index):
            if not timing.late:
                continue
            yield self.diagnostic(
                f"`{timing.handler[1]}` is connected to `{timing.signal}` of app {timing.app.label} too late: "
                f"{timing.why}, so the handler never runs",
                project.relpath(timing.module.path),
                timing.span,
                fix_title=(
                    "Connect it to `on_after_finalize` instead, or move it to the module that creates the app"
                    if timing.signal == SIGNAL and timing.module is not timing.app.module
                    else "Connect it before the line that configures or finalizes the app"
                ),
                subject=timing.handler,
            )
