"""DL001 parse-error: a file driftlint must read does not parse."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.project import Project
from driftlint.rule import Rule


class ParseErrorRule(Rule):
    code = "DL001"
    name = "parse-error"
    summary = "A file driftlint must read does not parse"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for facts in project.files.values():
            error = facts.parse_error
            if error is None:
                continue
            what = "revision file" if facts.kind == "revision" else "file"
            verb = "read" if error.message.startswith("cannot read") else "parse"
            detail = error.message.removeprefix("cannot read file: ")
            yield self.diagnostic(
                f"Cannot {verb} {what}: {detail}",
                project.relpath(facts.path),
                (error.row, error.column, error.row, error.column),
                fix_title="Fix the syntax error",
                subject=(error.message,),
            )
        reported = set()
        for analysis in project.environments:
            for issue in analysis.environment.issues:
                if issue.kind != "parse" or (issue.path, issue.message) in reported:
                    continue
                reported.add((issue.path, issue.message))
                yield self.diagnostic(
                    f"Cannot parse Alembic configuration: {issue.message}",
                    project.relpath(issue.path),
                    (issue.line, issue.column, issue.line, issue.column),
                    fix_title="Fix the configuration file",
                    subject=(issue.message,),
                )
