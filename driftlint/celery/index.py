"""The project-wide Celery index: apps, tasks and their names, beat schedules and where they flow, the call graph."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, cast

from driftlint.facts.extractors import CELERY
from driftlint.celery.facts import CallSite, Event, FunctionFacts, ModuleFacts, SqlSite
from driftlint.celery.modules import ModuleNamer, import_roots, resolve_relative
from driftlint.celery.symbols import Module, Ref, Symbols
from driftlint.celery.values import (
    Attr,
    CallV,
    Choice,
    Const,
    DictV,
    Element,
    Imported,
    Name,
    Param,
    SeqV,
    Span,
    Starred,
    Subscript,
    Template,
    Value,
    dotted,
    last_name,
    walk,
)

if TYPE_CHECKING:
    from driftlint.project import Project

EXTRACTOR_KEY = CELERY.key
INDEX_KEY = "celery-index"

CELERY_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
TASK_CLASSES = frozenset({"celery.Task", "celery.app.task.Task", "celery.task.Task", "celery.app.Task"})
SHARED_TASK = frozenset({"celery.shared_task", "celery.app.shared_task", "celery.task", "celery.decorators.task"})
# Tasks every app registers (CE app/builtins.py); beat may name them without a project module.
BUILTIN_TASKS = frozenset(
    {
        "celery.backend_cleanup",
        "celery.chord_unlock",
        "celery.chord",
        "celery.group",
        "celery.chain",
        "celery.map",
        "celery.starmap",
        "celery.chunks",
        "celery.accumulate",
    }
)
# ScheduleEntry.__init__ keywords (CE beat.py:L123-134); `name` and `app` are overwritten by beat.
ENTRY_KEYS = frozenset(
    {"task", "schedule", "args", "kwargs", "options", "relative", "last_run_at", "total_run_count", "name", "app"}
)
# Calls on a task object that enqueue a separate run instead of calling the function.
_ASYNC_ATTRIBUTES = frozenset({"delay", "apply_async", "s", "si", "signature", "subtask", "map", "starmap", "chunks"})
_NAMESPACED_BEAT = re.compile(r"^([A-Za-z][A-Za-z0-9]*)_BEAT_SCHEDULE$")

LOADED, MAYBE, NONE = 2, 1, 0

FunctionKey = tuple[str, str]


@dataclass(eq=False)
class App:
    """One `Celery(...)` construction and everything the project does to it."""

    module: Module
    span: Span
    variable: Optional[str] = None
    main: Optional[str] = None
    namespace: Optional[str] = None
    includes: list[str] = field(default_factory=list)
    # (packages, related_name); packages None means "whatever the fixups/installed apps say".
    autodiscover: list[tuple[Optional[tuple[str, ...]], Optional[str]]] = field(default_factory=list)
    config_sources: list["ConfigSource"] = field(default_factory=list)
    dynamic: list[tuple[Module, Span, str]] = field(default_factory=list)
    handlers: list[tuple[str, FunctionKey, Module, Span, int]] = field(default_factory=list)
    conf_writes: list[tuple[str, Value, Module, Event]] = field(default_factory=list)
    events: list[tuple[Module, Event]] = field(default_factory=list)
    custom_naming: bool = False

    @property
    def label(self) -> str:
        name = self.variable or self.main or "app"
        return f"`{name}` ({self.module.name})"

    @property
    def identity(self) -> tuple[str, Span]:
        """Where the app is constructed: its module and the span of the `Celery(...)` call."""
        return (self.module.name, self.span)


@dataclass(frozen=True, eq=False)
class ConfigSource:
    """What `config_from_object(...)` or `Celery(config_source=...)` points at."""

    kind: str  # "module", "class", "dict", "django", "unknown"
    module: Optional[Module]
    qualname: str
    value: Optional[Value]
    namespace: Optional[str]
    where: Module
    span: Span
    event: Optional[Event] = None


@dataclass(frozen=True, eq=False)
class Task:
    key: FunctionKey
    module: Module
    function: Optional[FunctionFacts]
    name: Optional[str]
    names: frozenset[str]
    span: Span
    options: tuple[tuple[Optional[str], Value], ...]
    decorators: tuple[Value, ...]

    @property
    def label(self) -> str:
        return self.name or f"{self.module.name}.{self.key[1]}"

    def option(self, key: str) -> Optional[Value]:
        for name, value in self.options:
            if name == key:
                return value
        return None


@dataclass(frozen=True, eq=False)
class BeatEntry:
    """One beat entry: an item of a schedule dict, an item assignment, or an `add_periodic_task` call."""

    key: Optional[str]
    task: Optional[str]
    task_value: Optional[Value]
    path: Path
    span: Span
    module: Module
    entry: Optional[DictV]
    source: str  # "dict", "setitem", "add_periodic_task"
    call: Optional[CallV] = None
    task_known: bool = False  # the task value is a task object (its name is right by construction)
    # The apps (App.identity) whose beat schedule setting holds this entry, when driftlint can tell;
    # None when it cannot (a schedule loaded nowhere, or through code it does not follow).
    apps: Optional[frozenset[tuple[str, Span]]] = None


@dataclass(eq=False)
class ScheduleHolder:
    """A module-level name bound to a schedule-shaped dict."""

    module: Module
    name: str
    span: Span
    value: Value
    entries: int
    fate: int = NONE
    reasons: list[str] = field(default_factory=list)
    flows_into: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RefreshSite:
    function: Optional[FunctionKey]
    module: Module
    site: SqlSite


@dataclass(frozen=True)
class Origin:
    """Where a value interpolated into SQL comes from."""

    kind: str  # "literal", "known", "checked", "task-argument", "unknown"
    names: tuple[str, ...] = ()
    detail: str = ""


class CallGraph:
    """Calls between project functions, each edge with the first call site that makes it.

    Plain dicts in insertion order: importing networkx for this cost 0.1 s per run.
    """

    def __init__(self) -> None:
        self._callees: dict[FunctionKey, dict[FunctionKey, CallSite]] = {}
        self._callers: dict[FunctionKey, dict[FunctionKey, None]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._callees

    @property
    def nodes(self) -> list[FunctionKey]:
        return list(self._callees)

    def add_node(self, key: FunctionKey) -> None:
        self._callees.setdefault(key, {})
        self._callers.setdefault(key, {})

    def add_call(self, source: FunctionKey, target: FunctionKey, call: CallSite) -> None:
        """An edge from `source` to `target`, unless there is one already (the first call site stays)."""
        self.add_node(source)
        self.add_node(target)
        self._callees[source].setdefault(target, call)
        self._callers[target][source] = None

    def successors(self, key: FunctionKey) -> list[FunctionKey]:
        return list(self._callees[key])

    def predecessors(self, key: FunctionKey) -> list[FunctionKey]:
        return list(self._callers[key])

    def call(self, source: FunctionKey, target: FunctionKey) -> CallSite:
        return self._callees[source][target]


def task_index(project: "Project") -> "TaskIndex":
    """The index, built once per run and shared by the rules."""
    return project.memo(INDEX_KEY, TaskIndex.build)


def beat_entries(project: "Project") -> list[BeatEntry]:
    """Every beat entry found in the code (for `driftlint verify`, DL908)."""
    return task_index(project).entries


class TaskIndex:
    def __init__(self, project: "Project", modules: list[Module]):
        self.project = project
        self.symbols = Symbols(modules)
        self.modules = list(self.symbols.modules.values())
        self.uses_celery = any(m.facts.imports_celery for m in self.modules)
        self.unknown: list[tuple[Path, Span, str]] = []
        self.apps: list[App] = []
        self._apps: dict[tuple[str, Span], App] = {}
        self.tasks: list[Task] = []
        self.tasks_by_key: dict[FunctionKey, Task] = {}
        self.task_names: set[str] = set()
        self.dynamic_task_modules: set[str] = set()
        # Task names built at run time: any name at all, or any name with one of these prefixes.
        self.dynamic_names = False
        self.dynamic_prefixes: set[str] = set()
        self.custom_naming = False
        self.entries: list[BeatEntry] = []
        self.holders: dict[tuple[str, str, str], ScheduleHolder] = {}
        self.schedule_dicts: dict[tuple[str, Span], tuple[Module, DictV, bool]] = {}
        self._graph: Optional[CallGraph] = None
        self.refresh_sites: list[RefreshSite] = []
        self.non_default_scheduler = False
        self._origin_cache: dict[tuple[str, str, str], list[Origin]] = {}

    # ================================================================== building
    @classmethod
    def build(cls, project: "Project") -> "TaskIndex":
        namer = ModuleNamer(project.root, import_roots(project.settings.root, project.settings.src, project.disk), project.disk)
        modules: list[Module] = []
        unnamed: list[tuple[Path, str]] = []
        for facts in sorted(project.modules(), key=lambda f: str(f.path)):
            extracted = facts.extra.get(EXTRACTOR_KEY)
            if not isinstance(extracted, ModuleFacts):
                continue  # not parsed, or a module the extractor knew this loop would drop (None)
            name = namer.name(facts.path)
            if name is None:
                # Django migrations (`0001_initial.py`), scripts and config files are never task
                # modules; say so only when the file looks like Celery code.
                if extracted.imports_celery or extracted.module_sql or any(f.sql for f in extracted.functions):
                    unnamed.append((facts.path, "not importable by a dotted name, so its task names are unknown"))
                if extracted.deep:
                    # Still read it (files run with exec, like django-split-settings' `settings.dist.py`):
                    # its beat entries are checked, under a name no import can reach.
                    synthetic = f"<{project.relpath(facts.path)}>"
                    modules.append(Module(synthetic, facts.path, extracted, False, (), synthetic=True))
                continue
            modules.append(Module(name.name, facts.path, extracted, name.is_package, name.aliases))
        index = cls(project, modules)
        for path, reason in unnamed:
            index.unknown.append((path, (1, 1, 1, 1), reason))
        index.non_default_scheduler = any(m.facts.mentions for m in index.modules)
        index._find_apps()
        index._attach_events()
        index._find_tasks()
        index._find_refresh_sites()
        index._schedules()
        return index

    def _note(self, module: Module, span: Optional[Span], reason: str) -> None:
        self.unknown.append((module.path, span or (1, 1, 1, 1), reason))

    # ------------------------------------------------------------------ apps
    def _celery_names(self) -> set[str]:
        names = {"Celery"}
        for module in self.modules:
            for imported in module.facts.imports:
                if imported.attr == "Celery":
                    names.add(imported.local)
        changed = True
        while changed:
            changed = False
            for module in self.modules:
                for cls in module.facts.classes:
                    short = cls.qualname.rpartition(".")[2]
                    if short not in names and any(last_name(base) in names for base in cls.bases):
                        names.add(short)
                        changed = True
        return names

    def is_celery_class(self, value: Value, module: Module, depth: int = 0) -> bool:
        for ref in self.symbols.deref(value, module):
            if ref.kind == "external" and ref.name in CELERY_CLASSES:
                return True
            if ref.kind == "class" and ref.module is not None and depth < 6:
                facts = ref.module.classes.get(ref.name)
                if facts and any(self.is_celery_class(base, ref.module, depth + 1) for base in facts.bases):
                    if "gen_task_name" in facts.methods:
                        self.custom_naming = True
                        self._note(ref.module, facts.span, f"`{ref.name}` overrides gen_task_name: task names not verifiable")
                    return True
        return False

    def _find_apps(self) -> None:
        names = self._celery_names()
        for module in self.modules:
            bound = {i.local for i in module.facts.imports} | set(module.classes)
            if not (bound & names or "celery" in bound or module.facts.imports_celery):
                continue  # no name here can construct an app
            for value in _module_values(module):
                for node in walk(value):
                    if isinstance(node, CallV) and last_name(node.func) in names and node.span is not None:
                        if (module.name, node.span) not in self._apps and self.is_celery_class(node.func, module):
                            self._new_app(module, node)

    def _new_app(self, module: Module, call: CallV) -> App:
        assert call.span is not None
        app = App(module, call.span)
        self._apps[(module.name, call.span)] = app
        self.apps.append(app)
        for binding in module.facts.bindings:
            if binding.value == call and binding.value.span == call.span:
                app.variable = binding.name
        main = call.args[0] if call.args else call.kwarg("main")
        if main is not None:
            app.main = self.symbols.string(main, module)
        for key, item in call.kwargs:
            if key == "namespace":
                app.namespace = self.symbols.string(item, module) or app.namespace
            elif key in ("include", "imports"):
                app.includes.extend(self._module_list(item, module, call.span) or [])
            elif key == "config_source":
                app.config_sources.append(self._config_source(item, module, call.span, None, None))
            elif key == "changes":
                self._config_mapping(app, item, module, None)
            elif key is None:
                app.dynamic.append((module, call.span, "`Celery(**...)` passes settings only known at run time"))
            else:
                app.conf_writes.append((key, item, module, Event("conf-write", call, key, None, None, item, None, None, 0, call.span)))
        return app

    def apps_of(self, value: Value, module: Module, depth: int = 0) -> list[Optional[App]]:
        """The apps an expression may be; None in the list means "some app driftlint cannot tell"."""
        found: list[Optional[App]] = []
        for ref in self.symbols.deref(value, module):
            if ref.kind == "value" and isinstance(ref.value, CallV) and ref.module is not None:
                call = ref.value
                app = self._apps.get((ref.module.name, call.span)) if call.span else None
                if app is not None:
                    found.append(app)
                    continue
                if depth < 4:
                    for target in self.symbols.resolve(call.func, ref.module):
                        if target.kind == "function" and target.module is not None:
                            function = target.module.functions[target.name]
                            for returned in function.returns:
                                found.extend(self.apps_of(returned, target.module, depth + 1))
                if not found:
                    found.append(None)
            elif ref.kind == "param" and ref.module is not None:
                handler_app = self._handler_apps.get((ref.module.name, ref.owner))
                found.extend(handler_app if handler_app else [None])
            else:
                found.append(None)
        return found or [None]

    def _attach_events(self) -> None:
        self._handler_apps: dict[FunctionKey, list[Optional[App]]] = {}
        for module in self.modules:
            for event in module.facts.events:
                if event.kind == "call" and event.name == "connect" and isinstance(event.receiver, Attr):
                    signal = event.receiver.attr
                    handler = event.handler
                    if handler is None and event.call is not None and event.call.args:
                        target = event.call.args[0]
                        refs = self.symbols.resolve(target, module)
                        function = next((r for r in refs if r.kind == "function" and r.module is not None), None)
                        if function is not None and function.module is not None:
                            handler = function.name
                            handler_module = function.module
                        else:
                            continue
                    else:
                        handler_module = module
                    if handler is None:
                        continue
                    apps = self.apps_of(event.receiver.base, module)
                    self._handler_apps[(handler_module.name, handler)] = apps
                    for app in apps:
                        if app is not None:
                            app.handlers.append((signal, (handler_module.name, handler), module, event.span, event.order))
        for module in self.modules:
            for event in module.facts.events:
                self._attach(module, event)

    def _attach(self, module: Module, event: Event) -> None:
        if event.kind in ("conf-read", "conf-write"):
            for app in self.apps_of(event.receiver, module):
                if app is None:
                    continue
                app.events.append((module, event))
                if event.kind == "conf-write" and event.value is not None:
                    key = event.name or (self.symbols.string(event.key, module) if event.key is not None else None)
                    if key:
                        app.conf_writes.append((key, event.value, module, event))
                        if key in ("include", "imports", "CELERY_IMPORTS", "CELERY_INCLUDE"):
                            app.includes.extend(self._module_list(event.value, module, event.span) or [])
            return
        if event.kind != "call" or event.call is None:
            return
        call = event.call
        method = event.name
        receiver = event.receiver
        if method in ("update", "setdefault"):
            if isinstance(receiver, Attr) and receiver.attr == "conf":
                for app in self.apps_of(receiver.base, module):
                    if app is None:
                        continue
                    app.events.append((module, event))
                    if method == "update":
                        for argument in call.args:
                            self._config_mapping(app, argument, module, event)
                        for key, item in call.kwargs:
                            if key is None:
                                self._config_mapping(app, item, module, event)
                            else:
                                app.conf_writes.append((key, item, module, event))
                                if key in ("include", "imports"):
                                    app.includes.extend(self._module_list(item, module, event.span) or [])
                    elif len(call.args) == 2:
                        key = self.symbols.string(call.args[0], module)
                        if key:
                            app.conf_writes.append((key, call.args[1], module, event))
            return
        if method in ("config_from_object", "config_from_envvar", "config_from_cmdline", "autodiscover_tasks",
                      "add_periodic_task", "register_task", "finalize", "add_defaults"):
            for app in self.apps_of(receiver, module):
                if app is None:
                    continue
                app.events.append((module, event))
                if method == "config_from_object" and call.args:
                    namespace_value = call.kwarg("namespace")
                    namespace = self.symbols.string(namespace_value, module) if namespace_value is not None else None
                    if namespace:
                        app.namespace = namespace
                    app.config_sources.append(self._config_source(call.args[0], module, event.span, namespace, event))
                elif method in ("config_from_envvar", "config_from_cmdline"):
                    app.dynamic.append((module, event.span, f"`{method}` reads the configuration at run time"))
                elif method == "autodiscover_tasks":
                    packages_value = call.args[0] if call.args else call.kwarg("packages")
                    related_value = call.args[1] if len(call.args) > 1 else call.kwarg("related_name")
                    packages = None
                    if packages_value is not None:
                        listed = self.symbols.strings(packages_value, module)
                        packages = tuple(listed) if listed is not None else None
                    related: Optional[str] = "tasks"
                    if related_value is not None:
                        related = self.symbols.string(related_value, module)
                        if related is None and not (isinstance(related_value, Const) and related_value.value is None):
                            related = "tasks"
                    app.autodiscover.append((packages, related))

    def _module_list(self, value: Value, module: Module, span: Span) -> Optional[list[str]]:
        listed = self.symbols.strings(value, module)
        if listed is None:
            self._note(module, span, "a module list (include/imports) only known at run time")
        return listed

    def _config_mapping(self, app: App, value: Value, module: Module, event: Optional[Event]) -> None:
        for ref in self.symbols.deref(value, module):
            if ref.kind == "value" and isinstance(ref.value, DictV) and ref.module is not None:
                for key, item in ref.value.items:
                    if key is None:
                        self._config_mapping(app, item, ref.module, event)
                        continue
                    text = self.symbols.string(key, ref.module)
                    if text is None:
                        continue
                    synthetic = event or Event("conf-write", value, text, None, None, item, None, None, 0,
                                               ref.value.span or app.span)
                    app.conf_writes.append((text, item, ref.module, synthetic))
            else:
                span = event.span if event else app.span
                app.dynamic.append((module, span, "the app's settings come from a mapping only known at run time"))

    def _config_source(
        self, value: Value, module: Module, span: Span, namespace: Optional[str], event: Optional[Event]
    ) -> ConfigSource:
        text = self.symbols.string(value, module)
        if text is not None:
            return self._named_config(text, module, span, namespace, event)
        for ref in self.symbols.deref(value, module):
            if ref.kind == "module" and ref.module is not None:
                return ConfigSource("module", ref.module, "", None, namespace, module, span, event)
            if ref.kind == "class" and ref.module is not None:
                return ConfigSource("class", ref.module, ref.name, None, namespace, module, span, event)
            if ref.kind == "value" and isinstance(ref.value, DictV):
                return ConfigSource("dict", ref.module, "", ref.value, namespace, module, span, event)
        self._note(module, span, "configuration object only known at run time")
        return ConfigSource("unknown", None, "", value, namespace, module, span, event)

    def _named_config(
        self, text: str, module: Module, span: Span, namespace: Optional[str], event: Optional[Event]
    ) -> ConfigSource:
        path, _, attr = text.partition(":")
        if text == "django.conf:settings":
            settings_name = module.facts.django_settings_module or next(
                (m.facts.django_settings_module for m in self.modules if m.facts.django_settings_module), None
            )
            target = self.symbols.module(settings_name) if settings_name else None
            if target is not None:
                return ConfigSource("django", target, "", None, namespace, module, span, event)
            self._note(module, span, "Django settings module not found (DJANGO_SETTINGS_MODULE)")
            return ConfigSource("unknown", None, "", None, namespace, module, span, event)
        target_module = self.symbols.module(path)
        if target_module is None and not attr and "." in path:
            # symbol_by_name fallback: `pkg.mod.Attr` is attribute Attr of module pkg.mod.
            path, _, attr = path.rpartition(".")
            target_module = self.symbols.module(path)
        if target_module is not None and attr:
            for ref in self.symbols.lookup(target_module, attr):
                if ref.kind == "class" and ref.module is not None:
                    return ConfigSource("class", ref.module, ref.name, None, namespace, module, span, event)
                if ref.kind == "holder" and isinstance(ref.value, DictV):
                    return ConfigSource("dict", ref.module, "", ref.value, namespace, module, span, event)
        elif target_module is not None:
            return ConfigSource("module", target_module, "", None, namespace, module, span, event)
        self._note(module, span, f"configuration `{text}` is not a project module")
        return ConfigSource("unknown", None, text, None, namespace, module, span, event)

    def config_keys(self, source: ConfigSource) -> dict[str, tuple[Value, Module, Span]]:
        """The setting names a config source defines (module attributes, class attributes, dict keys)."""
        keys: dict[str, tuple[Value, Module, Span]] = {}
        if source.kind in ("module", "django") and source.module is not None:
            self._module_keys(source.module, keys, set())
        elif source.kind == "class" and source.module is not None:
            self._class_keys(source.module, source.qualname, keys, 0)
        elif source.kind == "dict" and isinstance(source.value, DictV) and source.module is not None:
            for key, item in source.value.items:
                text = self.symbols.string(key, source.module) if key is not None else None
                if text is not None:
                    keys.setdefault(text, (item, source.module, key.span or source.span))  # type: ignore[union-attr]
        return keys

    def _module_keys(self, module: Module, keys: dict[str, tuple[Value, Module, Span]], seen: set[str]) -> None:
        if module.name in seen:
            return
        seen.add(module.name)
        for binding in module.facts.bindings:
            if binding.owner == "":
                keys[binding.name] = (binding.value, module, binding.span)
        for imported in module.facts.imports:
            if imported.local and imported.local not in keys:
                keys[imported.local] = (Name(imported.local, imported.span), module, imported.span)
        for star, level in module.facts.star_imports:
            target = resolve_relative(module.name, module.is_package, star, level)
            star_module = self.symbols.module(target) if target else None
            if star_module is not None:
                before = dict(keys)
                self._module_keys(star_module, keys, seen)
                keys.update(before)

    def _class_keys(self, module: Module, qualname: str, keys: dict[str, tuple[Value, Module, Span]], depth: int) -> None:
        facts = module.classes.get(qualname)
        if facts is None or depth > 5:
            return
        for binding in module.facts.bindings:
            if binding.owner == qualname:
                keys.setdefault(binding.name, (binding.value, module, binding.span))
        for base in facts.bases:
            for ref in self.symbols.resolve(base, module):
                if ref.kind == "class" and ref.module is not None:
                    self._class_keys(ref.module, ref.name, keys, depth + 1)

    # ------------------------------------------------------------------ tasks
    def _find_tasks(self) -> None:
        for module in self.modules:
            for function in module.facts.functions:
                for decorator in function.decorators:
                    options = self._task_decorator(decorator, module)
                    if options is not None:
                        self._add_task(module, function.qualname, function, function.name, options, function.span)
                        break
            for binding in module.facts.bindings:
                self._task_call_form(module, binding.value)
            for cls in module.facts.classes:
                if any(self._is_task_class(base, module, 0) for base in cls.bases):
                    name_refs = self.symbols.class_attribute(module, cls.qualname, "name")
                    explicit = next((r.value for r in name_refs if r.kind == "holder" and r.value is not None), None)
                    naming: tuple[tuple[Optional[str], Value], ...] = (("name", explicit),) if explicit else ()
                    run = module.functions.get(f"{cls.qualname}.run")
                    self._add_task(module, f"{cls.qualname}.run" if run else cls.qualname, run,
                                   cls.qualname.rpartition(".")[2], naming, cls.span)
        self.task_names.update(BUILTIN_TASKS)
        for module in self.modules:
            for event in module.facts.events:
                if event.kind == "call" and event.call is not None and event.name in ("task", "register_task"):
                    self._registration_call(module, event)

    def _registration_call(self, module: Module, event: Event) -> None:
        """`app.task(...)`, `shared_task(...)` or `app.register_task(...)` called in code, not as a decorator."""
        call = event.call
        assert call is not None
        if event.name == "task" and not (
            self._is_task_factory(Attr(event.receiver, "task"), module, 0)
            or isinstance(event.receiver, Name) and event.receiver.id == "shared_task"
        ):
            return
        if event.function is not None and (
            any(isinstance(a, Starred) for a in call.args) or any(k is None for k, _ in call.kwargs)
        ):
            return  # a decorator factory forwarding its arguments (`return shared_task(*args, **kwargs)`)
        if event.name == "register_task":
            target = call.args[0] if call.args else None
            if isinstance(target, CallV):
                target = target.func
            if target is not None and any(r.kind == "class" for r in self.symbols.resolve(target, module)):
                return  # a Task subclass: _find_tasks already named it
            self.dynamic_names = True
            self._note(module, event.span, "a task registered from a value only known at run time: names not verifiable")
            return
        explicit = call.kwarg("name")
        if explicit is not None:
            name = self.symbols.string(explicit, module)
            if name is not None:
                self.task_names.add(name)
                return
            prefix = _literal_prefix(explicit)
            if prefix:
                self.dynamic_prefixes.add(prefix)
            else:
                self.dynamic_names = True
            self._note(module, event.span, "a task name built at run time")
            return
        if call.args:
            refs = self.symbols.resolve(call.args[0], module)
            if refs and all(r.kind == "function" for r in refs):
                for ref in refs:
                    assert ref.module is not None
                    function = ref.module.functions[ref.name]
                    self.task_names.update(
                        {f"{ref.module.name}.{function.name}", *(f"{a}.{function.name}" for a in ref.module.aliases)}
                    )
                return
        self.dynamic_task_modules.add(module.name)
        self._note(module, event.span, "a task made from a function only known at run time")

    def _is_task_class(self, value: Value, module: Module, depth: int) -> bool:
        if depth > 5:
            return False
        if isinstance(value, Attr) and value.attr == "Task":
            return True
        for ref in self.symbols.deref(value, module):
            if ref.kind == "external" and ref.name in TASK_CLASSES:
                return True
            if ref.kind == "class" and ref.module is not None:
                facts = ref.module.classes.get(ref.name)
                if facts and any(self._is_task_class(b, ref.module, depth + 1) for b in facts.bases):
                    return True
        return False

    def _task_decorator(self, decorator: Value, module: Module) -> Optional[tuple[tuple[Optional[str], Value], ...]]:
        """The decorator's options when it makes a Celery task, else None."""
        call = decorator if isinstance(decorator, CallV) else None
        func = call.func if call is not None else decorator
        options = call.kwargs if call is not None else ()
        if self._is_task_factory(func, module, 0):
            return options
        return None

    def _is_task_factory(self, func: Value, module: Module, depth: int) -> bool:
        if depth > 4:
            return False
        if isinstance(func, CallV):
            # `shared_task(...)` or `app.task(...)` used as a value: a configured decorator.
            return self._is_task_factory(func.func, module, depth + 1)
        if isinstance(func, Attr) and func.attr == "task":
            return self._may_be_app(func.base, module)
        for ref in self.symbols.resolve(func, module):
            if ref.kind == "external" and ref.name in SHARED_TASK:
                return True
            if ref.kind == "holder" and ref.value is not None and ref.module is not None:
                if self._is_task_factory(ref.value, ref.module, depth + 1):
                    return True
            if ref.kind == "function" and ref.module is not None:
                # A project helper that returns `shared_task(...)` / `app.task(...)`, or wraps with it.
                function = ref.module.functions[ref.name]
                for returned in function.returns:
                    if self._is_task_factory(returned, ref.module, depth + 1):
                        return True
        return False

    def _may_be_app(self, value: Value, module: Module) -> bool:
        """`X.task`: X is an app, or something driftlint cannot tell (never a known non-Celery object)."""
        for ref in self.symbols.deref(value, module):
            if ref.kind == "value" and isinstance(ref.value, CallV) and ref.module is not None:
                if (ref.module.name, ref.value.span) in self._apps:
                    return True
                callee = self.symbols.resolve(ref.value.func, ref.module)
                if all(c.kind in ("external", "class") for c in callee) and not any(
                    c.kind == "external" and c.name.startswith("celery") for c in callee
                ):
                    continue
                return True
            if ref.kind == "external":
                if ref.name.split(".")[0] == "celery":
                    return True
                continue
            if ref.kind == "module":
                continue
            return True
        return False

    def _task_call_form(self, module: Module, value: Value) -> None:
        """`add = app.task(_add)` / `app.task(name=...)(_add)` / `shared_task(_add)` at module level."""
        if not isinstance(value, CallV) or len(value.args) != 1:
            return
        inner = value.func
        options = value.kwargs
        if isinstance(inner, CallV):
            options = inner.kwargs
            inner = inner.func
        if not self._is_task_factory(inner, module, 0):
            return
        for ref in self.symbols.resolve(value.args[0], module):
            if ref.kind == "function" and ref.module is not None:
                function = ref.module.functions[ref.name]
                self._add_task(ref.module, ref.name, function, function.name, options, function.span)

    def _add_task(
        self,
        module: Module,
        qualname: str,
        function: Optional[FunctionFacts],
        short: str,
        options: tuple[tuple[Optional[str], Value], ...],
        span: Span,
    ) -> None:
        key = (module.name, qualname)
        if key in self.tasks_by_key:
            return
        explicit = next((value for name, value in options if name == "name"), None)
        if explicit is not None:
            name = self.symbols.string(explicit, module)
            names = frozenset({name}) if name else frozenset()
            if name is None:
                self.dynamic_task_modules.add(module.name)
                self._note(module, span, f"task `{qualname}` has a name only known at run time")
        else:
            name = f"{module.name}.{short}"
            names = frozenset({name, *(f"{alias}.{short}" for alias in module.aliases)})
        task = Task(key, module, function, name, names, span, options, function.decorators if function else ())
        self.tasks.append(task)
        self.tasks_by_key[key] = task
        self.task_names.update(names)

    def task_for_value(self, value: Value, module: Module) -> Optional[Task]:
        for ref in self.symbols.resolve(value, module):
            if ref.kind == "function" and ref.module is not None:
                task = self.tasks_by_key.get((ref.module.name, ref.name))
                if task is not None:
                    return task
            if ref.kind == "class" and ref.module is not None:
                task = self.tasks_by_key.get((ref.module.name, f"{ref.name}.run")) or self.tasks_by_key.get(
                    (ref.module.name, ref.name)
                )
                if task is not None:
                    return task
        return None

    # ------------------------------------------------------------------ call graph
    def _find_refresh_sites(self) -> None:
        for module in self.modules:
            for function in module.facts.functions:
                for site in function.sql:
                    self.refresh_sites.append(RefreshSite((module.name, function.qualname), module, site))
            for site in module.facts.module_sql:
                self.refresh_sites.append(RefreshSite(None, module, site))

    @property
    def graph(self) -> CallGraph:
        """Calls between project functions (built on first use: only refresh rules need it)."""
        if self._graph is None:
            self._graph = CallGraph()
            self._build_graph(self._graph)
        return self._graph

    def _build_graph(self, graph: CallGraph) -> None:
        for module in self.modules:
            for function in module.facts.functions:
                graph.add_node((module.name, function.qualname))
        for module in self.modules:
            for function in module.facts.functions:
                source = (module.name, function.qualname)
                for call in function.calls:
                    if isinstance(call.callee, Attr) and call.callee.attr in _ASYNC_ATTRIBUTES:
                        continue
                    for ref in self.symbols.resolve(call.callee, module):
                        if ref.kind == "function" and ref.module is not None:
                            target = (ref.module.name, ref.name)
                            if target != source:
                                graph.add_call(source, target, call)

    def function(self, key: FunctionKey) -> tuple[Module, FunctionFacts]:
        module = self.symbols.modules[key[0]]
        return module, module.functions[key[1]]

    def reachable_sites(
        self, start: FunctionKey, blocked: set[FunctionKey]
    ) -> list[tuple[RefreshSite, list[FunctionKey]]]:
        """Refresh sites reachable from `start` without passing a blocked function, with the call path."""
        if start in blocked or start not in self.graph:
            return []
        parents: dict[FunctionKey, Optional[FunctionKey]] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for following in sorted(self.graph.successors(current)):
                if following in parents or following in blocked:
                    continue
                parents[following] = current
                queue.append(following)
        found: list[tuple[RefreshSite, list[FunctionKey]]] = []
        for site in self.refresh_sites:
            if site.function is None or site.function not in parents:
                continue
            path: list[FunctionKey] = []
            node: Optional[FunctionKey] = site.function
            while node is not None:
                path.append(node)
                node = parents[node]
            found.append((site, list(reversed(path))))
        found.sort(key=lambda item: (len(item[1]), item[0].module.name, item[0].site.span))
        return found

    def callers(self, key: FunctionKey) -> list[tuple[FunctionKey, CallSite]]:
        graph = self.graph
        if key not in graph:
            return []
        return [(source, graph.call(source, key)) for source in sorted(graph.predecessors(key))]

    # ------------------------------------------------------------------ provenance (DL308, DL402)
    def origins(self, value: Value, module: Module, function: Optional[str], depth: int = 0) -> list[Origin]:
        """Where an identifier interpolated into SQL comes from, through parameters and call sites."""
        if depth > 8:
            return [Origin("unknown", detail="too many calls deep")]
        if isinstance(value, Const):
            return [Origin("literal", (str(value.value),))] if isinstance(value.value, str) else [Origin("unknown")]
        if isinstance(value, Choice):
            return [o for option in value.options for o in self.origins(option, module, function, depth + 1)]
        if isinstance(value, Template):
            result: list[Origin] = []
            for part in value.parts:
                if not isinstance(part, str):
                    result.extend(self.origins(part[0], module, function, depth + 1))
            return result or [Origin("literal")]
        if isinstance(value, Element):
            listed = self._collection(value.of, module)
            if listed is not None:
                return [Origin("known", tuple(listed[1]), listed[0])]
            return [Origin("unknown", detail="an element of a collection only known at run time")]
        if isinstance(value, Subscript):
            mapping = self._mapping_values(value.base, module)
            if mapping is not None:
                return [Origin("known", tuple(mapping[1]), mapping[0])]
            return [Origin("unknown", detail="an item only known at run time")]
        if isinstance(value, Param):
            return self._param_origins(value, module, depth)
        if isinstance(value, (Name, Imported, Attr)):
            text = self.symbols.string(value, module)
            if text is not None:
                return [Origin("literal", (text,))]
        return [Origin("unknown", detail="a value only known at run time")]

    def _param_origins(self, param: Param, module: Module, depth: int) -> list[Origin]:
        key = (module.name, param.func, param.name)
        cached = self._origin_cache.get(key)
        if cached is not None:
            return cached
        # A parameter that (through callers) depends on itself adds nothing new.
        self._origin_cache[key] = []
        result = self._compute_param_origins(param, module, depth)
        self._origin_cache[key] = result
        return result

    def _compute_param_origins(self, param: Param, module: Module, depth: int) -> list[Origin]:
        function = module.functions.get(param.func)
        if function is None:
            return [Origin("unknown")]
        if param.name in function.checked:
            return [Origin("checked", detail=f"`{param.name}` is checked in {param.func}()")]
        key = (module.name, param.func)
        task = self.tasks_by_key.get(key)
        if task is not None:
            return [Origin("task-argument", (param.name,), f"argument `{param.name}` of task `{task.label}`")]
        position = function.params.index(param.name) if param.name in function.params else -1
        if function.class_name is not None and position >= 0:
            position -= 1  # called as a method: `self` is not in the call's arguments
        result: list[Origin] = []
        callers = self.callers(key)
        if not callers:
            return [Origin("unknown", detail=f"{param.func}() has no caller in the project")]
        for source, call in callers:
            argument = _argument(call, param.name, position)
            caller_module = self.symbols.modules[source[0]]
            if argument is None:
                result.append(Origin("unknown", detail=f"{source[1]}() does not pass `{param.name}` visibly"))
                continue
            result.extend(self.origins(argument, caller_module, source[1], depth + 1))
        return result

    def _collection(self, value: Value, module: Module) -> Optional[tuple[str, list[str]]]:
        listed = self.symbols.strings(value, module)
        if listed is not None:
            return (_label(value), listed)
        for ref in self.symbols.deref(value, module):
            if ref.kind == "value" and isinstance(ref.value, DictV) and ref.module is not None:
                keys = [self.symbols.string(k, ref.module) for k, _ in ref.value.items if k is not None]
                if keys and all(k is not None for k in keys):
                    return (_label(value), [k for k in keys if k is not None])
            if ref.kind == "value" and isinstance(ref.value, CallV) and ref.module is not None:
                # `for name in get_all_matviews()`: the helper returns a known list.
                for target in self.symbols.resolve(ref.value.func, ref.module):
                    if target.kind == "function" and target.module is not None:
                        function = target.module.functions[target.name]
                        results = [self.symbols.strings(r, target.module) for r in function.returns]
                        if results and all(r is not None for r in results):
                            merged = [item for r in results for item in (r or [])]
                            return (f"{target.name}()", merged)
        return None

    def _mapping_values(self, value: Value, module: Module) -> Optional[tuple[str, list[str]]]:
        for ref in self.symbols.deref(value, module):
            if ref.kind == "value" and isinstance(ref.value, DictV) and ref.module is not None:
                texts = [self.symbols.string(item, ref.module) for key, item in ref.value.items if key is not None]
                if texts and all(t is not None for t in texts):
                    return (_label(value), [t for t in texts if t is not None])
        return None

    # ------------------------------------------------------------------ schedules
    def beat_keys(self) -> set[str]:
        keys = {"beat_schedule", "CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE"}
        for app in self.apps:
            if app.namespace:
                keys.add(f"{app.namespace.rstrip('_')}_BEAT_SCHEDULE".upper() if app.namespace.isupper() else
                         f"{app.namespace.rstrip('_')}_beat_schedule")
        return keys

    def _schedules(self) -> None:
        beat_keys = self.beat_keys()
        flows = _Flows(self, beat_keys)
        flows.run()
        self._collect_entries(flows)
        for key, holder in flows.schedule_holders().items():
            self.holders[key] = holder

    def _collect_entries(self, flows: "_Flows") -> None:
        seen: set[tuple[str, Span]] = set()
        loaders = self._schedule_loaders(flows)
        for (module_name_, span), (module, mapping, sink) in sorted(flows.dicts.items(), key=lambda i: (i[0][0], i[0][1])):
            entries = list(self.dict_entries(mapping, module))
            if not sink and not any(_complete(entry) for _, entry, _ in entries):
                continue
            self.schedule_dicts[(module_name_, span)] = (module, mapping, sink)
            apps = loaders.get((module_name_, span))
            for key_value, entry, entry_module in entries:
                if entry.span is None or (entry_module.name, entry.span) in seen:
                    continue
                seen.add((entry_module.name, entry.span))
                key = self.symbols.string(key_value, module)
                self.entries.append(
                    replace(self._entry(key, key_value.span or entry.span, entry, entry_module, "dict"), apps=apps)
                )
        for module in self.modules:
            for event in module.facts.events:
                if event.kind == "setitem" and event.value is not None and event.key is not None:
                    conf_beat = flows.is_conf_beat(event.receiver)
                    if not (conf_beat or flows.holder_of(event.receiver, module)):
                        continue
                    # `app.conf.beat_schedule[key] = {...}`: that app's; into a holder: not told here.
                    apps = self._known_apps(cast(Attr, cast(Attr, event.receiver).base).base, module) if conf_beat else None
                    for ref in self.symbols.deref(event.value, module):
                        if ref.kind == "value" and isinstance(ref.value, DictV) and _entry_shaped(ref.value):
                            entry = ref.value
                            if entry.span is None or (ref.module.name, entry.span) in seen:  # type: ignore[union-attr]
                                continue
                            seen.add((ref.module.name, entry.span))  # type: ignore[union-attr]
                            key = self.symbols.string(event.key, module)
                            self.entries.append(
                                replace(self._entry(key, event.span, entry, ref.module, "setitem"), apps=apps)  # type: ignore[arg-type]
                            )
                elif event.kind == "call" and event.name == "add_periodic_task" and event.call is not None:
                    self.entries.append(
                        replace(self._periodic_entry(module, event), apps=self._known_apps(event.receiver, module))
                    )
        self.entries.sort(key=lambda e: (str(e.path), e.span))

    def _known_apps(self, value: Value, module: Module) -> Optional[frozenset[tuple[str, Span]]]:
        """The apps `value` may be, when driftlint knows every one of them."""
        apps = self.apps_of(value, module)
        if not apps or any(app is None for app in apps):
            return None
        return frozenset(app.identity for app in apps if app is not None)

    def _schedule_loaders(self, flows: "_Flows") -> dict[tuple[str, Span], frozenset[tuple[str, Span]]]:
        """Each schedule dict (module name, span) that some app's beat schedule setting names
        directly (a conf write, a key of a config module, class or mapping), with those apps.
        A dict that reaches a setting only through other code is left out: its apps are unknown."""
        found: dict[tuple[str, Span], set[tuple[str, Span]]] = {}
        for app in self.apps:
            for key, value, module in self.app_settings(app):
                if not flows.is_beat_key(key):
                    continue
                for ref in self.symbols.deref(value, module):
                    if ref.kind == "value" and isinstance(ref.value, DictV) and ref.module is not None and ref.value.span:
                        found.setdefault((ref.module.name, ref.value.span), set()).add(app.identity)
        return {key: frozenset(apps) for key, apps in found.items()}

    def dict_entries(self, mapping: DictV, module: Module) -> Iterator[tuple[Value, DictV, Module]]:
        for key, item in mapping.items:
            if key is None:
                continue
            for ref in self.symbols.deref(item, module):
                if ref.kind == "value" and isinstance(ref.value, DictV) and ref.module is not None:
                    if _entry_shaped(ref.value):
                        yield key, ref.value, ref.module

    def _entry(self, key: Optional[str], span: Span, entry: DictV, module: Module, source: str) -> BeatEntry:
        task_value = _dict_get(entry, "task")
        task, known = self._task_name(task_value, module) if task_value is not None else (None, False)
        return BeatEntry(key, task, task_value, module.path, span, module, entry, source, None, known)

    def _periodic_entry(self, module: Module, event: Event) -> BeatEntry:
        call = event.call
        assert call is not None
        signature = call.args[1] if len(call.args) > 1 else call.kwarg("sig")
        name_value = call.kwarg("name")
        key = self.symbols.string(name_value, module) if name_value is not None else None
        task: Optional[str] = None
        known = False
        task_value: Optional[Value] = None
        if signature is not None:
            task_value = signature
            inner = signature
            if isinstance(inner, CallV) and isinstance(inner.func, Attr) and inner.func.attr in (
                "s", "si", "signature", "subtask"
            ):
                inner = inner.func.base
                found = self.task_for_value(inner, module)
                if found is not None:
                    task, known = found.name, True
                else:
                    task, known = None, False
            elif isinstance(inner, CallV) and last_name(inner.func) in ("signature", "Signature") and inner.args:
                task = self.symbols.string(inner.args[0], module)
            else:
                found = self.task_for_value(inner, module)
                if found is not None:
                    task, known = found.name, True
        return BeatEntry(key, task, task_value, module.path, event.span, module, None, "add_periodic_task", call, known)

    def _task_name(self, value: Value, module: Module) -> tuple[Optional[str], bool]:
        text = self.symbols.string(value, module)
        if text is not None:
            return text, False
        if isinstance(value, Attr) and value.attr == "name":
            task = self.task_for_value(value.base, module)
            if task is not None:
                return task.name, True
        return None, False

    def app_settings(self, app: App) -> Iterator[tuple[str, Value, Module]]:
        """Every setting the code gives `app` by name: its conf writes, then the keys of each of
        its config sources (module, class or mapping), with the value and where it is written."""
        for key, value, module, _event in app.conf_writes:
            yield key, value, module
        for source in app.config_sources:
            for key, (value, module, _span) in self.config_keys(source).items():
                yield key, value, module

    def uses_other_scheduler(self) -> bool:
        if self.non_default_scheduler:
            return True
        # CELERYBEAT_SCHEDULER, beat_scheduler, CELERY_BEAT_SCHEDULER...
        return any(key.lower().endswith("beat_scheduler") for app in self.apps for key, _value, _module in self.app_settings(app))


