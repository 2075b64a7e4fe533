"""Finding Alembic environments and their revision files exactly as Alembic would, without running env.py."""

from __future__ import annotations

import ast
import configparser
import errno
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from driftlint import gitignore
from driftlint.config import ConfigError, DeclaredEnvironment, Settings
from driftlint.gitignore import Ignores
from driftlint.inputs import UNRECORDED, Disk

# Alembic script/base.py: _only_source_rev_file / _sourceless_rev_file (anchored with re.match).
SOURCE_REV_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
SOURCELESS_REV_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)(c|o)?$")
SEPARATORS = {"space": " ", "newline": "\n", ":": ":", ";": ";"}
LEGACY_SPLIT = re.compile(r", *|(?: +)")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# str.format, Mako/shell and Jinja placeholders: the value is a template, not a path.
TEMPLATE_PLACEHOLDER = re.compile(r"(?<!\{)\{[A-Za-z_][A-Za-z0-9_]*\}(?!\})|\$\{[^}]+\}|\{\{[^}]*\}\}")
NON_ENV_SECTIONS = re.compile(r"^(loggers|handlers|formatters|logger_.*|handler_.*|formatter_.*|post_write_hooks)$")


@dataclass(frozen=True)
class ConfigIssue:
    """A problem in an Alembic configuration, reported by a rule at the config line."""

    kind: str  # "cwd-relative", "boolean", "deprecated-separator", "invalid", "missing-location", "parse"
    message: str
    path: Path
    line: int
    column: int = 1
    subject: tuple[str, ...] = ()

    @property
    def span(self) -> tuple[int, int, int, int]:
        return (self.line, self.column, self.line, self.column)

    @property
    def sentence(self) -> str:
        return self.message[:1].upper() + self.message[1:]


@dataclass
class Environment:
    """One Alembic environment: its config source and where its revision files live."""

    name: str
    config_path: Path | None
    section: str | None
    script_location: Path | None
    version_locations: list[Path] = field(default_factory=list)
    recursive: bool = False
    sourceless: bool = False
    issues: list[ConfigIssue] = field(default_factory=list)
    # Where the environment is declared (the line of script_location, or the config file).
    anchor: tuple[Path, int] | None = None
    flask_migrate: bool = False
    # Declared in driftlint's settings ([[environments]]): its locations are set in code, and
    # config_path is the settings file, not an Alembic config.
    declared: bool = False

    def revision_files(
        self,
        overlay: Mapping[Path, bytes | None] | None = None,
        real_paths: dict[Path, str] | None = None,
        disk: Disk = UNRECORDED,
    ) -> list[Path]:
        """Files Alembic loads, in load order (script/base.py _load_revisions, _list_py_dir).

        `overlay` (check --base) describes the merge result: files only it has (bytes) join the
        list in load order, files the merge deletes (None) leave it. `real_paths`, when given,
        receives each returned file's resolved path (as `real_path` gives it), saving callers a
        second lookup per file.
        """
        seen: set[str] = set()
        result: list[Path] = []
        folders: dict[str, str] = {}
        pattern = SOURCELESS_REV_FILE if self.sourceless else SOURCE_REV_FILE
        for location in self.version_locations:
            if not disk.is_dir(location):
                continue
            for path in _list_py_dir(location, self.recursive, disk):
                try:
                    real = real_path(path, folders, disk)
                except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in a configured path
                    real = os.fspath(path)  # a symlink loop: kept, so reading it reports the error
                if real in seen:
                    continue
                seen.add(real)
                if not pattern.match(path.name):
                    continue
                if path.suffix in (".pyc", ".pyo"):
                    # Alembic prefers the source next to a compiled file; driftlint never reads bytecode.
                    continue
                if disk.is_file(path) or disk.is_symlink(path):
                    # A dangling or looping symlink stops Alembic ("Can't find Python file"):
                    # kept, so the engine's failed read becomes a DL001 finding.
                    result.append(path)
                    if real_paths is not None:
                        real_paths[path] = real
        if overlay:
            result = self._merged_with(result, overlay, pattern, disk)
        return result

    def _merged_with(
        self, files: list[Path], overlay: Mapping[Path, bytes | None], pattern: re.Pattern[str], disk: Disk
    ) -> list[Path]:
        kept = [p for p in files if overlay.get(p, b"") is not None]
        present = set(kept)
        added = [
            p for p, data in overlay.items()
            if data is not None and p not in present and p.suffix == ".py" and pattern.match(p.name)
            and self._load_order_key(p) is not None and not disk.exists(p)
        ]
        if not added and len(kept) == len(files):
            return files
        return sorted([*kept, *added], key=lambda p: self._load_order_key(p) or (len(self.version_locations), ()))

    def _load_order_key(self, path: Path) -> tuple[int, tuple[tuple[int, str], ...]] | None:
        """The position os.walk gives a file in _list_py_dir: a folder's files, then its sorted sub-folders."""
        for index, location in enumerate(self.version_locations):
            try:
                parts = path.relative_to(location).parts
            except ValueError:
                continue
            if len(parts) > 1 and (not self.recursive or "__pycache__" in parts[:-1]):
                continue
            return index, (*((1, part) for part in parts[:-1]), (0, parts[-1]))
        return None

    def candidate_folders(self, disk: Disk = UNRECORDED) -> list[Path]:
        """Folders where revision files may sit unscanned: the script dir and the version locations' parents."""
        folders: list[Path] = []
        if self.script_location is not None:
            folders.append(self.script_location)
        for location in self.version_locations:
            folders.append(location)
            folders.append(location.parent)
        # Only folders that exist: a configured path may be one no file system accepts (a
        # segment over 255 bytes), which pathlib's is_dir() raises on.
        return [folder for folder in folders if disk.is_dir(folder)]


