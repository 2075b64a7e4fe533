"""Per-module Celery facts read from the AST: apps, tasks, schedules, calls, refresh SQL; nothing is imported."""

from __future__ import annotations

import ast
import builtins
import functools
import re
import string
import sys
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Sequence, cast

from driftlint.celery.facts import (
    Binding,
    CallSite,
    ClassFacts,
    Event,
    FunctionFacts,
    ImportBinding,
    ModuleFacts,
    SqlSite,
)
from driftlint.celery.sql import ADVISORY_LOCK, TENANT_GUC, find_refresh
from driftlint.celery.values import (
    Attr,
    CallV,
    Choice,
    Const,
    DictV,
    Element,
    FuncRef,
    Imported,
    Name,
    Opaque,
    Param,
    SeqV,
    Span,
    Starred,
    Subscript,
    Template,
    Value,
    children,
)
from driftlint.source import definition_span, node_location

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.source import SourceFile

# A module whose text (lowered) matches none of these cannot hold an app, a task decorator, a
# schedule, a refresh or a lock on the way to one; for it only imports, bindings and function
# signatures are read. An app's configuration is reached as `<app>.conf` (Django's `django.conf`
# is not one); "refresh" is not Django's `refresh_from_db` nor a token refresh; "lock" is not
# "block" or "clock". Those words alone made a third of a large Django project's modules deep.
_DEEP = re.compile(
    r"celery|schedul|beat|task|materiali|advisory|tenant|periodic|crontab"
    r"|(?<!django)\.conf\b"
    r"|(?<!token)(?<!token_)refresh(?!_from_db|_token|token)"
    r"|(?<![bc])lock"
)
# `_DEEP.search` tries every alternative at every position of the text: on a large Django project
# that cost more than the shallow reading itself. `is_deep` answers the same: each alternative can
# only match where its literal occurs, which `in` and `str.find` locate at C speed.
_DEEP_WORDS = ("celery", "schedul", "beat", "task", "materiali", "advisory", "tenant", "periodic", "crontab")
_DEEP_IN_CONTEXT = (".conf", "refresh", "lock")


def is_deep(lowered: str) -> bool:
    """Whether `_DEEP` matches the (lowered) text of a module."""
    for word in _DEEP_WORDS:
        if word in lowered:
            return True
    match = _DEEP.match
    for literal in _DEEP_IN_CONTEXT:
        start = lowered.find(literal)
        while start != -1:
            if match(lowered, start) is not None:
                return True
            start = lowered.find(literal, start + 1)
    return False
# Calls on a task that evaluate it, which finalizes (and so configures) the current app.
FINALIZING_METHODS = frozenset({"s", "si", "signature", "delay", "apply_async"})
EVENT_METHODS = frozenset(
    {
        "config_from_object",
        "config_from_envvar",
        "config_from_cmdline",
        "autodiscover_tasks",
        "add_periodic_task",
        "register_task",
        "register",
        "update",
        "setdefault",
        "connect",
        "add_defaults",
        "finalize",
        "task",
    }
)
# Reading these on `app.conf` does not load the configuration (PendingConfiguration keeps them).
_CONF_WRITE_METHODS = frozenset({"update", "setdefault", "clear"})
# Calls that only look at their arguments: a schedule passed to them goes nowhere.
_HARMLESS_CALLS = frozenset(
    {
        "len", "print", "repr", "str", "sorted", "list", "tuple", "set", "frozenset", "isinstance", "bool", "id",
        "type", "hash", "iter", "next", "any", "all", "enumerate", "zip", "max", "min", "sum", "reversed",
        "dumps", "pprint", "pformat", "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
        "assertEqual", "assertIn", "assertTrue", "assertFalse", "assertIsNotNone", "assertIsNone", "keys", "items",
        "values", "get", "format", "join", "deepcopy", "copy",
    }
)
_QUOTING_CALLS = frozenset({"Identifier", "quoted_name", "quote_ident", "quote_identifier", "quote", "format_identifier"})
_CHECK_TOKENS = frozenset(
    {"valid", "validate", "validated", "check", "ensure", "allowed", "verify", "whitelist", "allowlist", "sanitize",
     "fullmatch", "match", "isidentifier", "isalnum", "known", "assert"}
)
_BUILTINS = frozenset(dir(builtins))
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
# A string that spells out a module-level constant, alone or at the end of a path: "JOBS",
# "proj.schedules.BEAT_SCHEDULE", "proj.schedules:beat_schedule".
_NAMES_A_CONSTANT = re.compile(r"^(?:[A-Za-z_][\w]*[.:])*(?:[A-Z][A-Z0-9_]*|\w*(?:schedul|beat)\w*)$")
_MAX_DEPTH = 12
_ARG_DEPTH = 5


class _Scope:
    """A module, class or function body being read (slotted: one is made per function)."""

    __slots__ = ("kind", "qualname", "parent", "params", "sources", "mutations", "globals_declared", "self_name",
                 "class_qualname", "class_methods", "cache", "resolving")

    def __init__(
        self,
        kind: str,  # "module", "class", "function"
        qualname: Optional[str],
        parent: Optional["_Scope"],
        params: tuple[str, ...] = (),
        self_name: Optional[str] = None,
        class_qualname: Optional[str] = None,
        class_methods: frozenset[str] = frozenset(),
    ) -> None:
        self.kind = kind
        self.qualname = qualname
        self.parent = parent
        self.params = params
        self.sources: dict[str, list[tuple[Any, ...]]] = {}
        self.mutations: dict[str, list[tuple[Any, ...]]] = {}
        self.globals_declared: set[str] = set()
        self.self_name = self_name
        self.class_qualname = class_qualname
        self.class_methods = class_methods
        self.cache: dict[str, Value] = {}
        self.resolving: set[str] = set()


def extract(tree: ast.Module, source: "SourceFile", settings: "Settings | None") -> Optional[ModuleFacts]:
    """The extractor registered as "celery": facts for one project module (settings do not matter);
    None for a module the task index would drop unread (see below)."""
    deep = is_deep((source.text or "").lower())
    if not deep and not source.path.stem.isidentifier():
        # No import can name `0001_initial.py` (Django's migrations: a third of a large Django
        # project's modules), and without Celery's vocabulary it holds nothing the index reads
        # under a synthetic name either: TaskIndex.build drops such a module, so skip its reading
        # (and carrying its facts from the worker that read it).
        return None
    try:
        return _Extractor(tree, deep=deep, source=source).run()
    except RecursionError:
        # Pathologically nested code: keep the cheap facts rather than fail the file.
        return _Extractor(tree, deep=False, source=source).run()


