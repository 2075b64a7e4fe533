"""DL111 invalid-alembic-config: configuration that makes every Alembic command fail."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import config_issues


class InvalidAlembicConfig(Rule):
    code = "DL111"
    name = "invalid-alembic-config"
    summary = "The Alembic configuration is invalid, so every Alembic command fails"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for issue in config_issues(project, "invalid"):
            yield self.diagnostic(
                issue.sentence,
                project.relpath(issue.path),
                issue.span,
                fix_title="Correct the value as Alembic documents it",
                subject=(issue.message,),
            )
