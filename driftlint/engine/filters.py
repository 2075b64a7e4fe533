"""Stage `filter`: suppression comments, per-file ignores and severities applied; findings deduplicated and sorted."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from driftlint.diagnostics import Diagnostic
from driftlint.engine.discover import relative
from driftlint.inputs import UNRECORDED, Disk
from driftlint.project import display_path

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.engine.options import CheckOptions
    from driftlint.project import Project


# The settings a finding is judged with: those of the file it is located in.
SettingsOf = Callable[[Diagnostic], "Settings"]


def finish(
    diagnostics: list[Diagnostic], project: Project, settings_of: Callable[[Path], Settings], enabled: set[str]
) -> list[Diagnostic]:
    """The findings to report: each as its own file's settings select, ignore and rate it (a rule
    one service's settings select is not reported in another that leaves it out), suppressed,
    each once, in output order."""

    def where(diagnostic: Diagnostic) -> Settings:
        return settings_of(project.cwd / diagnostic.path)

    diagnostics = only_selected(diagnostics, where)
    diagnostics = apply_suppressions(diagnostics, project, enabled)
    diagnostics = apply_per_file_ignores(diagnostics, where, project)
    diagnostics = apply_severity(diagnostics, where)
    unique = {(d.sort_key(), d.end, d.related): d for d in diagnostics}
    return sorted(unique.values(), key=Diagnostic.sort_key)


def only_selected(diagnostics: list[Diagnostic], settings_of: SettingsOf) -> list[Diagnostic]:
    from driftlint.engine.setup import selected_rules

    codes: dict[int, set[str]] = {}
    kept = []
    for diagnostic in diagnostics:
        settings = settings_of(diagnostic)
        selected = codes.get(id(settings))
        if selected is None:
            selected = codes[id(settings)] = {rule.code for rule in selected_rules(settings)}
        if diagnostic.code in selected:
            kept.append(diagnostic)
    return kept


def apply_suppressions(diagnostics: list[Diagnostic], project: Project, enabled: set[str]) -> list[Diagnostic]:
    from driftlint.rule import rule_by_selector

    by_selector = rule_by_selector()
    # Only files with suppression comments matter here; relpath on every file of a large history
    # costs more than all the rules together.
    facts_by_rel = {project.relpath(path): facts for path, facts in project.files.items() if facts.suppressions}
    used: set[tuple[str, int, str]] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        facts = facts_by_rel.get(diagnostic.path)
        suppressed = False
        if facts is not None:
            for suppression in facts.suppressions:
                rule = by_selector.get(suppression.rule) or by_selector.get(suppression.rule.upper())
                if rule is None or rule.code != diagnostic.code:
                    continue
                if suppression.whole_file or suppression.line in (diagnostic.location.row, diagnostic.location.row - 1):
                    used.add((diagnostic.path, suppression.line, suppression.rule))
                    suppressed = True
        if not suppressed:
            kept.append(diagnostic)
    if "DL002" in enabled:
        unused_rule = by_selector["DL002"]()
        for rel, facts in facts_by_rel.items():
            for suppression in facts.suppressions:
                rule = by_selector.get(suppression.rule) or by_selector.get(suppression.rule.upper())
                span = (suppression.line, suppression.column, suppression.line, suppression.column)
                if rule is None:
                    kept.append(
                        unused_rule.diagnostic(
                            f"Suppression names unknown rule `{suppression.rule}`",
                            rel,
                            span,
                            fix_title="Remove it or name a rule listed by `driftlint rules`",
                            subject=(suppression.rule, "unknown"),
                        )
                    )
                elif rule.code in enabled and (rel, suppression.line, suppression.rule) not in used:
                    kept.append(
                        unused_rule.diagnostic(
                            f"Suppression of {rule.code} ({rule.name}) suppresses nothing",
                            rel,
                            span,
                            fix_title="Remove the unused suppression",
                            subject=(rule.code, "unused"),
                        )
                    )
    return kept


def apply_per_file_ignores(diagnostics: list[Diagnostic], settings_of: SettingsOf, project: Project) -> list[Diagnostic]:
    from driftlint.rule import rule_by_selector

    by_selector = rule_by_selector()
    kept = []
    for diagnostic in diagnostics:
        settings = settings_of(diagnostic)
        if not settings.per_file_ignores:
            kept.append(diagnostic)
            continue
        rel = relative(project.cwd / diagnostic.path, settings.root)
        ignored = False
        for pattern, selectors in settings.per_file_ignores.items():
            if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*"):
                codes = {by_selector[s].code if s in by_selector else s.upper() for s in selectors}
                # A code, a code prefix ("DL2"), or "ALL", as `select` accepts them.
                if "ALL" in codes or any(diagnostic.code.startswith(c) for c in codes if c.startswith("DL")):
                    ignored = True
        if not ignored:
            kept.append(diagnostic)
    return kept


def apply_severity(diagnostics: list[Diagnostic], settings_of: SettingsOf) -> list[Diagnostic]:
    from driftlint.rule import rule_by_selector

    by_selector = rule_by_selector()
    rated = []
    for diagnostic in diagnostics:
        severity = settings_of(diagnostic).severity
        overrides = {by_selector[s].code: level for s, level in severity.items() if s in by_selector} if severity else {}
        rated.append(diagnostic.with_severity(overrides[diagnostic.code]) if diagnostic.code in overrides else diagnostic)
    return rated


def only_file_arguments(diagnostics: list[Diagnostic], options: CheckOptions, disk: Disk = UNRECORDED) -> list[Diagnostic]:
    """File arguments narrow the report, not the analysis (the graph needs the whole history).

    Applied after the whole-run cache, so pre-commit runs naming different files share one entry.
    """
    # A file only the overlay has (check --stdin-filename for a file not saved yet) is a file argument too.
    file_args = [
        disk.resolve(p) for p in options.paths if disk.is_file(p) or (options.overlay or {}).get(disk.resolve(p)) is not None
    ]
    if not file_args:
        return diagnostics
    cwd = disk.resolve(options.cwd)
    wanted = {display_path(p, cwd) for p in file_args}
    # A finding about the file anchored elsewhere (the other head of two, the revision creating
    # the table it uses) names it among its related locations.
    return [d for d in diagnostics if d.path in wanted or any(r.path in wanted for r in d.related)]
