"""DL511 disallowed-unique-constraint: a UNIQUE constraint whose index is built under the strongest lock."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_COLUMN, ADD_CONSTRAINT, PRIMARY_KEY, UNIQUE, USING_INDEX, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class DisallowedUniqueConstraint(SafetyRule):
    code = "DL511"
    name = "disallowed-unique-constraint"
    summary = "A UNIQUE constraint is added to an existing table, building its index under an ACCESS EXCLUSIVE lock"
    kinds = (ADD_CONSTRAINT, ADD_COLUMN)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if operation.kind == ADD_CONSTRAINT and (operation.detail != UNIQUE or USING_INDEX in operation.flags):
            return
        if operation.kind == ADD_COLUMN and (UNIQUE not in operation.flags or PRIMARY_KEY in operation.flags):
            return
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        if operation.kind == ADD_COLUMN:
            what = f"Adding unique column `{operation.column}`"
        else:
            what = f"Adding UNIQUE constraint `{operation.name}`" if operation.name else "Adding a UNIQUE constraint"
        yield self.finding(
            deployment, revision, operation,
            f"{what} to {table} builds its index under an ACCESS EXCLUSIVE lock: every read and write of {table} "
            "waits until it is built",
            "Create a unique index CONCURRENTLY (in an autocommit block), then "
            "`ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...`",
        )
