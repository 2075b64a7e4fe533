"""DL108 dynamic-revision-header: a header value driftlint cannot resolve without running the file."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.project import REVISION, Project
from driftlint.rule import Rule


class DynamicRevisionHeader(Rule):
    code = "DL108"
    name = "dynamic-revision-header"
    summary = "A revision header value cannot be resolved statically"
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for facts in project.files.values():
            header = facts.header
            if facts.kind != REVISION or header is None:
                continue
            for problem in header.problems:
                yield self.diagnostic(
                    f"`{problem.attribute}` of {facts.path.name} is not a literal: {problem.message}; "
                    f"driftlint cannot place this revision in the graph without running the file",
                    project.relpath(facts.path),
                    problem.span,
                    fix_title=f"Assign `{problem.attribute}` a string, a tuple of strings or None at module level",
                    subject=(problem.attribute, problem.message),
                )
