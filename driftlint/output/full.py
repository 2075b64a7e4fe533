"""Human output: each finding with its code frame, fix title and titled context blocks."""

from __future__ import annotations

import unicodedata
from typing import Sequence

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.output import RenderContext

COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
# ANSI SGR codes, as click.style writes them (the command line strips them where it must).
_FOREGROUND = {"red": 31, "yellow": 33, "blue": 34, "cyan": 36}


def _style(context: RenderContext, text: str, fg: str | None = None, bold: bool = False) -> str:
    if not context.color:
        return text
    codes = ([f"\x1b[{_FOREGROUND[fg]}m"] if fg else []) + (["\x1b[1m"] if bold else [])
    return "".join(codes) + text + "\x1b[0m"


def _cells(text: str) -> int:
    """How many terminal cells `text` takes: wide East Asian characters and most emoji two,
    combining marks and zero-width characters none."""
    if text.isascii():
        return len(text)
    return sum(
        2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.category(c) in ("Mn", "Me", "Cf") else 1
        for c in text
    )


def _frame(d: Diagnostic, lines: list[str] | None, context: RenderContext) -> list[str]:
    if not lines or d.location.row > len(lines):
        return []
    row = d.location.row
    first = max(1, row - 1)
    last = min(len(lines), max(row, min(d.end.row, row + 2)))
    width = len(str(last))
    gutter = _style(context, " " * width + " |", fg="blue", bold=True)
    out = [gutter]
    for number in range(first, last + 1):
        line = lines[number - 1]
        text = line.expandtabs(4)
        out.append(_style(context, f"{number:>{width}} |", fg="blue", bold=True) + (" " + text if text else ""))
        if number == row:
            # Columns count characters; the marker is laid out in terminal cells, as the line is shown.
            start = d.location.column
            end = d.end.column if d.end.row == row and d.end.column > start else len(line) + 1
            before = line[: start - 1]
            shown_before = _cells(before.expandtabs(4))
            indent = shown_before + (start - 1 - len(before))
            carets = "^" * max(1, _cells(line[: min(end, len(line) + 1) - 1].expandtabs(4)) - shown_before)
            marker = " " * indent + _style(context, f"{carets} {d.code}", fg=COLORS[d.severity], bold=True)
            out.append(gutter + " " + marker)
    out.append(gutter)
    return out


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    out: list[str] = []
    cache: dict[str, list[str] | None] = {}
    for d in diagnostics:
        if d.path not in cache:
            cache[d.path] = context.read_lines(d.path)
        header = (
            _style(context, f"{d.path}:{d.location.row}:{d.location.column}:", bold=True)
            + " "
            + _style(context, d.code, fg=COLORS[d.severity], bold=True)
            + f" [{d.severity.value}] {d.message}"
        )
        out.append(header)
        out.extend(_frame(d, cache[d.path], context))
        if d.fix_title and context.show_fixes:
            out.append(_style(context, "  = help: ", fg="cyan", bold=True) + d.fix_title)
        for title, lines in d.context:
            out.append(f"  {title}:")
            out.extend(f"    {line}" for line in lines)
        if d.related:
            out.append("  Related:")
            out.extend(f"    {r.path}:{r.location.row}:{r.location.column}: {r.note}" for r in d.related)
        out.append(f"  See {d.url}")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")
