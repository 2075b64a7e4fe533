"""DL306 ignored-beat-setting: Celery ignores, rejects or later wipes a schedule setting the code sets."""

from __future__ import annotations

import re
from typing import Iterator, Optional

from driftlint.celery.facts import Event
from driftlint.celery.index import App, ConfigSource, TaskIndex, task_index
from driftlint.celery.settings_table import NEW_TO_OLD, OLD_TO_NEW
from driftlint.celery.symbols import Module
from driftlint.celery.values import Attr, CallV, Const, Span, Subscript, Value
from driftlint.diagnostics import Diagnostic
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule

_PREFIXED = re.compile(r"^([A-Z][A-Z0-9]*)_BEAT_SCHEDULE$")
_BEAT_KEYS = ("beat_schedule", "CELERYBEAT_SCHEDULE")


class IgnoredBeatSetting(Rule):
    code = "DL306"
    name = "ignored-beat-setting"
    summary = "A schedule setting Celery ignores (wrong namespace), rejects (old and new names mixed) or wipes later"
    reads = frozenset({CELERY})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery:
            return
        reported: set[tuple[str, Span]] = set()
        for app in index.apps:
            for diagnostic in [*self._namespace(project, index, app), *self._mixed(project, index, app)]:
                key = (diagnostic.path, (diagnostic.location.row, diagnostic.location.column, 0, 0))
                if key not in reported:
                    reported.add(key)
                    yield diagnostic
        yield from self._wiped(project, index)

    # CELERY_BEAT_SCHEDULE without namespace="CELERY" (B1.1 row 7)
    def _namespace(self, project: Project, index: TaskIndex, app: App) -> Iterator[Diagnostic]:
        namespace = (app.namespace or "").rstrip("_").upper()
        found: list[tuple[str, Module, Span]] = []
        for key, _value, module, event in app.conf_writes:
            found.append((key, module, event.span))
        for source in app.config_sources:
            for key, (_value, module, span) in index.config_keys(source).items():
                found.append((key, module, span))
        for key, module, span in found:
            match = _PREFIXED.match(key)
            if not match or match.group(1) == namespace:
                continue
            wanted = f'namespace="{match.group(1)}"'
            have = f'namespace="{app.namespace}"' if app.namespace else "no namespace"
            yield self.diagnostic(
                f"`{key}` is ignored: app {app.label} has {have}, so Celery reads `beat_schedule` "
                f"(or `CELERYBEAT_SCHEDULE`{', `' + namespace + '_BEAT_SCHEDULE`' if namespace else ''}) "
                "and beat starts with an empty schedule",
                project.relpath(module.path),
                span,
                fix_title=f"Configure the app with {wanted} (`config_from_object(..., {wanted})`), or rename the "
                "setting to `beat_schedule`",
                subject=(app.module.name, key, "namespace"),
            )

    # CELERYBEAT_SCHEDULE mixed with new-style names in one source (B1.1 row 6)
    def _mixed(self, project: Project, index: TaskIndex, app: App) -> Iterator[Diagnostic]:
        if app.namespace:
            return  # with a prefix Celery always uses the new names and never raises
        for source in app.config_sources:
            if source.kind not in ("module", "class", "dict"):
                continue
            keys = index.config_keys(source)
            have = set(keys)
            new = have & set(NEW_TO_OLD)
            old = have & set(OLD_TO_NEW)
            if not (new and old):
                continue
            if len(old) > len(new):
                left, convert = new, NEW_TO_OLD
            else:
                left, convert = old, OLD_TO_NEW
            really_left = sorted((k for k in left if convert[k] not in have), key=lambda k: keys[k][2])
            if not any(k in _BEAT_KEYS or convert.get(k) in _BEAT_KEYS for k in [*really_left, *(new | old)]):
                continue
            if not really_left:
                continue
            first = really_left[0]
            _value, module, span = keys[first]
            # Celery raises for the minority style; the fix that lasts is the new names (old ones go in 6.0).
            renames = [f"{k} -> {OLD_TO_NEW[k]}" for k in sorted(old, key=lambda k: keys[k][2])]
            yield self.diagnostic(
                f"{_source_label(source)} mixes old and new Celery setting names ({', '.join(sorted(old)[:3])} "
                f"with {', '.join(sorted(new)[:3])}): Celery raises ImproperlyConfigured (\"Cannot mix new and old "
                "setting keys\") when it loads it",
                project.relpath(module.path),
                span,
                fix_title="Rename the old names: " + ", ".join(renames[:3]) + (" ..." if len(renames) > 3 else ""),
                context=[("Renames", renames)],
                subject=(module.name, "mixed", *sorted(old)),
            )

    # conf.beat_schedule written after configuration, then config_from_object again (B1.1 row 1)
    def _wiped(self, project: Project, index: TaskIndex) -> Iterator[Diagnostic]:
        for module in index.modules:
            scopes: dict[Optional[str], list[Event]] = {}
            for event in module.facts.events:
                scopes.setdefault(event.function, []).append(event)
            for events in scopes.values():
                configured: dict[int, tuple[int, str]] = {}
                pending: dict[int, list[tuple[Event, tuple[int, str]]]] = {}
                for event in sorted(events, key=lambda e: e.order):
                    app_expr, kind = _classify(event)
                    if kind is None or app_expr is None:
                        continue
                    for app in index.apps_of(app_expr, module):
                        if app is None:
                            continue
                        slot = id(app)
                        if kind == "read":
                            configured.setdefault(slot, (event.span[0], f"reads `conf.{event.name}`" if event.name else "reads `conf`"))
                        elif kind == "forced":
                            configured.setdefault(slot, (event.span[0], "calls `config_from_object(..., force=True)`"))
                        elif kind == "write":
                            # Mutating `conf.beat_schedule` reads it first, which loads the configuration.
                            reads_first = event.kind == "setitem" or (event.kind == "call" and _beat_chain(event.receiver))
                            if slot in configured or reads_first:
                                cause = configured.get(slot, (event.span[0], "reads `conf.beat_schedule`"))
                                pending.setdefault(slot, []).append((event, cause))
                        elif kind == "reload":
                            for write, (line, what) in pending.pop(slot, []):
                                yield self.diagnostic(
                                    f"This `beat_schedule` change on app {app.label} is lost: line {line} {what}, which "
                                    f"loads the configuration, and `config_from_object` on line {event.span[0]} reloads "
                                    "it from the config object",
                                    project.relpath(module.path),
                                    write.span,
                                    fix_title="Set the schedule before the configuration is first read, or in the config "
                                    "object `config_from_object` loads",
                                    subject=(module.name, str(write.span[0]), "wiped"),
                                )
                            if event.call is not None and _forced(event.call):
                                configured.setdefault(slot, (event.span[0], "calls `config_from_object(..., force=True)`"))


