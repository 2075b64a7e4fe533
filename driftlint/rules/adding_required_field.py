"""DL504 adding-required-field: a NOT NULL column without a default added to an existing table."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.schema.model import ADD_COLUMN, GENERATED, HAS_DEFAULT, IDENTITY, NOT_NULL, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class AddingRequiredField(SafetyRule):
    code = "DL504"
    name = "adding-required-field"
    summary = "A NOT NULL column without a default is added to an existing table: it fails on rows already there"
    severity = Severity.ERROR
    kinds = (ADD_COLUMN,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        flags = operation.flags
        if NOT_NULL not in flags or flags & {HAS_DEFAULT, IDENTITY, GENERATED}:
            return
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        yield self.finding(
            deployment, revision, operation,
            f"Adding NOT NULL column `{operation.column}` without a default to {table} fails once {table} has rows "
            "(\"column contains null values\"), and the code still running inserts rows without it",
            "Add it nullable, backfill it, then set NOT NULL in a later revision; or give it a constant `server_default`",
        )
