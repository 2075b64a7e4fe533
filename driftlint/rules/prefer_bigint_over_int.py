"""DL551 prefer-bigint-over-int (opt-in): a column is a 32-bit integer (integer, serial), whose limit a busy table can reach."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_COLUMN, ALTER_COLUMN_TYPE, COLUMN_TYPE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class PreferBigintOverInt(SafetyRule):
    code = "DL551"
    name = "prefer-bigint-over-int"
    summary = "A column is a 32-bit integer (integer, serial), whose limit a busy table can reach"
    opt_in = True
    kinds = (COLUMN_TYPE, ADD_COLUMN, ALTER_COLUMN_TYPE)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if not operation.detail in ('integer', 'serial') or operation.table is None:
            return
        table = deployment.label(operation.table)
        yield self.finding(
            deployment, revision, operation,
            f"Column `{operation.column}` of {table} is `{operation.detail}`: a busy table can reach its limit of 2,147,483,647, and widening it later rewrites the table under an ACCESS EXCLUSIVE lock",
            "Use `sa.BigInteger` (`bigint`, or `bigserial`) for ids and counters",
        )
