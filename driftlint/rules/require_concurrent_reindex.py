"""DL519 require-concurrent-reindex: REINDEX without CONCURRENTLY locks out the table's readers and writers."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import REINDEX, TABLE, Operation
from driftlint.schema.safety import Deployment, SafetyRule, concurrently, index_on

# REINDEX ... CONCURRENTLY exists from PostgreSQL 12.
CONCURRENT_FROM = 12


class RequireConcurrentReindex(SafetyRule):
    code = "DL519"
    name = "require-concurrent-reindex"
    summary = "REINDEX without CONCURRENTLY blocks writes to the table, and reads through the index, while it rebuilds"
    kinds = (REINDEX,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if concurrently(operation):
            return
        table = operation.table or deployment.index_table(index_on(operation), revision, operation)
        if table is not None and not self.existing(deployment, revision, operation, table):
            return
        where = deployment.label(table) if table is not None else "its table"
        what = "the table's indexes" if operation.other is not None and operation.other.kind == TABLE else f"`{operation.name}`"
        if deployment.version >= CONCURRENT_FROM:
            fix = "Use `REINDEX ... CONCURRENTLY` inside `with op.get_context().autocommit_block():`"
        else:
            fix = "Build a new index CONCURRENTLY, then drop the old one CONCURRENTLY (REINDEX CONCURRENTLY needs PostgreSQL 12)"
        yield self.finding(
            deployment, revision, operation,
            f"Rebuilding {what} takes a SHARE lock on {where} and an ACCESS EXCLUSIVE lock on each index: every write "
            "and every read through the index waits until it is rebuilt",
            fix,
        )
