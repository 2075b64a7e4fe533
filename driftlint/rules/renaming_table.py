"""DL515 renaming-table: a table the code still running uses is renamed."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import RENAME_TABLE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class RenamingTable(SafetyRule):
    code = "DL515"
    name = "renaming-table"
    summary = "An existing table is renamed while the code still running uses the old name"
    kinds = (RENAME_TABLE,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        yield self.finding(
            deployment, revision, operation,
            f"Renaming table {table} to `{operation.name}` breaks the code still running, which uses the old name "
            "until the new version is deployed",
            f"Rename it and create a view named {table} over `{operation.name}` for the old code, dropping the view in "
            "a later deployment",
        )
