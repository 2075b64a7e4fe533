"""Baseline files: adopt driftlint on a legacy repository by recording today's findings and reporting only new ones."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from driftlint.config import ConfigError
from driftlint.diagnostics import Diagnostic
from driftlint.project import display_path

BASELINE_VERSION = 1
# Far above any real baseline (about 300 bytes a finding): a bound, so that a wrong path (a log
# file, a disk image) is an error rather than all of the memory.
MAX_BASELINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class BaselineEntry:
    """One recorded finding. `path` is relative to the baseline file's folder, so any cwd matches."""

    fingerprint: str
    code: str
    path: str
    message: str


@dataclass(frozen=True)
class Baseline:
    path: Path
    entries: tuple[BaselineEntry, ...]


@dataclass(frozen=True)
class BaselineOutcome:
    new: list[Diagnostic]  # not in the baseline: reported
    known: int  # in the baseline: not reported
    gone: list[BaselineEntry]  # in the baseline, no longer found: the file can shrink


def _anchored(diagnostic: Diagnostic, cwd: Path, folder: Path) -> Diagnostic:
    """The diagnostic with its path relative to the baseline's folder instead of the cwd."""
    absolute = Path(os.path.normpath(cwd / diagnostic.path))
    try:
        rel = os.path.relpath(absolute, folder)
    except ValueError:  # another drive on Windows
        rel = absolute.as_posix()
    return replace(diagnostic, path=rel.replace(os.sep, "/"))


def entries_for(diagnostics: Iterable[Diagnostic], cwd: Path, baseline_path: Path) -> list[BaselineEntry]:
    folder = _folder(baseline_path, cwd)
    entries = []
    for diagnostic in diagnostics:
        anchored = _anchored(diagnostic, cwd, folder)
        entries.append(BaselineEntry(anchored.fingerprint(), anchored.code, anchored.path, anchored.message))
    return sorted(entries, key=lambda e: (e.path, e.code, e.fingerprint, e.message))


def _folder(baseline_path: Path, cwd: Path) -> Path:
    return Path(os.path.normpath(cwd / baseline_path)).parent


def write_baseline(path: Path, diagnostics: Sequence[Diagnostic], cwd: Path) -> int:
    """Record `diagnostics`; returns how many. Written atomically: a reader never sees half a file."""
    entries = entries_for(diagnostics, cwd, path)
    document: dict[str, Any] = {
        "tool": "driftlint",
        "version": BASELINE_VERSION,
        "findings": [
            {"fingerprint": e.fingerprint, "code": e.code, "path": e.path, "message": e.message} for e in entries
        ],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    target = cwd / path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".driftlint-baseline-")
        # backslashreplace: a file name that is not UTF-8 is written as a \udcff escape, which
        # JSON reads back as the same name.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return len(entries)


