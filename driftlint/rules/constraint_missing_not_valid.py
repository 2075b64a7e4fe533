"""DL509 constraint-missing-not-valid: a CHECK constraint validated under the strongest lock on an existing table."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import ADD_CONSTRAINT, CHECK, FOREIGN_KEY, NOT_VALID, VALIDATE_CONSTRAINT, Operation
from driftlint.schema.safety import Deployment, SafetyRule

_LOCKS = {CHECK: "an ACCESS EXCLUSIVE lock: every read and write", FOREIGN_KEY: "SHARE ROW EXCLUSIVE locks: every write"}


class ConstraintMissingNotValid(SafetyRule):
    code = "DL509"
    name = "constraint-missing-not-valid"
    summary = "A CHECK constraint is added to an existing table without NOT VALID, or validated in the transaction that added it"
    kinds = (ADD_CONSTRAINT, VALIDATE_CONSTRAINT)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        if operation.kind == VALIDATE_CONSTRAINT:
            yield from self.validated_too_soon(deployment, revision, operation)
            return
        if operation.detail != CHECK or NOT_VALID in operation.flags:
            return
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        name = f" `{operation.name}`" if operation.name else ""
        yield self.finding(
            deployment, revision, operation,
            f"Adding CHECK constraint{name} to {table} checks every row under an ACCESS EXCLUSIVE lock: every read "
            f"and write of {table} waits until the scan ends",
            "Add it with `postgresql_not_valid=True` (`NOT VALID`), then `VALIDATE CONSTRAINT` in a later migration "
            "transaction (it then takes a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on)",
        )

    def validated_too_soon(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        """VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID: the lock the
        ADD took is held until the transaction ends, so the scan runs under it after all."""
        if operation.table is None or not self.existing(deployment, revision, operation):
            return
        for earlier_revision, earlier in deployment.earlier_operations(revision, operation, name=operation.name):
            if earlier.kind == ADD_CONSTRAINT and NOT_VALID in earlier.flags:
                if not deployment.same_transaction((earlier_revision, earlier), (revision, operation)):
                    return
                where = "this revision" if earlier_revision == revision else f"revision `{earlier_revision}`"
                lock = _LOCKS.get(earlier.detail, "its lock: every read and write")
                table = deployment.label(operation.table)
                yield self.finding(
                    deployment, revision, operation,
                    f"`VALIDATE CONSTRAINT {operation.name}` runs in the transaction in which {where} added it NOT VALID, "
                    f"which holds {lock} of {table} waits until the scan ends",
                    "Validate it in a later migration transaction: a later deployment, `context.configure("
                    "transaction_per_migration=True)` in env.py with the VALIDATE in its own revision, or an "
                    "autocommit block",
                    related=[deployment.related(earlier_revision, earlier, f"`{operation.name}` is added NOT VALID here")],
                )
                return
