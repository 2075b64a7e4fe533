"""Stage `setup`: the settings each file is checked with, the rules they select, and where the cache lives."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from driftlint.config import ConfigError, Settings, did_you_mean, load_settings, nearest_settings_file, settings_from_file
from driftlint.inputs import UNRECORDED, Disk

if TYPE_CHECKING:
    from driftlint.engine.options import CheckOptions
    from driftlint.rule import RuleInfo


def load_project_settings(options: CheckOptions, disk: Disk = UNRECORDED) -> Settings:
    """The settings of the check as a whole (the cache folder, discovery's exclusions, the
    environments declared): those of the checked path, or of the paths' common folder."""
    return SettingsTree(options, disk).root


class SettingsTree:
    """The settings each file is checked with, as Ruff resolves them: the closest driftlint.toml
    or pyproject.toml with [tool.driftlint] at or above the file's folder (up to the top of its
    git work tree); `--settings FILE` stands for every file. A file with no settings file above
    it gets the check's own settings (`root`). The command line's --select, --ignore and
    --extend-select apply to every settings file."""

    def __init__(self, options: CheckOptions, disk: Disk = UNRECORDED):
        self.options = options
        self.disk = disk
        self._defaults = _OptionDefaults()
        self._by_file: dict[Path, Settings] = {}
        self._by_folder: dict[Path, Settings] = {}
        self._nearest: dict[Path, Path | None] = {}
        start, root = _start(options, disk)
        if options.settings_file is not None:
            self.root = self._overridden(load_settings(start, options.settings_file, self._defaults, disk))
        else:
            found = nearest_settings_file(start, disk, self._nearest)
            if found is None:
                self.root = self._overridden(Settings(root=root))
            else:
                self.root = self._load(found)

    def for_folder(self, folder: Path) -> Settings:
        if self.options.settings_file is not None:
            return self.root
        settings = self._by_folder.get(folder)
        if settings is None:
            found = nearest_settings_file(folder, self.disk, self._nearest)
            settings = self._by_folder[folder] = self.root if found is None else self._load(found)
        return settings

    def for_file(self, path: Path) -> Settings:
        return self.for_folder(path.parent)

    def loaded(self) -> list[Settings]:
        """The root settings and every settings file read so far, in that order."""
        return [self.root, *(s for s in self._by_file.values() if s is not self.root)]

    def fingerprint(self) -> str:
        """Every loaded settings file's path and effective values: part of a stored result's key."""
        digest = hashlib.sha256()
        for settings in self.loaded():
            digest.update(f"{settings.source}\0{settings.fingerprint()}\0".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _load(self, path: Path) -> Settings:
        settings = self._by_file.get(path)
        if settings is None:
            settings = self._by_file[path] = self._overridden(settings_from_file(path, self._defaults, self.disk))
        return settings

    def _overridden(self, settings: Settings) -> Settings:
        options = self.options
        settings.select = options.select or settings.select
        settings.ignore = settings.ignore + options.ignore
        settings.extend_select = settings.extend_select + options.extend_select
        return settings


def _start(options: CheckOptions, disk: Disk) -> tuple[Path, Path]:
    """Where the check's own settings are looked for, and the project root when none is found:
    the checked folder; for a file argument, its folder and the working directory (a file narrows
    the report, not the project: the graph needs the whole history); for several paths, their
    common folder, so that the order they are given in does not matter."""
    found = []
    for path in options.paths or [options.cwd]:
        if disk.is_dir(path):
            folder = disk.resolve(path)
            found.append((folder, folder))
        else:
            found.append((disk.resolve(path).parent, disk.resolve(options.cwd)))
    if len(found) == 1:
        return found[0]
    common = Path(os.path.commonpath([folder for folder, _root in found]))
    return common, common


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
    """select (default: all), plus extend-select, minus ignore; codes, names and code prefixes accepted.
    Opt-in rules are selected only by their code, their name, or a prefix matching opt-in rules only."""
    from driftlint.rule import all_rules, rule_by_selector

    rules = all_rules()

    def resolve(selector: str, key: str, enabling: bool = True) -> list[type[RuleInfo]]:
        if selector.upper() == "ALL":
            return [r for r in rules if not (enabling and r.opt_in)]
        by = rule_by_selector()
        if selector in by:
            return [by[selector]]
        matched = [r for r in rules if r.code.startswith(selector.upper()) and selector.upper().startswith("DL")]
        if not matched:
            raise ConfigError(f"unknown rule `{selector}` in `{key}`{closest_rule(selector)} (see `driftlint rules`)")
        return ([r for r in matched if not r.opt_in] or matched) if enabling else matched

    chosen: dict[str, type[RuleInfo]] = {}
    for selector in settings.select or ("ALL",):
        for rule in resolve(selector, "select"):
            chosen[rule.code] = rule
    for selector in settings.extend_select:
        for rule in resolve(selector, "extend-select"):
            chosen[rule.code] = rule
    for selector in settings.ignore:
        for rule in resolve(selector, "ignore", enabling=False):
            chosen.pop(rule.code, None)
    for selectors in settings.per_file_ignores.values():
        for selector in selectors:
            resolve(selector, "per-file-ignores")
    for selector in settings.severity:
        resolve(selector, "severity")
    return [chosen[code] for code in sorted(chosen)]


def closest_rule(selector: str) -> str:
    """` (did you mean ...?)` for a misspelt rule code or name."""
    from driftlint.rule import all_rules

    if selector[:2].upper() == "DL":
        # A code typed with a letter for a digit (DL1O1) is that code.
        typed = "DL" + selector[2:].upper().translate(str.maketrans("OIL", "011"))
        codes = [rule.code for rule in all_rules()]
        return f" (did you mean `{typed}`?)" if typed in codes else did_you_mean(typed, codes)
    return did_you_mean(selector, [rule.name for rule in all_rules()])


def cache_dir(options: CheckOptions, settings: Settings) -> Path:
    if options.cache_dir is not None:
        return options.cache_dir
    env = os.environ.get("DRIFTLINT_CACHE_DIR")
    if env:
        return Path(env)
    if settings.cache_dir:
        return settings.root / settings.cache_dir
    return settings.root / ".driftlint_cache"
