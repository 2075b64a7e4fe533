"""What one run of the Alembic runner found: the build, each revision's round trip, the models' differences."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftlint.verify.database import MASK, DatabaseURL

OUTPUT_TAIL = 15
STATEMENT_LINES = 8


@dataclass(frozen=True)
class MigrationFailure:
    revision: str | None
    path: Path | None
    line: int | None
    error: str
    exception: str
    sqlstate: str | None
    statement: str | None

    def context(self) -> list[tuple[str, list[str]]]:
        """The titled blocks a finding shows: the database error, then the statement."""
        error_lines = [self.error]
        if self.sqlstate:
            error_lines.append(f"SQLSTATE {self.sqlstate}")
        if self.exception:
            error_lines.append(self.exception)
        blocks = [("Database error", error_lines)]
        if self.statement:
            statement = [line.rstrip() for line in self.statement.splitlines() if line.strip()]
            blocks.append(("Statement", statement[:STATEMENT_LINES] + (["..."] if len(statement) > STATEMENT_LINES else [])))
        return blocks


@dataclass(frozen=True)
class ModelDifference:
    """One operation autogenerate would write, as `alembic check` lists it."""

    kind: str  # autogenerate's diff name: add_column, remove_table, modify_type...
    schema: str | None
    table: str | None
    column: str | None
    name: str | None  # of the index or constraint
    code: tuple[str, ...]  # what autogenerate would write for it
    was: str | None  # for modify_*: the migrated database's value...
    now: str | None  # ...and the models'


@dataclass(frozen=True)
class ModelComparison:
    status: str  # "compared", "no_metadata" (env.py sets no target_metadata) or "failed"
    differences: tuple[ModelDifference, ...] = ()
    failure: MigrationFailure | None = None


@dataclass(frozen=True)
class SchemaChange:
    """An object whose catalog entry differs between before an upgrade and after its downgrade."""

    change: str  # "left" (still there), "removed" (gone, though the upgrade did not create it), "changed"
    kind: str  # table, column, index, constraint, type, function...
    name: str  # schema-qualified
    before: str
    after: str


@dataclass(frozen=True)
class RoundtripFinding:
    kind: str  # "downgrade_failed", "leaves_trace" or "upgrade_again_failed"
    revision: str
    path: Path | None
    downgrade_line: int | None  # the `def downgrade` line
    changes: tuple[SchemaChange, ...]
    failure: MigrationFailure | None  # the downgrade's, or the second upgrade's


@dataclass(frozen=True)
class RoundtripReport:
    findings: tuple[RoundtripFinding, ...]
    irreversible: tuple[str, ...]  # revisions whose downgrade raises NotImplementedError
    checked: int
    stopped: str | None  # a revision whose failed round trip could not be rolled back
    error: str | None = None  # reading the catalogs failed (driftlint's own failure)


@dataclass(frozen=True)
class FreshOutcome:
    url: DatabaseURL  # the scratch database, as driftlint connects to it
    migrations_url: DatabaseURL  # the same database with the project's driver, as env.py saw it
    applied: tuple[str, ...]
    failure: MigrationFailure | None
    output: tuple[str, ...]  # the last lines of Alembic's output, passwords masked
    seconds: float
    models: ModelComparison | None = None
    roundtrip: RoundtripReport | None = None

    @property
    def ok(self) -> bool:
        """Whether the scratch database holds what `upgrade heads` builds."""
        return self.failure is None and (
            self.roundtrip is None or (self.roundtrip.stopped is None and self.roundtrip.error is None)
        )


def read_outcome(
    url: DatabaseURL, migrations_url: DatabaseURL, result_file: Path, returncode: int, out: bytes, seconds: float
) -> FreshOutcome:
    """The runner's JSON result (passwords masked); its last output line when it left none."""
    output = MASK(out.decode(errors="replace"))
    lines = tuple(line for line in output.splitlines() if line.strip())[-OUTPUT_TAIL:]
    try:
        result = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = lines[-1] if lines else f"exit status {returncode}"
        return FreshOutcome(url, migrations_url, (), MigrationFailure(None, None, None, last, "", None, None), lines, seconds)
    roundtrip = _roundtrip(result["roundtrip"]) if result.get("roundtrip") else None
    failure = None
    if not result.get("ok") or returncode != 0:
        recorded = result.get("failure")
        if recorded is not None or roundtrip is None or (roundtrip.stopped is None and roundtrip.error is None):
            failure = _failure(recorded or {"error": lines[-1] if lines else f"exit status {returncode}"})
    models = _models(result["models"]) if result.get("models") else None
    return FreshOutcome(url, migrations_url, tuple(result.get("applied") or ()), failure, lines, seconds, models, roundtrip)


def _failure(data: dict[str, Any]) -> MigrationFailure:
    return MigrationFailure(
        revision=data.get("revision"),
        path=Path(data["path"]).resolve() if data.get("path") else None,
        line=data.get("line"),
        error=MASK(str(data.get("error") or "")),
        exception=str(data.get("exception") or ""),
        sqlstate=data.get("sqlstate"),
        statement=MASK(data["statement"]) if data.get("statement") else None,
    )


def _models(data: dict[str, Any]) -> ModelComparison:
    differences = tuple(
        ModelDifference(
            kind=str(d["kind"]),
            schema=d.get("schema"),
            table=d.get("table"),
            column=d.get("column"),
            name=d.get("name"),
            code=tuple(MASK(line) for line in d.get("code") or ()),
            was=MASK(d["was"]) if d.get("was") is not None else None,
            now=MASK(d["now"]) if d.get("now") is not None else None,
        )
        for d in data.get("differences") or ()
    )
    failure = _failure(data) if data.get("status") == "failed" else None
    return ModelComparison(str(data.get("status")), differences, failure)


def _roundtrip(data: dict[str, Any]) -> RoundtripReport:
    findings = []
    for item in data.get("findings") or ():
        changes = tuple(
            SchemaChange(c["change"], c["kind"], c["name"], MASK(c["before"]), MASK(c["after"]))
            for c in item.get("differences") or ()
        )
        findings.append(
            RoundtripFinding(
                kind=item["kind"],
                revision=item["revision"],
                path=Path(item["path"]).resolve() if item.get("path") else None,
                downgrade_line=item.get("downgrade_line"),
                changes=changes,
                failure=_failure(item) if item.get("error") is not None else None,
            )
        )
    return RoundtripReport(
        tuple(findings),
        tuple(data.get("irreversible") or ()),
        int(data.get("checked") or 0),
        data.get("stopped"),
        MASK(data["error"]) if data.get("error") else None,
    )
