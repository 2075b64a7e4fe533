"""DL908 beat-schedule-not-loaded: the running Celery app lacks schedule entries or their tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.beat import StaticApps
    from driftlint.verify.context import VerifyContext

PROBE_TIMEOUT = 60.0


class BeatScheduleNotLoaded(Gate):
    code = "DL908"
    name = "beat-schedule-not-loaded"
    summary = "The Celery app, once loaded, lacks a schedule entry found in the code or a task an entry names"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.verify.beat import load_app, static_apps, static_entries

        spec = ctx.options.celery_app
        if not spec:
            return
        ctx.announce(f"driftlint: importing the Celery app `{spec}` to read its beat schedule (this runs your code)")
        loaded = load_app(spec, ctx.project.root, max(PROBE_TIMEOUT, ctx.options.timeout))
        found = static_entries(ctx)
        anchor_path, anchor_span = ctx.anchor()
        if not loaded.ok:
            yield self.diagnostic(
                f"Celery app `{spec}` cannot be loaded the way `celery beat` loads it: {loaded.error}",
                anchor_path,
                anchor_span,
                fix_title="Fix the import error (run `celery -A " + spec + " inspect registered` to reproduce it)",
                context=[("Output (last lines)", list(loaded.output))] if loaded.output else [],
                subject=(spec, "load"),
            )
            return
        if loaded.module_file is not None and loaded.module_file.is_file():
            app_path, app_span = ctx.project.relpath(loaded.module_file), (1, 1, 1, 1)
        else:
            app_path, app_span = anchor_path, anchor_span
        runtime = dict(loaded.schedule)
        by_key = {entry.key: entry for entry in found}
        apps = static_apps(ctx, spec)
        untold = 0
        for entry in found:
            if entry.key in runtime:
                continue
            if not _meant_for(entry.apps, apps):
                # Another app's entry, or one whose app driftlint cannot tell while the code
                # builds several: comparing it with this app would be a false alarm.
                untold += entry.apps is None or apps.named is None
                continue
            yield self.diagnostic(
                f"Beat entry '{entry.key}' is defined in the code but not in `{spec}`'s `conf.beat_schedule` at run time: "
                "beat never schedules it",
                entry.path,
                entry.span,
                fix_title="Load the schedule into the app (`app.conf.beat_schedule = ...` or the config object Celery reads)",
                context=[("Loaded schedule", sorted(runtime) or ["(empty)"])],
                subject=(spec, entry.key, "unloaded"),
            )
        if untold:
            ctx.announce(
                f"driftlint: {untold} beat entr{'y' if untold == 1 else 'ies'} found in the code not compared with `{spec}`: "
                f"the code constructs {apps.count} Celery apps and driftlint cannot tell which one loads "
                f"{'it' if untold == 1 else 'them'} (unloaded-beat-schedule reports a schedule no app loads)"
            )
        for key, task in sorted(runtime.items()):
            if task is None or task in loaded.tasks:
                continue
            static = by_key.get(key)
            path, span = (static.path, static.span) if static is not None else (app_path, app_span)
            yield self.diagnostic(
                f"Beat entry '{key}' names task '{task}', which `{spec}` does not register after importing its modules: "
                "beat sends it anyway and workers discard it as unregistered",
                path,
                span,
                fix_title="Name a registered task, or add its module to `include`/`imports`/autodiscovery",
                context=[
                    ("Registered tasks", sorted(t for t in loaded.tasks if not t.startswith("celery.")) or ["(none)"])
                ],
                subject=(spec, key, task),
            )


def _meant_for(entry_apps: "frozenset[tuple[str, object]] | None", apps: "StaticApps") -> bool:
    """Whether a schedule entry found in the code should be in the loaded app's schedule: when it is
    that app's, or, whatever app it is, when the code constructs at most one."""
    if entry_apps is not None and apps.named is not None:
        return apps.named in entry_apps
    return apps.count <= 1
