"""The code's registry of materialized views (DL401's), as the live gates DL903/DL904 need it."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftlint.verify.context import Span, VerifyContext


@dataclass(frozen=True)
class RegistryEntry:
    name: str  # as written in the registry, maybe schema-qualified
    path: str
    span: "Span"

    def key(self, default_schema: str) -> tuple[str, str]:
        schema, dot, name = self.name.partition(".")
        return (schema, name) if dot else (default_schema, self.name)


@dataclass(frozen=True)
class Registry:
    label: str  # e.g. `MATERIALIZED_VIEWS` in app/core/matview_registry.py
    path: str
    span: "Span"
    entries: tuple[RegistryEntry, ...]


def load_registry(ctx: "VerifyContext") -> Registry | None:
    """The registry the static analysis found (None when the project has none)."""
    if importlib.util.find_spec("driftlint.celery.registry") is None:
        return None
    module = importlib.import_module("driftlint.celery.registry")
    found = ctx.project.memo("verify:matview-registry", module.matview_registry)
    if not found:
        return None
    return _adapt(ctx, found)


def _adapt(ctx: "VerifyContext", found: Any) -> Registry:
    path = ctx.project.relpath(Path(found.path))
    span = tuple(found.span)
    entries = tuple(RegistryEntry(e.name, path, tuple(e.span) if e.span else span) for e in found.entries)
    return Registry(f"`{found.name}` in {path}", path, span, entries)  # type: ignore[arg-type]
