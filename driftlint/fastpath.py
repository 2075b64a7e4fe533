"""A plain `driftlint check`, run without loading the command line first.

Importing click and the command definitions costs as much as answering an unchanged project
from the cache. `answer` handles only the plain invocations that pre-commit and CI make (paths,
the output and selection options, --quiet, --exit-zero, --settings, --cache-dir, --baseline)
when nothing is coloured: it runs the check (answered from the whole-run cache when nothing
changed) and prints the report through driftlint.report, which the click command shares.
Anything else, any error, any doubt returns None, and the full command line runs and reports,
with the same output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

from driftlint.arguments import COLOR_CHOICES, FORMATS, parse

def answer(argv: Sequence[str]) -> int | None:
    """The exit code after printing the stored report, or None to run the command line."""
    parsed = parse(argv)
    if parsed is None:
        return None
    fmt = parsed.output_format or os.environ.get("DRIFTLINT_OUTPUT_FORMAT") or None
    color = parsed.color
    if (fmt is not None and fmt not in FORMATS) or color not in COLOR_CHOICES:
        return None
    from driftlint.engine import CheckOptions, run_check
    from driftlint.report import build_report, default_format, remember, use_color

    if use_color(color):
        return None  # colours are written by click, which strips them where it must
    options = CheckOptions.from_arguments(
        parsed.paths,
        settings_file=parsed.settings_file,
        select=parsed.select,
        ignore=parsed.ignore,
        extend_select=parsed.extend_select,
        cache_dir=parsed.cache_dir,
        reuse_result=True,
    )
    try:
        # Answered from the whole-run cache when nothing changed; otherwise the check runs here,
        # without importing click and the command definitions first.
        result = run_check(options)
        from driftlint.baseline import BaselineFilter

        keep = BaselineFilter(Path(parsed.baseline) if parsed.baseline else None, options.cwd, options.paths)
        diagnostics = keep(result)
        if keep.stale_lines():
            return None  # the command line prints those notes
        chosen = fmt or (result.settings.output_format if result.settings else None) or default_format()
        if chosen == "json":
            from driftlint.fixes import carries_edits

            if any(carries_edits(d.code) for d in diagnostics):
                return None  # JSON carries each fix's edits, which the command line computes
        report = build_report(
            diagnostics, result.files_read, chosen, statistics=False, color=False, quiet=parsed.quiet, to_file=False,
            checked_nothing=result.checked_nothing, notices=result.notices,
        )
    except Exception:  # noqa: BLE001 - the command line runs again and reports it (one line, exit 2)
        return None
    try:
        sys.stdout.write(report.text)
        sys.stdout.flush()  # before what goes to stderr: a report that cannot be written gets no summary
        sys.stderr.write("".join(f"{line}\n" for line in report.notices))
        if report.summary is not None:
            (sys.stderr if report.summary_to_stderr else sys.stdout).write(report.summary + "\n")
        sys.stdout.flush()
    except OSError as exc:
        from driftlint.snapshot import stdout_failed

        return stdout_failed(exc)
    code = 1 if diagnostics and not parsed.exit_zero else 0
    baseline = parsed.baseline is not None or bool(result.settings and result.settings.baseline)
    remember(list(argv), result, report, code, baseline)
    return code
