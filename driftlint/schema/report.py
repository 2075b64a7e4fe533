"""Wording and locations shared by the schema rules (DL201-DL204)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from driftlint.diagnostics import Location, Related
from driftlint.project import Project
from driftlint.schema.history import RENAME_INTO, EnvironmentHistory, Event
from driftlint.schema.model import (
    ALTER,
    BACKFILL,
    CREATE,
    DROP,
    READ,
    REFERENCE,
    RENAME,
    RLS_DISABLE,
    RLS_ENABLE,
    RLS_FORCE,
    Effect,
    ObjectRef,
)

if TYPE_CHECKING:
    from driftlint.graph import UpgradeOrder

_VERBS = {
    CREATE: "creates",
    DROP: "drops",
    RENAME: "renames",
    RENAME_INTO: "renames another object to",
    ALTER: "alters",
    REFERENCE: "references",
    READ: "reads",
    BACKFILL: "updates",
    RLS_ENABLE: "enables row-level security on",
    RLS_FORCE: "forces row-level security on",
    RLS_DISABLE: "disables row-level security on",
}


def verb(effect: Effect, action: str | None = None) -> str:
    """What an effect does, as a present-tense verb phrase ("references", "deletes from")."""
    action = action or effect.action
    if action == BACKFILL and effect.detail == "DELETE":
        return "deletes from"
    if action == REFERENCE and effect.detail.startswith("REFRESH"):
        return "refreshes"
    if action == REFERENCE and effect.detail == "INSERT":
        return "inserts into"
    if action == REFERENCE and effect.detail in ("CREATE INDEX", "create_index"):
        return "creates an index on"
    if action == RENAME and effect.detail:
        return f"renames (to `{effect.detail}`)"
    return _VERBS.get(action, action)


def label(obj: ObjectRef, project: Project) -> str:
    return obj.label(project.settings.default_schema or "public")


def where(project: Project, history: EnvironmentHistory, event: Event) -> str:
    """`<revision> (<path>:<line>)` for context blocks."""
    return f"{event.revision} ({project.relpath(history.path(event.revision))}:{event.effect.span[0]})"


def related(project: Project, history: EnvironmentHistory, event: Event, note: str) -> Related:
    row, column, _, _ = event.effect.span
    return Related(project.relpath(history.path(event.revision)), Location(row, column), note)


def depends_on_fix(history: EnvironmentHistory, revision: str, needed: str) -> str:
    header = history.facts(revision).header
    existing = tuple(header.depends_on) if header is not None else ()
    if existing:
        items = ", ".join(f'"{item}"' for item in (*existing, needed))
        return f"depends_on = ({items})"
    return f'depends_on = "{needed}"'


def upgrade_order_lines(project: Project, history: EnvironmentHistory, order: UpgradeOrder, revisions: Iterable[str]) -> list[str]:
    """Where each of `revisions` runs in `alembic upgrade heads` today: `#12 a1 (path)`, earliest first."""
    chosen = sorted(set(revisions), key=order.position.__getitem__)
    return [f"#{order.position[r] + 1} {r} ({project.relpath(history.path(r))})" for r in chosen]
