"""Resolving names across project modules: imports (relative, aliased, star), bindings, classes and functions."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from driftlint.celery.facts import Binding, ClassFacts, FunctionFacts, ImportBinding, ModuleFacts
from driftlint.celery.modules import resolve_relative
from driftlint.celery.values import (
    Attr,
    CallV,
    Choice,
    Const,
    FuncRef,
    Imported,
    Name,
    Opaque,
    Param,
    SeqV,
    Span,
    Starred,
    Template,
    Value,
)

_MAX_HOPS = 12
_COPYING = frozenset(f"builtins.{name}" for name in ("list", "tuple", "sorted", "set", "frozenset"))


@dataclass(eq=False)
class Module:
    """One project module: its dotted name, file and extracted facts."""

    name: str
    path: Path
    facts: ModuleFacts
    is_package: bool
    aliases: tuple[str, ...] = ()
    # A file with no dotted name (run with exec, or not importable): read, but never imported.
    synthetic: bool = False
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    bindings: dict[tuple[str, str], list[Binding]] = field(default_factory=dict)
    imports: dict[str, ImportBinding] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.functions = {f.qualname: f for f in self.facts.functions}
        self.classes = {c.qualname: c for c in self.facts.classes}
        for binding in self.facts.bindings:
            self.bindings.setdefault((binding.owner, binding.name), []).append(binding)
        for imported in self.facts.imports:
            if imported.local:
                self.imports[imported.local] = imported

    @property
    def is_test(self) -> bool:
        parts = self.name.split(".")
        return (
            any(part in ("tests", "test", "testing") for part in parts)
            or parts[-1].startswith("test_")
            or parts[-1].endswith("_test")
            or parts[-1] == "conftest"
        )

    def __repr__(self) -> str:
        return f"Module({self.name!r})"


@dataclass(frozen=True, eq=False)
class Ref:
    """What a name or expression stands for.

    kind: "module", "function", "class", "external" (a dotted name outside the project),
    "holder" (a module- or class-level binding: `value` is what it is bound to), "value" (a
    literal or call, evaluated in `module`), "param" (a function parameter), "unknown".
    """

    kind: str
    module: Optional[Module] = None
    name: str = ""
    value: Optional[Value] = None
    owner: str = ""
    span: Optional[Span] = None

    @property
    def holder_key(self) -> tuple[str, str, str]:
        assert self.module is not None
        return (self.module.name, self.owner, self.name)


class Symbols:
    """Name lookup over every project module, by primary dotted name or a lenient alias."""

    def __init__(self, modules: list[Module]):
        self.modules: dict[str, Module] = {}
        self.by_alias: dict[str, Module] = {}
        for module in sorted(modules, key=lambda m: (len(m.name), m.name)):
            self.modules.setdefault(module.name, module)
        for module in sorted(modules, key=lambda m: (len(m.name), m.name)):
            for alias in module.aliases:
                if alias not in self.modules:
                    self.by_alias.setdefault(alias, module)

    def module(self, name: str) -> Optional[Module]:
        found = self.modules.get(name)
        if found is not None:
            return found
        # A shorter name only counts under a package of the project: `celery` must stay the
        # installed library even when `proj/celery.py` exists.
        top = self.by_alias.get(name.split(".")[0])
        if top is None or not top.is_package:
            return None
        return self.by_alias.get(name)

    def is_project_module(self, name: str) -> bool:
        return self.module(name) is not None

    # ------------------------------------------------------------------ lookup
    def lookup(self, module: Module, name: str, seen: Optional[set[tuple[str, str]]] = None) -> list[Ref]:
        seen = set() if seen is None else seen
        if (module.name, name) in seen or len(seen) > _MAX_HOPS * 4:
            return []
        seen.add((module.name, name))
        found: list[Ref] = []
        for binding in module.bindings.get(("", name), ()):
            found.append(Ref("holder", module, name, binding.value, "", binding.span))
        if name in module.functions:
            found.append(Ref("function", module, name, span=module.functions[name].span))
        if name in module.classes:
            found.append(Ref("class", module, name, span=module.classes[name].span))
        imported = module.imports.get(name)
        if imported is not None:
            found.extend(self._import(module, imported.module, imported.level, imported.attr, seen))
        if not found and name == "__name__":
            found.append(Ref("value", module, value=Const(module.name)))
        if not found:
            for star_module, level in module.facts.star_imports:
                target = resolve_relative(module.name, module.is_package, star_module, level)
                star = self.module(target) if target else None
                if star is not None:
                    found.extend(self.lookup(star, name, seen))
        if not found and module.is_package:
            sub = self.module(f"{module.name}.{name}")
            if sub is not None:
                found.append(Ref("module", sub, sub.name))
        return found

    def _import(
        self, module: Module, target: str, level: int, attr: Optional[str], seen: set[tuple[str, str]]
    ) -> list[Ref]:
        absolute = resolve_relative(module.name, module.is_package, target, level)
        if absolute is None:
            return [Ref("unknown", module, f"relative import beyond the top package ({'.' * level}{target})")]
        if attr is None:
            project = self.module(absolute)
            return [Ref("module", project, project.name)] if project else [Ref("external", name=absolute)]
        sub = self.module(f"{absolute}.{attr}" if absolute else attr)
        if sub is not None:
            return [Ref("module", sub, sub.name)]
        source = self.module(absolute) if absolute else None
        if source is not None:
            found = self.lookup(source, attr, seen)
            return found or [Ref("unknown", source, f"`{attr}` is not defined in {source.name}")]
        return [Ref("external", name=f"{absolute}.{attr}" if absolute else attr)]

    # ------------------------------------------------------------------ resolution
    def resolve(self, value: Value, module: Module, hops: int = 0) -> list[Ref]:
        """What a value refers to, without looking through module-level bindings."""
        if hops > _MAX_HOPS:
            return [Ref("unknown", module, "too many indirections")]
        if isinstance(value, Name):
            found = self.lookup(module, value.id)
            if found:
                return found
            if hasattr(builtins, value.id):
                return [Ref("external", name=f"builtins.{value.id}")]
            return [Ref("unknown", module, f"`{value.id}` is not defined", span=value.span)]
        if isinstance(value, Imported):
            return self._import(module, value.module, value.level, value.attr, set())
        if isinstance(value, FuncRef):
            if value.qualname in module.functions:
                return [Ref("function", module, value.qualname, span=module.functions[value.qualname].span)]
            if value.qualname in module.classes:
                return [Ref("class", module, value.qualname, span=module.classes[value.qualname].span)]
            return [Ref("unknown", module, f"`{value.qualname}`")]
        if isinstance(value, Attr):
            results: list[Ref] = []
            for base in self.resolve(value.base, module, hops + 1):
                results.extend(self._attribute(base, value, hops))
            return results
        if isinstance(value, Choice):
            return [ref for option in value.options for ref in self.resolve(option, module, hops + 1)]
        if isinstance(value, Param):
            return [Ref("param", module, value.name, value, owner=value.func, span=value.span)]
        if isinstance(value, Opaque):
            return [Ref("unknown", module, value.reason, span=value.span)]
        return [Ref("value", module, value=value, span=value.span)]

    def _attribute(self, base: Ref, value: Attr, hops: int) -> list[Ref]:
        attr = value.attr
        if base.kind == "module" and base.module is not None:
            found = self.lookup(base.module, attr)
            if found:
                return found
            sub = self.module(f"{base.module.name}.{attr}")
            if sub is not None:
                return [Ref("module", sub, sub.name)]
            return [Ref("unknown", base.module, f"`{attr}` is not defined in {base.module.name}", span=value.span)]
        if base.kind == "class" and base.module is not None:
            return self.class_attribute(base.module, base.name, attr) or [
                Ref("unknown", base.module, f"`{base.name}.{attr}`", span=value.span)
            ]
        if base.kind == "external":
            return [Ref("external", name=f"{base.name}.{attr}")]
        if base.kind == "holder" and base.module is not None and base.value is not None and hops < _MAX_HOPS:
            # `celery = make_celery(); celery.task`: look at what the holder is bound to.
            return [Ref("value", base.module, value=Attr(base.value, attr, value.span), span=value.span)]
        if base.kind == "value" and base.module is not None and base.value is not None:
            return [Ref("value", base.module, value=Attr(base.value, attr, value.span), span=value.span)]
        if base.kind == "param":
            return [Ref("value", base.module, value=value, span=value.span)]
        return [Ref("unknown", base.module, f"attribute `{attr}` of something unknown", span=value.span)]

    def class_attribute(self, module: Module, qualname: str, attr: str, depth: int = 0) -> list[Ref]:
        found: list[Ref] = []
        for binding in module.bindings.get((qualname, attr), ()):
            found.append(Ref("holder", module, attr, binding.value, qualname, binding.span))
        method = f"{qualname}.{attr}"
        if method in module.functions:
            found.append(Ref("function", module, method, span=module.functions[method].span))
        if found or depth > 5:
            return found
        facts = module.classes.get(qualname)
        for base in facts.bases if facts else ():
            for ref in self.resolve(base, module):
                if ref.kind == "class" and ref.module is not None:
                    found.extend(self.class_attribute(ref.module, ref.name, attr, depth + 1))
        return found

    def deref(self, value: Value, module: Module, hops: int = 0) -> list[Ref]:
        """Like resolve, but looking through bindings to the values they are bound to."""
        results: list[Ref] = []
        for ref in self.resolve(value, module, hops):
            if ref.kind == "holder" and ref.value is not None and ref.module is not None and hops < _MAX_HOPS:
                results.extend(self.deref(ref.value, ref.module, hops + 1))
            elif ref.kind == "value" and isinstance(ref.value, Attr) and ref.module is not None and hops < _MAX_HOPS:
                if ref.value is value:
                    results.append(ref)
                else:
                    results.extend(self.deref(ref.value, ref.module, hops + 1))
            else:
                results.append(ref)
        return results

    def string(self, value: Value, module: Module) -> Optional[str]:
        """A statically known string: a literal, a constant, an f-string of constants and `__name__`."""
        refs = self.deref(value, module)
        texts: set[str] = set()
        for ref in refs:
            if ref.kind != "value" or ref.value is None or ref.module is None:
                return None
            inner = ref.value
            if isinstance(inner, Const) and isinstance(inner.value, str):
                texts.add(inner.value)
            elif isinstance(inner, Template):
                pieces: list[str] = []
                for part in inner.parts:
                    if isinstance(part, str):
                        pieces.append(part)
                        continue
                    piece = self.string(part[0], ref.module)
                    if piece is None:
                        return None
                    pieces.append(piece)
                texts.add("".join(pieces))
            else:
                return None
        return texts.pop() if len(texts) == 1 else None

    def strings(self, value: Value, module: Module) -> Optional[list[str]]:
        """A list/tuple/set of known strings (through constants), or None."""
        for ref in self.deref(value, module):
            if (
                ref.kind == "value"
                and isinstance(ref.value, SeqV)
                and ref.value.kind != "comprehension"
                and ref.module is not None
            ):
                items: list[str] = []
                for item in ref.value.items:
                    if isinstance(item, Starred):
                        more = self.strings(item.of, ref.module)
                        if more is None:
                            return None
                        items.extend(more)
                        continue
                    text = self.string(item, ref.module)
                    if text is None:
                        return None
                    items.append(text)
                return items
            if ref.kind == "value" and isinstance(ref.value, Const) and isinstance(ref.value.value, str):
                return [ref.value.value]
            if ref.kind == "value" and isinstance(ref.value, CallV) and ref.module is not None and len(ref.value.args) == 1:
                # `list(VIEWS)`, `sorted(VIEWS)`, `tuple(VIEWS)`: the same names.
                callee = self.resolve(ref.value.func, ref.module)
                if callee and all(c.kind == "external" and c.name in _COPYING for c in callee):
                    return self.strings(ref.value.args[0], ref.module)
            return None
        return None
