"""Loading and validating driftlint's own settings (`[tool.driftlint]` or `driftlint.toml`)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from driftlint.inputs import UNRECORDED, Disk, closest_above

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on old interpreters only
    import tomli as tomllib

from driftlint.arguments import FORMATS
from driftlint.diagnostics import Severity


class ConfigError(Exception):
    """A usage or configuration problem: reported as one line, exit code 2."""


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean `x`?)` for the closest of `known` to a misspelt `word`, else ""."""
    import difflib

    candidates = list(known)
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
        close = [next(c for c in candidates if c.lower() == close[0])] if close else []
    return f" (did you mean `{close[0]}`?)" if close else ""


CORE_KEYS = {
    "select",
    "ignore",
    "extend-select",
    "extend-ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "severity",
    "environments",
    "verify",
    "cache-dir",
    "baseline",
    "output-format",
    "src",
    "default-schema",
    "respect-gitignore",
}

ENVIRONMENT_KEYS = {"name", "script-location", "version-locations", "recursive-version-locations", "sourceless"}

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".venv*",
    "venv*",
    "env",
    "site-packages",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".driftlint_cache",
    "build",
    "dist",
    ".eggs",
    "*.egg-info",
)


@dataclass(frozen=True)
class DeclaredEnvironment:
    """An Alembic environment whose locations only code sets, declared in driftlint config."""

    name: str
    script_location: str
    version_locations: tuple[str, ...] = ()
    recursive_version_locations: bool = False
    sourceless: bool = False