def load_baseline(path: Path, cwd: Path) -> Baseline:
    target = cwd / path
    try:
        data = json.loads(_read_regular_file(target, MAX_BASELINE_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: baseline is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("tool") != "driftlint" or not isinstance(data.get("findings"), list):
        raise ConfigError(f"{path}: not a driftlint baseline file")
    version = data.get("version")
    if version != BASELINE_VERSION:
        raise ConfigError(
            f"{path}: baseline format version {version!r} is not supported (this driftlint reads version {BASELINE_VERSION})"
        )
    entries = []
    for index, item in enumerate(data["findings"]):
        try:
            entries.append(BaselineEntry(str(item["fingerprint"]), str(item["code"]), str(item["path"]), str(item["message"])))
        except (KeyError, TypeError):
            raise ConfigError(f"{path}: finding {index} needs fingerprint, code, path and message") from None
    return Baseline(path, tuple(entries))


def _read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path` when it is a regular file of at most `limit` bytes. Anything else is
    an OSError saying what it is: reading a FIFO blocks until a writer comes, /dev/zero never
    ends. Opened without blocking, then judged by what was opened, not by a stat before."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = "a folder" if stat.S_ISDIR(status.st_mode) else "a FIFO" if stat.S_ISFIFO(status.st_mode) else "a device or socket"
            raise OSError(errno.EINVAL, f"{kind}, not a regular file")
        chunks = []
        remaining = limit + 1  # one byte more than allowed tells a file that grew past the bound
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MiB")
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def apply_baseline(
    diagnostics: Sequence[Diagnostic],
    baseline: Baseline,
    cwd: Path,
    checked_codes: set[str] | None = None,
    scope: Sequence[Path] = (),
) -> BaselineOutcome:
    """Drop findings the baseline records (each entry absorbs one finding, so a second copy is new).

    Entries count as gone only when this run could have found them again: their rule ran and
    their file lies under a checked path (`scope`, absolute; empty means everywhere).
    """
    folder = _folder(baseline.path, cwd)
    remaining = Counter(entry.fingerprint for entry in baseline.entries)
    new: list[Diagnostic] = []
    known = 0
    for diagnostic in diagnostics:
        fingerprint = _anchored(diagnostic, cwd, folder).fingerprint()
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            known += 1
        else:
            new.append(diagnostic)
    gone = []
    for entry in baseline.entries:
        if remaining[entry.fingerprint] <= 0:
            continue
        remaining[entry.fingerprint] -= 1
        if checked_codes is not None and entry.code not in checked_codes:
            continue
        if scope and not any(_within(folder / entry.path, top) for top in scope):
            continue
        gone.append(entry)
    return BaselineOutcome(new, known, gone)


def _within(path: Path, top: Path) -> bool:
    path = Path(os.path.normpath(path))
    return path == top or top in path.parents


def describe_gone(entries: Sequence[BaselineEntry], baseline: Baseline, cwd: Path) -> list[str]:
    """Lines for stderr: the recorded findings that no longer occur, with paths relative to the cwd."""
    if not entries:
        return []
    folder = _folder(baseline.path, cwd)
    noun = "entry no longer occurs" if len(entries) == 1 else "entries no longer occur"
    shown_file = display_path(cwd / baseline.path, cwd)
    lines = [f"driftlint: {len(entries)} baseline {noun} (rewrite {shown_file} with --write-baseline to drop them):"]
    for entry in entries:
        shown = display_path(folder / entry.path, cwd)
        lines.append(f"  {shown}: {entry.code} {entry.message}")
    return lines


class BaselineFilter:
    """The findings a check reports under a baseline (`--baseline FILE` or config `baseline`).

    Called with each CheckResult (the fix loop checks several times); the baseline file is read
    once, from the settings the first result carries when no file was given on the command line.
    """

    def __init__(self, explicit: Path | None, cwd: Path, scope: Sequence[Path]):
        self.explicit = explicit
        self.cwd = cwd
        self.scope = [Path(os.path.normpath(cwd / p)) for p in scope]
        self.baseline: Baseline | None = None
        self.outcome: BaselineOutcome | None = None
        self._loaded = False

    def __call__(self, result: Any) -> list[Diagnostic]:
        if not self._loaded:
            self._loaded = True
            path = self.explicit
            settings = getattr(result, "settings", None)
            if path is None and settings is not None and settings.baseline:
                path = settings.root / settings.baseline
            self.baseline = load_baseline(path, self.cwd) if path is not None else None
        if self.baseline is None:
            return list(result.diagnostics)
        codes = _checked_codes(result)
        self.outcome = apply_baseline(result.diagnostics, self.baseline, self.cwd, codes, self.scope)
        return self.outcome.new

    def stale_lines(self) -> list[str]:
        if self.baseline is None or self.outcome is None:
            return []
        return describe_gone(self.outcome.gone, self.baseline, self.cwd)


def _checked_codes(result: Any) -> set[str] | None:
    settings = getattr(result, "settings", None)
    if settings is None:
        return None
    from driftlint.engine import selected_rules

    return {rule.code for rule in selected_rules(settings)}
