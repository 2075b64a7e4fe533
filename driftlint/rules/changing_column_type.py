"""DL507 changing-column-type: a column type change that rewrites an existing table."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.columns import binary_coercible
from driftlint.schema.model import ADD_COLUMN, ALTER_COLUMN_TYPE, BINARY_COERCIBLE, COLUMN_TYPE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


# The operations that set a column's type.
_TYPED = (ADD_COLUMN, COLUMN_TYPE, ALTER_COLUMN_TYPE)


class ChangingColumnType(SafetyRule):
    code = "DL507"
    name = "changing-column-type"
    summary = "A column's type changes on an existing table, rewriting it under an ACCESS EXCLUSIVE lock"
    kinds = (ALTER_COLUMN_TYPE,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if BINARY_COERCIBLE in operation.flags or not self.existing(deployment, revision, operation):
            return
        old = operation.other_detail or _type_before(deployment, revision, operation)
        if binary_coercible(old, operation.detail):
            return
        assert operation.table is not None
        table = deployment.label(operation.table)
        change = f" ({old} to {operation.detail})" if old and operation.detail else (
            f" (to {operation.detail})" if operation.detail else ""
        )
        fix = (
            "Add a column of the new type, backfill it, move the code to it, and drop the old column in a later "
            "deployment"
        )
        if not old:
            fix += " (for a catalog-only change, such as varchar to text, pass `existing_type=` so driftlint sees it)"
        yield self.finding(
            deployment, revision, operation,
            f"Changing the type of `{operation.column}`{change} rewrites {table} and its indexes under an ACCESS "
            f"EXCLUSIVE lock: every read and write of {table} waits, and the code still running may not "
            "handle the new type",
            fix,
        )


def _type_before(deployment: Deployment, revision: str, operation: Operation) -> str:
    """The column's type before the change, as the history last set it ("" when it never did)."""
    assert operation.table is not None
    for _, earlier in deployment.earlier_operations(revision, operation, column=operation.column):
        if earlier.kind in _TYPED:
            return earlier.detail
    return ""
