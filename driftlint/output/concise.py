"""`path:line:col: CODE message`, one finding per line: what IDE problem matchers read."""

from __future__ import annotations

from typing import Sequence

from driftlint.diagnostics import Diagnostic
from driftlint.output import RenderContext


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    lines = [
        f"{d.path}:{d.location.row}:{d.location.column}: {d.code} {d.message}" for d in diagnostics
    ]
    return "".join(line + "\n" for line in lines)
