"""GitLab Code Quality report (a JSON list of issues)."""

from __future__ import annotations

import json
from typing import Sequence

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.output import RenderContext

LEVELS = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    issues = []
    for d in diagnostics:
        issues.append(
            {
                "description": f"{d.code} {d.message}",
                "check_name": f"{d.code} {d.name}",
                "fingerprint": d.fingerprint(),
                "severity": LEVELS[d.severity],
                "location": {"path": d.path, "lines": {"begin": d.location.row, "end": d.end.row}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
