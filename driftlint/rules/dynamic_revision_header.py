"""DL108 dynamic-revision-header: a header value driftlint cannot resolve without running the file."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import HEADER, REVISION
from driftlint.project import Project
from driftlint.rule import Rule

# What driftlint loses when each attribute is unknown (the revision stays in the graph unless
# its id or parents are unknown).
CONSEQUENCE = {
    "revision": "driftlint cannot place this revision in the graph without running the file",
    "down_revision": "driftlint cannot place this revision in the graph without running the file",
    "branch_labels": "driftlint cannot tell which branch names it declares, so references to them are not checked",
    "depends_on": "driftlint cannot tell which revisions it depends on, so the order it guarantees is not known",
}


class DynamicRevisionHeader(Rule):
    code = "DL108"
    name = "dynamic-revision-header"
    summary = "A revision header value cannot be resolved statically"
    reads = frozenset({HEADER})
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for facts in project.files.values():
            header = facts.header
            if facts.kind != REVISION or header is None:
                continue
            for problem in header.problems:
                if problem.unreadable:
                    continue  # in a statement that does not parse: DL001 reports the file
                yield self.diagnostic(
                    f"`{problem.attribute}` of {facts.path.name} is not a literal: {problem.message}; "
                    f"{CONSEQUENCE.get(problem.attribute, CONSEQUENCE['revision'])}",
                    project.relpath(facts.path),
                    problem.span,
                    fix_title=f"Assign `{problem.attribute}` a string, a tuple of strings or None at module level",
                    subject=(problem.attribute, problem.message),
                )
