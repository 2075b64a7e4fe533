"""A small, picklable picture of Python expressions: what the Celery extractor records instead of AST nodes."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Any, Iterator, Optional, Tuple, Union

Span = Tuple[int, int, int, int]


class Compact:
    """Base of the frozen fact dataclasses: pickles only the fields that differ from their defaults.

    Most values leave `span`, `label` and the like unset and most functions have no calls or SQL;
    a project's facts are pickled in workers, into the cache and back, so the defaults are left
    to the class attributes dataclasses keep (unpickling stays a plain update of `__dict__`).
    """

    def __getstate__(self) -> dict[str, Any]:
        # Hot: called for every value of every module when facts are pickled. Most objects differ
        # from no default or from few, so the state is `__dict__` itself until a field is dropped.
        # An unpickled object's `__dict__` lacks the fields it left to their defaults.
        state = self.__dict__
        copied = False
        cls: Any = type(self)
        for name, default in _defaults(cls):
            value = state.get(name, _ABSENT)
            if value is _ABSENT:
                continue
            if value is default or (type(value) is type(default) and value == default):
                if not copied:
                    state = dict(state)
                    copied = True
                del state[name]
        return state


_ABSENT = object()


@cache
def _defaults(cls: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((f.name, f.default) for f in fields(cls) if f.default is not MISSING)


@dataclass(frozen=True)
class Const(Compact):
    """A literal: str, int, float, bool, None or bytes."""

    value: object
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Name(Compact):
    """A module-level name of the module being read (resolved later through its bindings and imports)."""

    id: str
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Imported(Compact):
    """A name bound by an import inside a function: `from <level dots><module> import <attr>` or `import <module>`."""

    module: str
    level: int = 0
    attr: Optional[str] = None
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Attr(Compact):
    base: "Value"
    attr: str
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Subscript(Compact):
    base: "Value"
    key: "Value"
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class DictV(Compact):
    """A dict display or `dict(...)` call; a key of None is a `**spread` of the value."""

    items: Tuple[Tuple[Optional["Value"], "Value"], ...]
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class SeqV(Compact):
    """A list, tuple or set display (also `list([...])`, `frozenset({...})`) or a comprehension

    (kind "comprehension": one Starred item, the iterable it draws from); a Starred item is a spread.
    """

    kind: str
    items: Tuple["Value", ...]
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Starred(Compact):
    of: "Value"
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class CallV(Compact):
    """A call; a keyword of None is a `**spread`."""

    func: "Value"
    args: Tuple["Value", ...] = ()
    kwargs: Tuple[Tuple[Optional[str], "Value"], ...] = ()
    span: Optional[Span] = field(default=None, compare=False)

    def kwarg(self, key: str) -> Optional["Value"]:
        for name, value in self.kwargs:
            if name == key:
                return value
        return None


@dataclass(frozen=True)
class Template(Compact):
    """A string built at run time (f-string, `+`, `%`, `.format`): literal text and holes, in order.

    A hole is (value, quoted, label): `quoted` is true when the value went through identifier
    quoting (`sql.Identifier`, `quoted_name`, `quote_ident`...); `label` is its source text.
    """

    parts: Tuple[Union[str, Tuple["Value", bool, str]], ...]
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Element(Compact):
    """One element drawn from an iterable (a `for` or comprehension target)."""

    of: "Value"
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Param(Compact):
    """A parameter of the function `func` (its qualified name in this module)."""

    func: str
    name: str
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class FuncRef(Compact):
    """A function or class defined in this module, by qualified name (`outer.inner`, `Class.method`)."""

    qualname: str
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Choice(Compact):
    """A local name assigned more than once: any of these values."""

    options: Tuple["Value", ...]
    span: Optional[Span] = field(default=None, compare=False)


@dataclass(frozen=True)
class Opaque(Compact):
    """Something only known at run time; `label` is the local variable it was read from, if any."""

    reason: str
    span: Optional[Span] = field(default=None, compare=False)
    label: Optional[str] = field(default=None, compare=False)


Value = Union[
    Const, Name, Imported, Attr, Subscript, DictV, SeqV, Starred, CallV, Template, Element, Param, FuncRef, Choice, Opaque
]


def dotted(value: Value) -> Optional[str]:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(value, Attr):
        parts.append(value.attr)
        value = value.base
    if isinstance(value, Name):
        parts.append(value.id)
    elif isinstance(value, Imported):
        parts.append(value.attr or value.module.rpartition(".")[2] or value.module)
    elif isinstance(value, Param):
        parts.append(value.name)
    elif isinstance(value, FuncRef):
        parts.append(value.qualname.rpartition(".")[2])
    elif isinstance(value, Opaque) and value.label:
        parts.append(value.label)
    else:
        return None
    return ".".join(reversed(parts))


def last_name(value: Value) -> Optional[str]:
    """The final identifier of a callee: `b` for `a.b`, `f` for `f`."""
    if isinstance(value, Attr):
        return value.attr
    if isinstance(value, Name):
        return value.id
    if isinstance(value, Imported):
        return value.attr or value.module.rpartition(".")[2]
    if isinstance(value, FuncRef):
        return value.qualname.rpartition(".")[2]
    if isinstance(value, Param):
        return value.name
    return None


def children(value: Value) -> Iterator[Value]:
    """Direct sub-values, for walking."""
    if isinstance(value, (Attr,)):
        yield value.base
    elif isinstance(value, Subscript):
        yield value.base
        yield value.key
    elif isinstance(value, DictV):
        for key, item in value.items:
            if key is not None:
                yield key
            yield item
    elif isinstance(value, SeqV):
        yield from value.items
    elif isinstance(value, (Starred, Element)):
        yield value.of
    elif isinstance(value, CallV):
        yield value.func
        yield from value.args
        for _, item in value.kwargs:
            yield item
    elif isinstance(value, Template):
        for part in value.parts:
            if not isinstance(part, str):
                yield part[0]
    elif isinstance(value, Choice):
        yield from value.options


# Values with no sub-values: walking skips asking for their children (most values are these).
_LEAVES = (Const, Name, Imported, Param, FuncRef, Opaque)


def walk(value: Value) -> Iterator[Value]:
    stack = [value]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, _LEAVES):
            stack.extend(children(current))