def _source_label(source: ConfigSource) -> str:
    if source.kind == "class" and source.module is not None:
        return f"Config class `{source.qualname}` ({source.module.name})"
    if source.kind == "module" and source.module is not None:
        return f"Config module `{source.module.name}`"
    return "The config mapping"


def _is_conf(value: Value) -> bool:
    return isinstance(value, Attr) and value.attr == "conf"


def _forced(call: CallV) -> bool:
    force = call.kwarg("force")
    return isinstance(force, Const) and force.value is True


def _classify(event: Event) -> tuple[Optional[Value], Optional[str]]:
    """(app expression, what the event does to the app's configuration)."""
    receiver = event.receiver
    if event.kind == "conf-read":
        return receiver, "read"
    if event.kind == "conf-write":
        return receiver, ("write" if event.name in _BEAT_KEYS else None)
    if event.kind == "setitem" and _beat_chain(receiver):
        return _app_of_chain(receiver), "write"
    if event.kind != "call" or event.call is None:
        return None, None
    if event.name == "config_from_object":
        return receiver, "reload"
    if event.name == "update" and isinstance(receiver, Attr) and _is_conf(receiver):
        keys = {k for k, _ in event.call.kwargs if k}
        return receiver.base, ("write" if keys & set(_BEAT_KEYS) else None)
    if event.name == "update" and _beat_chain(receiver):
        return _app_of_chain(receiver), "write"
    return None, None


def _app_of_chain(value: Value) -> Optional[Value]:
    """`app` in `app.conf.beat_schedule` or `app.conf["beat_schedule"]`."""
    base = value.base if isinstance(value, (Attr, Subscript)) else None
    return base.base if isinstance(base, Attr) else None


def _beat_chain(value: Value) -> bool:
    if isinstance(value, Attr) and _is_conf(value.base):
        return value.attr in _BEAT_KEYS
    if isinstance(value, Subscript) and _is_conf(value.base):
        return isinstance(value.key, Const) and value.key.value in _BEAT_KEYS
    return False
