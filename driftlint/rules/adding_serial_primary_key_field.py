"""DL506 adding-serial-primary-key-field: a primary key added to an existing table builds its index under the strongest lock."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_COLUMN, ADD_CONSTRAINT, IDENTITY, PRIMARY_KEY, SERIAL, USING_INDEX, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class AddingSerialPrimaryKeyField(SafetyRule):
    code = "DL506"
    name = "adding-serial-primary-key-field"
    summary = "A primary key is added to an existing table, building its index under an ACCESS EXCLUSIVE lock"
    kinds = (ADD_COLUMN, ADD_CONSTRAINT)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if operation.kind == ADD_COLUMN:
            if PRIMARY_KEY not in operation.flags:
                return
            rewrite = " and fills the new column for every row" if operation.flags & {SERIAL, IDENTITY} else ""
            what = f"Adding primary key column `{operation.column}`"
        else:
            if operation.detail != PRIMARY_KEY or USING_INDEX in operation.flags:
                return
            rewrite = ""
            what = f"Adding primary key `{operation.name}`" if operation.name else "Adding a primary key"
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        yield self.finding(
            deployment, revision, operation,
            f"{what} to {table} builds its unique index{rewrite} under an ACCESS EXCLUSIVE lock: every read and "
            f"write of {table} waits until it is done",
            "Build a unique index CONCURRENTLY first (in an autocommit block), then "
            "`ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX ...`",
        )
