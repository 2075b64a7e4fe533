"""DL514 renaming-column: a column the code still running uses is renamed."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import RENAME_COLUMN, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class RenamingColumn(SafetyRule):
    code = "DL514"
    name = "renaming-column"
    summary = "A column of an existing table is renamed while the code still running uses the old name"
    kinds = (RENAME_COLUMN,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        assert operation.table is not None
        if not self.existing(deployment, revision, operation):
            return
        if deployment.column_added(operation.table, operation.column, revision, operation) is not None:
            return
        table = deployment.label(operation.table)
        yield self.finding(
            deployment, revision, operation,
            f"Renaming column `{operation.column}` of {table} to `{operation.name}` breaks the code still running, "
            "which uses the old name until the new version is deployed",
            f"Add `{operation.name}`, write both columns, backfill, move reads to `{operation.name}`, then drop "
            f"`{operation.column}` in a later deployment",
        )
