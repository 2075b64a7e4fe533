"""Where a database finding points in the source: the revision that made the object so, if known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from driftlint.schema.model import RevisionEffects

if TYPE_CHECKING:
    from driftlint.verify.context import Span, VerifyContext

Index = dict[tuple[str, str, str], tuple[str, "Span"]]


def _effects(facts_extra: dict[str, object]) -> RevisionEffects | None:
    for value in facts_extra.values():
        if isinstance(value, RevisionEffects):
            return value
    return None


def _index(ctx: "VerifyContext") -> Index:
    """(action, schema, name) -> the last revision, in upgrade order, whose upgrade() does it."""
    index: Index = {}
    for node in sorted(ctx.analysis.graph.by_id.values(), key=lambda n: n.order):
        effects = _effects(node.facts.extra)
        if effects is None:
            continue
        path = ctx.project.relpath(node.facts.path)
        for effect in effects.effects:
            index[(effect.action, effect.obj.schema, effect.obj.name)] = (path, effect.span)
    return index


def last_effect(ctx: "VerifyContext", actions: Iterable[str], schema: str, name: str) -> tuple[str, "Span"] | None:
    """Where the last revision does the first of `actions` that any revision does to schema.name.

    Uses the static schema history when the project has it; None when nothing is known.
    """
    index: Index = ctx.project.memo(f"verify:effects:{id(ctx.analysis)}", lambda _project: _index(ctx))
    for action in actions:
        found = index.get((action, schema, name))
        if found is not None:
            return found
    return None


def locate(ctx: "VerifyContext", actions: Iterable[str], schema: str, name: str) -> tuple[str, "Span"]:
    return last_effect(ctx, actions, schema, name) or ctx.anchor()
