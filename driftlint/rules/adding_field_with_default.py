"""DL505 adding-field-with-default: a column whose default or generation rewrites an existing table."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.schema.model import (
    ADD_COLUMN,
    GENERATED,
    HAS_DEFAULT,
    IDENTITY,
    PRIMARY_KEY,
    SERIAL,
    VOLATILE_DEFAULT,
    Operation,
)
from driftlint.schema.safety import Deployment, SafetyRule

# From PostgreSQL 11 a non-volatile default is stored once in the catalog, not in every row.
FAST_DEFAULTS_FROM = 11


class AddingFieldWithDefault(SafetyRule):
    code = "DL505"
    name = "adding-field-with-default"
    summary = "A column added to an existing table with a volatile default or a generated value rewrites the table"
    kinds = (ADD_COLUMN,)

    def judge(self, deployment: Deployment, revision: str, operation: Operation) -> Iterator[Diagnostic]:
        flags = operation.flags
        if PRIMARY_KEY in flags:
            return  # adding-serial-primary-key-field says it, with the index build
        if SERIAL in flags:
            why = f"a `{operation.detail}` column takes its value from a sequence, row by row"
        elif IDENTITY in flags:
            why = "an identity column takes its value from a sequence, row by row"
        elif GENERATED in flags:
            why = "a stored generated column is computed for every row"
        elif VOLATILE_DEFAULT in flags:
            why = "its default is volatile (a function PostgreSQL evaluates for every row)"
        elif HAS_DEFAULT in flags and deployment.version < FAST_DEFAULTS_FROM:
            why = f"before PostgreSQL {FAST_DEFAULTS_FROM} (`postgres-version = {deployment.version}`) every default is written into every row"
        else:
            return
        table = self.existing_table(deployment, revision, operation)
        if table is None:
            return
        yield self.finding(
            deployment, revision, operation,
            f"Adding column `{operation.column}` rewrites {table} under an ACCESS EXCLUSIVE lock, since {why}: "
            f"every read and write of {table} waits until the whole table is rewritten",
            "Add the column without a default (or with a constant one), backfill it in batches, then set the default",
        )