def _walk_once(
    top: Path, follow_links: bool, visited: set[tuple[int, int]], disk: Disk
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """Top-down os.walk that enters each real folder once, so symlink loops end.

    Callers may prune `dirs` in place, as with os.walk itself.
    """
    for root, dirs, files in disk.walk(top, followlinks=follow_links):
        root_path = Path(root)
        try:
            stat = disk.stat(root_path)
        except OSError:
            dirs[:] = []
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in visited:
            dirs[:] = []
            continue
        visited.add(key)
        # Bytecode folders hold nothing driftlint reads, and every Alembic command rewrites them:
        # listing them would make each such run look like a change to the project.
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        yield root_path, dirs, files


def _list_py_dir(location: Path, recursive: bool, disk: Disk) -> list[Path]:
    paths: list[Path] = []
    # Alembic walks without following symlinked folders (compat.path_walk: os.walk / Path.walk
    # defaults), so revisions in them are never loaded: DL106 reports them.
    for root_path, dirs, files in _walk_once(location, follow_links=False, visited=set(), disk=disk):
        if root_path.name.endswith("__pycache__"):
            continue
        for filename in sorted(files):
            paths.append(root_path / filename)
        if not recursive:
            break
        dirs.sort()
    return paths


def _line_of(text: str, section: str | None, key: str) -> int:
    """1-based line of `key` in `[section]` of an ini or TOML text (1 when not found)."""
    current: str | None = None
    key_re = re.compile(rf"^\s*{re.escape(key)}\s*[=:]")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1].strip()
            continue
        if (section is None or current == section) and key_re.match(line):
            return number
    return 1


class _Values:
    """get_alembic_option semantics: the ini section first, then [tool.alembic]."""

    def __init__(self, parser: configparser.ConfigParser | None, section: str | None, toml: dict[str, Any], toml_path: Path | None):
        self.parser = parser
        self.section = section
        self.toml = toml
        self.toml_path = toml_path

    def ini(self, key: str) -> str | None:
        if self.parser is None or self.section is None or not self.parser.has_section(self.section):
            return None
        if not self.parser.has_option(self.section, key):
            return None
        return self.parser.get(self.section, key)

    def raw_ini(self, key: str) -> str | None:
        if self.parser is None or self.section is None or not self.parser.has_section(self.section):
            return None
        if not self.parser.has_option(self.section, key):
            return None
        return self.parser.get(self.section, key, raw=True)


def _toml_value(value: Any, here: Path) -> Any:
    """Config._get_toml_config_value: strings, and the strings in lists and tables, formatted
    with `%(here)s`; integers as they are. Raises what Alembic raises (KeyError, ValueError,
    TypeError, AttributeError) and _Unsupported for any other TOML type."""
    args = {"here": here.absolute().as_posix()}
    if isinstance(value, str):
        return value % args
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return [{k: v % args for k, v in item.items()} for item in value]
        return [v % args for v in value]
    if isinstance(value, dict):
        return {k: v % args for k, v in value.items()}
    if isinstance(value, int):
        return value
    raise _Unsupported(type(value).__name__)


class _Unsupported(Exception):
    """A [tool.alembic] value of a type Alembic refuses (a float, a date)."""


def _failure(key: str, exc: Exception) -> str:
    """How Alembic fails reading `key` from [tool.alembic], in its words."""
    if isinstance(exc, _Unsupported):
        return f"CommandError: unsupported TOML value type for key: '{key}'"
    return f"{type(exc).__name__}: {exc}"


def discover(
    paths: list[Path],
    settings: Settings,
    alembic_config: list[Path] | None = None,
    section: str | None = None,
    disk: Disk = UNRECORDED,
) -> list[Environment]:
    """Every Alembic environment under `paths` (or the one(s) `--config`/`--name` choose)."""
    environments: list[Environment] = []
    claimed: set[Path] = set()
    if alembic_config:
        ini_files = [p for p in alembic_config if p.name != "pyproject.toml"]
        toml_files = [p for p in alembic_config if p.name == "pyproject.toml"]
        if len(ini_files) > 1:
            raise ConfigError("only one ini file may be indicated with --config")
        if len(toml_files) > 1:
            raise ConfigError("pyproject.toml indicated more than once with --config")
        for path in alembic_config:
            if not disk.is_file(path):
                raise ConfigError(f"{path}: Alembic config file not found")
        ini = ini_files[0] if ini_files else None
        toml = toml_files[0] if toml_files else (ini.parent / "pyproject.toml" if ini else None)
        environments.extend(_environments_from(ini, toml, section, explicit=True, disk=disk))
    else:
        seen_dirs: set[Path] = set()
        for config_dir, ini_names, has_toml in _config_dirs(paths, settings, disk):
            if config_dir in seen_dirs:
                continue
            seen_dirs.add(config_dir)
            toml = config_dir / "pyproject.toml" if has_toml else None
            if not ini_names:
                environments.extend(_environments_from(None, toml, section, explicit=False, disk=disk))
            for ini_name in ini_names:
                environments.extend(_environments_from(config_dir / ini_name, toml, section, explicit=False, disk=disk))
        if section is not None and seen_dirs and not any(e.section == section for e in environments):
            raise ConfigError(f"no Alembic configuration under the checked paths has a [{section}] section")
    for env in environments:
        if env.script_location is not None:
            claimed.add(_safe_resolve(env.script_location, disk))
    declared_envs = [_declared_environment(declared, settings, disk) for declared in settings.environments]
    # A declaration exists because code changes what the config file says (version_locations set in a
    # CLI wrapper or env.py): it replaces the config's view of the same script directory.
    replaced = {_safe_resolve(e.script_location, disk) for e in declared_envs if e.script_location is not None}
    environments[:] = [
        e for e in environments if e.script_location is None or _safe_resolve(e.script_location, disk) not in replaced
    ]
    for env in declared_envs:
        environments.append(env)
        if env.script_location is not None:
            claimed.add(_safe_resolve(env.script_location, disk))
    if not alembic_config and section is None:
        # With `-n`, only that section is checked, as `alembic -n` would: other script dirs are not orphans.
        for script_dir in _orphan_script_dirs(paths, settings, claimed, disk):
            environments.append(
                Environment(
                    name=f"{script_dir.name} (env.py without config)",
                    config_path=None,
                    section=None,
                    script_location=script_dir,
                    version_locations=[script_dir / "versions"],
                    anchor=(script_dir / "env.py", 1),
                )
            )
    environments.sort(key=lambda e: (str(e.config_path or e.script_location), e.section or ""))
    return environments