class _Extractor:
    def __init__(self, tree: ast.Module, deep: bool, source: "SourceFile | None" = None) -> None:
        self.tree = tree
        self.deep = deep
        self.source = source
        self.order = 0
        self.imports: list[ImportBinding] = []
        self.lazy_imports: list[tuple[str, ImportBinding]] = []
        self.star_imports: list[tuple[str, int]] = []
        self.bindings: list[Binding] = []
        self.classes: list[ClassFacts] = []
        self.functions: list[FunctionFacts] = []
        self.events: list[Event] = []
        self.escapes: dict[Value, None] = {}
        # id(value) -> (value, its module-level references), for the values of locals.
        self.escaping: dict[int, tuple[Value, tuple[Value, ...]]] = {}
        self.module_sql: list[SqlSite] = []
        self.django_settings: Optional[str] = None
        self.mentions: set[str] = set()
        self.imports_celery = False
        self.schedule_strings: set[str] = set()
        self.referenced: set[str] = set()
        # Module-level string constants, for SQL templates kept in a constant.
        self.module_strings: dict[str, Optional[ast.expr]] = {}
        # Local names bound by module-level imports, to the top-level module they come from.
        self.module_imports: dict[str, str] = {}
        self.module_defs: set[str] = set()
        # Module-level string constants that mention a materialized view (SQL kept in a constant).
        self.refresh_constants: set[str] = set()
        self.module = _Scope("module", None, None)

    def _header_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        return definition_span(node, self.source.lines if self.source is not None else [])

    # ----------------------------------------------------------------- module walk
    def run(self) -> ModuleFacts:
        self._prescan_module()
        module_out = _FunctionCollector()
        self._body(self.tree.body, self.module, module_out)
        self.module_sql = module_out.sql
        return ModuleFacts(
            deep=self.deep,
            imports=tuple(self.imports),
            lazy_imports=tuple(self.lazy_imports),
            star_imports=tuple(self.star_imports),
            bindings=tuple(self.bindings),
            classes=tuple(self.classes),
            functions=tuple(self.functions),
            events=tuple(self.events),
            escapes=tuple(self.escapes),
            module_sql=tuple(self.module_sql),
            django_settings_module=self.django_settings,
            mentions=frozenset(self.mentions),
            imports_celery=self.imports_celery,
            schedule_strings=frozenset(self.schedule_strings),
            referenced=frozenset(self.referenced),
        )

    def _prescan_module(self) -> None:
        for node in _scope_statements(self.tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.module_defs.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name != "*":
                        root = (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
                        local = (alias.asname or alias.name).split(".")[0]
                        self.module_imports[local] = "." if isinstance(node, ast.ImportFrom) and node.level else root
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                self.module_strings[name] = node.value if name not in self.module_strings else None
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    if "materiali" in node.value.value.lower():
                        self.refresh_constants.add(name)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                name = node.target.id
                self.module_strings[name] = node.value if name not in self.module_strings else None

    def _body(self, statements: Sequence[ast.stmt], scope: _Scope, out: "_FunctionCollector") -> None:
        for statement in statements:
            self._statement(statement, scope, out)

    def _statement(self, node: ast.stmt, scope: _Scope, out: "_FunctionCollector") -> None:
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            self._function(node, scope, out)  # type: ignore[arg-type]
            return
        if kind is ast.ClassDef:
            self._class(node, scope, out)  # type: ignore[arg-type]
            return
        if kind is ast.Import or kind is ast.ImportFrom:
            self._import(node, scope)  # type: ignore[arg-type]
            return
        if scope.kind in ("module", "class"):
            self._bind_statement(node, scope)
            if scope.kind == "module" and self.deep:
                self._django_settings(node)
        if self.deep:
            self._statement_expressions(node, scope, out)
        for child in _child_blocks(node):
            self._body(child, scope, out)

    def _import(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                local = alias.asname or alias.name.split(".")[0]
                binding = ImportBinding(local, alias.name if alias.asname else local, 0, None, node_location(node))
                module = alias.name
            else:
                module = node.module or ""
                if alias.name == "*":
                    if scope.kind == "module":
                        self.star_imports.append((module, node.level))
                    self.imports_celery = self.imports_celery or module.split(".")[0] == "celery"
                    continue
                binding = ImportBinding(alias.asname or alias.name, module, node.level, alias.name, node_location(node))
            root = module.split(".")[0]
            if root == "celery" and not (isinstance(node, ast.ImportFrom) and node.level):
                self.imports_celery = True
            if root in ("django_celery_beat", "redbeat"):
                self.mentions.add(root)
            bindings = [binding]
            if isinstance(node, ast.Import) and "." in alias.name and not alias.asname:
                # `import a.b.c` also imports a.b.c eagerly; record it for the import graph.
                bindings.append(ImportBinding("", alias.name, 0, None, node_location(node)))
            for item in bindings:
                if scope.kind == "function":
                    self.lazy_imports.append((scope.qualname or "", item))
                else:
                    self.imports.append(item)

    # ----------------------------------------------------------------- bindings
    def _bind_statement(self, node: ast.stmt, scope: _Scope) -> None:
        owner = scope.qualname or ""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, node.value, scope, owner)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._bind_target(node.target, node.value, scope, owner)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self.bindings.append(
                Binding(owner, node.target.id, Opaque("augmented assignment", node_location(node)), node_location(node.target))
            )
        elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name) and scope.kind == "module":
            self.bindings.append(
                Binding(owner, node.target.id, Element(self._value(node.iter, scope)), node_location(node.target))
            )

    def _bind_target(self, target: ast.expr, value: ast.expr, scope: _Scope, owner: str) -> None:
        if isinstance(target, ast.Name):
            self.bindings.append(Binding(owner, target.id, self._value(value, scope), node_location(target)))
        elif isinstance(target, (ast.Tuple, ast.List)):
            paired = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    item = (
                        self._value(cast("ast.Tuple | ast.List", value).elts[index], scope)
                        if paired
                        else Opaque("tuple unpacking", node_location(element))
                    )
                    self.bindings.append(Binding(owner, element.id, item, node_location(element)))

    # ----------------------------------------------------------------- classes and functions
    def _class(self, node: ast.ClassDef, scope: _Scope, out: "_FunctionCollector") -> None:
        qualname = _qualify(scope, node.name)
        methods = tuple(
            child.name for child in node.body if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
        self.classes.append(
            ClassFacts(
                qualname=qualname,
                bases=tuple(self._value(base, scope) for base in node.bases),
                methods=methods,
                span=self._header_span(node),
            )
        )
        class_scope = _Scope("class", qualname, scope, class_qualname=qualname, class_methods=frozenset(methods))
        self._body(node.body, class_scope, out if scope.kind != "function" else _FunctionCollector())

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope, outer: "_FunctionCollector") -> None:
        qualname = _qualify(scope, node.name)
        decorators: tuple[Value, ...] = ()
        is_static = False
        if node.decorator_list:
            decorators = tuple(self._value(decorator, scope) for decorator in node.decorator_list)
            if self.deep:
                for decorator, value in zip(node.decorator_list, decorators):
                    self._decorator_event(decorator, value, qualname, scope)
            is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        params = _params(node.args)
        in_class = scope.kind == "class"
        inner = _Scope(
            "function",
            qualname,
            scope,
            params=params,
            self_name=params[0] if in_class and params and not is_static else None,
            class_qualname=scope.class_qualname if in_class else None,
            class_methods=scope.class_methods if in_class else frozenset(),
        )
        out = _FunctionCollector()
        if self.deep:
            self._prescan_function(node, inner)
            self._body(node.body, inner, out)
        else:
            # Without deep reading, a body only yields its nested definitions and imports, and local
            # bindings only matter to the decorators, bases and class bodies of those definitions.
            defines, imports = _definitions_or_imports(node.body)
            if defines:
                self._prescan_function(node, inner)
            if defines or imports:
                self._body(node.body, inner, out)
        is_async = type(node) is ast.AsyncFunctionDef
        self.functions.append(
            FunctionFacts(
                qualname=qualname,
                name=node.name,
                class_name=scope.qualname if in_class else None,
                span=self._header_span(node),
                params=params,
                decorators=decorators,
                calls=tuple(out.calls),
                called_names=tuple(dict.fromkeys(out.called_names)) if out.called_names else (),
                with_names=tuple(dict.fromkeys(out.with_names)) if out.with_names else (),
                sql=tuple(out.sql),
                markers=tuple(dict.fromkeys(out.markers)) if out.markers else (),
                returns=tuple(out.returns),
                checked=frozenset(out.checked),
                is_async=is_async,
            )
        )

    def _prescan_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        """Local bindings of a function body (flow-insensitive), in one walk that skips nested scopes."""
        sources = scope.sources
        mutations = scope.mutations
        # Inside expressions only `:=` and comprehensions bind (a lambda is skipped): a body whose
        # text has neither `:=` nor `for` has nothing to find there, and the walk keeps to its
        # statements, meeting the same binding nodes in the same order.
        children = _children if self._may_bind_in_expressions(node) else _statement_children
        stack: list[ast.AST] = list(node.body)
        while stack:
            child = stack.pop()
            if type(child) not in _PRESCAN_ACTS_ON:
                stack.extend(children(child))
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                sources.setdefault(child.name, []).append(("def", _qualify(scope, child.name)))
                continue
            if isinstance(child, ast.Lambda):
                continue
            if isinstance(child, (ast.Global, ast.Nonlocal)):
                scope.globals_declared.update(child.names)
            elif isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        mutations.setdefault(target.value.id, []).append(("setitem", target.slice, child.value))
                    else:
                        self._local_target(target, child.value, scope)
            elif isinstance(child, ast.AnnAssign):
                if child.value is not None:
                    self._local_target(child.target, child.value, scope)
            elif isinstance(child, ast.NamedExpr):
                self._local_target(child.target, child.value, scope)
            elif isinstance(child, ast.AugAssign):
                if isinstance(child.target, ast.Name):
                    if isinstance(child.op, ast.BitOr):
                        mutations.setdefault(child.target.id, []).append(("update", child.value))
                    else:
                        sources.setdefault(child.target.id, []).append(("opaque", "augmented assignment"))
            elif isinstance(child, (ast.For, ast.AsyncFor, ast.comprehension)):
                if isinstance(child.target, ast.Name):
                    sources.setdefault(child.target.id, []).append(("element", child.iter))
                else:
                    for name in _target_names(child.target):
                        sources.setdefault(name, []).append(("opaque", "unpacked loop variable"))
            elif isinstance(child, (ast.With, ast.AsyncWith)):
                for item in child.items:
                    if isinstance(item.optional_vars, ast.Name):
                        sources.setdefault(item.optional_vars.id, []).append(("expr", item.context_expr))
                    elif item.optional_vars is not None:
                        for name in _target_names(item.optional_vars):
                            sources.setdefault(name, []).append(("opaque", "unpacked with target"))
            elif isinstance(child, ast.ExceptHandler):
                if child.name:
                    sources.setdefault(child.name, []).append(("opaque", "exception"))
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                for alias in child.names:
                    if alias.name == "*":
                        continue
                    if isinstance(child, ast.Import):
                        local = alias.asname or alias.name.split(".")[0]
                        module = alias.name if alias.asname else alias.name.split(".")[0]
                        imported = Imported(module, 0, None)
                    else:
                        local = alias.asname or alias.name
                        imported = Imported(child.module or "", child.level, alias.name)
                    sources.setdefault(local, []).append(("value", imported))
                continue
            elif isinstance(child, ast.Expr) and isinstance(child.value, ast.Call):
                call = child.value
                if (
                    isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name)
                    and call.func.attr == "update"
                    and call.args
                ):
                    mutations.setdefault(call.func.value.id, []).append(("update", call.args[0]))
            stack.extend(children(child))
        for name in scope.globals_declared:
            sources.pop(name, None)

    def _may_bind_in_expressions(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether the text of a function's body holds `:=` or `for` (so possibly a comprehension)."""
        if self.source is None or not node.body:
            return True
        lines = self.source.lines[node.body[0].lineno - 1 : node.end_lineno]
        return any("for" in line or ":=" in line for line in lines)

    def _local_target(self, target: ast.expr, value: ast.expr, scope: _Scope) -> None:
        if isinstance(target, ast.Name):
            scope.sources.setdefault(target.id, []).append(("expr", value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            paired = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Name):
                    if paired:
                        scope.sources.setdefault(element.id, []).append(("expr", cast("ast.Tuple | ast.List", value).elts[index]))
                    else:
                        scope.sources.setdefault(element.id, []).append(("opaque", "tuple unpacking"))

    # ----------------------------------------------------------------- events (app calls, conf, item writes)
    def _decorator_event(self, node: ast.expr, value: Value, handler: str, scope: _Scope) -> None:
        call = value if isinstance(value, CallV) else None
        func = call.func if call is not None else value
        if isinstance(func, Attr) and func.attr == "connect":
            self._event("call", func.base, "connect", call or CallV(func, span=value.span), None, None, handler,
                        _function_of(scope), node_location(node))

    def _event(
        self,
        kind: str,
        receiver: Value,
        name: str,
        call: Optional[CallV],
        key: Optional[Value],
        value: Optional[Value],
        handler: Optional[str],
        function: Optional[str],
        span: Span,
    ) -> None:
        self.order += 1
        self.events.append(Event(kind, receiver, name, call, key, value, handler, function, self.order, span))

    def _statement_expressions(self, node: ast.stmt, scope: _Scope, out: "_FunctionCollector") -> None:
        """Events, escapes, calls, SQL and markers in the expressions one statement evaluates itself."""
        if type(node) is ast.Return:
            if node.value is not None:  # type: ignore[attr-defined]
                out.returns.append(self._value(node.value, scope))  # type: ignore[attr-defined]
                self._walk(node.value, scope, out, "escape")  # type: ignore[attr-defined]
            return
        if type(node) is ast.Expr:
            self._walk(node.value, scope, out, "none")  # type: ignore[attr-defined]
            return
        function = _function_of(scope)
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None:
                return
            escapes = False
            for target in targets:
                escapes = self._assignment_event(target, node.value, scope, function) or escapes
                if isinstance(target, (ast.Attribute, ast.Subscript)):
                    self._walk(target.value, scope, out, "none")
                    if isinstance(target, ast.Subscript):
                        self._walk(target.slice, scope, out, "none")
            self._walk(node.value, scope, out, "escape" if escapes else "none")
            return
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitOr):
            target_value = self._value(node.target, scope)
            if _interesting_receiver(target_value):
                call = CallV(Attr(target_value, "update"), (self._value(node.value, scope),), (), node_location(node))
                self._event("call", target_value, "update", call, None, None, None, function, node_location(node))
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                context = item.context_expr
                label = _dotted_ast(context.func if isinstance(context, ast.Call) else context)
                if label:
                    out.with_names.append(label)
        for expr in _own_expressions(node):
            self._walk(expr, scope, out, "none")

    def _assignment_event(self, target: ast.expr, value: ast.expr, scope: _Scope, function: Optional[str]) -> bool:
        """Record a conf write or item write; True when the assigned value escapes into an unknown object."""
        if isinstance(target, ast.Attribute) and _is_conf(target.value):
            assert isinstance(target.value, ast.Attribute)
            app = self._value(target.value.value, scope)
            self._event("conf-write", app, target.attr, None, Const(target.attr), self._value(value, scope), None,
                        function, node_location(target))
            return False
        if isinstance(target, ast.Subscript):
            if _is_conf(target.value):
                assert isinstance(target.value, ast.Attribute)
                app = self._value(target.value.value, scope)
                key = self._value(target.slice, scope)
                name = key.value if isinstance(key, Const) and isinstance(key.value, str) else ""
                self._event("conf-write", app, name, None, key, self._value(value, scope), None, function,
                            node_location(target))
                return False
            container = self._value(target.value, scope)
            if _interesting_receiver(container):
                self._event("setitem", container, "", None, self._value(target.slice, scope),
                            self._value(value, scope), None, function, node_location(target))
            return False
        return isinstance(target, ast.Attribute)

    def _django_settings(self, node: ast.stmt) -> None:
        for child in ast.walk(node):
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in ("setdefault", "__setitem__")
                and len(child.args) == 2
                and isinstance(child.args[0], ast.Constant)
                and child.args[0].value == "DJANGO_SETTINGS_MODULE"
                and isinstance(child.args[1], ast.Constant)
                and isinstance(child.args[1].value, str)
            ):
                self.django_settings = child.args[1].value
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                if "django_celery_beat" in child.value:
                    self.mentions.add("django_celery_beat")
                if "redbeat" in child.value.lower():
                    self.mentions.add("redbeat")

    # ----------------------------------------------------------------- one walk over an expression
    def _walk(self, expr: ast.AST, scope: _Scope, out: "_FunctionCollector", context: str) -> None:
        """Calls, references, checks, SQL and markers; `context` "escape" marks values handed to unknown code."""
        function = _function_of(scope)
        referenced = self.referenced
        # (node, context, inside a string expression already read for SQL)
        stack: list[tuple[ast.AST, str, bool]] = [(expr, context, False)]
        while stack:
            node, ctx, in_string = stack.pop()
            kind = type(node)
            if kind is ast.Name:
                if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                    referenced.add(node.id)  # type: ignore[attr-defined]
                    self._name_load(node, scope, out, ctx)  # type: ignore[arg-type]
                continue
            if kind is ast.Constant:
                if not in_string and isinstance(node.value, str):  # type: ignore[attr-defined]
                    self._string(node, scope, out)  # type: ignore[arg-type]
                continue
            if kind is ast.Call:
                if not in_string and _is_string_builder(node, self):  # type: ignore[arg-type]
                    self._string(node, scope, out)  # type: ignore[arg-type]
                    in_string = True
                children = self._walk_call(node, scope, out, function)  # type: ignore[arg-type]
                stack.extend([(child, child_ctx, in_string) for child, child_ctx in children])
                continue
            if kind is ast.Attribute:
                if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                    referenced.add(node.attr)  # type: ignore[attr-defined]
                    if self._attribute_load(node, scope, out, ctx, function):  # type: ignore[arg-type]
                        referenced.update(_chain_names(node))
                        continue
                stack.append((node.value, "none", in_string))  # type: ignore[attr-defined]
                continue
            if kind is ast.Subscript:
                if type(node.ctx) is ast.Load and _is_conf(node.value):  # type: ignore[attr-defined]
                    self._event("conf-read", self._value(node.value.value, scope), "", None, None, None, None,  # type: ignore[attr-defined]
                                function, node_location(node))
                stack.append((node.value, "none", in_string))  # type: ignore[attr-defined]
                stack.append((node.slice, "none", in_string))  # type: ignore[attr-defined]
                continue
            if kind is ast.Lambda:
                continue
            if kind is ast.Compare:
                self._collect_check(node, out)  # type: ignore[arg-type]
            elif kind is ast.Yield or kind is ast.YieldFrom:
                if node.value is not None:  # type: ignore[attr-defined]
                    out.returns.append(self._value(node.value, scope))  # type: ignore[attr-defined]
            elif not in_string and (kind is ast.JoinedStr or kind is ast.BinOp) and _is_string_builder(node, self):  # type: ignore[arg-type]
                self._string(node, scope, out)  # type: ignore[arg-type]
                in_string = True
            keep = ctx if kind in _KEEPS_CONTEXT else "none"
            stack.extend([(child, keep, in_string) for child in _sub_nodes(node)])

    def _walk_call(
        self, node: ast.Call, scope: _Scope, out: "_FunctionCollector", function: Optional[str]
    ) -> list[tuple[ast.AST, str]]:
        func = node.func
        label = _dotted_ast(func)
        if label:
            out.called_names.append(label)
            if _tokens(label.rpartition(".")[2]) & _CHECK_TOKENS:
                for argument in node.args:
                    if isinstance(argument, ast.Name):
                        out.checked.add(argument.id)
        method = func.attr if isinstance(func, ast.Attribute) else None
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        argument_context = "escape"
        if method in EVENT_METHODS:
            assert isinstance(func, ast.Attribute)
            receiver = self._value(func.value, scope)
            if method not in ("update", "setdefault") or _interesting_receiver(receiver):
                call = self._value(node, scope)
                if isinstance(call, CallV):
                    self._event("call", receiver, method, call, None, None, None, function, node_location(node))
                argument_context = "none"
            elif isinstance(receiver, (DictV, SeqV)):
                argument_context = "none"  # a local dict: the mutation is folded into its value
        else:
            name = method if method is not None else (func.id if isinstance(func, ast.Name) else None)
            if name in _HARMLESS_CALLS or (isinstance(func, ast.Name) and func.id == "dict"):
                argument_context = "none"
            if isinstance(func, ast.Name) and func.id == "shared_task":
                # `shared_task(fn)` / `shared_task(name=...)(fn)` called, not used as a decorator.
                call = self._value(node, scope)
                if isinstance(call, CallV):
                    self._event("call", Name("shared_task"), "task", call, None, None, None, function,
                                node_location(node))
            if method in FINALIZING_METHODS and function is None:
                assert isinstance(func, ast.Attribute)
                self._event("call", self._value(func.value, scope), method, None, None, None, None, None,
                            node_location(node))
        if self._maybe_project_callee(func, scope):
            callee = self._value(func, scope)
            if _project_callable(callee, self):
                out.calls.append(
                    CallSite(
                        callee=callee,
                        args=tuple(self._value(a, scope, depth=_MAX_DEPTH - _ARG_DEPTH) for a in node.args),
                        kwargs=tuple(
                            (k.arg, self._value(k.value, scope, depth=_MAX_DEPTH - _ARG_DEPTH)) for k in node.keywords
                        ),
                        span=node_location(node),
                    )
                )
        pending: list[tuple[ast.AST, str]] = [(argument, argument_context) for argument in arguments]
        if isinstance(func, ast.Attribute):
            pending.append((func.value, "none"))
            if _is_conf(func.value) and func.attr not in _CONF_WRITE_METHODS:
                assert isinstance(func.value, ast.Attribute)
                self._event("conf-read", self._value(func.value.value, scope), func.attr, None, None, None, None,
                            function, node_location(func))
        elif not isinstance(func, ast.Name):
            pending.append((func, "none"))
        return pending

    def _maybe_project_callee(self, func: ast.expr, scope: _Scope) -> bool:
        """A cheap syntactic pre-check before converting a callee."""
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        name = root.id
        if name in self.module_defs or name in self.module_imports:
            return True
        current: Optional[_Scope] = scope
        while current is not None and current.kind != "module":
            if name in current.sources or (current.self_name == name and isinstance(func, ast.Attribute)):
                return True
            current = current.parent
        return False

    def _name_load(self, node: ast.Name, scope: _Scope, out: "_FunctionCollector", ctx: str) -> None:
        name = node.id
        local = self._is_local(name, scope)
        if not local and name not in self.module_defs and name not in self.module_imports and name not in self.module_strings:
            if ctx == "escape" and name not in _BUILTINS:
                self.escapes[Name(name, node_location(node))] = None
            return
        span = node_location(node)
        # _resolve_name, without walking the scopes a second time: a name that is not local is
        # the module-level name itself.
        value = self._resolve_name(name, scope, span) if local else Name(name, span)
        if ctx == "escape":
            if type(value) is Name:  # what _global_refs yields for a module-level name, without a walk
                if value.id not in _BUILTINS:  # type: ignore[union-attr]
                    self.escapes[value] = None
            else:
                # A local's value is computed once per scope, and handed to many calls: its
                # references are found once (the value is kept with them, so its id stays its own).
                known = self.escaping.get(id(value))
                if known is None or known[0] is not value:
                    known = self.escaping[id(value)] = (value, tuple(_global_refs(value)))
                for ref in known[1]:
                    self.escapes[ref] = None
        if scope.kind == "function" and isinstance(value, (FuncRef, Imported, Name)) and _project_callable(value, self):
            out.calls.append(CallSite(value, (), (), span, ref=True))
        if isinstance(value, Name) and name in self.module_strings:
            self._constant_sql(name, out)

    def _attribute_load(
        self, node: ast.Attribute, scope: _Scope, out: "_FunctionCollector", ctx: str, function: Optional[str]
    ) -> bool:
        """Handle a loaded attribute chain; True when its parts need no further walking."""
        if _is_conf(node.value) and node.attr not in _CONF_WRITE_METHODS:
            assert isinstance(node.value, ast.Attribute)
            self._event("conf-read", self._value(node.value.value, scope), node.attr, None, None, None, None,
                        function, node_location(node))
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        if ctx == "escape":
            for ref in _global_refs(self._value(node, scope, depth=_MAX_DEPTH - _ARG_DEPTH)):
                self.escapes[ref] = None
            return True
        if scope.kind == "function" and root.id in self.module_imports and not self._is_local(root.id, scope):
            value = self._value(node, scope, depth=_MAX_DEPTH - _ARG_DEPTH)
            if _project_callable(value, self):
                out.calls.append(CallSite(value, (), (), node_location(node), ref=True))
        return False

    def _is_local(self, name: str, scope: _Scope) -> bool:
        current: Optional[_Scope] = scope
        while current is not None and current.kind != "module":
            if current.kind == "function":
                if name in current.globals_declared:
                    return False
                if name in current.sources or name in current.params:
                    return True
            current = current.parent
        return False

    def _constant_sql(self, name: str, out: "_FunctionCollector") -> None:
        """A module constant holding a complete REFRESH statement counts where a function reads it."""
        expr = self.module_strings.get(name)
        if expr is None or not isinstance(expr, ast.Constant) or not isinstance(expr.value, str):
            return
        text = expr.value
        lowered = text.lower()
        if "advisory" in lowered:
            out.markers.extend(f"advisory-lock:{m.group(0).lower()}" for m in ADVISORY_LOCK.finditer(text))
        if "tenant" in lowered:
            match = TENANT_GUC.search(text)
            if match:
                out.markers.append(f"tenant-guc:{match.group(0)}")
        if "materiali" not in lowered:
            return
        # Reported where the statement is written, so a constant read by several functions is one site.
        where = node_location(expr)
        for statement, concurrently, target in find_refresh((text,)):
            if not target.placeholder:
                out.sql.append(SqlSite(where, statement, concurrently, target))

    def _collect_check(self, node: ast.Compare, out: "_FunctionCollector") -> None:
        if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and isinstance(node.left, ast.Name):
            if not all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in node.comparators):
                out.checked.add(node.left.id)

    def _string(self, node: ast.expr, scope: _Scope, out: "_FunctionCollector") -> None:
        """SQL and markers in one string-building expression (a literal, f-string, `+`, `%` or `.format`)."""
        refresh = False
        # Most string expressions are one literal: ast.walk would yield just it, through a deque.
        for child in (node,) if type(node) is ast.Constant else ast.walk(node):
            if isinstance(child, ast.Constant) and isinstance(child.value, str):
                lowered = child.value.lower()
                if "materiali" in lowered:
                    refresh = True
                if len(lowered) <= 120 and _NAMES_A_CONSTANT.match(child.value):
                    self.schedule_strings.add(child.value)
                if "advisory" in lowered:
                    out.markers.extend(f"advisory-lock:{m.group(0).lower()}" for m in ADVISORY_LOCK.finditer(child.value))
                if "tenant" in lowered:
                    match = TENANT_GUC.search(child.value)
                    if match:
                        out.markers.append(f"tenant-guc:{match.group(0)}")
            elif isinstance(child, ast.Name) and child.id in self.refresh_constants:
                refresh = True
        if not refresh:
            return
        value = self._value(node, scope)
        if isinstance(value, Const) and isinstance(value.value, str):
            parts: Sequence[Any] = (value.value,)
        elif isinstance(value, Template):
            parts = value.parts
        else:
            return
        for statement, concurrently, target in find_refresh(parts):
            if target.placeholder and scope.kind != "function":
                continue
            out.sql.append(SqlSite(node_location(node), statement, concurrently, target))

    # ----------------------------------------------------------------- expression values
    def _value(self, node: Optional[ast.AST], scope: _Scope, depth: int = 0) -> Value:
        if node is None:
            return Const(None)
        span = node_location(node)
        if depth > _MAX_DEPTH:
            return Opaque("expression too deep", span)
        d = depth + 1
        kind = type(node)
        if kind is ast.Name:
            return self._resolve_name(node.id, scope, span)  # type: ignore[attr-defined]
        if kind is ast.Constant:
            if node.value is Ellipsis:  # type: ignore[attr-defined]
                return Opaque("...", span)
            return Const(node.value, span)  # type: ignore[attr-defined]
        if kind is ast.Call:
            return self._call_value(node, scope, d, span)  # type: ignore[arg-type]
        if kind is ast.BinOp:
            return self._binop_value(node, scope, d, span)  # type: ignore[arg-type]
        if isinstance(node, ast.Attribute):
            if (
                isinstance(node.value, ast.Name)
                and scope.kind == "function"
                and scope.self_name == node.value.id
                and node.attr in scope.class_methods
                and node.value.id not in scope.sources
            ):
                return FuncRef(f"{scope.class_qualname}.{node.attr}", span)
            return Attr(self._value(node.value, scope, d), node.attr, span)
        if isinstance(node, ast.Subscript):
            return Subscript(self._value(node.value, scope, d), self._value(node.slice, scope, d), span)
        if isinstance(node, ast.Dict):
            return DictV(
                tuple(
                    (None if key is None else self._value(key, scope, d), self._value(item, scope, d))
                    for key, item in zip(node.keys, node.values)
                ),
                span,
            )
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            sequence = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}[type(node)]
            return SeqV(sequence, tuple(self._value(item, scope, d) for item in node.elts), span)
        if isinstance(node, ast.Starred):
            return Starred(self._value(node.value, scope, d), span)
        if isinstance(node, ast.JoinedStr):
            return Template(tuple(self._joined_parts(node, scope, d)), span)
        if isinstance(node, ast.IfExp):
            return _choice((self._value(node.body, scope, d), self._value(node.orelse, scope, d)), span)
        if isinstance(node, ast.BoolOp):
            return _choice(tuple(self._value(v, scope, d) for v in node.values), span)
        if isinstance(node, ast.NamedExpr):
            return self._value(node.value, scope, d)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            # What a comprehension builds comes from what it iterates: `{k: v for k, v in JOBS.items()
            # if ...}` is (a filtered copy of) JOBS. The filter and the element expression are not kept.
            source = node.generators[0].iter
            if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute) and not source.args:
                if source.func.attr in ("items", "keys", "values", "copy"):
                    source = source.func.value
            origin = self._value(source, scope, d)
            if isinstance(node, ast.DictComp):
                return DictV(((None, origin),), span)
            # A kind of its own: the filter is lost, so its items are not a list of known names.
            return SeqV("comprehension", (Starred(origin, span),), span)
        return Opaque(type(node).__name__.lower(), span)

    def _resolve_name(self, name: str, scope: _Scope, span: Span) -> Value:
        current: Optional[_Scope] = scope
        while current is not None and current.kind != "module":
            if current.kind == "class" and current is not scope:
                current = current.parent
                continue
            if current.kind == "function" and name in current.globals_declared:
                break
            if current.kind == "function" and (name in current.sources or name in current.params):
                return self._local_value(name, current, span)
            current = current.parent
        return Name(name, span)

    def _local_value(self, name: str, scope: _Scope, span: Span) -> Value:
        if name in scope.cache:
            return scope.cache[name]
        if name in scope.resolving:
            return Opaque(f"`{name}` depends on itself", span)
        scope.resolving.add(name)
        try:
            options: list[Value] = []
            if name in scope.params:
                options.append(Param(scope.qualname or "", name, span))
            for source in scope.sources.get(name, ()):
                kind = source[0]
                if kind == "expr":
                    options.append(self._value(source[1], scope, 1))
                elif kind == "element":
                    options.append(Element(self._value(source[1], scope, 1), span))
                elif kind == "def":
                    options.append(FuncRef(source[1], span))
                elif kind == "value":
                    options.append(source[1])
                else:
                    options.append(Opaque(source[1], span, name))
            mutations = scope.mutations.get(name, ())
            if mutations:
                options = [self._fold_mutations(option, mutations, scope) for option in options]
            value = _choice(tuple(options), span)
        finally:
            scope.resolving.discard(name)
        scope.cache[name] = value
        return value

    def _fold_mutations(self, value: Value, mutations: Iterable[tuple[Any, ...]], scope: _Scope) -> Value:
        if not isinstance(value, DictV):
            return value
        items = list(value.items)
        for mutation in sorted(mutations, key=lambda m: (getattr(m[1], "lineno", 0), getattr(m[1], "col_offset", 0))):
            if mutation[0] == "update":
                items.append((None, self._value(mutation[1], scope, 1)))
            elif mutation[0] == "setitem":
                items.append((self._value(mutation[1], scope, 1), self._value(mutation[2], scope, 1)))
        return DictV(tuple(items), value.span)

    def _call_value(self, node: ast.Call, scope: _Scope, d: int, span: Span) -> Value:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.module_defs and func.id not in self.module_imports:
            if func.id == "dict" and self._is_builtin("dict", scope):
                items: list[tuple[Optional[Value], Value]] = []
                for argument in node.args:
                    items.append((None, self._value(argument, scope, d)))
                for keyword in node.keywords:
                    key = None if keyword.arg is None else Const(keyword.arg, node_location(keyword))
                    items.append((key, self._value(keyword.value, scope, d)))
                return DictV(tuple(items), span)
            if func.id in ("list", "tuple", "set", "frozenset", "sorted") and len(node.args) == 1:
                inner = self._value(node.args[0], scope, d)
                if isinstance(inner, SeqV):
                    kind = "set" if func.id in ("set", "frozenset") else ("tuple" if func.id == "tuple" else "list")
                    return SeqV(kind, inner.items, span)
        if isinstance(func, ast.Attribute):
            if func.attr == "copy" and not node.args and not node.keywords:
                return self._value(func.value, scope, d)
            if func.attr == "format" and _stringish(func.value, self):
                return self._format_value(node, scope, d, span)
        if isinstance(func, (ast.Name, ast.Attribute)) and _last(func) == "SQL" and len(node.args) == 1:
            inner = self._value(node.args[0], scope, d)
            if isinstance(inner, (Const, Template)):
                return inner
        return CallV(
            self._value(func, scope, d),
            tuple(self._value(a, scope, d) for a in node.args),
            tuple((k.arg, self._value(k.value, scope, d)) for k in node.keywords),
            span,
        )

    def _is_builtin(self, name: str, scope: _Scope) -> bool:
        return isinstance(self._resolve_name(name, scope, (1, 1, 1, 1)), Name) and name not in self.module_strings

    def _joined_parts(self, node: ast.JoinedStr, scope: _Scope, d: int) -> Iterator[Any]:
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value
            elif isinstance(value, ast.FormattedValue):
                yield (self._value(value.value, scope, d), _is_quoting(value.value), ast.unparse(value.value))

    def _parts(self, node: ast.expr, scope: _Scope, d: int) -> list[Any]:
        if isinstance(node, ast.Name) and node.id in self.module_strings and scope.kind != "module":
            local = self._resolve_name(node.id, scope, node_location(node))
            constant = self.module_strings.get(node.id)
            if isinstance(local, Name) and isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                return [constant.value]
        value = self._value(node, scope, d)
        if isinstance(value, Const) and isinstance(value.value, str):
            return [value.value]
        if isinstance(value, Template):
            return list(value.parts)
        return [(value, _is_quoting(node), ast.unparse(node))]

    def _binop_value(self, node: ast.BinOp, scope: _Scope, d: int, span: Span) -> Value:
        if isinstance(node.op, ast.Add) and (_stringish(node.left, self) or _stringish(node.right, self)):
            return Template(tuple(self._parts(node.left, scope, d) + self._parts(node.right, scope, d)), span)
        if isinstance(node.op, ast.Mod) and _stringish(node.left, self):
            return self._percent_value(node, scope, d, span)
        return Opaque("arithmetic", span)

    def _percent_value(self, node: ast.BinOp, scope: _Scope, d: int, span: Span) -> Value:
        template = self._parts(node.left, scope, d)
        right = node.right
        if isinstance(right, ast.Tuple):
            positional = list(right.elts)
            named: dict[str, ast.expr] = {}
        elif isinstance(right, ast.Dict) and all(isinstance(k, ast.Constant) for k in right.keys):
            positional = []
            named = {k.value: v for k, v in zip(right.keys, right.values)}  # type: ignore[union-attr]
        else:
            positional, named = [right], {}
        result: list[Any] = []
        index = 0
        for part in template:
            if not isinstance(part, str):
                result.append(part)
                continue
            position = 0
            for match in re.finditer(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdrifx%])", part):
                result.append(part[position : match.start()])
                position = match.end()
                if match.group(2) == "%":
                    result.append("%")
                    continue
                source = named.get(match.group(1)) if match.group(1) else (
                    positional[index] if index < len(positional) else None
                )
                if not match.group(1):
                    index += 1
                if source is None:
                    result.append(match.group(0))
                else:
                    result.extend(self._parts(source, scope, d))
            result.append(part[position:])
        return Template(tuple(p for p in result if p != ""), span)

    def _format_value(self, node: ast.Call, scope: _Scope, d: int, span: Span) -> Value:
        assert isinstance(node.func, ast.Attribute)
        template = self._parts(node.func.value, scope, d)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        result: list[Any] = []
        auto = 0
        for part in template:
            if not isinstance(part, str):
                result.append(part)
                continue
            try:
                fields = list(string.Formatter().parse(part))
            except ValueError:
                result.append(part)
                continue
            for literal, field_name, _spec, conversion in fields:
                if literal:
                    result.append(literal)
                if field_name is None:
                    continue
                source: Optional[ast.expr] = None
                if field_name == "":
                    source = node.args[auto] if auto < len(node.args) else None
                    auto += 1
                elif field_name.isdigit():
                    position = int(field_name)
                    source = node.args[position] if position < len(node.args) else None
                else:
                    source = keywords.get(field_name)
                if source is None:
                    result.append("{" + field_name + "}")
                elif conversion == "r":
                    result.append((self._value(source, scope, d), False, ast.unparse(source)))
                else:
                    result.extend(self._parts(source, scope, d))
        return Template(tuple(result), span)


