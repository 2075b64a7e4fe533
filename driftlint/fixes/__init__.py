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
    "DL501": "driftlint.fixes.concurrent_index:fix_concurrent_index",
    "DL502": "driftlint.fixes.concurrent_index:fix_concurrent_index",
    "DL503": "driftlint.fixes.concurrent_index:fix_concurrent_index",
}
# Fixes that can change what the application does at run time, applied only when asked for
# (`--unsafe-fixes`, as Ruff's unsafe fixes): adding a view to the registry makes every refresh
# loop refresh it, which fails where that view is not created yet; building an index that works
# today CONCURRENTLY in an autocommit block changes what a failure leaves behind (an INVALID
# index, the earlier revisions of the run committed). Moving a CONCURRENTLY that fails today out
# of the transaction (DL503) only makes a migration that cannot run, run.
UNSAFE_FIXES = frozenset({"DL401", "DL501", "DL502"})
# A fix can make another finding appear or disappear (a merge revision changes the heads); the
# check runs again on the edited files until nothing more is fixable.
MAX_PASSES = 4


# Fixes that write a new file: a merge revision, named with a new revision id and today's date
# as `alembic merge` names it. JSON output, the same on every run, carries no edits for them.
CREATES_FILE = frozenset({"DL101"})


def carries_edits(code: str) -> bool:
    """Whether JSON output carries this rule's fix as edits (see `suggestions`)."""
    return code in FIXERS and code not in CREATES_FILE


def applicability(code: str) -> str:
    """"safe" (keeps what the project does at run time) or "unsafe" (see UNSAFE_FIXES)."""
    return "unsafe" if code in UNSAFE_FIXES else "safe"


class FixError(Exception):
    """A finding that cannot be fixed automatically; the message says why."""


class Fixer(Protocol):
    def __call__(self, diagnostic: Diagnostic, project: Project, files: Workspace) -> str: ...


class Workspace:
    """File contents with the edits planned so far applied; nothing touches the disk.

    Each file is read from disk once: what an edit was computed from is what `apply_edits`
    compares the file with before replacing it.
    """

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.pending: dict[Path, bytes] = {}
        self.original: dict[Path, bytes | None] = {}

    def absolute(self, relpath: str | Path) -> Path:
        return Path(os.path.normpath(self.cwd / relpath))

    def read(self, path: Path) -> bytes | None:
        if path in self.pending:
            return self.pending[path]
        if path not in self.original:
            self.original[path] = _disk(path)
        return self.original[path]

    def write(self, path: Path, data: bytes) -> None:
        self.pending[path] = data

    def edits(self) -> list[FileEdit]:
        result = []
        for path in sorted(self.pending):
            before = self.original[path] if path in self.original else _disk(path)
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


@dataclass(frozen=True)
class NotWritten:
    """An edit `apply_edits` left out, and why."""

    edit: FileEdit
    reason: str


@dataclass(frozen=True)
class Fixed:
    """A finding a fix took care of: what was done, and the files it changed."""

    diagnostic: Diagnostic
    done: str
    paths: frozenset[Path]


@dataclass
class FixRun:
    """The outcome of fixing: the edits, what each pass fixed, what stays, and the check after."""

    edits: list[FileEdit] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    result: CheckResult | None = None
    remaining: list[Diagnostic] = field(default_factory=list)
    # The check and the findings it reports, on the files as they are on disk (see write_fixes).
    recheck: Callable[[], tuple[CheckResult, list[Diagnostic]]] | None = None


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


def plan(diagnostics: Sequence[Diagnostic], project: Project, files: Workspace) -> tuple[list[Fixed], list[Skipped]]:
    """Run every available fixer on `diagnostics`, accumulating edits in `files`."""
    fixed: list[Fixed] = []
    skipped: list[Skipped] = []
    for diagnostic in diagnostics:
        fixer = fixer_for(diagnostic.code)
        if fixer is None:
            continue
        before = dict(files.pending)
        try:
            done = fixer(diagnostic, project, files)
        except FixError as exc:
            skipped.append(Skipped(diagnostic, str(exc)))
            continue
        fixed.append(Fixed(diagnostic, done, frozenset(p for p, data in files.pending.items() if before.get(p) != data)))
    return fixed, skipped


