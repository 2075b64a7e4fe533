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
