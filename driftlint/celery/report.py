"""What the Celery rules share: lock and tenant markers, call-path lines, the views a refresh names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from driftlint.celery.index import FunctionKey, Origin, RefreshSite, Task, TaskIndex
from driftlint.celery.sql import ADVISORY_LOCK
from driftlint.celery.symbols import Module
from driftlint.celery.values import CallV, Value, dotted
from driftlint.diagnostics import Location, Related

if TYPE_CHECKING:
    from driftlint.celery.facts import FunctionFacts
    from driftlint.project import Project

# Words in a callee, context manager, decorator or task base that mean "only one run at a time".
LOCK_WORDS = frozenset({"lock", "locked", "locking", "mutex", "semaphore", "redlock", "singleton", "exclusive", "once"})
# ...unless the name is about giving the lock back or asking about it.
NOT_ACQUIRING = frozenset({"release", "unlock", "free", "is", "has", "check", "clear", "delete", "expire"})
TENANT_WORD = "tenant"


def words(name: str) -> set[str]:
    """`try_acquire_refresh_lock` -> {try, acquire, refresh, lock}; `QueueOnce` -> {queue, once}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return {part.lower() for part in re.split(r"[_\W]+", spaced) if part}


def _matches(name: str, configured: Iterable[str]) -> bool:
    last = name.rpartition(".")[2].rstrip("()")
    for item in configured:
        if name == item or last == item or name.endswith("." + item):
            return True
    return False


def _decorator_names(values: Sequence[Value]) -> list[str]:
    names = []
    for value in values:
        label = dotted(value.func if isinstance(value, CallV) else value)
        if label:
            names.append(label)
    return names


@dataclass(frozen=True)
class Markers:
    """The lock or tenant markers found in one function, as short human-readable notes."""

    notes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.notes)


def lock_markers(function: "FunctionFacts", helpers: Sequence[str]) -> Markers:
    notes: list[str] = []
    for marker in function.markers:
        if marker.startswith("advisory-lock:"):
            notes.append(f"`{marker.partition(':')[2]}` in SQL")
    for name in (*function.called_names, *function.with_names, *_decorator_names(function.decorators)):
        last = name.rpartition(".")[2].rstrip("()")
        if ADVISORY_LOCK.fullmatch(last) or _matches(name, helpers):
            notes.append(f"`{name}`")
            continue
        found = words(last)
        if (found & LOCK_WORDS or last == "acquire") and not found & NOT_ACQUIRING:
            notes.append(f"`{name}`")
    return Markers(tuple(dict.fromkeys(notes)))


def task_lock(task: Task, index: TaskIndex, helpers: Sequence[str]) -> Markers:
    """Queue-time locks declared on the task itself: celery-once, celery-singleton, configured bases."""
    notes: list[str] = []
    base = task.option("base")
    if base is not None:
        label = dotted(base) or ""
        if (words(label.rpartition(".")[2]) & LOCK_WORDS) or _matches(label, helpers):
            notes.append(f"base=`{label}`")
    for key in ("once", "unique_on", "lock_expiry"):
        if task.option(key) is not None:
            notes.append(f"`{key}=`")
    return Markers(tuple(notes))


def tenant_markers(
    function: "FunctionFacts",
    decorators: Sequence[str],
    arguments: Sequence[str],
    context_calls: Sequence[str],
    call_keywords: Iterable[str] = (),
) -> Markers:
    notes: list[str] = []
    for marker in function.markers:
        if marker.startswith("tenant-guc:"):
            notes.append(f"`{marker.partition(':')[2]}` in SQL")
    for name in _decorator_names(function.decorators):
        if _matches(name, decorators) or TENANT_WORD in words(name.rpartition(".")[2]):
            notes.append(f"@{name}")
    for param in function.params:
        if param in arguments or TENANT_WORD in words(param):
            notes.append(f"argument `{param}`")
    for name in (*function.called_names, *function.with_names):
        last = name.rpartition(".")[2].rstrip("()")
        if _matches(name, context_calls) or TENANT_WORD in words(last):
            notes.append(f"`{name}()`")
    for keyword in call_keywords:
        if keyword in arguments or TENANT_WORD in words(keyword):
            notes.append(f"passes `{keyword}=`")
    return Markers(tuple(dict.fromkeys(notes)))


def call_keywords(function: "FunctionFacts") -> list[str]:
    return [key for call in function.calls for key, _ in call.kwargs if key]


def location(project: "Project", module: Module, span: tuple[int, int, int, int]) -> str:
    return f"{project.relpath(module.path)}:{span[0]}"


def function_line(project: "Project", index: TaskIndex, key: FunctionKey) -> str:
    module, function = index.function(key)
    return f"{module.name}.{function.qualname}() ({location(project, module, function.span)})"


def path_lines(project: "Project", index: TaskIndex, path: Sequence[FunctionKey], site: RefreshSite) -> list[str]:
    lines = [function_line(project, index, key) for key in path]
    lines.append(f"{site.site.statement} ({location(project, site.module, site.site.span)})")
    return [line if i == 0 else "-> " + line for i, line in enumerate(lines)]


def related_site(project: "Project", site: RefreshSite, note: str) -> Related:
    return Related(project.relpath(site.module.path), Location(site.site.span[0], site.site.span[1]), note)


def site_views(index: TaskIndex, site: RefreshSite) -> tuple[list[str], list[Origin]]:
    """The views a refresh statement names: literal, or every name the interpolated value can take."""
    target = site.site.target
    if target.name is not None:
        return [target.name], [Origin("literal", (target.name,))]
    if target.placeholder or not target.holes:
        return [], [Origin("unknown", detail="a placeholder bound at run time")]
    origins: list[Origin] = []
    for hole in target.holes:
        origins.extend(index.origins(hole, site.module, site.function[1] if site.function else None))
    if len(target.holes) != 1:
        return [], origins
    names: list[str] = []
    for origin in origins:
        if origin.kind in ("literal", "known"):
            names.extend(origin.names)
    return list(dict.fromkeys(names)), origins


def views_phrase(names: Sequence[str], statement: str) -> str:
    if not names:
        return f"materialized views (`{statement}`)"
    shown = ", ".join(f"`{n}`" for n in names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return ("materialized view " if len(names) == 1 else "materialized views ") + shown


def reached_views(index: TaskIndex, reached: Sequence[tuple[RefreshSite, list[FunctionKey]]]) -> tuple[list[str], str]:
    """The views every reached refresh names (in order, once each), and the first statement."""
    names: list[str] = []
    for site, _path in reached:
        for name in site_views(index, site)[0]:
            if name not in names:
                names.append(name)
    return names, reached[0][0].site.statement


def other_sites(project: "Project", reached: Sequence[tuple[RefreshSite, list[FunctionKey]]]) -> list[str]:
    lines = []
    for site, _path in reached[1:]:
        line = f"{site.site.statement} ({location(project, site.module, site.site.span)})"
        if line not in lines:
            lines.append(line)
    return lines