@dataclass
class Settings:
    root: Path
    source: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    environments: tuple[DeclaredEnvironment, ...] = ()
    verify: dict[str, Any] = field(default_factory=dict)
    cache_dir: str | None = None
    baseline: str | None = None
    output_format: str | None = None
    src: tuple[str, ...] = ()
    default_schema: str = "public"
    respect_gitignore: bool = True
    rule_options: dict[str, Any] = field(default_factory=dict)
    # The keys `source` sets (the others keep their defaults): what `check --show-settings` says.
    given: tuple[str, ...] = ()

    def is_excluded(self, relpath: str) -> bool:
        """`relpath` is POSIX and relative to the root; any component or the whole path may match."""
        whole, component = _exclusion_matchers((*self.exclude, *self.extend_exclude))
        if whole is not None and whole.match(relpath):
            return True
        return component is not None and any(component.match(part) for part in relpath.split("/"))

    def option(self, key: str, default: Any) -> Any:
        return self.rule_options.get(key, default)

    def fingerprint(self) -> str:
        """What about these settings can change a file's extracted facts or the findings."""
        payload = {
            "root": str(self.root),
            "src": self.src,
            "default_schema": self.default_schema,
            "environments": [e.__dict__ for e in self.environments],
            "rule_options": self.rule_options,
            "select": self.select,
            "ignore": self.ignore,
            "extend_select": self.extend_select,
            "per_file_ignores": self.per_file_ignores,
            "exclude": self.exclude + self.extend_exclude,
            "respect_gitignore": self.respect_gitignore,
            "severity": {k: v.value for k, v in self.severity.items()},
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@lru_cache(maxsize=8)
def _exclusion_matchers(patterns: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The exclude patterns as two regular expressions, each exactly `fnmatchcase` for any of them:
    patterns with a `/` match the whole relative path (or a path below it), the others any one
    component. Every walked folder and module is tested; one match instead of one fnmatch per
    pattern and component made classification several times faster."""
    whole: list[str] = []
    component: list[str] = []
    for pattern in patterns:
        stripped = pattern.strip("/")
        if "/" in stripped:
            whole += [fnmatch.translate(stripped), fnmatch.translate(stripped + "/*")]
        else:
            component.append(fnmatch.translate(stripped))

    def compiled(alternatives: list[str]) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{a})" for a in alternatives)) if alternatives else None

    return compiled(whole), compiled(component)


def find_settings_file(start: Path, disk: Disk = UNRECORDED) -> Path | None:
    """The nearest `driftlint.toml`, or `pyproject.toml` with `[tool.driftlint]`, at or above start."""
    return nearest_settings_file(start if disk.is_dir(start) else start.parent, disk, {})


def nearest_settings_file(folder: Path, disk: Disk, memo: dict[Path, Path | None]) -> Path | None:
    """The settings file closest to `folder`, at it or above it, up to the top of its git work
    tree (as Ruff finds a file's configuration); `memo` remembers the answer per folder, so that
    the folders of a whole project cost one look each."""
    return closest_above(
        folder, lambda current: _settings_file_in(current, disk), lambda current: disk.exists(current / ".git"), memo
    )


def _settings_file_in(directory: Path, disk: Disk) -> Path | None:
    candidate = directory / "driftlint.toml"
    if disk.is_file(candidate):
        return candidate
    candidate = directory / "pyproject.toml"
    if not disk.is_file(candidate):
        return None
    try:
        raw = disk.read_bytes(candidate)
    except OSError:
        return None  # unreadable: whether it is ours cannot be known (Alembic's reading of it is a finding)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        # A broken pyproject.toml is only an error when it is ours to read.
        return candidate if b"[tool.driftlint" in raw else None
    tool = data.get("tool")
    if isinstance(tool, dict) and "driftlint" in tool:  # `tool = 3` is valid TOML too
        return candidate
    return None


def _str_list(value: Any, key: str, where: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: `{key}` must be a list of strings")


def load_settings(
    root: Path,
    explicit: Path | None = None,
    known_option_keys: Mapping[str, Any] | None = None,
    disk: Disk = UNRECORDED,
) -> Settings:
    """Read settings for a project rooted at `root`; `known_option_keys` are rule option defaults."""
    path = explicit if explicit is not None else find_settings_file(root, disk)
    if path is None:
        return Settings(root=root)
    return settings_from_file(path, known_option_keys or {}, disk)


def settings_from_file(path: Path, known_option_keys: Mapping[str, Any], disk: Disk = UNRECORDED) -> Settings:
    """The settings one file holds (`driftlint.toml`, or `[tool.driftlint]` of a pyproject.toml)."""
    if not disk.is_file(path):
        raise ConfigError(f"{path}: settings file not found")
    try:
        data = tomllib.loads(disk.read_text(path, encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply to read") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from None
    table: Any = data
    if path.name == "pyproject.toml" or "tool" in data:
        tool = data.get("tool", {})
        table = tool.get("driftlint", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.driftlint] must be a table")
    return settings_from_mapping(table, path, known_option_keys, disk)


def settings_from_mapping(
    data: Mapping[str, Any], path: Path, option_defaults: Mapping[str, Any], disk: Disk = UNRECORDED
) -> Settings:
    settings = Settings(root=disk.resolve(path.parent), source=path, given=tuple(data))
    for key, value in data.items():
        if key not in CORE_KEYS and key not in option_defaults:
            suggestion = did_you_mean(key, [*CORE_KEYS, *option_defaults])
            raise ConfigError(f"{path}: unknown setting `{key}` in [tool.driftlint]{suggestion}")
        if key in ("select", "ignore", "extend-select", "extend-ignore"):
            values = _str_list(value, key, path)
            if key == "extend-ignore":
                settings.ignore = settings.ignore + values
            else:
                setattr(settings, key.replace("-", "_"), getattr(settings, key.replace("-", "_")) + values)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: `per-file-ignores` must be a table of glob = [codes]")
            settings.per_file_ignores = {glob: _str_list(codes, key, path) for glob, codes in value.items()}
        elif key == "exclude":
            settings.exclude = _str_list(value, key, path)
        elif key == "extend-exclude":
            settings.extend_exclude = _str_list(value, key, path)
        elif key == "src":
            settings.src = _str_list(value, key, path)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: `severity` must be a table of code = level")
            try:
                settings.severity = {code: Severity.parse(str(level)) for code, level in value.items()}
            except ValueError as exc:
                raise ConfigError(f"{path}: `severity`: {exc}") from None
        elif key == "environments":
            settings.environments = _environments(value, path)
        elif key == "verify":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [tool.driftlint.verify] must be a table")
            settings.verify = dict(value)
        elif key == "respect-gitignore":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: `respect-gitignore` must be true or false")
            settings.respect_gitignore = value
        elif key in ("cache-dir", "baseline", "output-format", "default-schema"):
            if not isinstance(value, str):
                raise ConfigError(f"{path}: `{key}` must be a string")
            if key == "output-format" and value not in FORMATS:
                raise ConfigError(f"{path}: `output-format` must be one of {', '.join(FORMATS)}, not {value!r}")
            setattr(settings, key.replace("-", "_"), value)
        else:
            expected = option_defaults[key]
            if expected is not None and not _same_kind(value, expected):
                raise ConfigError(f"{path}: `{key}` must be {_kind_name(expected)}")
            settings.rule_options[key] = value
    return settings


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return True


def _kind_name(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (list, tuple)):
        return "a list of strings"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, int):
        return "an integer"
    return "a value"


def _environments(value: Any, path: Path) -> tuple[DeclaredEnvironment, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: `environments` must be an array of tables ([[tool.driftlint.environments]])")
    result = []
    for index, table in enumerate(value):
        unknown = set(table) - ENVIRONMENT_KEYS
        if unknown:
            first = sorted(unknown)[0]
            raise ConfigError(f"{path}: unknown key `{first}` in environments[{index}]{did_you_mean(first, ENVIRONMENT_KEYS)}")
        location = table.get("script-location")
        if not isinstance(location, str):
            raise ConfigError(f"{path}: environments[{index}] needs `script-location` (a string)")
        versions = table.get("version-locations", [])
        result.append(
            DeclaredEnvironment(
                name=str(table.get("name", location)),
                script_location=location,
                version_locations=_str_list(versions, "version-locations", path) if versions else (),
                recursive_version_locations=bool(table.get("recursive-version-locations", False)),
                sourceless=bool(table.get("sourceless", False)),
            )
        )
    return tuple(result)
