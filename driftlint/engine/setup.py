"""Stage `setup`: the settings a check runs with, the rules they select, and where the cache lives."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from driftlint.config import ConfigError, Settings, load_settings
from driftlint.inputs import UNRECORDED, Disk

if TYPE_CHECKING:
    from driftlint.engine.options import CheckOptions
    from driftlint.rule import RuleInfo


def load_project_settings(options: CheckOptions, disk: Disk = UNRECORDED) -> Settings:
    start = options.paths[0] if options.paths else options.cwd
    settings = load_settings(disk.resolve(start), options.settings_file, _OptionDefaults(), disk)
    if settings.source is None:
        # A file argument narrows the report, not the project: the graph needs the whole history.
        settings.root = disk.resolve(start if disk.is_dir(start) else options.cwd)
    settings.select = options.select or settings.select
    settings.ignore = settings.ignore + options.ignore
    settings.extend_select = settings.extend_select + options.extend_select
    return settings


class _OptionDefaults(Mapping[str, Any]):
    """Rule option defaults, imported only when a settings file sets a key that is not a core one.

    Importing every rule module (and networkx and pglast through them) costs more than the rest
    of a run that the whole-run cache answers, and most settings files set only core keys.
    """

    def __init__(self) -> None:
        self._defaults: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._defaults is None:
            from driftlint.rule import option_defaults

            self._defaults = option_defaults()
        return self._defaults

    def __bool__(self) -> bool:
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._load()

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def selected_rules(settings: Settings) -> list[type[RuleInfo]]:
    """select (default: all), plus extend-select, minus ignore; codes, names and code prefixes accepted."""
    from driftlint.rule import all_rules, rule_by_selector

    rules = all_rules()

    def resolve(selector: str, key: str) -> list[type[RuleInfo]]:
        if selector.upper() == "ALL":
            return list(rules)
        by = rule_by_selector()
        if selector in by:
            return [by[selector]]
        matched = [r for r in rules if r.code.startswith(selector.upper()) and selector.upper().startswith("DL")]
        if not matched:
            raise ConfigError(f"unknown rule `{selector}` in `{key}` (see `driftlint rules`)")
        return matched

    chosen: dict[str, type[RuleInfo]] = {}
    for selector in settings.select or ("ALL",):
        for rule in resolve(selector, "select"):
            chosen[rule.code] = rule
    for selector in settings.extend_select:
        for rule in resolve(selector, "extend-select"):
            chosen[rule.code] = rule
    for selector in settings.ignore:
        for rule in resolve(selector, "ignore"):
            chosen.pop(rule.code, None)
    for selectors in settings.per_file_ignores.values():
        for selector in selectors:
            resolve(selector, "per-file-ignores")
    for selector in settings.severity:
        resolve(selector, "severity")
    return [chosen[code] for code in sorted(chosen)]


def cache_dir(options: CheckOptions, settings: Settings) -> Path:
    if options.cache_dir is not None:
        return options.cache_dir
    env = os.environ.get("DRIFTLINT_CACHE_DIR")
    if env:
        return Path(env)
    if settings.cache_dir:
        return settings.root / settings.cache_dir
    return settings.root / ".driftlint_cache"
