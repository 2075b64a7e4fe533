"""DL517 uncommitted-enum-value-used: a new enum value used in the transaction that adds it."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.rules.enum_value_added_in_transaction import IN_TRANSACTION_FROM
from driftlint.schema.model import ADD_COLUMN, ADD_ENUM_VALUE, USE_VALUES, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class UncommittedEnumValueUsed(SafetyRule):
    code = "DL517"
    name = "uncommitted-enum-value-used"
    summary = "A value added to an enum is used in the same transaction, which PostgreSQL refuses until it commits"
    severity = Severity.ERROR
    kinds = (ADD_ENUM_VALUE,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if deployment.outside_transaction(operation) or deployment.version < IN_TRANSACTION_FROM:
            return  # committed as soon as it ran; before 12 the ADD itself fails (DL516)
        for later_revision, later in deployment.later_operations(revision, operation):
            if later.kind not in (USE_VALUES, ADD_COLUMN) or operation.name not in later.values:
                continue
            if not deployment.same_transaction((revision, operation), (later_revision, later)):
                continue
            table = f" in {deployment.label(later.table)}" if later.table is not None else ""
            if later_revision == revision:
                adds = f"the transaction that adds it to enum `{operation.detail}` (line {operation.span[0]})"
            else:
                adds = f"the transaction in which revision `{revision}` adds it to enum `{operation.detail}`"
            yield self.diagnostic(
                f"'{operation.name}' is used{table} in {adds}: PostgreSQL refuses it (\"unsafe use of new value\") "
                "until that transaction commits, and the migration fails",
                deployment.path(later_revision),
                later.span,
                fix_title=(
                    "Add the value in `with op.get_context().autocommit_block():`, or use it in a later migration "
                    "transaction (`transaction_per_migration=True` in env.py and a later revision)"
                ),
                related=[deployment.related(revision, operation, f"'{operation.name}' is added to `{operation.detail}` here")],
                subject=(later_revision, operation.detail, operation.name),
            )
            return
