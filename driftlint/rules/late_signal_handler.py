"""DL307 late-signal-handler: an on_after_configure handler connected after the app's configuration is loaded."""

from __future__ import annotations

from typing import Iterator, Optional

from driftlint.celery.index import App, TaskIndex, task_index
from driftlint.celery.modules import resolve_relative
from driftlint.celery.symbols import Module
from driftlint.diagnostics import Diagnostic
from driftlint.project import Project
from driftlint.rule import Rule

SIGNAL = "on_after_configure"


class LateSignalHandler(Rule):
    code = "DL307"
    name = "late-signal-handler"
    summary = "An `on_after_configure` handler lives in a module imported after configuration, so it never runs"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery:
            return
        for app in index.apps:
            eager = eager_imports(index, app.module)
            for signal, (handler_module, handler), module, span, order in app.handlers:
                if signal != SIGNAL:
                    continue
                if module is app.module:
                    read = _first_read_before(app, module, order)
                    if read is None:
                        continue
                    why = f"line {read} reads `conf` before it, which loads the configuration and sends the signal"
                elif module.name in eager:
                    continue
                else:
                    how = _task_loaded(app, module)
                    if how is None:
                        index.unknown.append((module.path, span, f"when `{handler}` is connected cannot be told"))
                        continue
                    why = f"`{module.name}` is imported by {how} only after the configuration is loaded"
                yield self.diagnostic(
                    f"`{handler}` is connected to `{SIGNAL}` of app {app.label} too late: {why}, so the handler "
                    "never runs",
                    project.relpath(module.path),
                    span,
                    fix_title="Connect it to `on_after_finalize` instead, or move it to the module that creates the app",
                    subject=(handler_module, handler),
                )


def eager_imports(index: TaskIndex, start: Module) -> set[str]:
    """Modules imported (at module level, transitively) while `start` is being imported."""
    seen: set[str] = {start.name}
    queue = [start]
    while queue:
        module = queue.pop()
        for imported in module.facts.imports:
            absolute = resolve_relative(module.name, module.is_package, imported.module, imported.level)
            if absolute is None:
                continue
            names = [absolute]
            if imported.attr:
                names.append(f"{absolute}.{imported.attr}")
            for name in names:
                parts = name.split(".")
                for end in range(1, len(parts) + 1):
                    target = index.symbols.module(".".join(parts[:end]))
                    if target is not None and target.name not in seen:
                        seen.add(target.name)
                        queue.append(target)
    return seen


def _first_read_before(app: App, module: Module, order: int) -> Optional[int]:
    for where, event in app.events:
        if where is module and event.function is None and event.kind == "conf-read" and event.order < order:
            return event.span[0]
    return None


def _task_loaded(app: App, module: Module) -> Optional[str]:
    if module.name in app.includes:
        return "`include`/`imports`"
    for packages, related in app.autodiscover:
        if packages is None:
            if related and (module.name == related or module.name.endswith("." + related)):
                return "`autodiscover_tasks()`"
        else:
            wanted = {f"{p}.{related}" if related else p for p in packages}
            if module.name in wanted:
                return "`autodiscover_tasks()`"
    return None
