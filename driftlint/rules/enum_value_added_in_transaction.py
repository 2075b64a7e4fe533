"""DL516 enum-value-added-in-transaction: ALTER TYPE ... ADD VALUE inside a transaction before PostgreSQL 12."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.schema.model import ADD_ENUM_VALUE, Operation
from driftlint.schema.safety import Deployment, SafetyRule

# PostgreSQL 12 allows ADD VALUE inside a transaction block (the value is usable once it commits).
IN_TRANSACTION_FROM = 12


class EnumValueAddedInTransaction(SafetyRule):
    code = "DL516"
    name = "enum-value-added-in-transaction"
    summary = "ALTER TYPE ... ADD VALUE runs inside the migration's transaction, which PostgreSQL before 12 refuses"
    severity = Severity.ERROR
    kinds = (ADD_ENUM_VALUE,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if deployment.version >= IN_TRANSACTION_FROM or deployment.outside_transaction(operation):
            return
        yield self.finding(
            deployment, revision, operation,
            f"`ALTER TYPE {operation.detail} ADD VALUE '{operation.name}'` runs inside the migration's transaction, "
            f"which PostgreSQL {deployment.version} refuses (\"ALTER TYPE ... ADD cannot run inside a transaction "
            f"block\"; allowed from {IN_TRANSACTION_FROM}): the migration fails",
            "Move it into `with op.get_context().autocommit_block():`",
        )
