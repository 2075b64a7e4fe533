"""The two kinds of rule and the registry that discovers every rule module automatically.

A `Rule` reads a project's facts (`driftlint check`); a `Gate` asks a live database
(`driftlint verify`). Both share what users see of a rule: code, name, summary, severity, options,
its documentation `rules/<name>.md`, and how a finding is built.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from driftlint.diagnostics import Diagnostic, Location, Related, Severity

if TYPE_CHECKING:
    from driftlint.facts.extractors import Extractor
    from driftlint.project import Project
    from driftlint.verify.context import VerifyContext


class RuleInfo:
    """What every rule has: a code, a kebab-case name, a summary, a default severity, options.

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
    # Whether a live database answers it (`driftlint verify`) rather than the project's files.
    live: ClassVar[bool] = False
    # Off by default (style rules, as Squawk's opt-in ones): only a selector naming it, its code,
    # its name or a code prefix that matches opt-in rules only, turns it on; `ALL` does not.
    opt_in: ClassVar[bool] = False

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


class Rule(RuleInfo):
    """A static rule: `check(project)` yields diagnostics from the project's facts."""

    # The extractors whose parts of each file's facts the findings depend on, through the revision
    # graph and shared indexes included. After an edit that changes only other parts of the edited
    # files' facts, the rule's last findings are reused instead of checking again.
    # tests/core/test_rule_reads.py checks each declaration against what the rule reads on every
    # fixture and doc example. None: everything (the rule runs again after any edit).
    reads: ClassVar[frozenset[Extractor] | None] = None

    def check(self, project: Project) -> Iterable[Diagnostic]:
        raise NotImplementedError

    @classmethod
    def notices(cls, project: Project) -> Iterable[str]:
        """Lines for stderr about what the rule was told to do but cannot (not findings). Asked of
        every selected rule on every run that builds the project, its findings reused or not: it
        must be cheap and read only what the rule's `reads` covers."""
        return ()


class Gate(RuleInfo):
    """A live gate: `verify(ctx)` yields diagnostics from a real database; silent in `check`."""

    live: ClassVar[bool] = True

    def verify(self, ctx: VerifyContext) -> Iterable[Diagnostic]:
        raise NotImplementedError


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[RuleInfo], ...]:
    """Every Rule and Gate subclass defined in a module of `driftlint.rules`, sorted by code."""
    import driftlint.rules as package

    found: dict[str, type[RuleInfo]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, (Rule, Gate))
                and value.__module__ == module.__name__
            ):
                found[value.code] = value
    return tuple(found[code] for code in sorted(found))


def static_rules() -> tuple[type[Rule], ...]:
    """The rules `driftlint check` runs, sorted by code."""
    return tuple(r for r in all_rules() if issubclass(r, Rule))


def live_gates() -> tuple[type[Gate], ...]:
    """The gates `driftlint verify` runs, sorted by code."""
    return tuple(r for r in all_rules() if issubclass(r, Gate))


def rule_by_selector() -> dict[str, type[RuleInfo]]:
    """Codes and names (both accepted wherever a rule is named) to rule classes."""
    mapping: dict[str, type[RuleInfo]] = {}
    for rule in all_rules():
        mapping[rule.code] = rule
        mapping[rule.name] = rule
    return mapping


def option_defaults() -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for rule in all_rules():
        defaults.update(rule.options)
    return defaults
