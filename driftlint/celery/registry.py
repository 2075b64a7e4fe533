"""The code's registry of materialized views: a configured `path.py:NAME`, or a list of view names found by shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from driftlint.celery.index import task_index
from driftlint.celery.report import words
from driftlint.celery.symbols import Module
from driftlint.celery.values import Const, SeqV, Span, Value

if TYPE_CHECKING:
    from driftlint.project import Project

OPTION = "matview-registry"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
# Words in a variable name that say "this lists materialized views".
_HINTS = frozenset({"matview", "matviews", "materialized", "materialised", "mview", "mviews", "mv", "mvs"})


@dataclass(frozen=True)
class RegistryEntry:
    name: str  # as written, maybe schema-qualified
    span: Span


@dataclass(frozen=True)
class MatviewRegistry:
    """A module-level list, tuple or set of materialized view names."""

    name: str  # the variable, e.g. MATERIALIZED_VIEWS
    module: str
    path: Path
    span: Span  # the variable where it is bound
    entries: tuple[RegistryEntry, ...]
    configured: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(entry.name for entry in self.entries)

    def span_of(self, name: str) -> Span:
        for entry in self.entries:
            if entry.name == name:
                return entry.span
        return self.span


def matview_registry(project: "Project") -> Optional[MatviewRegistry]:
    """The configured registry (`matview-registry = "path.py:NAME"`), else the one list that names views."""
    return project.memo("celery-matview-registry", _find)


def _find(project: "Project") -> Optional[MatviewRegistry]:
    index = task_index(project)
    configured = project.settings.option(OPTION, "")
    if configured:
        return _configured(project, str(configured))
    known = _known_matviews(project)
    candidates: list[tuple[tuple[int, int, int], MatviewRegistry]] = []
    for module in index.modules:
        if module.is_test:
            continue
        seen: set[str] = set()
        for binding in module.facts.bindings:
            if binding.owner or binding.name in seen:
                continue
            entries = _string_entries(binding.value)
            if not entries or not all(_IDENTIFIER.match(e.name) for e in entries):
                continue
            seen.add(binding.name)
            hits = sum(1 for e in entries if _bare(e.name) in known or e.name in known)
            hinted = bool(words(binding.name) & _HINTS) or "materialized_views" in binding.name.lower()
            # A name hint alone is enough only when the migrations tell nothing; otherwise the list
            # must name at least one view some revision creates (`MV_COMMANDS = ["mv", "cp"]` is not it).
            if not ((hinted and (hits or not known)) or (hits >= 2 and hits * 2 > len(entries))):
                continue
            registry = MatviewRegistry(binding.name, module.name, module.path, binding.span, tuple(entries), False)
            candidates.append(((int(hinted), hits, -len(entries)), registry))
    if not candidates:
        return None
    candidates.sort(key=lambda item: (item[0], str(item[1].path)), reverse=True)
    best_score, best = candidates[0]
    rivals = [r for score, r in candidates[1:] if score == best_score and set(r.names) != set(best.names)]
    if rivals:
        index.unknown.append(
            (best.path, best.span, f"several lists could be the materialized-view registry ({best.name}, "
             f"{rivals[0].name} in {rivals[0].module}); set `{OPTION}`")
        )
        return None
    return best


def _configured(project: "Project", spec: str) -> Optional[MatviewRegistry]:
    index = task_index(project)
    path_text, _, name = spec.rpartition(":")
    path = project.disk.resolve(project.settings.root / path_text)
    module: Optional[Module] = next((m for m in index.modules if project.disk.resolve(m.path) == path), None)
    if module is None or not name:
        index.unknown.append((path, (1, 1, 1, 1), f"`{OPTION} = \"{spec}\"` names no scanned module"))
        return None
    bindings = [b for b in module.facts.bindings if not b.owner and b.name == name]
    if not bindings:
        index.unknown.append((module.path, (1, 1, 1, 1), f"`{name}` is not bound in {module.name}"))
        return None
    binding = bindings[-1]
    entries = _string_entries(binding.value)
    if entries is None:
        listed = index.symbols.strings(binding.value, module)
        if listed is None:
            index.unknown.append((module.path, binding.span, f"`{name}` is not a list of strings driftlint can read"))
            return None
        entries = [RegistryEntry(item, binding.span) for item in listed]
    return MatviewRegistry(name, module.name, module.path, binding.span, tuple(entries), True)


def _string_entries(value: Value) -> Optional[list[RegistryEntry]]:
    if not isinstance(value, SeqV) or not value.items:
        return None
    entries: list[RegistryEntry] = []
    for item in value.items:
        if not isinstance(item, Const) or not isinstance(item.value, str) or item.span is None:
            return None
        entries.append(RegistryEntry(item.value, item.span))
    return entries


def _bare(name: str) -> str:
    return name.rpartition(".")[2]


def _known_matviews(project: "Project") -> set[str]:
    """Every materialized view any revision creates (bare and schema-qualified names)."""
    names: set[str] = set()
    if not project.environments:
        return names
    from driftlint.schema.history import schema_history
    from driftlint.schema.model import MATVIEW

    for history in schema_history(project).environments:
        for obj in history.objects.values():
            if obj.kind == MATVIEW:
                names.add(obj.name)
                names.add(obj.qualified)
    return names
