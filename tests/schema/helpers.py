"""Run the schema extractor on a snippet of a revision file."""

from __future__ import annotations

import textwrap
from pathlib import Path

from driftlint.config import Settings
from driftlint.schema.extract import extract
from driftlint.schema.model import RevisionEffects
from driftlint.source import SourceFile


def effects_of(code: str, default_schema: str = "public") -> RevisionEffects:
    source = SourceFile.from_bytes(Path("/project/versions/rev.py"), textwrap.dedent(code).encode("utf-8"))
    assert source.tree is not None, source.error
    return extract(source.tree, source, Settings(root=Path("/project"), default_schema=default_schema))


def upgrade(body: str, prelude: str = "") -> RevisionEffects:
    """Effects of a revision whose upgrade() is `body` (module-level `prelude` before it)."""
    code = (
        "from alembic import op\nimport sqlalchemy as sa\n"
        + textwrap.dedent(prelude)
        + "\n\ndef upgrade():\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )
    return effects_of(code)


def summary(result: RevisionEffects) -> list[tuple[str, str, str]]:
    """(action, kind, schema.name) for each effect, in order."""
    return [(e.action, e.obj.kind, e.obj.qualified) for e in result.effects]


INI = "[alembic]\nscript_location = %(here)s/migrations\n"


def revision(rev: str, down: str | tuple[str, ...] | None, body: str, *, depends_on: str | None = None, labels: tuple[str, ...] = (), prelude: str = "") -> str:
    """A revision file: header, then `body` as upgrade()."""
    lines = ['"""A revision."""', "from alembic import op", "import sqlalchemy as sa", "", f"revision = {rev!r}", f"down_revision = {down!r}"]
    if labels:
        lines.append(f"branch_labels = {labels!r}")
    if depends_on is not None:
        lines.append(f"depends_on = {depends_on!r}")
    lines += [textwrap.dedent(prelude), "", "def upgrade():", textwrap.indent(textwrap.dedent(body).strip() or "pass", "    "), ""]
    return "\n".join(lines)


def alembic_tree(revisions: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal Alembic project: `revisions` maps file stems in migrations/versions/ to content."""
    files = {"alembic.ini": INI, "migrations/env.py": '"""env"""\n'}
    files.update({f"migrations/versions/{name}.py": content for name, content in revisions.items()})
    files.update(extra or {})
    return files