def fix_project(
    options: CheckOptions,
    report: Callable[[CheckResult], list[Diagnostic]] = lambda result: result.diagnostics,
    unsafe: bool = False,
) -> FixRun:
    """Check, fix what can be fixed, check the edited files again (through the engine overlay),
    until a pass changes nothing. Writes nothing: see `apply_edits`.

    `report` picks the findings to fix from a result (all of them, or only those a baseline lets
    through); unsafe fixes (UNSAFE_FIXES) are planned only with `unsafe`, else each is skipped
    with the reason.
    """
    run = FixRun()

    def recheck() -> tuple[CheckResult, list[Diagnostic]]:
        result = run_check(options)
        return result, report(result)

    run.recheck = recheck
    files = Workspace(options.cwd.resolve())
    tried: set[str] = set()
    for attempt in range(MAX_PASSES + 1):
        overlay: dict[Path, bytes | None] = {**(options.overlay or {}), **files.pending}
        result = run_check(replace(options, overlay=overlay or None))
        run.result = result
        run.remaining = report(result)
        todo = [d for d in run.remaining if d.fingerprint() not in tried and d.code in FIXERS]
        if not unsafe:
            held = [d for d in todo if d.code in UNSAFE_FIXES]
            run.skipped.extend(
                Skipped(d, "its fix can change what the application does at run time; apply it with --unsafe-fixes")
                for d in held
                if d.fingerprint() not in tried
            )
            tried.update(d.fingerprint() for d in held)
            todo = [d for d in todo if d.code not in UNSAFE_FIXES]
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


@dataclass(frozen=True)
class Suggestion:
    """One finding's fix as JSON output carries it, for editors to apply: its edits alone."""

    applicability: str
    edits: tuple[FileEdit, ...]

    def to_dict(self, cwd: Path) -> dict[str, object]:
        return {"applicability": self.applicability, "edits": [_edit_dict(edit, cwd) for edit in self.edits]}


def suggestions(diagnostics: Sequence[Diagnostic], project: Project) -> dict[str, Suggestion]:
    """Each fixable finding's own fix (planned alone, on the files as they are), by fingerprint;
    not the fixes that create a file (CREATES_FILE): output must be the same on every run."""
    found: dict[str, Suggestion] = {}
    for diagnostic in diagnostics:
        if not carries_edits(diagnostic.code):
            continue
        files = Workspace(project.cwd)
        _fixed, skipped = plan([diagnostic], project, files)
        edits = tuple(files.edits())
        if edits and not skipped:
            found[diagnostic.fingerprint()] = Suggestion(applicability(diagnostic.code), edits)
    return found


def _edit_dict(edit: FileEdit, cwd: Path) -> dict[str, object]:
    """A whole-file edit as the one replacement of lines it amounts to (1-based rows, the end row
    exclusive at column 1), as Ruff's JSON edits give a range and its new content; a file the fix
    creates is one insertion at 1:1, marked `new_file`."""
    after = edit.after.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    name = display_path(edit.path, cwd)
    if edit.before is None:
        return {"filename": name, "new_file": True, "content": "".join(after), "location": _at(1), "end_location": _at(1)}
    before = edit.before.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]:
        end_before -= 1
        end_after -= 1
    return {
        "filename": name,
        "content": "".join(after[start:end_after]),
        "location": _at(start + 1),
        "end_location": _at(end_before + 1),
    }


def _at(row: int) -> dict[str, int]:
    return {"row": row, "column": 1}


def apply_edits(edits: Sequence[FileEdit]) -> list[NotWritten]:
    """Write each edit atomically (a temporary file renamed over the old one), to the file a
    symlink names rather than over the link. A file that is no longer what the edit was computed
    from (edited while driftlint ran) is left as it is, and so is a file a fix would create that
    has appeared meanwhile: those edits are returned, with the reason."""
    not_written = []
    for edit in edits:
        target = Path(os.path.realpath(edit.path))
        if _disk(target) != edit.before:
            reason = "appeared while driftlint was fixing" if edit.before is None else "changed while driftlint was fixing it"
            not_written.append(NotWritten(edit, f"{reason}; left as it is"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".driftlint-fix-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(edit.after)
            if edit.before is not None:
                os.chmod(temp, target.stat().st_mode & 0o7777)
                os.replace(temp, target)
            else:
                os.chmod(temp, 0o666 & ~_umask())
                if not _link_new(temp, target):
                    not_written.append(NotWritten(edit, "appeared while driftlint was fixing; left as it is"))
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
    return not_written


def write_fixes(run: FixRun) -> list[NotWritten]:
    """apply_edits for a FixRun. When an edit is not written, the fixes that needed it are no
    longer counted and the project is checked again: what remains is what is on disk."""
    not_written = apply_edits(run.edits)
    if not_written:
        unwritten = {item.edit.path for item in not_written}
        run.fixed = [item for item in run.fixed if not item.paths & unwritten]
        if run.recheck is not None:
            run.result, run.remaining = run.recheck()
    return not_written


def _link_new(temp: str, target: Path) -> bool:
    """Give `temp`'s contents the name `target` unless that name exists (a hard link fails
    then, where a rename would replace); False when it does."""
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: create it exclusively instead
        try:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "wb") as handle, open(temp, "rb") as source:
            handle.write(source.read())
    return True


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
