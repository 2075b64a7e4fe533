"""DL001 parse-error: a file driftlint must read does not parse."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import HEADER, MODULE, PARSE_ERROR, FileFacts
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import config_issues

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The lower bound of a requires-python specifier (`>=3.12`, `~=3.12.1`, `==3.14.*`, `>3.11`).
_LOWER_BOUND = re.compile(r"(>=|~=|==|>)\s*(\d+)\.(\d+)")
# Ruff's target-version: `py313`.
_RUFF_TARGET = re.compile(r"^py(\d)(\d+)$")
# A `.python-version` line: `3.14.7`, `3.14`, `cpython-3.13`, `pypy3.10-7.3.17`.
_PYTHON_VERSION = re.compile(r"^\s*(?:cpython-|python|pypy)?(\d+)\.(\d+)")


@dataclass(frozen=True)
class Target:
    """The oldest Python the project says it runs on, and where it says so."""

    version: tuple[int, int]
    text: str
    path: Path
    line: int


class ParseErrorRule(Rule):
    code = "DL001"
    name = "parse-error"
    summary = "A file driftlint must read does not parse"
    reads = frozenset({PARSE_ERROR, HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        running = sys.version_info[:2]
        targets: dict[Path, Target | None] = {}
        newer: dict[Target, list[FileFacts]] = {}
        newer_syntax: dict[tuple[int, int], list[FileFacts]] = {}
        for facts in project.files.values():
            error = facts.parse_error
            if error is None:
                continue
            if error.template and facts.kind == MODULE:
                continue  # a Jinja/Cookiecutter template is not a module anything imports
            target = _target_python(facts.path.parent, project.root, targets)
            if target is not None and target.version > running and error.message.startswith("SyntaxError"):
                # Valid code for the project's Python may not parse with the interpreter driftlint
                # runs on (PEP 701 f-strings, PEP 695 `type`, PEP 758 `except A, B:`).
                newer.setdefault(target, []).append(facts)
                continue
            if error.newer is not None and error.newer > running and target is None:
                # No declaration says so, but the failing line is a newer Python's syntax (Read
                # the Docs targets 3.14 in tox.ini alone): the file is not broken, driftlint's
                # interpreter is too old for it. A project that declares an older Python than
                # that syntax needs has a real error, reported as one.
                newer_syntax.setdefault(error.newer, []).append(facts)
                continue
            what = "revision file" if facts.kind == "revision" else "file"
            unreadable = error.message.startswith("cannot read file: ")
            yield self.diagnostic(
                f"Cannot {'read' if unreadable else 'parse'} {what}: {error.message.removeprefix('cannot read file: ')}",
                project.relpath(facts.path),
                (error.row, error.column, error.row, error.column),
                fix_title="Make the file readable (or remove a broken symlink)" if unreadable else "Fix the syntax error",
                subject=(error.message,),
            )
        for target, files in sorted(newer.items(), key=lambda item: str(item[0].path)):
            yield from self._newer_syntax(project, target, files, running)
        for version, files in sorted(newer_syntax.items()):
            yield self._undeclared_newer_syntax(project, version, files, running)
        for issue in config_issues(project, "parse"):
            yield self.diagnostic(
                f"Cannot parse Alembic configuration: {issue.message}",
                project.relpath(issue.path),
                issue.span,
                fix_title="Fix the configuration file",
                subject=(issue.message,),
            )

    def _newer_syntax(self, project: Project, target: Target, files: list[FileFacts], running: tuple[int, int]) -> Iterator[Diagnostic]:
        """One finding per target declaration: the project is fine, driftlint's interpreter is too old."""
        files = sorted(files, key=lambda f: project.relpath(f.path))
        first = files[0]
        assert first.parse_error is not None
        revisions = sum(1 for f in files if f.kind == "revision")
        also = f", {revisions} of them revision files" if revisions else ""
        version = ".".join(map(str, target.version))
        count = f"{len(files)} files do" if len(files) != 1 else "1 file does"
        diagnostic = self.diagnostic(
            f"{count} not parse with Python {running[0]}.{running[1]}, which driftlint runs on, while the project "
            f"targets Python {target.text}{also}: driftlint does not check them "
            f"(first: {project.relpath(first.path)}:{first.parse_error.row}: {first.parse_error.message})",
            project.relpath(target.path),
            (target.line, 1, target.line, 1),
            fix_title=f"Run driftlint with Python {version} or newer",
            context=[("Files not checked", [f"{project.relpath(f.path)}:{f.parse_error.row}: {f.parse_error.message}" for f in files if f.parse_error])],
            subject=("newer-python", target.text),
        )
        yield diagnostic.with_severity(Severity.WARNING)


    def _undeclared_newer_syntax(
        self, project: Project, version: tuple[int, int], files: list[FileFacts], running: tuple[int, int]
    ) -> Diagnostic:
        """One finding per Python version whose syntax files use, at the first such file."""
        files = sorted(files, key=lambda f: project.relpath(f.path))
        first = files[0]
        error = first.parse_error
        assert error is not None
        wanted = ".".join(map(str, version))
        count = f"{len(files)} files use" if len(files) != 1 else "1 file uses"
        diagnostic = self.diagnostic(
            f"{count} Python {wanted} syntax, which Python {running[0]}.{running[1]} (the one driftlint runs on) cannot "
            f"parse: driftlint does not check them (here: {error.feature})",
            project.relpath(first.path),
            (error.row, error.column, error.row, error.column),
            fix_title=f"Run driftlint with Python {wanted} or newer",
            context=[
                ("Files not checked", [f"{project.relpath(f.path)}:{f.parse_error.row}: {f.parse_error.feature}" for f in files if f.parse_error])
            ],
            subject=("newer-syntax", wanted),
        )
        return diagnostic.with_severity(Severity.WARNING)