class _FunctionCollector:
    """What the statements of one function body (or of module level) yield, in source order."""

    __slots__ = ("calls", "called_names", "with_names", "sql", "markers", "returns", "checked")

    def __init__(self) -> None:
        self.calls: list[CallSite] = []
        self.called_names: list[str] = []
        self.with_names: list[str] = []
        self.sql: list[SqlSite] = []
        self.markers: list[str] = []
        self.returns: list[Value] = []
        self.checked: set[str] = set()


# --------------------------------------------------------------------- helpers
def _qualify(scope: _Scope, name: str) -> str:
    return f"{scope.qualname}.{name}" if scope.qualname else name


def _function_of(scope: _Scope) -> Optional[str]:
    current: Optional[_Scope] = scope
    while current is not None:
        if current.kind == "function":
            return current.qualname
        current = current.parent
    return None


def _definitions_or_imports(body: Sequence[ast.stmt]) -> tuple[bool, bool]:
    """Whether a function body defines a function or class, and whether it imports (both are
    statements, never expressions); once a definition is found, the imports are not looked for."""
    imports = False
    stack = list(body)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            return True, True
        if kind is ast.Import or kind is ast.ImportFrom:
            imports = True
            continue
        for block in _child_blocks(node):
            stack.extend(block)
    return False, imports


