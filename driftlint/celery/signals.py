"""When an app's `on_after_configure` handlers are connected: before configuration (they run) or after (never)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from driftlint.celery.index import App, FunctionKey, TaskIndex
from driftlint.celery.modules import resolve_relative
from driftlint.celery.symbols import Module
from driftlint.celery.values import Span

SIGNAL = "on_after_configure"


@dataclass(frozen=True)
class HandlerTiming:
    app: App
    handler: FunctionKey
    module: Module  # where it is connected
    span: Span
    late: Optional[bool]  # None: cannot tell
    why: str


def handler_timings(index: TaskIndex) -> Iterator[HandlerTiming]:
    for app in index.apps:
        eager = eager_imports(index, app.module)
        for signal, handler, module, span, order in app.handlers:
            if signal != SIGNAL:
                continue
            if module is app.module:
                read = _first_read_before(app, module, order)
                if read is None:
                    yield HandlerTiming(app, handler, module, span, False, "connected where the app is created")
                else:
                    yield HandlerTiming(
                        app, handler, module, span, True,
                        f"line {read} reads `conf` before it, which loads the configuration and sends the signal",
                    )
            elif module.name in eager:
                yield HandlerTiming(app, handler, module, span, False, "imported while the app module is imported")
            else:
                how = _task_loaded(app, module)
                if how is None:
                    yield HandlerTiming(app, handler, module, span, None, f"when `{handler[1]}` is connected cannot be told")
                else:
                    yield HandlerTiming(
                        app, handler, module, span, True,
                        f"`{module.name}` is imported by {how} only after the configuration is loaded",
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