# A module-level dict by (module, function or "", name).
FateKey = tuple[str, str, str]


class _Flows:
    """Where each module-level schedule dict goes: into an app's configuration, somewhere unknown, or nowhere."""

    def __init__(self, index: TaskIndex, beat_keys: set[str]):
        self.index = index
        self.symbols = index.symbols
        self.beat_keys = beat_keys
        self.uses: dict[FateKey, list[tuple[str, object]]] = {}
        self.fate: dict[FateKey, int] = {}
        self.dicts: dict[tuple[str, Span], tuple[Module, DictV, bool]] = {}
        self.holder_refs: dict[tuple[str, str, str], Ref] = {}
        self.item_writes: dict[tuple[str, str, str], list[Value]] = {}
        self.followed: set[tuple[str, str, tuple, bool]] = set()

    def is_beat_key(self, key: Optional[str]) -> bool:
        return key is not None and (key in self.beat_keys or bool(_NAMESPACED_BEAT.match(key)))

    def is_conf_beat(self, value: Value) -> bool:
        if isinstance(value, Attr) and isinstance(value.base, Attr) and value.base.attr == "conf":
            return self.is_beat_key(value.attr)
        if isinstance(value, Subscript) and isinstance(value.base, Attr) and value.base.attr == "conf":
            return isinstance(value.key, Const) and self.is_beat_key(str(value.key.value))
        return False

    def holder_of(self, value: Value, module: Module) -> Optional[tuple[str, str, str]]:
        if not isinstance(value, (Name, Imported, Attr)):
            return None
        for ref in self.symbols.resolve(value, module):
            if ref.kind == "holder" and ref.module is not None:
                self.holder_refs.setdefault(ref.holder_key, ref)
                return ref.holder_key
        return None

    def run(self) -> None:
        named = self._named_in_strings()
        for module in self.index.modules:
            for binding in module.facts.bindings:
                key = (module.name, binding.owner, binding.name)
                self.visit(binding.value, module, ("holder", key), True)
            for event in module.facts.events:
                self.event(module, event)
            for escaped in module.facts.escapes:
                self.visit(escaped, module, ("maybe", "passed to code driftlint does not follow"), True)
            for function in module.facts.functions:
                for returned in function.returns:
                    self.visit(returned, module, ("maybe", f"returned by {function.qualname}()"), True)
            for binding in module.facts.bindings:
                if binding.owner == "" and binding.name in named:
                    # `getattr(settings, "BEAT_SCHEDULE")`, `import_string("proj.schedules.JOBS")`: read by name.
                    self.uses.setdefault((module.name, "", binding.name), []).append(
                        ("maybe", f"named in the string '{named[binding.name]}'")
                    )
        self.solve()

    def _named_in_strings(self) -> dict[str, str]:
        """Names that string literals in the project spell out, alone or at the end of a dotted path."""
        named: dict[str, str] = {}
        for module in self.index.modules:
            for text in module.facts.schedule_strings:
                last = re.split(r"[.:]", text)[-1]
                if last.isidentifier():
                    named.setdefault(last, text)
        return named

    def event(self, module: Module, event: Event) -> None:
        if event.kind == "conf-write" and event.value is not None:
            key = event.name or (self.symbols.string(event.key, module) if event.key is not None else None)
            self.visit(event.value, module, ("loaded",) if self.is_beat_key(key) else ("none",), True)
            return
        if event.kind == "setitem" and event.value is not None:
            if self.is_conf_beat(event.receiver):
                self.visit(event.value, module, ("loaded",), False)
                return
            holder = self.holder_of(event.receiver, module)
            if holder is not None:
                self.item_writes.setdefault(holder, []).append(event.value)
                self.visit(event.value, module, ("holder", holder), False)
            else:
                self.visit(event.value, module, ("maybe", "stored into something driftlint does not follow"), True)
            return
        if event.kind != "call" or event.call is None:
            return
        call = event.call
        if event.name in ("update", "setdefault"):
            receiver = event.receiver
            if isinstance(receiver, Attr) and receiver.attr == "conf":
                if event.name == "update":
                    for argument in call.args:
                        self.visit(argument, module, ("none",), True)
                    for key, item in call.kwargs:
                        self.visit(item, module, ("loaded",) if self.is_beat_key(key) else ("none",), True)
                elif len(call.args) == 2:
                    key = self.symbols.string(call.args[0], module)
                    self.visit(call.args[1], module, ("loaded",) if self.is_beat_key(key) else ("none",), True)
                return
            if self.is_conf_beat(receiver):
                for argument in [*call.args, *(item for _, item in call.kwargs)]:
                    self.visit(argument, module, ("loaded",), True)
                return
            holder = self.holder_of(receiver, module)
            arguments = [*call.args, *(item for _, item in call.kwargs)]
            if event.name == "setdefault":
                arguments = [*call.args[1:2]]
            for argument in arguments:
                if holder is not None:
                    if event.name == "update":
                        self.item_writes.setdefault(holder, []).append(argument)
                    self.visit(argument, module, ("holder", holder), True)
                else:
                    self.visit(argument, module, ("maybe", "merged into something driftlint does not follow"), True)
            return
        for argument in [*call.args, *(item for _, item in call.kwargs)]:
            self.visit(argument, module, ("none",), True)

    def visit(self, value: Value, module: Module, context: tuple, direct: bool, depth: int = 0) -> None:
        if depth > 24:
            return
        if isinstance(value, (Name, Imported, Attr)):
            for ref in self.symbols.resolve(value, module):
                if ref.kind == "holder" and ref.module is not None:
                    self.holder_refs.setdefault(ref.holder_key, ref)
                    self.use(ref.holder_key, context, direct)
            return
        if isinstance(value, DictV):
            if value.span is not None:
                key = (module.name, value.span)
                sink = context[0] == "loaded" and direct
                previous = self.dicts.get(key)
                self.dicts[key] = (module, value, sink or (previous[2] if previous else False))
            for key_value, item in value.items:
                if key_value is None:
                    self.visit(item, module, context, direct, depth + 1)
                    continue
                text = self.symbols.string(key_value, module) if not isinstance(key_value, Const) else (
                    key_value.value if isinstance(key_value.value, str) else None
                )
                if self.is_beat_key(text):
                    self.visit(item, module, ("loaded",), True, depth + 1)
                else:
                    self.visit(item, module, context, False, depth + 1)
            return
        if isinstance(value, CallV):
            project_function = False
            for target in self.symbols.resolve(value.func, module):
                if target.kind == "function" and target.module is not None:
                    project_function = True
                    # What a function returns goes where its call goes; in other contexts `run`
                    # already visits every return value as "may be loaded".
                    followed = (target.module.name, target.name, context, direct)
                    if context[0] in ("loaded", "holder") and followed not in self.followed:
                        self.followed.add(followed)
                        function = target.module.functions[target.name]
                        for returned in function.returns:
                            self.visit(returned, target.module, context, direct, depth + 1)
            callee = last_name(value.func) or "a call"
            for keyword, item in value.kwargs:
                if self.is_beat_key(keyword):
                    self.visit(item, module, ("loaded",), True, depth + 1)
                else:
                    self.visit(item, module, ("maybe", f"passed to {callee}()"), True, depth + 1)
            for argument in value.args:
                if project_function or callee not in ("len", "print", "list", "sorted", "tuple", "set"):
                    self.visit(argument, module, ("maybe", f"passed to {callee}()"), True, depth + 1)
            return
        if isinstance(value, (SeqV,)):
            for item in value.items:
                self.visit(item, module, context, False, depth + 1)
            return
        if isinstance(value, Starred):
            self.visit(value.of, module, context, direct, depth + 1)
            return
        if isinstance(value, Choice):
            for option in value.options:
                self.visit(option, module, context, direct, depth + 1)

    def use(self, holder: tuple[str, str, str], context: tuple, direct: bool) -> None:
        kind = context[0]
        uses = self.uses.setdefault(holder, [])
        if kind == "loaded":
            uses.append(("loaded", None) if direct else ("maybe", "nested inside the configuration"))
        elif kind == "maybe":
            uses.append(("maybe", context[1]))
        elif kind == "holder":
            if context[1] != holder:
                uses.append(("alias" if direct else "nested", context[1]))

    def sink_name(self, holder: tuple[str, str, str]) -> bool:
        return self.is_beat_key(holder[2])

    def solve(self) -> None:
        keys = set(self.uses) | set(self.holder_refs)
        for module in self.index.modules:
            for binding in module.facts.bindings:
                keys.add((module.name, binding.owner, binding.name))
        self.fate = {key: LOADED if self.sink_name(key) else NONE for key in keys}
        changed = True
        while changed:
            changed = False
            for key in keys:
                best = self.fate[key]
                for kind, detail in self.uses.get(key, ()):
                    if kind == "loaded":
                        best = LOADED
                    elif kind == "maybe":
                        best = max(best, MAYBE)
                    elif kind == "alias":
                        best = max(best, self.fate.get(cast(FateKey, detail), NONE))
                    elif kind == "nested" and self.fate.get(cast(FateKey, detail), NONE) > NONE:
                        best = max(best, MAYBE)
                if best != self.fate[key]:
                    self.fate[key] = best
                    changed = True

    def schedule_holders(self) -> dict[tuple[str, str, str], ScheduleHolder]:
        result: dict[tuple[str, str, str], ScheduleHolder] = {}
        for module in self.index.modules:
            seen: set[str] = set()
            for binding in module.facts.bindings:
                if binding.owner != "" or binding.name in seen:
                    continue
                key = (module.name, "", binding.name)
                entries = self.count_entries(binding.value, module, key)
                if not entries:
                    continue
                seen.add(binding.name)
                holder = ScheduleHolder(module, binding.name, binding.span, binding.value, entries)
                holder.fate = self.fate.get(key, NONE)
                holder.reasons = sorted({str(d) for k, d in self.uses.get(key, ()) if k == "maybe"})
                holder.flows_into = sorted({d for k, d in self.uses.get(key, ()) if k == "alias"})  # type: ignore[misc]
                result[key] = holder
        return result

    def count_entries(self, value: Value, module: Module, key: tuple[str, str, str]) -> int:
        count = self._dict_count(value, module, 0)
        for written in self.item_writes.get(key, ()):
            for ref in self.symbols.deref(written, module):
                if ref.kind == "value" and isinstance(ref.value, DictV):
                    if _complete(ref.value):
                        count += 1
                    elif ref.module is not None:
                        count += sum(1 for _, e, _ in self.index.dict_entries(ref.value, ref.module) if _complete(e))
        return count

    def _dict_count(self, value: Value, module: Module, depth: int) -> int:
        """Entries of a schedule-shaped dict, through `{**a, **b}` and `dict(a, **b)` spreads."""
        count = 0
        for ref in self.symbols.deref(value, module):
            if ref.kind != "value" or not isinstance(ref.value, DictV) or ref.module is None:
                continue
            entries = list(self.index.dict_entries(ref.value, ref.module))
            if any(_complete(entry) for _, entry, _ in entries):
                count += len(entries)
            if depth < 6:
                for item_key, item in ref.value.items:
                    if item_key is None:
                        count += self._dict_count(item, ref.module, depth + 1)
        return count


