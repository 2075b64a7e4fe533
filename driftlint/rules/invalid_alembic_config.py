"""DL111 invalid-alembic-config: configuration that makes every Alembic command fail."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.project import Project
from driftlint.rule import Rule


class InvalidAlembicConfig(Rule):
    code = "DL111"
    name = "invalid-alembic-config"
    summary = "The Alembic configuration is invalid, so every Alembic command fails"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        reported = set()
        for analysis in project.environments:
            for issue in analysis.environment.issues:
                if issue.kind != "invalid" or (issue.path, issue.line, issue.message) in reported:
                    continue
                reported.add((issue.path, issue.line, issue.message))
                yield self.diagnostic(
                    issue.message[:1].upper() + issue.message[1:],
                    project.relpath(issue.path),
                    (issue.line, issue.column, issue.line, issue.column),
                    fix_title="Correct the value as Alembic documents it",
                    subject=(issue.message,),
                )
