"""Human output: each finding with its code frame, fix title and titled context blocks."""

from __future__ import annotations

from typing import Sequence

import click

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.output import RenderContext

COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _style(context: RenderContext, text: str, **styles: object) -> str:
    return click.style(text, **styles) if context.color else text  # type: ignore[arg-type]


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
        text = lines[number - 1].expandtabs(4).rstrip("\r")
        out.append(_style(context, f"{number:>{width}} |", fg="blue", bold=True) + (" " + text if text else ""))
        if number == row:
            start = d.location.column
            end = d.end.column if d.end.row == row and d.end.column > start else len(text) + 1
            carets = "^" * max(1, min(end, len(text) + 1) - start)
            marker = " " * (start - 1) + _style(context, f"{carets} {d.code}", fg=COLORS[d.severity], bold=True)
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
