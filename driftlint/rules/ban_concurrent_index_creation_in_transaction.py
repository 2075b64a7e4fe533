"""DL503 ban-concurrent-index-creation-in-transaction: CONCURRENTLY inside the migration's transaction fails."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.rules.require_concurrent_index_creation import fixable_in_place
from driftlint.schema.model import CREATE_INDEX, DROP_INDEX, REINDEX, Operation
from driftlint.schema.safety import Deployment, SafetyRule, concurrently

# The statement, and how PostgreSQL's refusal starts.
_STATEMENTS = {
    CREATE_INDEX: ("CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY"),
    DROP_INDEX: ("DROP INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY"),
    REINDEX: ("REINDEX ... CONCURRENTLY", "REINDEX CONCURRENTLY"),
}


class BanConcurrentIndexCreationInTransaction(SafetyRule):
    code = "DL503"
    name = "ban-concurrent-index-creation-in-transaction"
    summary = "CREATE/DROP INDEX CONCURRENTLY runs inside the migration's transaction, which PostgreSQL refuses"
    severity = Severity.ERROR
    fixable = True
    kinds = (CREATE_INDEX, DROP_INDEX, REINDEX)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if not concurrently(operation) or deployment.outside_transaction(operation):
            return
        statement, refused = _STATEMENTS[operation.kind]
        what = f" (`{operation.name}`)" if operation.name else ""
        yield self.finding(
            deployment, revision, operation,
            f"`{statement}`{what} runs inside the migration's transaction: PostgreSQL refuses it "
            f"(\"{refused} cannot run inside a transaction block\") and the migration fails",
            "Move it into `with op.get_context().autocommit_block():`"
            + (" (`driftlint fix` does this)" if fixable_in_place(deployment, revision) else ""),
        )
