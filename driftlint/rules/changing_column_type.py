"""DL507 changing-column-type: a column type change that rewrites an existing table."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ALTER_COLUMN_TYPE, BINARY_COERCIBLE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class ChangingColumnType(SafetyRule):
    code = "DL507"
    name = "changing-column-type"
    summary = "A column's type changes on an existing table, rewriting it under an ACCESS EXCLUSIVE lock"
    kinds = (ALTER_COLUMN_TYPE,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if BINARY_COERCIBLE in operation.flags or not self.existing(deployment, revision, operation):
            return
        assert operation.table is not None
        table = deployment.label(operation.table)
        change = f" ({operation.other_detail} to {operation.detail})" if operation.other_detail and operation.detail else (
            f" (to {operation.detail})" if operation.detail else ""
        )
        yield self.finding(
            deployment, revision, operation,
            f"Changing the type of `{operation.column}`{change} rewrites {table} and its indexes under an ACCESS "
            f"EXCLUSIVE lock: every read and write of {table} waits, and the code still running may not "
            "handle the new type",
            "Add a column of the new type, backfill it, move the code to it, and drop the old column in a later "
            "deployment",
        )
