"""The Rule base class and the registry that discovers every rule module automatically."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from driftlint.diagnostics import Diagnostic, Location, Related, Severity

if TYPE_CHECKING:
    from driftlint.project import Project


class Rule:
    """One rule: a code, a kebab-case name, and `check(project)` yielding diagnostics.

    Subclasses live one per module in `driftlint/rules/` and are found without a central list.
    Their documentation, with executed examples, is `rules/<name>.md`.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    fixable: ClassVar[bool] = False
    # Option defaults, by the key users write in [tool.driftlint] (kebab-case).
    options: ClassVar[dict[str, Any]] = {}
    # What of each file's facts the findings depend on: FileFacts fields and FileFacts.extra keys
    # (see driftlint.project.fact_parts), through the revision graph and shared indexes included;
    # None: everything. After an edit that changes only other parts of the edited files' facts,
    # the rule's last findings are reused instead of checking again. tests/core/test_rule_reads.py
    # checks each declaration against what the rule reads on every fixture and doc example.
    reads: ClassVar[frozenset[str] | None] = None

    def check(self, project: "Project") -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(
        self,
        message: str,
        path: str,
        span: tuple[int, int, int, int] | None = None,
        *,
        fix_title: str | None = None,
        related: Iterable[Related] = (),
        context: Iterable[tuple[str, Iterable[str]]] = (),
        subject: Iterable[str] = (),
    ) -> Diagnostic:
        row, column, end_row, end_column = span or (1, 1, 1, 1)
        return Diagnostic(
            code=self.code,
            name=self.name,
            message=message,
            path=path,
            location=Location(row, column),
            end_location=Location(end_row, end_column),
            severity=self.severity,
            fix_title=fix_title,
            related=tuple(related),
            context=tuple((title, tuple(lines)) for title, lines in context),
            subject=tuple(subject),
        )


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every Rule subclass defined in a module of `driftlint.rules`, sorted by code."""
    import driftlint.rules as package

    found: dict[str, type[Rule]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.__module__ == module.__name__:
                found[value.code] = value
    return tuple(found[code] for code in sorted(found))


def rule_by_selector() -> dict[str, type[Rule]]:
    """Codes and names (both accepted wherever a rule is named) to rule classes."""
    mapping: dict[str, type[Rule]] = {}
    for rule in all_rules():
        mapping[rule.code] = rule
        mapping[rule.name] = rule
    return mapping


def option_defaults() -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for rule in all_rules():
        defaults.update(rule.options)
    return defaults
