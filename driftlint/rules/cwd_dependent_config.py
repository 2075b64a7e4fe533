"""DL109 cwd-dependent-config: Alembic config that only works from one directory, or on one OS."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import HEADER
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import config_issues

FIXES = {
    "cwd-relative": "Anchor the path with %(here)s (e.g. `%(here)s/migrations`)",
    "boolean": "Write exactly `true` or `false`",
    "deprecated-separator": "Use `path_separator = os` (or space/newline)",
}


class CwdDependentConfig(Rule):
    code = "DL109"
    name = "cwd-dependent-config"
    summary = "Alembic configuration depends on the working directory or uses fragile forms"
    reads = frozenset({HEADER})
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for issue in config_issues(project, *FIXES):
            fix = FIXES[issue.kind]
            if issue.kind == "cwd-relative" and "splits on" in issue.message:
                fix = "Use `path_separator = space` or `newline` so the list splits the same on every OS"
            yield self.diagnostic(
                issue.sentence,
                project.relpath(issue.path),
                issue.span,
                fix_title=fix,
                subject=(issue.kind, *issue.subject),
            )
