"""DL513 ban-drop-table: a table the code still running uses is dropped."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import DROP_TABLE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class BanDropTable(SafetyRule):
    code = "DL513"
    name = "ban-drop-table"
    summary = "An existing table is dropped while the code still running may use it"
    kinds = (DROP_TABLE,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        yield self.finding(
            deployment, revision, operation,
            f"Dropping table {table} breaks the code still running, which uses it until the new version is "
            "deployed (and takes an ACCESS EXCLUSIVE lock)",
            "Stop using the table in one deployment, then drop it in a later one",
        )
