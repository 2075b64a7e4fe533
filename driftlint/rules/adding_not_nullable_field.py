"""DL508 adding-not-nullable-field: SET NOT NULL on an existing table scans it under the strongest lock."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_CONSTRAINT, CHECK, NOT_VALID, SET_NOT_NULL, VALIDATE_CONSTRAINT, Operation
from driftlint.schema.safety import Deployment, SafetyRule

# From PostgreSQL 12 SET NOT NULL skips the scan when a valid CHECK (column IS NOT NULL) proves it.
CHECK_PROVES_NOT_NULL_FROM = 12


class AddingNotNullableField(SafetyRule):
    code = "DL508"
    name = "adding-not-nullable-field"
    summary = "SET NOT NULL on an existing table's column scans the whole table under an ACCESS EXCLUSIVE lock"
    kinds = (SET_NOT_NULL,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        if deployment.version >= CHECK_PROVES_NOT_NULL_FROM and _validated_check(deployment, revision, operation):
            return
        if deployment.version >= CHECK_PROVES_NOT_NULL_FROM:
            fix = (
                f"Add `CHECK ({operation.column} IS NOT NULL) NOT VALID`, VALIDATE it in a later transaction, then SET "
                "NOT NULL: PostgreSQL 12+ then skips the scan"
            )
        else:
            fix = f"Keep the column nullable with a `CHECK ({operation.column} IS NOT NULL) NOT VALID` constraint, validated later"
        yield self.finding(
            deployment, revision, operation,
            f"Setting `{operation.column}` NOT NULL scans all of {table} under an ACCESS EXCLUSIVE lock: every read "
            f"and write of {table} waits until the scan ends",
            fix,
        )


def _validated_check(deployment: Deployment, revision: str, operation: Operation) -> bool:
    """Whether a CHECK (column IS NOT NULL) on the table is valid before SET NOT NULL runs: added
    without NOT VALID, or added NOT VALID and validated since."""
    for checked_in, check in deployment.earlier_operations(revision, operation, column=operation.column):
        if check.kind != ADD_CONSTRAINT or check.detail != CHECK:
            continue
        if NOT_VALID not in check.flags:
            return True
        # A VALIDATE of it that runs after it and before the SET NOT NULL.
        for validated_in, validation in deployment.earlier_operations(revision, operation, name=check.name):
            if validation.kind != VALIDATE_CONSTRAINT:
                continue
            if validated_in == checked_in and validation.position < check.position:
                continue
            if validated_in == checked_in or deployment.history.is_ancestor(checked_in, validated_in):
                return True
    return False
