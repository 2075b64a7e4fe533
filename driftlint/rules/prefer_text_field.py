"""DL553 prefer-text-field (opt-in): a column is a varchar(n), whose limit is a schema change to raise."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_COLUMN, ALTER_COLUMN_TYPE, COLUMN_TYPE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class PreferTextField(SafetyRule):
    code = "DL553"
    name = "prefer-text-field"
    summary = "A column is a varchar(n), whose limit is a schema change to raise"
    opt_in = True
    kinds = (COLUMN_TYPE, ADD_COLUMN, ALTER_COLUMN_TYPE)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if not operation.detail.startswith("varchar(") or operation.table is None:
            return
        table = deployment.label(operation.table)
        yield self.finding(
            deployment, revision, operation,
            f"Column `{operation.column}` of {table} is `{operation.detail}`: raising the limit later is a schema change that takes an ACCESS EXCLUSIVE lock",
            "Use `sa.Text` (`text`), with a CHECK constraint on its length if the limit matters",
        )
