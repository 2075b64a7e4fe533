"""The picklable per-module facts the Celery extractor produces and the task index reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from driftlint.celery.values import CallV, Compact, Span, Value


@dataclass(frozen=True)
class ImportBinding(Compact):
    """`import a.b` binds `a` (module "a"); `import a.b as c` binds `c` (module "a.b"); `from .m import x` binds x."""

    local: str
    module: str
    level: int
    attr: Optional[str]
    span: Span


@dataclass(frozen=True)
class Binding(Compact):
    """A name bound at module level (owner "") or in a class body (owner = class qualname)."""

    owner: str
    name: str
    value: Value
    span: Span


@dataclass(frozen=True)
class ClassFacts(Compact):
    qualname: str
    bases: Tuple[Value, ...]
    methods: Tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class CallSite(Compact):
    """A call (or, with `ref=True`, a plain reference) to something that may be a project function."""

    callee: Value
    args: Tuple[Value, ...]
    kwargs: Tuple[Tuple[Optional[str], Value], ...]
    span: Span
    ref: bool = False


@dataclass(frozen=True)
class SqlTarget(Compact):
    """The view a REFRESH statement names: a literal identifier, or identifier text built from holes."""

    text: str
    name: Optional[str]
    holes: Tuple[Value, ...]
    quoted: bool
    placeholder: bool


@dataclass(frozen=True)
class SqlSite(Compact):
    span: Span
    statement: str
    concurrently: bool
    target: SqlTarget


@dataclass(frozen=True)
class FunctionFacts(Compact):
    qualname: str
    name: str
    class_name: Optional[str]
    span: Span
    # Empty defaults: most functions of a project call, return and check little, and Compact
    # leaves defaults out of the pickle.
    params: Tuple[str, ...] = ()
    decorators: Tuple[Value, ...] = ()
    calls: Tuple[CallSite, ...] = ()
    # Dotted callee names of every call and every `with` item, library calls included (marker matching).
    called_names: Tuple[str, ...] = ()
    with_names: Tuple[str, ...] = ()
    sql: Tuple[SqlSite, ...] = ()
    # "advisory-lock:<function>" and "tenant-guc:<text>" found in SQL strings of the body.
    markers: Tuple[str, ...] = ()
    returns: Tuple[Value, ...] = ()
    # Names (parameters or locals) the body checks: `x in KNOWN`, `validate_x(x)`, `re.fullmatch(.., x)`.
    checked: frozenset = frozenset()
    is_async: bool = False


@dataclass(frozen=True)
class Event(Compact):
    """Something done to a Celery app or a schedule, in source order within its scope.

    kind: "call" (receiver.name(...)), "conf-read" / "conf-write" (receiver.conf.<name> or
    receiver.conf[<key>]; receiver is the app expression), "setitem" (receiver[key] = value).
    """

    kind: str
    receiver: Value
    name: str
    call: Optional[CallV]
    key: Optional[Value]
    value: Optional[Value]
    handler: Optional[str]
    function: Optional[str]
    order: int
    span: Span


@dataclass(frozen=True)
class ModuleFacts(Compact):
    deep: bool
    imports: Tuple[ImportBinding, ...]
    # Imports inside functions: (function qualname, binding); they run late, not at import.
    lazy_imports: Tuple[Tuple[str, ImportBinding], ...]
    star_imports: Tuple[Tuple[str, int], ...]
    bindings: Tuple[Binding, ...]
    classes: Tuple[ClassFacts, ...]
    functions: Tuple[FunctionFacts, ...]
    events: Tuple[Event, ...]
    # Module-level names (as Name/Imported/Attr values) handed to code driftlint cannot follow.
    escapes: Tuple[Value, ...]
    module_sql: Tuple[SqlSite, ...]
    django_settings_module: Optional[str]
    # "django_celery_beat", "redbeat" when the module imports or names them (schedulers outside code).
    mentions: frozenset
    imports_celery: bool
    # Short string literals that mention a schedule (`getattr(settings, "BEAT_SCHEDULE")`, import paths).
    schedule_strings: frozenset = frozenset()
    # Every name and attribute name the module reads (so a rule can tell "never read anywhere").
    referenced: frozenset = frozenset()
