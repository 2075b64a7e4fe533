"""A JSON list with one object per finding."""

from __future__ import annotations

import json
from typing import Sequence

from driftlint.diagnostics import Diagnostic
from driftlint.output import RenderContext


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
