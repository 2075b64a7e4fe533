"""Where a database finding points in the source: the revision that made the object so, if known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from driftlint.schema.model import Effect, RevisionEffects

if TYPE_CHECKING:
    from driftlint.verify.context import Span, VerifyContext


def _effects(facts_extra: dict[str, object]) -> RevisionEffects | None:
    for value in facts_extra.values():
        if isinstance(value, RevisionEffects):
            return value
    return None


def last_effect(ctx: "VerifyContext", actions: Iterable[str], schema: str, name: str) -> tuple[str, "Span"] | None:
    """The last revision (in upgrade order) whose upgrade() does one of `actions` to schema.name.

    Uses the static schema history when the project has it; None when nothing is known.
    """
    wanted = set(actions)
    found: tuple[str, Span] | None = None
    graph = ctx.analysis.graph
    for node in sorted(graph.by_id.values(), key=lambda n: n.order):
        effects = _effects(node.facts.extra)
        if effects is None:
            continue
        match: Effect | None = next(
            (e for e in effects.effects if e.action in wanted and e.obj.name == name and e.obj.schema == schema),
            None,
        )
        if match is not None:
            found = (ctx.project.relpath(node.facts.path), match.span)
    return found


def locate(ctx: "VerifyContext", actions: Iterable[str], schema: str, name: str) -> tuple[str, "Span"]:
    return last_effect(ctx, actions, schema, name) or ctx.anchor()
