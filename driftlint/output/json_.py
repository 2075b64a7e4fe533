"""A JSON list with one object per finding."""

from __future__ import annotations

import json
from typing import Sequence

from driftlint.diagnostics import Diagnostic
from driftlint.output import RenderContext


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    return json.dumps([_with_edits(d, context) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"


def _with_edits(diagnostic: Diagnostic, context: RenderContext) -> dict[str, object]:
    """The finding, its fix carrying the edits that apply it when there is one (as Ruff's JSON
    does), so an editor can apply it without running `fix`."""
    found = diagnostic.to_dict()
    edits = context.fix_edits.get(diagnostic.fingerprint())
    if edits is not None:
        found["fix"] = {"title": diagnostic.fix_title, **edits}
    return found
