"""What every live gate sees: the static project, its Alembic environment, and the inspected databases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from driftlint.facts.model import FileFacts
from driftlint.graph import Node
from driftlint.project import EnvironmentAnalysis, Project
from driftlint.rules._alembic import env_anchor, node_span
from driftlint.verify.database import Inspection
from driftlint.verify.outcome import FreshOutcome

Span = tuple[int, int, int, int]
DEFAULT_URL_ENV = ("DATABASE_URL",)
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class VerifyOptions:
    """Every option of `driftlint verify`; each one can also be set in [tool.driftlint.verify]."""

    database_url: str | None = None
    fresh: bool = False
    # With fresh: each revision is also downgraded and upgraded again (DL911, DL912).
    roundtrip: bool = False
    url_env: tuple[str, ...] = DEFAULT_URL_ENV
    app_role: str | None = None
    migration_role: str | None = None
    read_only_role: str | None = None
    read_only_tables: tuple[str, ...] = ()
    celery_app: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    output_format: str | None = None
    # Roles the embedded server creates before migrating, for migrations that GRANT to them.
    fresh_roles: tuple[str, ...] = ()
    # "table" or "schema.table", when env.py passes a version_table driftlint cannot read.
    version_table: str | None = None


@dataclass
class VerifyContext:
    project: Project
    analysis: EnvironmentAnalysis
    options: VerifyOptions
    target: Inspection | None = None
    fresh: FreshOutcome | None = None
    fresh_db: Inspection | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    announce: Callable[[str], None] = print
    notes: list[str] = field(default_factory=list)

    @property
    def inspected(self) -> Inspection | None:
        """The database the gates judge: the target when given, else the fresh one."""
        return self.target if self.target is not None else self.fresh_db

    @property
    def default_schema(self) -> str:
        return self.project.settings.default_schema

    def anchor(self) -> tuple[str, Span]:
        """Where findings about the whole environment point: its script_location line."""
        return env_anchor(self.project, self.analysis.environment)

    def env_py(self) -> Path | None:
        location = self.analysis.environment.script_location
        if location is None or not (location / "env.py").is_file():
            return None
        return location / "env.py"

    def node(self, revision: str | None) -> Node | None:
        return self.analysis.graph.by_id.get(revision) if revision else None

    def node_for_path(self, path: Path) -> Node | None:
        for node in self.analysis.graph.nodes:
            if node.facts.path.resolve() == path.resolve():
                return node
        return None

    def revision_location(self, revision: str) -> tuple[str, Span] | None:
        node = self.node(revision)
        if node is None:
            return None
        return self.project.relpath(node.facts.path), node_span(node)

    def revision_function(self, revision: str, path: Path | None, name: str, line: int | None) -> tuple[str, Span]:
        """Where a finding about a revision's `def upgrade`/`def downgrade` points: that line of its
        file (the runner knows it from the function), else the revision's header."""
        node = self.node(revision)
        where = path or (node.facts.path if node is not None else None)
        if where is None:
            return self.anchor()
        span: Span = node_span(node) if node is not None else (1, 1, 1, 1)
        if line is not None:
            try:
                text = where.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
            except (OSError, IndexError):
                text = ""
            found = text.find(f"def {name}")
            span = (line, found + 1, line, found + 5 + len(name)) if found >= 0 else (line, 1, line, 1)
        return self.project.relpath(where), span

    def describe(self, revision: str) -> str:
        node = self.node(revision)
        if node is None:
            return revision
        doc = node.facts.header.doc if node.facts.header else ""
        return f"{revision} ({doc})" if doc else revision

    def scripts(self) -> Iterator[FileFacts]:
        """Revision files in load order."""
        return iter(self.analysis.scripts)

    def role(self, explicit: str | None, inspection: Inspection) -> str:
        return explicit or inspection.current_user

    def split_name(self, name: str) -> tuple[str, str]:
        schema, dot, table = name.partition(".")
        return (schema, table) if dot else (self.default_schema, name)
