"""DL512 ban-drop-column: a column the code still running uses is dropped."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import DROP_COLUMN, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class BanDropColumn(SafetyRule):
    code = "DL512"
    name = "ban-drop-column"
    summary = "A column of an existing table is dropped while the code still running may use it"
    kinds = (DROP_COLUMN,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        assert operation.table is not None
        if not self.existing(deployment, revision, operation):
            return
        if deployment.column_added(operation.table, operation.column, revision, operation) is not None:
            return  # added in this deployment: no code running before it knows the column
        table = deployment.label(operation.table)
        yield self.finding(
            deployment, revision, operation,
            f"Dropping column `{operation.column}` of {table} breaks the code still running, which reads and writes "
            "it until the new version is deployed (and takes an ACCESS EXCLUSIVE lock)",
            "Stop using the column (remove it from the model) in one deployment, then drop it in a later one",
        )
