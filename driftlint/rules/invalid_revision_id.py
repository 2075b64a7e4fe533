"""DL112 invalid-revision-id: a revision id with characters Alembic rejects."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, REVISION
from driftlint.project import Project
from driftlint.revisions import ILLEGAL_ID_CHARS
from driftlint.rule import Rule


class InvalidRevisionId(Rule):
    code = "DL112"
    name = "invalid-revision-id"
    summary = "A revision id contains a character Alembic rejects (@ - + :)"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for facts in project.files.values():
            header = facts.header
            if facts.kind != REVISION or header is None or not header.revision:
                continue
            bad = sorted({c for c in header.revision if c in ILLEGAL_ID_CHARS})
            if bad:
                chars = ", ".join(f"'{c}'" for c in bad)
                yield self.diagnostic(
                    f"Character(s) {chars} not allowed in revision identifier '{header.revision}': Alembic raises RevisionError",
                    project.relpath(facts.path),
                    header.span("revision"),
                    fix_title="Use only letters, digits and underscores in revision ids",
                    subject=(header.revision,),
                )
