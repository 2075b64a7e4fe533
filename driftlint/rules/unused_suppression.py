"""DL002 unused-suppression: an ignore comment that suppresses nothing or names an unknown rule."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import Extractor
from driftlint.project import Project
from driftlint.rule import Rule


class UnusedSuppression(Rule):
    code = "DL002"
    name = "unused-suppression"
    summary = "An ignore comment suppresses nothing, or names an unknown rule"
    reads = frozenset[Extractor]()
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        # Suppressions are matched after every other rule ran: see engine.apply_suppressions.
        return iter(())
