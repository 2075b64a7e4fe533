"""Which Python a project targets, and the files driftlint's own Python cannot parse because of it."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from driftlint.facts.model import MODULE, REVISION
from driftlint.inputs import UNRECORDED, Disk, closest_above

if TYPE_CHECKING:
    from driftlint.facts.model import FileFacts
    from driftlint.project import Project

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




@dataclass
class Unparsed:
    """The files that do not parse, sorted by why: syntax of a newer Python than driftlint runs
    on (by the project's declared target, or by the failing line's own syntax when nothing is
    declared), and every other error."""

    running: tuple[int, int]
    newer: dict[Target, list[FileFacts]] = field(default_factory=dict)
    newer_syntax: dict[tuple[int, int], list[FileFacts]] = field(default_factory=dict)
    broken: list[FileFacts] = field(default_factory=list)


def unparsed(project: Project) -> Unparsed:
    found = Unparsed(sys.version_info[:2])
    targets: dict[Path, Target | None] = {}
    for facts in project.files.values():
        error = facts.parse_error
        if error is None:
            continue
        if error.template and facts.kind == MODULE:
            continue  # a Jinja/Cookiecutter template is not a module anything imports
        target = target_python(facts.path.parent, project.root, targets, project.disk)
        if target is not None and target.version > found.running and error.message.startswith("SyntaxError"):
            # Valid code for the project's Python may not parse with the interpreter driftlint
            # runs on (PEP 701 f-strings, PEP 695 `type`, PEP 758 `except A, B:`).
            found.newer.setdefault(target, []).append(facts)
        elif error.newer is not None and error.newer > found.running and target is None:
            # No declaration says so, but the failing line is a newer Python's syntax (Read the
            # Docs targets 3.14 in tox.ini alone): the file is not broken, driftlint's interpreter
            # is too old for it. A project that declares an older Python than that syntax needs
            # has a real error, reported as one.
            found.newer_syntax.setdefault(error.newer, []).append(facts)
        else:
            found.broken.append(facts)
    return found


def newer_python_notices(project: Project) -> list[str]:
    """Lines for stderr about the project's modules (not revision files, which the graph depends on
    and DL001 reports) that driftlint's own Python cannot parse: a limit of the tool, not a fault
    of the project, so never a finding."""
    found = unparsed(project)
    running = ".".join(map(str, found.running))
    lines = []

    def modules(files: list[FileFacts]) -> tuple[int, str, str]:
        names = sorted(project.relpath(f.path) for f in files if f.kind != REVISION)
        return len(names), (names[0] if names else ""), ("it" if len(names) == 1 else "them")

    for target, files in sorted(found.newer.items(), key=lambda item: str(item[0].path)):
        count, first, pronoun = modules(files)
        if count:
            declared = ".".join(map(str, target.version))
            lines.append(
                f"driftlint: warning: {count} {'module does' if count == 1 else 'modules do'} not parse with Python"
                f" {running}, which driftlint runs on, while the project targets Python {target.text}: driftlint did"
                f" not check {pronoun} (first: {first}); run driftlint with Python {declared} or newer"
            )
    for version, files in sorted(found.newer_syntax.items()):
        count, first, pronoun = modules(files)
        if count:
            wanted = ".".join(map(str, version))
            lines.append(
                f"driftlint: warning: {count} {'module uses' if count == 1 else 'modules use'} Python {wanted} syntax,"
                f" which Python {running} (the one driftlint runs on) cannot parse: driftlint did not check {pronoun}"
                f" (first: {first}); run driftlint with Python {wanted} or newer"
            )
    return lines


def target_python(folder: Path, root: Path, cache: dict[Path, Target | None], disk: Disk = UNRECORDED) -> Target | None:
    """The nearest requires-python (pyproject.toml), Ruff target-version or .python-version from `folder` up to the root."""
    return closest_above(
        folder, lambda current: _declared_in(current, disk), lambda current: current == root or root not in current.parents, cache
    )


def _declared_in(folder: Path, disk: Disk) -> Target | None:
    pyproject = folder / "pyproject.toml"
    if disk.is_file(pyproject):
        try:
            text = disk.read_text(pyproject, encoding="utf-8", errors="replace")
            data = tomllib.loads(text)
        except (OSError, tomllib.TOMLDecodeError, RecursionError):
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
        if not disk.is_file(ruff):
            continue
        try:
            text = disk.read_text(ruff, encoding="utf-8", errors="replace")
            data = tomllib.loads(text)
        except (OSError, tomllib.TOMLDecodeError, RecursionError):
            continue
        tool = data.get("tool") if ruff.name == "pyproject.toml" else None
        table = (tool.get("ruff") if isinstance(tool, dict) else None) if ruff.name == "pyproject.toml" else data
        target = table.get("target-version") if isinstance(table, dict) else None
        match = _RUFF_TARGET.match(target) if isinstance(target, str) else None
        if match:
            row = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith("target-version")), 1)
            version = (int(match.group(1)), int(match.group(2)))
            return Target(version, f"{version[0]}.{version[1]} (Ruff target-version {target})", ruff, row)
    version_file = folder / ".python-version"
    if disk.is_file(version_file):
        try:
            lines = disk.read_text(version_file, encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        for number, entry in enumerate(lines, 1):
            found = _PYTHON_VERSION.match(entry)
            if found:
                return Target((int(found.group(1)), int(found.group(2))), entry.strip(), version_file, number)
    return None