def _target_python(folder: Path, root: Path, cache: dict[Path, Target | None]) -> Target | None:
    """The nearest requires-python (pyproject.toml), Ruff target-version or .python-version from `folder` up to the root."""
    chain: list[Path] = []
    current = folder
    found: Target | None = None
    while True:
        if current in cache:
            found = cache[current]
            break
        chain.append(current)
        found = _declared_in(current)
        if found is not None or current == root or current.parent == current or root not in current.parents:
            break
        current = current.parent
    for visited in chain:
        cache[visited] = found
    return found


def _declared_in(folder: Path) -> Target | None:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8", errors="replace")
            data = tomllib.loads(text)
        except (OSError, tomllib.TOMLDecodeError):
            data, text = {}, ""
        project = data.get("project")
        spec = project.get("requires-python") if isinstance(project, dict) else None
        if isinstance(spec, str):
            bounds = [(int(m.group(2)), int(m.group(3))) for m in _LOWER_BOUND.finditer(spec)]
            if bounds:
                line = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith("requires-python")), 1)
                return Target(max(bounds), spec.strip(), pyproject, line)
    for ruff in (folder / "ruff.toml", folder / ".ruff.toml", pyproject):
        # Ruff's target-version (`py313`), in its own file or under [tool.ruff].
        if not ruff.is_file():
            continue
        try:
            text = ruff.read_text(encoding="utf-8", errors="replace")
            data = tomllib.loads(text)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        tool = data.get("tool") if ruff.name == "pyproject.toml" else None
        table = (tool.get("ruff") if isinstance(tool, dict) else None) if ruff.name == "pyproject.toml" else data
        target = table.get("target-version") if isinstance(table, dict) else None
        match = _RUFF_TARGET.match(target) if isinstance(target, str) else None
        if match:
            line = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith("target-version")), 1)
            version = (int(match.group(1)), int(match.group(2)))
            return Target(version, f"{version[0]}.{version[1]} (Ruff target-version {target})", ruff, line)
    version_file = folder / ".python-version"
    if version_file.is_file():
        try:
            lines = version_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        for number, line in enumerate(lines, 1):
            match = _PYTHON_VERSION.match(line)
            if match:
                return Target((int(match.group(1)), int(match.group(2))), line.strip(), version_file, number)
    return None
