"""DL510 adding-foreign-key-constraint: a foreign key validated while it locks both tables against writes."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_COLUMN, ADD_CONSTRAINT, FOREIGN_KEY, NOT_VALID, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class AddingForeignKeyConstraint(SafetyRule):
    code = "DL510"
    name = "adding-foreign-key-constraint"
    summary = "A foreign key is added to an existing table without NOT VALID, blocking writes to both tables while it is checked"
    kinds = (ADD_CONSTRAINT, ADD_COLUMN)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if operation.kind == ADD_CONSTRAINT and (operation.detail != FOREIGN_KEY or NOT_VALID in operation.flags):
            return
        if operation.kind == ADD_COLUMN and FOREIGN_KEY not in operation.flags:
            return
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        target = deployment.label(operation.other) if operation.other is not None else "the referenced table"
        if operation.kind == ADD_COLUMN:
            what = f"Adding column `{operation.column}` with a foreign key"
            fix = (
                "Add the column without the foreign key, then add the constraint with `postgresql_not_valid=True` and "
                "`VALIDATE CONSTRAINT` it in a later migration transaction"
            )
        else:
            what = f"Adding foreign key `{operation.name}`" if operation.name else "Adding a foreign key"
            fix = (
                "Add it with `postgresql_not_valid=True` (`NOT VALID`), then `VALIDATE CONSTRAINT` in a later migration "
                "transaction"
            )
        if target == table:  # a self-reference (a parent_id): one table, one lock
            locks = f"takes a SHARE ROW EXCLUSIVE lock on {table} and checks every row: every write to it"
        else:
            locks = f"takes SHARE ROW EXCLUSIVE locks on {table} and {target} and checks every row: every write to both"
        yield self.finding(deployment, revision, operation, f"{what} to {table} {locks} waits until the check ends", fix)
