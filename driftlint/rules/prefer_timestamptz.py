"""DL552 prefer-timestamptz (opt-in): a column is a timestamp without time zone, which drops the UTC offset of every value."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_COLUMN, ALTER_COLUMN_TYPE, COLUMN_TYPE, Operation
from driftlint.schema.safety import Deployment, SafetyRule


class PreferTimestamptz(SafetyRule):
    code = "DL552"
    name = "prefer-timestamptz"
    summary = "A column is a timestamp without time zone, which drops the UTC offset of every value"
    opt_in = True
    kinds = (COLUMN_TYPE, ADD_COLUMN, ALTER_COLUMN_TYPE)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if not operation.detail in ('timestamp',) or operation.table is None:
            return
        table = deployment.label(operation.table)
        yield self.finding(
            deployment, revision, operation,
            f"Column `{operation.column}` of {table} is `timestamp` without time zone: PostgreSQL drops the UTC offset of every value written to it, so the same instant written from two time zones reads as two",
            "Use `sa.DateTime(timezone=True)` (`timestamptz`)",
        )
