"""When an app's `on_after_configure` handlers are connected: before configuration (they run) or after (never)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from driftlint.celery.extract import FINALIZING_METHODS
from driftlint.celery.index import App, FunctionKey, TaskIndex
from driftlint.celery.modules import resolve_relative
from driftlint.celery.symbols import Module
from driftlint.celery.values import Span, Value

SIGNAL = "on_after_configure"
FINALIZE_SIGNAL = "on_after_finalize"


@dataclass(frozen=True)
class HandlerTiming:
    app: App
    handler: FunctionKey
    module: Module  # where it is connected
    span: Span
    late: Optional[bool]  # None: cannot tell
    why: str
    signal: str = SIGNAL


def handler_timings(index: TaskIndex) -> Iterator[HandlerTiming]:
    for app in index.apps:
        eager = eager_imports(index, app.module)
        for signal, handler, module, span, order in app.handlers:
            if signal not in (SIGNAL, FINALIZE_SIGNAL):
                continue
            if module is app.module:
                before = _sent_before(index, app, module, order, signal)
                if before is None:
                    yield HandlerTiming(app, handler, module, span, False, "connected where the app is created", signal)
                else:
                    yield HandlerTiming(
                        app, handler, module, span, True, f"line {before[0]} {before[1]} before it", signal
                    )
            elif signal != SIGNAL:
                continue
            elif module.name in eager:
                yield HandlerTiming(app, handler, module, span, False, "imported while the app module is imported")
            else:
                how = _task_loaded(app, module)
                if how is None:
                    yield HandlerTiming(
                        app, handler, module, span, None, f"when `{handler[1]}` is connected cannot be told", signal
                    )
                else:
                    yield HandlerTiming(
                        app, handler, module, span, True,
                        f"`{module.name}` is imported by {how} only after the configuration is loaded", signal,
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


def _sent_before(index: TaskIndex, app: App, module: Module, order: int, signal: str) -> Optional[tuple[int, str]]:
    """A module-level statement of the app's module, above the handler, that already sent the signal."""
    for event in module.facts.events:
        if event.function is not None or event.order >= order:
            continue
        if event.kind == "call" and event.name in FINALIZING_METHODS and _may_be_task(index, event.receiver, module):
            # Evaluating a task finalizes the current app (the one created last): both signals are sent.
            return event.span[0], f"evaluates a task (`.{event.name}()`), which finalizes the app and sends `{signal}`"
        if event.kind == "call" and event.name == "finalize" and app in index.apps_of(event.receiver, module):
            return event.span[0], f"calls `finalize()`, which sends `{signal}`"
        if signal == SIGNAL and event.kind == "conf-read" and app in index.apps_of(event.receiver, module):
            return event.span[0], "reads `conf`, which loads the configuration and sends the signal"
    return None


def _may_be_task(index: TaskIndex, value: Value, module: Module) -> bool:
    """`x.s()` on a task (or on something unknown), not `inspect.signature()` or a library object."""
    if index.task_for_value(value, module) is not None:
        return True
    refs = index.symbols.resolve(value, module)
    return not all(ref.kind in ("external", "module", "function", "class") for ref in refs)


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
