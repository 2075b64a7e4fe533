"""DL501 require-concurrent-index-creation: an index built on an existing table without CONCURRENTLY."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import CREATE_INDEX, FROM_SQL, Operation
from driftlint.schema.safety import Deployment, SafetyRule, concurrently, only_index_operations


class RequireConcurrentIndexCreation(SafetyRule):
    code = "DL501"
    name = "require-concurrent-index-creation"
    summary = "An index is built on an existing table without CONCURRENTLY, blocking writes while it builds"
    fixable = True
    kinds = (CREATE_INDEX,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if concurrently(operation):
            return
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        index = f" `{operation.name}`" if operation.name else ""
        yield self.finding(
            deployment, revision, operation,
            f"Building index{index} on {table} takes a SHARE lock: every write to {table} waits until the "
            "index is built",
            concurrent_fix(deployment, revision, operation, "CREATE INDEX CONCURRENTLY"),
        )


def concurrent_fix(deployment: Deployment, revision: str, operation: Operation, statement: str) -> str:
    """The fix title of DL501/DL502: the SQL or op.* form, and whether `driftlint fix --unsafe-fixes`
    applies it."""
    if FROM_SQL in operation.flags:
        return f"Use `{statement}` inside `with op.get_context().autocommit_block():`"
    fix = "Pass `postgresql_concurrently=True` and move it into `with op.get_context().autocommit_block():`"
    return fix + " (`driftlint fix --unsafe-fixes` does this)" if fixable_in_place(deployment, revision) else fix


def fixable_in_place(deployment: Deployment, revision: str) -> bool:
    """Whether `driftlint fix` makes this revision's indexes concurrent (driftlint.fixes.concurrent_index)."""
    return only_index_operations(deployment.history.effects[revision])
