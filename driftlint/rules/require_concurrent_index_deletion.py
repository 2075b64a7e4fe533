"""DL502 require-concurrent-index-deletion: an index dropped from an existing table without CONCURRENTLY."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.rules.require_concurrent_index_creation import concurrent_fix
from driftlint.schema.model import DROP_INDEX, DROP_TABLE, ObjectRef, Operation
from driftlint.schema.safety import Deployment, SafetyRule, concurrently, index_on


class RequireConcurrentIndexDeletion(SafetyRule):
    code = "DL502"
    name = "require-concurrent-index-deletion"
    summary = "An index is dropped from an existing table without CONCURRENTLY, blocking reads and writes"
    fixable = True
    kinds = (DROP_INDEX,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if concurrently(operation):
            return
        table = operation.table or deployment.index_table(index_on(operation), revision, operation)
        if table is not None and not self.existing(deployment, revision, operation, table):
            return
        if table is not None and _table_dropped_after(deployment, revision, operation, table):
            return  # autogenerate drops a table's indexes first; ban-drop-table reports the table
        where = deployment.label(table) if table is not None else "its table"
        yield self.finding(
            deployment, revision, operation,
            f"Dropping index `{operation.name}` takes an ACCESS EXCLUSIVE lock on {where}: every read and write "
            "waits, also behind any long query already running on it",
            concurrent_fix(deployment, revision, operation, "DROP INDEX CONCURRENTLY"),
        )


def _table_dropped_after(deployment: Deployment, revision: str, operation: Operation, table: ObjectRef) -> bool:
    return any(
        later.kind == DROP_TABLE and later.table is not None and later.table.key == table.key
        for _, later in deployment.later_operations(revision, operation, own_only=True)
    )
