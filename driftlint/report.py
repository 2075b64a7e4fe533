"""What `driftlint check` prints, without the command line machinery: shared by the click
command and by the path that answers an unchanged project from the cache (driftlint.fastpath)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import driftlint



def default_format() -> str:
    return "full" if sys.stdout.isatty() else "concise"


def use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@dataclass(frozen=True)
class Report:
    """The findings as text, notices for stderr, the summary line and where it goes (None: no summary)."""

    text: str
    summary: str | None
    summary_to_stderr: bool
    notices: tuple[str, ...] = ()


def build_report(
    diagnostics: Sequence[Any],
    files_read: int,
    fmt: str,
    *,
    statistics: bool,
    color: bool,
    quiet: bool,
    to_file: bool,
    checked_nothing: bool = False,
    notices: Sequence[str] = (),
    fix_edits: Mapping[str, Mapping[str, object]] | None = None,
) -> Report:
    from driftlint.output import RenderContext, render, rule_metadata

    if statistics:
        rows = rule_counts(diagnostics)
        text = "".join(f"{n:>5}\t{code}\t{name}\n" for code, name, n in rows)
        if fmt == "json":
            text = json.dumps([{"code": c, "name": nm, "count": n} for c, nm, n in rows], indent=2) + "\n"
    else:
        context = RenderContext(
            cwd=Path.cwd(),
            color=color,
            tool_version=driftlint.__version__,
            rules=rule_metadata(),
            files_checked=files_read,
            fix_edits=fix_edits or {},
        )
        text = render(diagnostics, fmt, context)
    summary = None
    if not quiet and fmt in ("full", "concise") and not statistics:
        summary = summary_line(diagnostics, files_read)
    said: tuple[str, ...] = ()
    if not quiet:
        said = tuple(notices)
        if checked_nothing:
            # As Ruff's "No Python files found under the given path(s)": "All checks passed" alone
            # would tell a misconfigured CI job (a wrong path, a -c naming no environment) that
            # everything is fine.
            said += (
                "driftlint: warning: no Alembic environment (under the given paths, or in -c/--config) and no Celery"
                " module found: nothing was checked (see `How it finds your Alembic environments` in the README)",
            )
    return Report(text, summary, summary_to_stderr=not to_file and fmt == "concise", notices=said)


def rule_counts(diagnostics: Iterable[Any]) -> list[tuple[str, str, int]]:
    """(code, name, count) per rule, the most frequent first."""
    counts: dict[tuple[str, str], int] = {}
    for d in diagnostics:
        counts[(d.code, d.name)] = counts.get((d.code, d.name), 0) + 1
    return sorted(((code, name, n) for (code, name), n in counts.items()), key=lambda t: (-t[2], t[0]))


def summary_line(diagnostics: Sequence[Any], files: int) -> str:
    if not diagnostics:
        return f"All checks passed! ({files} files)"
    noun = "finding" if len(diagnostics) == 1 else "findings"
    return f"Found {len(diagnostics)} {noun} in {files} files."


def remember(argv: Sequence[str] | None, result: Any, report: Report, code: int, baseline: bool) -> None:
    """Keep what a plain check printed as the first tier of the next identical run
    (driftlint.snapshot). `argv` is None when driftlint does not run as the program (tests
    invoking the command in-process); `baseline`: a baseline filtered the findings (its file is
    read after the check, so no manifest covers it)."""
    from driftlint.arguments import parse

    if argv is None or baseline or result.manifest is None or result.cache_dir is None:
        return
    parsed = parse(argv)
    if parsed is None:
        return
    if sys.stdout.isatty() or use_color(parsed.color):
        return
    out, err = report.text, "".join(f"{line}\n" for line in report.notices)
    if report.summary is not None:
        if report.summary_to_stderr:
            err += report.summary + "\n"
        else:
            out += report.summary + "\n"
    from driftlint.snapshot import store

    store(argv, os.fspath(result.cache_dir), result.manifest.entries, out, err, code)
