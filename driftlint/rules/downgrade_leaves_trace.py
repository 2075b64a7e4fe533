"""DL912 downgrade-leaves-trace: with --roundtrip, the schema after a downgrade differs from before its upgrade."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rule import Gate
from driftlint.verify._schema_probe import RELATIONS

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext
    from driftlint.verify.outcome import SchemaChange

SHOWN_IN_MESSAGE = 3
CHANGES = {"left": "left over", "removed": "gone (the upgrade did not create it)", "changed": "changed"}


class DowngradeLeavesTrace(Gate):
    code = "DL912"
    name = "downgrade-leaves-trace"
    summary = "After a revision's downgrade the schema differs from before its upgrade (--roundtrip)"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        if ctx.fresh is None or ctx.fresh.roundtrip is None:
            return
        for found in ctx.fresh.roundtrip.findings:
            if found.kind not in ("leaves_trace", "upgrade_again_failed"):
                continue
            path, span = ctx.revision_function(found.revision, found.path, "downgrade", found.downgrade_line)
            revision = ctx.describe(found.revision)
            summary = _summary(ctx, found.changes)
            context = [(CHANGES[change].capitalize(), _lines(ctx, found.changes, change)) for change in CHANGES]
            context = [(title, lines) for title, lines in context if lines]
            if found.kind == "upgrade_again_failed" and found.failure is not None:
                message = f"The upgrade of revision {revision} cannot run again after its downgrade: {found.failure.error}"
                if summary:
                    message += f" ({summary})"
                context = found.failure.context() + context
                subject: tuple[str, ...] = (found.revision, "upgrade-again", found.failure.error)
            else:
                message = f"After the downgrade of revision {revision} the schema differs from before its upgrade: {summary}"
                subject = (found.revision, "trace", *sorted(f"{c.change}:{c.kind}:{c.name}" for c in found.changes))
            yield self.diagnostic(
                message,
                path,
                span,
                fix_title="Make downgrade() drop (or restore) exactly what upgrade() creates (or changes)",
                context=context,
                subject=subject,
            )


def _name(ctx: "VerifyContext", change: "SchemaChange") -> str:
    schema, _, rest = change.name.partition(".")
    return rest if schema == ctx.default_schema and rest else change.name


def _summary(ctx: "VerifyContext", changes: tuple["SchemaChange", ...]) -> str:
    parts = [f"{c.kind} `{_name(ctx, c)}` {CHANGES[c.change].split(' (')[0]}" for c in changes[:SHOWN_IN_MESSAGE]]
    if len(changes) > SHOWN_IN_MESSAGE:
        parts.append(f"and {len(changes) - SHOWN_IN_MESSAGE} more")
    return ", ".join(parts)


def _lines(ctx: "VerifyContext", changes: tuple["SchemaChange", ...], kind: str) -> list[str]:
    lines = []
    for change in changes:
        if change.change != kind:
            continue
        shown = f"{change.kind} {_name(ctx, change)}"
        if kind == "changed":
            lines.append(f"{shown}: {change.before or '(plain)'} -> {change.after or '(plain)'}")
        elif change.kind in RELATIONS:  # named whole; a column, index or constraint shows its definition
            lines.append(shown)
        else:
            lines.append(f"{shown}: {change.after or change.before}")
    return lines