def _params(arguments: ast.arguments) -> tuple[str, ...]:
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    if arguments.vararg:
        names.append(arguments.vararg.arg)
    names.extend(a.arg for a in arguments.kwonlyargs)
    if arguments.kwarg:
        names.append(arguments.kwarg.arg)
    return tuple(names)


def _target_names(node: ast.expr) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id


def _scope_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a scope's body and of its nested blocks, in source order (the order a
    preorder walk of every node meets them), not entering nested functions or classes. Statements
    never sit inside expressions, so expressions are not entered."""
    stack: list[ast.stmt] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        kind = type(node)
        if kind in _SIMPLE_STATEMENTS or kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            continue
        nested: list[ast.stmt] = []
        for name in node._fields:  # field order: `try` runs body, handlers, orelse, finalbody
            value = getattr(node, name, None)
            if type(value) is list and value:
                if isinstance(value[0], ast.stmt):
                    nested.extend(value)
                elif isinstance(value[0], (ast.excepthandler, ast.match_case)):
                    for part in value:
                        nested.extend(part.body)
        stack.extend(reversed(nested))


# Statements with no nested block of statements.
_SIMPLE_STATEMENTS = frozenset(
    {ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Pass, ast.Break, ast.Continue, ast.Raise,
     ast.Assert, ast.Delete, ast.Global, ast.Nonlocal}
)


def _child_blocks(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    if type(node) in _SIMPLE_STATEMENTS:
        return
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(node, "handlers", ()) or ():
        yield handler.body
    for case in getattr(node, "cases", ()) or ():
        yield case.body


# Fields that never hold a node worth visiting: operator and context tokens, names, numbers, flags.
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "kind", "type_comment", "module", "level", "conversion", "is_async",
     "simple"}
)
# Per node type, the fields that may hold child nodes (filled on first sight of each type).
_NODE_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}
# Nodes that hand their own context (escaping or not) to their parts.
_KEEPS_CONTEXT = frozenset(
    {ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Starred, ast.IfExp, ast.BoolOp, ast.NamedExpr, ast.keyword,
     ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension}
)
# Nodes the function prescan reads (every other node it only looks into).
_PRESCAN_ACTS_ON = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Global, ast.Nonlocal, ast.Assign,
     ast.AnnAssign, ast.NamedExpr, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.With, ast.AsyncWith,
     ast.ExceptHandler, ast.Import, ast.ImportFrom, ast.Expr}
)
# Nodes that bind nothing and hold nothing that binds, for the function prescan.
_BINDS_NOTHING = frozenset({ast.Name, ast.Constant})


_AST = ast.AST


def _fields_of(kind: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that may hold child nodes (memoised per type)."""
    fields = _NODE_FIELDS.get(kind)
    if fields is None:
        fields = _NODE_FIELDS[kind] = tuple(name for name in kind._fields if name not in _LEAF_FIELDS)
    return fields


