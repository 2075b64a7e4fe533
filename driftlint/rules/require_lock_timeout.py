"""DL518 require-lock-timeout: migrations that lock existing tables run without a lock_timeout."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from driftlint.diagnostics import Diagnostic, Location, Related
from driftlint.project import Project
from driftlint.schema.model import (
    ADD_COLUMN,
    ADD_CONSTRAINT,
    ALTER_COLUMN_TYPE,
    CREATE_INDEX,
    DROP_COLUMN,
    DROP_INDEX,
    DROP_TABLE,
    REINDEX,
    RENAME_COLUMN,
    RENAME_TABLE,
    SET_LOCK_TIMEOUT,
    SET_NOT_NULL,
    VALIDATE_CONSTRAINT,
    Operation,
    exclusive,
)
from driftlint.schema.safety import Deployment, SafetyRule, concurrently, deployments

# Statements that wait for a lock on a table that running queries hold, making every later query
# on the table queue behind them. (CONCURRENTLY index builds wait too, but block no one meanwhile.)
_LOCKING = (
    ADD_COLUMN, ALTER_COLUMN_TYPE, SET_NOT_NULL, DROP_COLUMN, RENAME_COLUMN, DROP_TABLE, RENAME_TABLE,
    CREATE_INDEX, DROP_INDEX, REINDEX, ADD_CONSTRAINT, VALIDATE_CONSTRAINT,
)
_SHOWN = 5  # revisions listed in the finding


class RequireLockTimeout(SafetyRule):
    code = "DL518"
    name = "require-lock-timeout"
    summary = "Migrations lock existing tables with no lock_timeout set, so a wait for a lock blocks every query behind it"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        # Environments sharing one env.py (several sections, several declared histories) get
        # one finding there.
        by_env: dict[Path, list[tuple[Deployment, str, Operation]]] = {}
        anchors: dict[Path, int] = {}
        for deployment in deployments(project):
            if deployment.env_path is None or deployment.env is None or deployment.env.lock_timeout:
                continue  # env.py unread (outside the checked paths), or it sets one
            waiting = by_env.setdefault(deployment.env_path, [])
            anchors[deployment.env_path] = deployment.env.anchor
            waiting.extend((deployment, revision, operation) for revision, operation in self.waiting(deployment))
        for env_path, waiting in sorted(by_env.items()):
            if not waiting:
                continue
            deployment, first_revision, first = waiting[0]
            table = deployment.label(first.table) if first.table is not None else "a table"
            many = f"{len(waiting)} revisions being checked take" if len(waiting) > 1 else "a revision being checked takes"
            anchor = anchors[env_path]
            yield self.diagnostic(
                f"Migrations run without a `lock_timeout`, and {many} locks on existing tables (first: `{first_revision}` "
                f"on {table}): while such a lock waits behind a long query, every query on the table queues behind it",
                project.relpath(env_path),
                (anchor, 1, anchor, 1),
                fix_title=(
                    "Set one before the migrations run, e.g. `connection.execute(sa.text(\"SET lock_timeout = '5s'\"))` "
                    "in env.py, or `connect_args={\"options\": \"-c lock_timeout=5s\"}`"
                ),
                related=[
                    Related(d.path(revision), Location(op.span[0], op.span[1]), "takes a lock on an existing table here")
                    for d, revision, op in waiting[:_SHOWN]
                ],
                context=[("Revisions", [f"{revision} ({d.path(revision)}:{op.span[0]})" for d, revision, op in waiting])],
                subject=("lock_timeout",),
            )

    def waiting(self, deployment: Deployment) -> Iterator[tuple[str, Operation]]:
        """Each checked revision's first statement that waits for a lock on an existing table
        before the revision sets a lock_timeout of its own."""
        for revision in deployment.checked:
            timeouts: list[Operation] = []
            for operation in deployment.history.effects[revision].operations:
                if operation.kind == SET_LOCK_TIMEOUT:
                    timeouts.append(operation)
                    continue
                if operation.kind not in _LOCKING or concurrently(operation):
                    continue
                if any(not exclusive(t.branch, operation.branch) for t in timeouts):
                    break
                if self.existing(deployment, revision, operation):
                    yield revision, operation
                    break
