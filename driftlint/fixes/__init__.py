"""Automatic fixes: findings become lossless file edits, previewed as a diff or written only on request."""

from __future__ import annotations

import difflib
import importlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Protocol

from driftlint.diagnostics import Diagnostic
from driftlint.engine import CheckOptions, CheckResult, run_check
from driftlint.project import Project, display_path

# Rule code -> "module:function"; the function is a Fixer. A missing module means the rule's
# fix is not available in this build (its rule may not exist either), never an error.
FIXERS = {
    "DL101": "driftlint.fixes.merge_heads:fix_multiple_heads",
    "DL201": "driftlint.fixes.depends_on:fix_cross_branch_reference",
    "DL401": "driftlint.fixes.matview_registry:fix_registry_drift",
}
# A fix can make another finding appear or disappear (a merge revision changes the heads); the
# check runs again on the edited files until nothing more is fixable.
MAX_PASSES = 4


class FixError(Exception):
    """A finding that cannot be fixed automatically; the message says why."""


class Fixer(Protocol):
    def __call__(self, diagnostic: Diagnostic, project: Project, files: Workspace) -> str: ...


class Workspace:
    """File contents with the edits planned so far applied; nothing touches the disk."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.pending: dict[Path, bytes] = {}

    def absolute(self, relpath: str | Path) -> Path:
        return Path(os.path.normpath(self.cwd / relpath))

    def read(self, path: Path) -> bytes | None:
        return self.pending[path] if path in self.pending else _disk(path)

    def write(self, path: Path, data: bytes) -> None:
        self.pending[path] = data

    def edits(self) -> list[FileEdit]:
        result = []
        for path in sorted(self.pending):
            before = _disk(path)
            if before != self.pending[path]:
                result.append(FileEdit(path, before, self.pending[path]))
        return result


def _disk(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


@dataclass(frozen=True)
class FileEdit:
    path: Path  # absolute
    before: bytes | None  # None: the fix creates the file
    after: bytes


@dataclass(frozen=True)
class Skipped:
    diagnostic: Diagnostic
    reason: str


@dataclass
class FixRun:
    """The outcome of fixing: the edits, what each pass fixed, what stays, and the check after."""

    edits: list[FileEdit] = field(default_factory=list)
    fixed: list[tuple[Diagnostic, str]] = field(default_factory=list)  # (finding, what was done)
    skipped: list[Skipped] = field(default_factory=list)
    result: CheckResult | None = None
    remaining: list[Diagnostic] = field(default_factory=list)


def fixer_for(code: str) -> Fixer | None:
    target = FIXERS.get(code)
    if target is None:
        return None
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, attribute)  # type: ignore[no-any-return]


def fixable_codes() -> set[str]:
    return {code for code in FIXERS if fixer_for(code) is not None}


def plan(diagnostics: Sequence[Diagnostic], project: Project, files: Workspace) -> tuple[list[tuple[Diagnostic, str]], list[Skipped]]:
    """Run every available fixer on `diagnostics`, accumulating edits in `files`."""
    fixed: list[tuple[Diagnostic, str]] = []
    skipped: list[Skipped] = []
    for diagnostic in diagnostics:
        fixer = fixer_for(diagnostic.code)
        if fixer is None:
            continue
        try:
            fixed.append((diagnostic, fixer(diagnostic, project, files)))
        except FixError as exc:
            skipped.append(Skipped(diagnostic, str(exc)))
    return fixed, skipped


def fix_project(
    options: CheckOptions,
    report: Callable[[CheckResult], list[Diagnostic]] = lambda result: result.diagnostics,
) -> FixRun:
    """Check, fix what can be fixed, check the edited files again (through the engine overlay),
    until a pass changes nothing. Writes nothing: see `apply_edits`.

    `report` picks the findings to fix from a result (all of them, or only those a baseline lets through).
    """
    run = FixRun()
    files = Workspace(options.cwd.resolve())
    tried: set[str] = set()
    for attempt in range(MAX_PASSES + 1):
        overlay: dict[Path, bytes | None] = {**(options.overlay or {}), **files.pending}
        result = run_check(replace(options, overlay=overlay or None))
        run.result = result
        run.remaining = report(result)
        todo = [d for d in run.remaining if d.fingerprint() not in tried and d.code in FIXERS]
        # The last pass only checks: what it reports is what the edits leave.
        if attempt == MAX_PASSES or result.project is None or not todo:
            break
        before = dict(files.pending)
        fixed, skipped = plan(todo, result.project, files)
        tried.update(d.fingerprint() for d in todo)
        run.fixed.extend(fixed)
        run.skipped.extend(skipped)
        if files.pending == before:
            break
    run.edits = files.edits()
    still_found = {d.fingerprint() for d in run.remaining}
    run.skipped = [s for s in run.skipped if s.diagnostic.fingerprint() in still_found]
    return run


def apply_edits(edits: Sequence[FileEdit]) -> None:
    """Write each edit atomically; a file created by a fix is never written over an existing one."""
    for edit in edits:
        edit.path.parent.mkdir(parents=True, exist_ok=True)
        if edit.before is None and edit.path.exists():
            raise FixError(f"{edit.path}: appeared while fixing; not overwritten")
        fd, temp = tempfile.mkstemp(dir=edit.path.parent, prefix=".driftlint-fix-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(edit.after)
            if edit.before is not None:
                os.chmod(temp, edit.path.stat().st_mode & 0o7777)
            else:
                os.chmod(temp, 0o666 & ~_umask())
            os.replace(temp, edit.path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def unified_diff(edits: Sequence[FileEdit], cwd: Path) -> str:
    """`git diff`-style text: what the fixes would change."""
    out: list[str] = []
    for edit in edits:
        rel = display_path(edit.path, cwd)
        before = _text(edit.before) if edit.before is not None else []
        after = _text(edit.after)
        fromfile = f"a/{rel}" if edit.before is not None else "/dev/null"
        lines = difflib.unified_diff(before, after, fromfile=fromfile, tofile=f"b/{rel}")
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _text(data: bytes) -> list[str]:
    from driftlint.source import decode

    return decode(data).splitlines(keepends=True)
