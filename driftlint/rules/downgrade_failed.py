"""DL911 downgrade-failed: with --roundtrip, a revision's downgrade() fails right after its upgrade()."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext


class DowngradeFailed(Gate):
    code = "DL911"
    name = "downgrade-failed"
    summary = "A revision's downgrade fails right after its upgrade (--roundtrip)"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        if ctx.fresh is None or ctx.fresh.roundtrip is None:
            return
        for found in ctx.fresh.roundtrip.findings:
            if found.kind != "downgrade_failed" or found.failure is None:
                continue
            failure = found.failure
            path, span = ctx.revision_function(found.revision, found.path, "downgrade", found.downgrade_line)
            if failure.line is not None and found.path is not None and failure.path == found.path:
                span = (failure.line, 1, failure.line, 1)
            yield self.diagnostic(
                f"The downgrade of revision {ctx.describe(found.revision)} fails right after its upgrade: {failure.error}",
                path,
                span,
                fix_title="Make downgrade() undo exactly what upgrade() does (or raise NotImplementedError to declare it irreversible)",
                context=failure.context(),
                subject=(found.revision, failure.error),
            )