def _sub_nodes(node: ast.AST) -> list[ast.AST]:
    """Child nodes in `ast.iter_child_nodes` order, without operator and context tokens."""
    found: list[ast.AST] = []
    append = found.append
    for name in _fields_of(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, _AST):
                    append(item)
        elif isinstance(value, _AST):
            append(value)
    return found


def _children(node: ast.AST) -> list[ast.AST]:
    """Child nodes that can hold a binding (no names, literals or operator tokens)."""
    return [child for child in _sub_nodes(node) if type(child) not in _BINDS_NOTHING]


def _statement_children(node: ast.AST) -> list[ast.AST]:
    """What `_children` gives that is a statement, an exception handler or a match case, in the
    same order: the part of a body where bindings can be when its expressions bind nothing."""
    found: list[ast.AST] = []
    for name in _fields_of(type(node)):
        value = getattr(node, name, None)
        if type(value) is list and value and isinstance(value[0], _STATEMENT_PARTS):
            found.extend(value)
    return found


_STATEMENT_PARTS = (ast.stmt, ast.excepthandler, ast.match_case)


def _chain_names(node: ast.AST) -> Iterator[str]:
    while isinstance(node, ast.Attribute):
        yield node.attr
        node = node.value
    if isinstance(node, ast.Name):
        yield node.id