# --------------------------------------------------------------------- helpers
def _module_values(module: Module) -> Iterator[Value]:
    facts = module.facts
    for binding in facts.bindings:
        yield binding.value
    for event in facts.events:
        yield event.receiver
        if event.call is not None:
            yield event.call
        if event.value is not None:
            yield event.value
    for function in facts.functions:
        yield from function.returns
        yield from function.decorators
        for call in function.calls:
            yield call.callee
            yield from call.args
            for _, item in call.kwargs:
                yield item


def _dict_get(mapping: DictV, key: str) -> Optional[Value]:
    for item_key, item in mapping.items:
        if isinstance(item_key, Const) and item_key.value == key:
            return item
    return None


def _keys(mapping: DictV) -> set[str]:
    return {k.value for k, _ in mapping.items if isinstance(k, Const) and isinstance(k.value, str)}


def _entry_shaped(mapping: DictV) -> bool:
    return bool(_keys(mapping) & {"task", "schedule"})


def _complete(mapping: DictV) -> bool:
    return {"task", "schedule"} <= _keys(mapping)


def _literal_prefix(value: Value) -> str:
    """The literal start of an f-string (`f"proj.tasks.{name}"` -> `proj.tasks.`)."""
    if isinstance(value, Template) and value.parts and isinstance(value.parts[0], str):
        return value.parts[0]
    return ""


def _argument(call: CallSite, name: str, position: int) -> Optional[Value]:
    for key, value in call.kwargs:
        if key == name:
            return value
    if 0 <= position < len(call.args) and not any(isinstance(a, Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _label(value: Value) -> str:
    return dotted(value) or "a collection"


def entry_keys(entry: DictV) -> list[tuple[str, Value, Optional[Span]]]:
    return [
        (k.value, v, k.span)
        for k, v in entry.items
        if isinstance(k, Const) and isinstance(k.value, str)
    ]


def has_spread(entry: DictV) -> bool:
    return any(k is None for k, _ in entry.items)
