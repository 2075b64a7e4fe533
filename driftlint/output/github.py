"""GitHub Actions workflow commands: annotations on the pull request's files."""

from __future__ import annotations

from typing import Sequence

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.output import RenderContext

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    out = []
    for d in diagnostics:
        end = d.end
        properties = ",".join(
            [
                f"file={_property(d.path)}",
                f"line={d.location.row}",
                f"col={d.location.column}",
                f"endLine={end.row}",
                f"endColumn={end.column}",
                f"title={_property(f'driftlint ({d.code} {d.name})')}",
            ]
        )
        out.append(f"::{LEVELS[d.severity]} {properties}::{_data(f'{d.code} {d.message}')}\n")
    return "".join(out)