_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases", "decorator_list"})


def _own_expressions(node: ast.stmt) -> Iterator[ast.expr]:
    """The expressions a statement evaluates itself (not those of nested blocks)."""
    for name in node._fields:
        if name in _BLOCK_FIELDS:
            continue
        value = getattr(node, name, None)
        if isinstance(value, ast.expr):
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.expr):
                    yield item
                elif isinstance(item, ast.withitem):
                    yield item.context_expr


def _is_conf(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "conf"


def _interesting_receiver(value: Value) -> bool:
    """A receiver whose mutation may matter to Celery: a module-level object or an app's conf."""
    if isinstance(value, (DictV, SeqV, Const, Template)):
        return False
    chain: Value = value
    while isinstance(chain, (Attr, Subscript)):
        if isinstance(chain, Attr) and chain.attr == "conf":
            return True
        chain = chain.base
    return isinstance(chain, (Name, Imported))


def _global_refs(value: Value) -> Iterator[Value]:
    """Module-level references inside a value: names, function-level imports and attribute chains on them."""
    stack = [value]
    while stack:
        current = stack.pop()
        if type(current) in _NO_REFS:
            continue  # no sub-values, and not a reference itself
        root: Value = current
        while isinstance(root, Attr):
            root = root.base
        if isinstance(root, (Name, Imported)) and isinstance(current, (Name, Imported, Attr)):
            if not (isinstance(current, Name) and current.id in _BUILTINS):
                yield current
            continue
        if isinstance(current, (Param, FuncRef, Element)):
            # An element drawn from a collection is not the collection itself.
            continue
        stack.extend(children(current))


# Values _global_refs skips without looking: leaves that are no reference, and values it does not enter.
_NO_REFS = frozenset({Const, Opaque, Param, FuncRef, Element})


def _choice(options: tuple[Value, ...], span: Span) -> Value:
    if len(options) == 1:
        return options[0]  # most names are bound once: no values to hash
    unique = tuple(dict.fromkeys(options))
    if len(unique) == 1:
        return unique[0]
    if not unique:
        return Opaque("no value", span)
    return Choice(unique, span)


def _dotted_ast(node: ast.AST) -> Optional[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        inner = _dotted_ast(node.func)
        if inner is None:
            return None
        parts.append(inner + "()")
    else:
        return None
    return ".".join(reversed(parts))


def _last(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


@functools.lru_cache(maxsize=4096)
def _tokens(name: str) -> frozenset[str]:
    """Words of an identifier: `try_acquire_refresh_lock` -> {try, acquire, refresh, lock}; `RedisLock` too."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return frozenset(part.lower() for part in re.split(r"[_\W]+", spaced) if part)


def _is_quoting(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _last(node.func) in _QUOTING_CALLS


def _is_string_builder(node: ast.expr, extractor: "_Extractor") -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _has_string(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _stringish(node.func.value, extractor)
    return False


def _has_string(node: ast.AST) -> bool:
    return any(isinstance(child, (ast.Constant, ast.JoinedStr)) and (
        not isinstance(child, ast.Constant) or isinstance(child.value, str)) for child in ast.walk(node))


def _stringish(node: ast.expr, extractor: _Extractor) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _stringish(node.left, extractor) or _stringish(node.right, extractor)
    if isinstance(node, ast.Name):
        constant = extractor.module_strings.get(node.id)
        return isinstance(constant, (ast.Constant, ast.JoinedStr)) and (
            not isinstance(constant, ast.Constant) or isinstance(constant.value, str)
        )
    if isinstance(node, ast.Call):
        return _last(node.func) in ("SQL", "format") and bool(node.args or isinstance(node.func, ast.Attribute))
    return False


def _project_callable(callee: Value, extractor: _Extractor) -> bool:
    """Whether a callee may be a function of this project (worth a call-graph edge)."""
    root: Value = callee
    while isinstance(root, Attr):
        root = root.base
    if isinstance(root, FuncRef):
        return True
    if isinstance(root, Imported):
        return root.level > 0 or root.module.split(".")[0] not in _STDLIB
    if isinstance(root, Name):
        if root.id in extractor.module_defs:
            return True
        origin = extractor.module_imports.get(root.id)
        return origin is not None and origin not in _STDLIB
    return False
