"""What the Celery analysis could not resolve, for `driftlint check --show-unknown`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from driftlint.celery.index import MAYBE, NONE, task_index
from driftlint.celery.registry import matview_registry
from driftlint.celery.signals import handler_timings

if TYPE_CHECKING:
    from driftlint.celery.values import Span
    from driftlint.project import Project


def unknowns(project: "Project") -> list[tuple[Path, Span, str]]:
    """What the Celery analysis could not resolve (for `driftlint check --show-unknown`)."""
    index = task_index(project)
    matview_registry(project)
    found = list(index.unknown)
    for holder in index.holders.values():
        if holder.fate == MAYBE:
            found.append((holder.module.path, holder.span, f"beat schedule `{holder.name}` may be loaded: "
                          + "; ".join(holder.reasons or ["flows into a name that may be loaded"])))
        elif holder.fate == NONE and not index.apps:
            found.append((holder.module.path, holder.span, f"beat schedule `{holder.name}`: no Celery app in the "
                          "scanned code, so whether it is loaded cannot be told"))
    for app in index.apps:
        for module, span, reason in app.dynamic:
            found.append((module.path, span, f"app {app.label}: {reason}"))
    for site in index.refresh_sites:
        target = site.site.target
        if target.placeholder:
            found.append((site.module.path, site.site.span, f"`{site.site.statement}`: the view is bound at run time"))
        elif target.holes and not target.quoted:
            for hole in target.holes:
                for origin in index.origins(hole, site.module, site.function[1] if site.function else None):
                    if origin.kind == "unknown":
                        found.append((site.module.path, site.site.span, f"`{target.text}` in "
                                      f"`{site.site.statement}`: {origin.detail or 'only known at run time'}"))
    for timing in handler_timings(index):
        if timing.late is None:
            found.append((timing.module.path, timing.span, timing.why))
    for entry in index.entries:
        if entry.task is None and entry.task_value is not None and not entry.task_known:
            label = f"beat entry '{entry.key}'" if entry.key else "a beat entry"
            found.append((entry.path, entry.span, f"{label}: its task name is only known at run time"))
    return sorted(set(found), key=lambda item: (str(item[0]), item[1], item[2]))