def _safe_resolve(path: Path, disk: Disk) -> Path:
    try:
        return disk.resolve(path)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in a configured path
        return path


def real_path(path: Path, folders: dict[str, str], disk: Disk = UNRECORDED) -> str:
    """`str(path.resolve())`, resolving each folder once (`folders` remembers them for one walk).

    A file that is not itself a symlink resolves to its folder's real path plus its name; only
    symlinked files need a lookup of their own. Resolving every file of a 2,000-revision history
    separately (an lstat per path component, then a stat) took longer than parsing it; strings
    because hashing a new Path costs more than the lookup.
    """
    text = os.fspath(path)
    if disk.is_symlink(text):
        return disk.realpath(text)
    parent, name = os.path.split(text)
    real_parent = folders.get(parent)
    if real_parent is None:
        real_parent = folders[parent] = disk.realpath(parent)
    return os.path.join(real_parent, name)


def walk_project(
    paths: list[Path], settings: Settings, disk: Disk = UNRECORDED
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """os.walk over every path, pruning excluded folders, what git ignores (`respect-gitignore`),
    virtualenvs, symlink loops and folder symlinks that lead out of the project (a link to `/`
    would walk the whole file system; git never follows one). A folder that cannot be listed
    (another user's `pgdata/`) is skipped. Below a path, never the path itself: a path given
    explicitly is checked even when ignored."""
    visited: set[tuple[int, int]] = set()
    for top in paths:
        if disk.is_file(top):
            continue
        bounds = [disk.realpath(settings.root), disk.realpath(top)]
        # The ignore files that apply to each walked folder's entries, by folder.
        ignores_of: dict[str, Ignores | None] = {}
        top_text = os.fspath(top)
        for root_path, dirs, files in _walk_once(top, follow_links=True, visited=visited, disk=disk):
            root_text = os.fspath(root_path)
            # Ignore files name paths below their folder: matched on absolute paths.
            absolute = os.path.abspath(root_text)
            ignores: Ignores | None = None
            if settings.respect_gitignore:
                if root_text == top_text:
                    ignores = gitignore.for_folder(top, disk)
                else:
                    outer = ignores_of.get(os.path.dirname(absolute))
                    ignores = outer.inside(absolute, [*dirs, *files], disk) if outer is not None else None
            kept = []
            for name in sorted(dirs):
                folder = os.path.join(root_text, name)
                if (
                    settings.is_excluded(_rel_to_root(root_path / name, settings.root))
                    or disk.exists(os.path.join(folder, "pyvenv.cfg"))  # never raises: EACCES is False
                    or (disk.is_symlink(folder) and not _inside_any(disk.realpath(folder), bounds))
                ):
                    continue
                kept.append(name)
            files = sorted(files)
            if ignores is not None:
                kept = ignores.kept(absolute, kept, are_folders=True)
                files = ignores.kept(absolute, files, are_folders=False)
            dirs[:] = kept
            ignores_of[absolute] = ignores
            yield root_path, dirs, files


def _inside_any(real: str, folders: list[str]) -> bool:
    return any(real == folder or real.startswith(os.path.join(folder, "")) for folder in folders)


def _rel_to_root(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _config_dirs(paths: list[Path], settings: Settings, disk: Disk) -> Iterator[tuple[Path, list[str], bool]]:
    """Folders with Alembic configuration: (folder, its ini files, whether its pyproject.toml is
    read). Alembic reads the pyproject.toml beside an ini whatever it holds, so a broken one
    breaks that environment too; on its own it counts when it has [tool.alembic]."""
    for root, _dirs, files in walk_project(paths, settings, disk):
        # Regular files only: reading a FIFO named alembic.ini would block forever.
        files = [f for f in files if (f.endswith(".ini") or f == "pyproject.toml") and disk.is_file(root / f)]
        inis = [f for f in files if f == "alembic.ini" or (f.endswith(".ini") and _ini_mentions_alembic(root / f, disk))]
        has_toml = "pyproject.toml" in files and (bool(inis) or _toml_has_alembic(root / "pyproject.toml", disk))
        if inis or has_toml:
            yield root, inis, has_toml
    for top in paths:
        if disk.is_file(top) and (top.name.endswith(".ini") or top.name == "pyproject.toml"):
            if top.name == "pyproject.toml":
                yield top.parent, [], _toml_has_alembic(top, disk)
            else:
                yield top.parent, [top.name], disk.is_file(top.parent / "pyproject.toml")


def _ini_mentions_alembic(path: Path, disk: Disk) -> bool:
    try:
        text = disk.read_text(path, encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "script_location" in text and ("alembic" in text.lower() or "versions" in text)


def _toml_has_alembic(path: Path, disk: Disk) -> bool:
    """Whether a pyproject.toml has a [tool.alembic] table (in any TOML spelling), or looks as if
    it meant to and does not parse."""
    try:
        data = disk.read_bytes(path)
    except OSError:
        return False
    if b"alembic" not in data:
        return False
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return b"[tool.alembic" in data
    return isinstance(tool, dict) and "alembic" in tool


@dataclass(frozen=True)
class _Toml:
    """A pyproject.toml as Alembic reads it (Config.toml_alembic_config)."""

    path: Path
    text: str
    table: dict[str, Any]  # [tool.alembic]; empty when absent or when the file cannot be read
    issue: ConfigIssue | None  # why reading it fails, which fails every Alembic command


def _read_toml(path: Path | None, disk: Disk) -> _Toml | None:
    if path is None or not disk.is_file(path):
        return None
    try:
        data = disk.read_bytes(path)
    except OSError as exc:
        return _Toml(path, "", {}, ConfigIssue("parse", f"cannot read {path.name}: {exc.strerror or exc}", path, 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Toml(path, "", {}, _undecodable(path, data, exc))
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        return _Toml(path, text, {}, ConfigIssue("parse", f"{path.name} is not valid TOML: {exc}", path, line))
    except RecursionError:
        return _Toml(path, text, {}, ConfigIssue("parse", f"{path.name} is not valid TOML: arrays or tables nested too deeply to read", path, 1))
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        # toml_data.get("tool", {}).get("alembic", {}) on a list or a number.
        return _Toml(path, text, {}, ConfigIssue(
            "invalid",
            f"`tool` in {path.name} is not a table, so Alembic fails reading [tool.alembic] with "
            f"\"AttributeError: '{type(tool).__name__}' object has no attribute 'get'\"",
            path, _line_of(text, None, "tool"),
        ))
    table = tool.get("alembic", {})
    if not isinstance(table, dict):
        return _Toml(path, text, {}, ConfigIssue(
            "invalid", "`[tool.alembic]` is not a table: Alembic raises \"Incorrect TOML format\"", path, _line_of(text, "tool", "alembic")
        ))
    return _Toml(path, text, table, None)


def _undecodable(path: Path, data: bytes, exc: UnicodeDecodeError) -> ConfigIssue:
    line = data[: exc.start].count(b"\n") + 1
    return ConfigIssue(
        "parse",
        f"{path.name} is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}): Alembic reads it in the locale's "
        "encoding and fails with UnicodeDecodeError wherever that is UTF-8",
        path,
        line,
    )


def _line_from_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def _environments_from(
    ini: Path | None, toml_path: Path | None, section: str | None, explicit: bool, disk: Disk
) -> list[Environment]:
    toml = _read_toml(toml_path, disk)
    parser: configparser.ConfigParser | None = None
    ini_text = ""
    parse_issue: ConfigIssue | None = None
    if ini is not None:
        parser = configparser.ConfigParser(defaults={"here": ini.parent.absolute().as_posix()})
        try:
            data = disk.read_bytes(ini)
            ini_text = data.decode("utf-8")
            parser.read_string(ini_text, source=ini.name)  # messages name the file, not where it is checked out
        except UnicodeDecodeError as exc:
            parse_issue = _undecodable(ini, data, exc)
            parser = None
        except configparser.Error as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            parse_issue = ConfigIssue("parse", f"{ini.name} does not parse: {' '.join(str(exc).split())}", ini, line)
            parser = None
        except OSError as exc:
            parse_issue = ConfigIssue("parse", f"cannot read {ini.name}: {exc.strerror or exc}", ini, 1)
            parser = None
    base_dir = (ini or toml_path or Path(".")).parent

    if parser is None:
        sections: list[str | None] = [section or "alembic"] if ini is not None else [None]
    elif section is not None:
        if not parser.has_section(section) and explicit:
            raise ConfigError(f"{ini}: no [{section}] section")
        sections = [section]
    else:
        sections = []
        for name in parser.sections():
            if NON_ENV_SECTIONS.match(name):
                continue
            own_keys = set(parser._sections.get(name, {}))  # type: ignore[attr-defined]
            if name == "alembic" or "script_location" in own_keys:
                sections.append(name)
        if "alembic" in sections and len(sections) > 1 and not parser.has_option("alembic", "script_location"):
            # Only `-n <name>` works with this file: [alembic] holds shared settings, not an environment.
            sections.remove("alembic")
        if not sections:
            sections = ["alembic"]

    # The alembic command reads alembic.ini by default: a missing [alembic] section there fails
    # every command. Other .ini files may hold anything (one named with -c and holding no
    # environment is said to have checked nothing).
    required = ini is not None and ini.name == "alembic.ini"
    result = []
    toml_issue = toml.issue if toml is not None else None
    for env_section in sections:
        env = _environment(ini, ini_text, parser, env_section, toml, base_dir, disk, required)
        if env is None:
            continue
        if parse_issue is not None:
            env.issues.append(parse_issue)
        # Flask-Migrate builds its Config from the ini alone; Alembic reads pyproject.toml as soon
        # as the ini leaves an option it looks up to [tool.alembic].
        if toml_issue is not None and not env.flask_migrate and _reads_toml(parser, env_section):
            env.issues.append(toml_issue)
        result.append(env)
    if not result and (parse_issue or toml_issue):
        issue = parse_issue or toml_issue
        assert issue is not None
        result.append(
            Environment(
                name=issue.path.name, config_path=issue.path, section=None, script_location=None,
                issues=[issue], anchor=(issue.path, issue.line),
            )
        )
    return result


# What ScriptDirectory.from_config looks up with get_alembic_option or the boolean accessor:
# each one the ini section lacks is looked up in [tool.alembic].
_ALEMBIC_OPTIONS = (
    "script_location", "truncate_slug_length", "recursive_version_locations", "file_template", "sourceless",
    "output_encoding", "timezone",
)


def _reads_toml(parser: configparser.ConfigParser | None, section: str | None) -> bool:
    """Whether Alembic reads pyproject.toml for this ini section (every command then fails when
    it cannot): some option is not in the section, a list option is empty there, or the ini has
    no [post_write_hooks]."""
    if parser is None:
        return True
    section = section or "alembic"
    if any(not parser.has_option(section, key) for key in _ALEMBIC_OPTIONS):
        return True
    if any(not parser.get(section, key, raw=True, fallback=None) for key in ("prepend_sys_path", "version_locations")):
        return True
    return not parser.has_section("post_write_hooks")


def _environment(
    ini: Path | None,
    ini_text: str,
    parser: configparser.ConfigParser | None,
    section: str | None,
    toml_file: _Toml | None,
    base_dir: Path,
    disk: Disk,
    required: bool = False,
) -> Environment | None:
    toml = toml_file.path if toml_file is not None else None
    toml_data = toml_file.table if toml_file is not None else {}
    toml_text = toml_file.text if toml_file is not None else ""
    values = _Values(parser, section, toml_data, toml)
    issues: list[ConfigIssue] = []
    config_path = ini if ini is not None else toml
    label = config_path.name if config_path else "?"
    name = f"{label} [{section}]" if section and section != "alembic" else label

    def ini_value(key: str) -> tuple[str | None, int]:
        try:
            return values.ini(key), _line_of(ini_text, section, key)
        except configparser.Error as exc:
            line = _line_of(ini_text, section, key)
            issues.append(ConfigIssue("invalid", f"`{key}` cannot be interpolated: {' '.join(str(exc).split())}", ini or base_dir, line))  # type: ignore[arg-type]
            return None, line

    script_value, script_line = ini_value("script_location")
    if script_value is not None and TEMPLATE_PLACEHOLDER.search(script_value):
        # A template the application formats before handing it to Alembic (JupyterHub writes
        # `script_location = {alembic_dir}`): the location is only known at run time.
        return None
    script_source = ini
    flask_migrate = False
    flask_env = ini is not None and section in (None, "alembic") and _flask_migrate_env(ini.parent / "env.py", disk)
    if flask_env and script_value is not None:
        # Flask-Migrate builds its Config from <directory>/alembic.ini, then sets script_location
        # to that directory (flask_migrate.Migrate.get_config): the ini's own value is never used.
        script_value = None
    if script_value is None and "script_location" in toml_data and not flask_env:
        script_line = _line_of(toml_text, "tool.alembic", "script_location")
        script_source = toml
        try:
            formatted = _toml_value(toml_data["script_location"], toml.parent)  # type: ignore[union-attr]
        except (_Unsupported, KeyError, ValueError, TypeError, AttributeError) as exc:
            formatted = exc
        if isinstance(formatted, str):
            script_value = formatted
        else:
            # Alembic fails formatting it, or coerce_resource_to_filename() on a number or a list.
            why = f": Alembic fails with {_failure('script_location', formatted)}" if isinstance(formatted, Exception) else ""
            issues.append(ConfigIssue("invalid", f"`script_location` in [tool.alembic] must be a string{why}", toml, script_line))  # type: ignore[arg-type]
            return Environment(name, config_path, section, None, issues=issues, anchor=(toml, script_line))  # type: ignore[arg-type]
    if script_value is None:
        if ini is not None and disk.is_file(ini.parent / "env.py"):
            # Flask-Migrate: migrations/alembic.ini has no script_location; the app sets it to the folder.
            flask_migrate = True
            script_path: Path | None = ini.parent
            name = f"{ini.parent.name}/{ini.name} (Flask-Migrate)"
        elif section not in (None, "alembic") or (ini is None and not toml_data):
            return None
        elif ini is not None and (parser is None or (not parser.has_section(section or "alembic") and not required)):
            return None
        else:
            issues.append(ConfigIssue("invalid", "no `script_location` in the configuration: every Alembic command fails with \"No 'script_location' key found in configuration.\"", config_path or base_dir, 1))
            return Environment(name, config_path, section, None, issues=issues, anchor=(config_path or base_dir, 1))
    else:
        script_path = _resolve_location(
            script_value, base_dir, "script_location", script_source or base_dir, script_line, issues, values, disk
        )
        # Like os.path.isdir, not Path.is_dir: a segment over 255 bytes is "doesn't exist" for
        # Alembic (os.access), an OSError for pathlib.
        if script_path is not None and not disk.is_dir(script_path):
            issues.append(ConfigIssue("invalid", f"`script_location` names {_display(script_path)}, which does not exist: Alembic fails with \"Path doesn't exist\"", script_source or base_dir, script_line, subject=(_display(script_path),)))

    env = Environment(name, config_path, section, script_path, issues=issues, flask_migrate=flask_migrate)
    env.anchor = (script_source or config_path or base_dir, script_line if script_value is not None else 1)

    env.recursive = _boolean(values, "recursive_version_locations", ini, ini_text, toml, toml_text, issues)
    env.sourceless = _boolean(values, "sourceless", ini, ini_text, toml, toml_text, issues)
    _check_prepend_separator(values, ini, ini_text, issues)
    if not flask_migrate:
        issues.extend(_option_issues(values, ini, ini_text, toml_file))
    env.version_locations = _version_locations(values, env, ini, ini_text, toml, toml_text, base_dir, issues, disk)
    return env


_READ_ERRORS = (_Unsupported, KeyError, ValueError, TypeError, AttributeError)


def _option_issues(values: _Values, ini: Path | None, ini_text: str, toml: _Toml | None) -> list[ConfigIssue]:
    """The other options ScriptDirectory.from_config reads, and what stops it there: an ini value
    that cannot be interpolated, a [tool.alembic] value Alembic cannot format or use, a
    `truncate_slug_length` that is not a number, post-write hooks it cannot read."""
    issues: list[ConfigIssue] = []
    section = values.section or "alembic"
    parser = values.parser

    def ini_issue(key: str, exc: Exception) -> None:
        issues.append(ConfigIssue(
            "invalid", f"`{key}` cannot be interpolated: {' '.join(str(exc).split())}", ini, _line_of(ini_text, section, key)  # type: ignore[arg-type]
        ))

    def toml_issue(key: str, exc: Exception) -> None:
        assert toml is not None
        issues.append(ConfigIssue(
            "invalid", f"`{key}` in [tool.alembic] cannot be read: Alembic fails with {_failure(key, exc)}",
            toml.path, _line_of(toml.text, "tool.alembic", key),
        ))

    def option(key: str, in_ini: bool) -> tuple[Any, Path | None, int] | None:
        """(value, file, line) as Alembic reads it, or None: absent, or failing (an issue)."""
        if in_ini and parser is not None:
            try:
                return parser.get(section, key), ini, _line_of(ini_text, section, key)
            except configparser.Error as exc:
                ini_issue(key, exc)
                return None
        if toml is None or key not in toml.table:
            return None
        try:
            return _toml_value(toml.table[key], toml.path.parent), toml.path, _line_of(toml.text, "tool.alembic", key)
        except _READ_ERRORS as exc:
            toml_issue(key, exc)
            return None

    for key in ("truncate_slug_length", "file_template", "output_encoding", "timezone"):
        found = option(key, parser is not None and parser.has_option(section, key))
        if key == "truncate_slug_length" and found is not None:
            value, where, line = found
            try:
                int(value)
            except (TypeError, ValueError) as exc:
                issues.append(ConfigIssue(
                    "invalid", f"`truncate_slug_length = {value}` is not a number: Alembic fails with \"{exc}\"", where, line  # type: ignore[arg-type]
                ))
    try:
        in_ini = parser is not None and bool(parser.get(section, "prepend_sys_path", fallback=None))
    except configparser.Error as exc:
        ini_issue("prepend_sys_path", exc)
    else:
        found = option("prepend_sys_path", in_ini) if not in_ini else None
        if found is not None:
            try:
                iter(found[0])  # sys.path[:0] = value
            except TypeError as exc:
                toml_issue("prepend_sys_path", exc)
    if parser is not None and parser.has_section("post_write_hooks"):
        try:
            dict(parser.items("post_write_hooks"))
        except configparser.Error as exc:
            ini_issue("post_write_hooks", exc)
    else:
        found = option("post_write_hooks", False)
        if found is not None:
            try:
                for hook in found[0]:  # Config.get_hooks_list
                    dict(hook).pop("name")
            except _READ_ERRORS as exc:
                toml_issue("post_write_hooks", exc)
    return issues


def _boolean(values: _Values, key: str, ini: Path | None, ini_text: str, toml: Path | None, toml_text: str, issues: list[ConfigIssue]) -> bool:
    """Alembic's get_alembic_boolean_option: exactly `true` in the ini, a real bool in TOML."""
    raw = values.raw_ini(key)
    if raw is not None:
        stripped = raw.strip()
        if stripped not in ("true", "false"):
            line = _line_of(ini_text, values.section, key)
            issues.append(
                ConfigIssue(
                    "boolean",
                    f"`{key} = {stripped}` is read as false: Alembic treats only the exact string `true` as true",
                    ini,  # type: ignore[arg-type]
                    line,
                    subject=(key, stripped),
                )
            )
        return stripped == "true"
    if key in values.toml:
        value = values.toml[key]
        if not isinstance(value, bool):
            issues.append(ConfigIssue("invalid", f"`{key}` in [tool.alembic] must be true or false: Alembic raises \"boolean value expected for TOML parameter\"", toml, _line_of(toml_text, "tool.alembic", key)))  # type: ignore[arg-type]
            return False
        return value
    return False


def _resolve_location(
    value: str, base_dir: Path, key: str, source: Path, line: int, issues: list[ConfigIssue], values: _Values, disk: Disk
) -> Path | None:
    """coerce_resource_to_filename, statically: `pkg:dir` is looked up, plain paths are CWD-relative."""
    value = value.strip()
    if not os.path.isabs(value) and ":" in value:
        package, *parts = value.split(":")
        for root in _sys_path_roots(values, base_dir, disk):
            package_dir = root.joinpath(*package.split("."))
            if disk.is_dir(package_dir):
                return package_dir.joinpath(*parts)
        issues.append(ConfigIssue("invalid", f"`{key} = {value}` names package `{package}`, which is not found under the project", source, line, subject=(value,)))
        return None
    if not os.path.isabs(value):
        issues.append(
            ConfigIssue(
                "cwd-relative",
                f"`{key} = {value}` is relative to the working directory Alembic runs in, not to {source.name}: "
                f"it only works when alembic runs from {_display_dir(base_dir, source.name)}",
                source,
                line,
                subject=(key, value),
            )
        )
        return (base_dir / value).absolute()
    return Path(value)


def _display_dir(path: Path, config_name: str) -> str:
    rel = _display(path)
    return f"the directory holding {config_name}" if rel == "." else f"`{rel}/` (where {config_name} is)"


def _sys_path_roots(values: _Values, base_dir: Path, disk: Disk) -> list[Path]:
    """Where `import package` may find the project's own package: prepend_sys_path, the config's
    folder, then each parent folder (and its src/) up to the project root (pyproject.toml, setup.py,
    setup.cfg or .git), as an editable install or the working directory would provide it."""
    roots = [base_dir, base_dir / "src"]
    if not any(disk.exists(base_dir / marker) for marker in PROJECT_MARKERS):
        for parent in base_dir.parents:
            roots += [parent, parent / "src"]
            if any(disk.exists(parent / marker) for marker in PROJECT_MARKERS):
                break
    raw = values.ini("prepend_sys_path")
    entries: list[str] = []
    if raw:
        entries = [e for e in re.split(r"[ ,:;\n]+", raw) if e]
    elif isinstance(values.toml.get("prepend_sys_path"), list):
        entries = [str(e) for e in values.toml["prepend_sys_path"]]
    for entry in entries:
        entry = entry.replace("%(here)s", base_dir.as_posix())
        roots.insert(0, Path(entry) if os.path.isabs(entry) else base_dir / entry)
    return roots


def _version_locations(
    values: _Values,
    env: Environment,
    ini: Path | None,
    ini_text: str,
    toml: Path | None,
    toml_text: str,
    base_dir: Path,
    issues: list[ConfigIssue],
    disk: Disk,
) -> list[Path]:
    default = [env.script_location / "versions"] if env.script_location is not None else []
    try:
        raw = values.ini("version_locations")
    except configparser.Error as exc:
        issues.append(ConfigIssue("invalid", f"`version_locations` cannot be interpolated: {' '.join(str(exc).split())}", ini, _line_of(ini_text, values.section, "version_locations")))  # type: ignore[arg-type]
        return default
    line = _line_of(ini_text, values.section, "version_locations")
    items: list[str]
    source: Path
    if raw:
        source = ini  # type: ignore[assignment]
        split = _split_locations(values, raw, ini, ini_text, line, issues)  # type: ignore[arg-type]
        if split is None:
            return []
        items = split
    elif "version_locations" in values.toml:
        source = toml  # type: ignore[assignment]
        line = _line_of(toml_text, "tool.alembic", "version_locations")
        try:
            formatted = _toml_value(values.toml["version_locations"], toml.parent)  # type: ignore[union-attr]
            if formatted and not isinstance(formatted, (str, dict)) and not all(isinstance(item, str) for item in formatted):
                raise TypeError(f"expected str, bytes or os.PathLike object, not {type(formatted[0]).__name__}")
        except _READ_ERRORS as exc:
            issues.append(ConfigIssue("invalid", f"`version_locations` in [tool.alembic] cannot be read: Alembic fails with {_failure('version_locations', exc)}", source, line))
            return default
        if not formatted:
            return default  # an empty list: Alembic uses <script_location>/versions
        if not isinstance(formatted, list):
            issues.append(ConfigIssue(
                "missing-location",
                "`version_locations` in [tool.alembic] is not a list: Alembic takes each of its characters for a "
                "location and loads no revision from the default versions folder",
                source, line, subject=("not-a-list",),
            ))
            return []
        items = formatted
    else:
        return default
    result = []
    for item in items:
        path = _resolve_location(item, base_dir, "version_locations", source, line, issues, values, disk)
        if path is None:
            continue
        try:
            _exists_or_raise(path, disk)  # as ScriptDirectory._load_revisions does: it raises on a name too long here
        except OSError as exc:
            issues.append(ConfigIssue(
                "invalid", f"version location {_display(path)} cannot be looked up: Alembic fails with OSError: {exc.strerror or exc}",
                source, line, subject=(_display(path),),
            ))
            continue
        if not disk.is_dir(path):
            issues.append(ConfigIssue("missing-location", f"version location {_display(path)} does not exist: Alembic skips it silently", source, line, subject=(_display(path),)))
        result.append(path)
    return result


def _exists_or_raise(path: Path, disk: Disk) -> bool:
    """Path.exists() as Python 3.11 and 3.12 have it: False for a missing path, an OSError for any
    other failure (a name too long for the file system)."""
    try:
        disk.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise
    return True


def _flask_migrate_env(env_py: Path, disk: Disk) -> bool:
    """Whether env.py is Flask-Migrate's: its code takes the database from
    `current_app.extensions["migrate"]`, so it only runs under `flask db`, never under a plain
    `alembic` command (tasking-manager keeps that line commented out: it does not count)."""
    try:
        data = disk.read_bytes(env_py)
    except OSError:
        return False
    if b"current_app" not in data:
        return False
    from driftlint.source import parse_python

    tree, _error = parse_python(data)  # never a warning on stderr, never an exception
    if tree is None:
        return False
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "extensions"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "current_app"
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == "migrate"
        ):
            return True
    return False


def _display(path: Path) -> str:
    """A path as messages show it: relative to the working directory, unless that climbs to the
    file system's root (`/usr/src/app/migrations`, not `../../../usr/src/app/migrations`)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    parts = rel.split(os.sep)
    ups = next((index for index, part in enumerate(parts) if part != ".."), len(parts))
    if ups and ups >= len(Path(os.path.abspath(os.curdir)).parts) - 1:
        return Path(os.path.abspath(path)).as_posix()
    return rel.replace(os.sep, "/")


def _split_locations(values: _Values, raw: str, ini: Path, ini_text: str, line: int, issues: list[ConfigIssue]) -> list[str] | None:
    """config.py get_version_locations_list / _get_file_separator_char, warnings included."""
    key = None
    for candidate in ("path_separator", "version_path_separator"):
        if values.ini(candidate) is not None:
            key = candidate
            break
    if key is None:
        issues.append(
            ConfigIssue(
                "deprecated-separator",
                "no `path_separator` is set, so Alembic falls back to the deprecated split of `version_locations` on spaces and commas (and warns); add `path_separator = os`",
                ini,
                line,
                subject=("legacy-split",),
            )
        )
        return LEGACY_SPLIT.split(raw)
    separator_value = values.ini(key) or ""
    sep_line = _line_of(ini_text, values.section, key)
    if key == "version_path_separator":
        issues.append(
            ConfigIssue("deprecated-separator", "`version_path_separator` is deprecated since Alembic 1.16; use `path_separator`", ini, sep_line, subject=(key,))
        )
    if separator_value == "os":
        separator = os.pathsep
        other = ";" if separator == ":" else ":"
        if other in raw and separator not in raw.replace("%(here)s", ""):
            issues.append(
                ConfigIssue(
                    "cwd-relative",
                    f"`{key} = os` splits on `{separator}` on this system but the locations are separated by `{other}`: the list only works on {'Windows' if other == ';' else 'POSIX'}",
                    ini,
                    sep_line,
                    subject=(key, "os"),
                )
            )
    elif separator_value in SEPARATORS:
        separator = SEPARATORS[separator_value]
    else:
        issues.append(_invalid_separator(key, separator_value, ini, sep_line))
        # Alembic stops here. When only an inline comment spoils the value, keep checking the
        # history with the separator the line names, so the graph findings still show.
        intended = separator_value.split("#", 1)[0].strip()
        if intended == "os":
            separator = os.pathsep
        elif intended in SEPARATORS:
            separator = SEPARATORS[intended]
        else:
            return None
    return [item.strip() for item in raw.split(separator) if item.strip()]


def _invalid_separator(key: str, value: str, ini: Path, line: int) -> ConfigIssue:
    return ConfigIssue(
        "invalid",
        f"{value!r} is not a valid value for {key}; expected 'space', 'newline', 'os', ':', ';' (Alembic raises ValueError; an inline `#` comment is part of the value in .ini files)",
        ini,
        line,
        subject=(key, value),
    )


def _check_prepend_separator(values: _Values, ini: Path | None, ini_text: str, issues: list[ConfigIssue]) -> None:
    """from_config splits `prepend_sys_path` with `path_separator` before anything else, so a bad
    value breaks every command even when `version_locations` is unset (config.py get_prepend_sys_paths_list)."""
    try:
        raw = values.ini("prepend_sys_path")
        value = values.ini("path_separator")
    except configparser.Error:
        return
    if ini is None or not raw or value is None or value == "os" or value in SEPARATORS:
        return
    issues.append(_invalid_separator("path_separator", value, ini, _line_of(ini_text, values.section, "path_separator")))


def _declared_environment(declared: DeclaredEnvironment, settings: Settings, disk: Disk) -> Environment:
    base = settings.root
    source = settings.source or base
    script = Path(declared.script_location)
    script = script if script.is_absolute() else base / script
    versions = [Path(v) if Path(v).is_absolute() else base / v for v in declared.version_locations] or [script / "versions"]
    env = Environment(
        name=declared.name,
        config_path=settings.source,
        section=None,
        script_location=script,
        version_locations=versions,
        recursive=declared.recursive_version_locations,
        sourceless=declared.sourceless,
        anchor=(source, 1),
        declared=True,
    )
    for path in [script, *versions]:
        if not disk.is_dir(path):
            env.issues.append(
                ConfigIssue(
                    "missing-location", f"environment `{declared.name}` declares `{_display(path)}`, which does not exist",
                    source, 1, subject=(_display(path),),
                )
            )
    return env


def _orphan_script_dirs(paths: list[Path], settings: Settings, claimed: set[Path], disk: Disk) -> Iterator[Path]:
    """Folders that look like an Alembic script directory (env.py + script.py.mako + versions/) no config names."""
    for root, dirs, files in walk_project(paths, settings, disk):
        if "env.py" in files and "script.py.mako" in files and "versions" in dirs:
            if _safe_resolve(root, disk) not in claimed:
                yield root
