"""The materialized views at the head of each Alembic environment, as the DL4xx rules compare them with code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from driftlint.schema.history import Creation, EnvironmentHistory, environment_history
from driftlint.schema.model import MATVIEW, ObjectRef

if TYPE_CHECKING:
    from driftlint.project import EnvironmentAnalysis, Project


@dataclass(frozen=True)
class HeadViews:
    analysis: "EnvironmentAnalysis"
    history: EnvironmentHistory
    views: dict[tuple[str, str], Creation]
    # Every materialized view any revision creates, by (schema, name): dropped ones too.
    ever: frozenset[tuple[str, str]]

    def heads(self) -> list[str]:
        return [node.revision for node in self.analysis.graph.real_heads]

    def unreadable(self, name: str) -> bool:
        """SQL driftlint could not read may create or drop `name`: then say nothing about it."""
        return any(self.history.mentioned_by_unknown(name, head) for head in self.heads() if head in self.history.index)

    def ref(self, key: tuple[str, str]) -> ObjectRef:
        return ObjectRef(MATVIEW, key[0], key[1])


def head_views(project: "Project") -> list[HeadViews]:
    """One entry per environment whose revisions create at least one materialized view (empty: no
    DL4xx rule has anything to compare, and need not build the Celery task index to know it)."""
    return project.memo("celery-head-views", _head_views)


def _head_views(project: "Project") -> list[HeadViews]:
    result: list[HeadViews] = []
    for analysis in project.environments:
        history = environment_history(analysis)
        ever = frozenset((obj.schema, obj.name) for obj in history.objects.values() if obj.kind == MATVIEW)
        if not ever:
            continue
        views = {
            (obj.schema, obj.name): creation
            for obj, creation in history.final_objects().items()
            if obj.kind == MATVIEW
        }
        result.append(HeadViews(analysis, history, views, ever))
    return result


def view_key(name: str, default_schema: str) -> tuple[str, str]:
    schema, dot, bare = name.partition(".")
    return (schema, bare) if dot else (default_schema, name)


def pick_environment(project: "Project", names: list[str]) -> Optional[HeadViews]:
    """The environment a list of view names belongs to: the only one, or the one it overlaps most."""
    environments = head_views(project)
    if len(environments) <= 1:
        return environments[0] if environments else None
    default = project.settings.default_schema
    keys = {view_key(n, default) for n in names}
    scored = sorted(((len(keys & env.ever), i) for i, env in enumerate(environments)), reverse=True)
    if scored[0][0] == 0 or scored[0][0] == scored[1][0]:
        return None
    return environments[scored[0][1]]
