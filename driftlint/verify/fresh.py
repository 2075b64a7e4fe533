"""`--fresh`: build a scratch database with the project's own `alembic upgrade heads`, then drop it."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from driftlint.verify import _alembic_runner
from driftlint.verify.database import MASK, DatabaseURL, connect, quote_ident
from driftlint.verify.errors import VerifyError

RUNNER = Path(_alembic_runner.__file__)
OUTPUT_TAIL = 15


@dataclass(frozen=True)
class AlembicTarget:
    """How to run the project's migrations: its config file, section, and environment names."""

    config_file: Path | None
    section: str | None
    toml_file: Path | None
    url_env: tuple[str, ...]

    @property
    def workdir(self) -> Path:
        anchor = self.config_file or self.toml_file
        assert anchor is not None
        return anchor.parent


@dataclass(frozen=True)
class MigrationFailure:
    revision: str | None
    path: Path | None
    line: int | None
    error: str
    exception: str
    sqlstate: str | None
    statement: str | None


@dataclass(frozen=True)
class FreshOutcome:
    url: DatabaseURL  # the scratch database, as driftlint connects to it
    migrations_url: DatabaseURL  # the same database with the project's driver, as env.py saw it
    applied: tuple[str, ...]
    failure: MigrationFailure | None
    output: tuple[str, ...]  # the last lines of Alembic's output, passwords masked
    seconds: float

    @property
    def ok(self) -> bool:
        return self.failure is None


def scratch_name() -> str:
    return f"driftlint_fresh_{secrets.token_hex(5)}"


@contextlib.contextmanager
def scratch_database(admin: DatabaseURL, timeout: float, owner: str | None = None) -> Iterator[DatabaseURL]:
    """CREATE DATABASE on admin's server; DROP it (forcibly) when the block exits, whatever happens."""
    name = scratch_name()
    owner_clause = f" OWNER {quote_ident(owner)}" if owner else ""
    _run_admin(
        admin, timeout, f"CREATE DATABASE {quote_ident(name)}{owner_clause}", "create a scratch database",
        permission_hint=" (--fresh needs a role with CREATEDB on the target server)",
    )
    try:
        yield admin.with_database(name)
    finally:
        drop_database(admin, name, timeout)


def initial_database(admin: DatabaseURL, timeout: float, owner: str | None = None) -> DatabaseURL:
    """The database `admin` names, as the scratch database of a cluster verify started itself and
    removes whole afterwards (CREATE DATABASE would only copy a template): owned by `owner`, as
    scratch_database makes it, when there is one."""
    if owner:
        name = admin.database or "postgres"
        _run_admin(admin, timeout, f"ALTER DATABASE {quote_ident(name)} OWNER TO {quote_ident(owner)}", "hand the database over")
    return admin


def _run_admin(admin: DatabaseURL, timeout: float, statement: str, doing: str, permission_hint: str = "") -> None:
    """One statement outside a transaction as admin; a failure becomes one line."""
    with connect(admin, timeout, autocommit=True, read_only=False) as conn:
        try:
            conn.execute(statement)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - psycopg errors become one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            hint = permission_hint if "permission denied" in first else ""
            raise VerifyError(MASK(f"cannot {doing} on {admin}: {first}{hint}")) from None


def drop_database(admin: DatabaseURL, name: str, timeout: float) -> None:
    with connect(admin, timeout, autocommit=True, read_only=False) as conn:
        if int(conn.execute("SELECT current_setting('server_version_num')::int").fetchone()[0]) >= 130000:  # type: ignore[index]
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")  # type: ignore[arg-type]
        else:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")  # type: ignore[arg-type]


class AlembicRun:
    """`alembic upgrade heads` in a subprocess of this Python, started before its database exists.

    Python, Alembic, SQLAlchemy and the driver load while the server starts and the scratch
    database is created (a third of an Alembic run on a small history); `go` hands over the URL
    (as `sqlalchemy.url` and the value of every `url_env` variable, on stdin, never on the
    command line) and the migrations start; `finish` waits for the outcome.
    """

    def __init__(self, target: AlembicTarget, environ: Mapping[str, str], driver: str, result_file: Path) -> None:
        self.target = target
        self.result_file = result_file
        env = dict(environ)
        env[_alembic_runner.RESULT_VARIABLE] = str(result_file)
        env[_alembic_runner.URL_ON_STDIN_VARIABLE] = "1"
        env[_alembic_runner.DRIVER_VARIABLE] = driver
        args = [
            sys.executable,
            str(RUNNER),
            str(target.config_file) if target.config_file else "",
            target.section or "",
            str(target.toml_file) if target.toml_file else "",
        ]
        self.started = time.monotonic()
        self._output: bytes | None = None
        self.process = subprocess.Popen(
            args,
            cwd=target.workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def go(self, url: DatabaseURL) -> None:
        raw = url.render(hide_password=False)
        variables = {name: raw for name in self.target.url_env}
        variables[_alembic_runner.URL_VARIABLE] = raw
        self.started = time.monotonic()
        self._hand_over(json.dumps(variables).encode() + b"\n")

    def _hand_over(self, data: bytes) -> None:
        stdin, self.process.stdin = self.process.stdin, None  # communicate() must not touch it again
        if stdin is None:
            return
        try:
            stdin.write(data)
            stdin.close()
        except OSError:
            pass  # the runner is gone already: finish() reports how it ended

    def finish(self) -> tuple[tuple[str, ...], MigrationFailure | None, tuple[str, ...], float]:
        out = self._collect()
        return _outcome(self.result_file, self.process.returncode, out, time.monotonic() - self.started)

    def _collect(self) -> bytes:
        if self._output is None:
            self._output, _ = self.process.communicate()
        return self._output

    def stop(self) -> None:
        """Kill the runner if it still runs (Ctrl-C, an error before or while it migrates); one
        that still waits for its URL is told the run is off."""
        if self.process.poll() is None:
            self._hand_over(b"")
            self.process.kill()
        self._collect()


@contextlib.contextmanager
def alembic_run(target: AlembicTarget, environ: Mapping[str, str], driver: str) -> Iterator[AlembicRun]:
    """An AlembicRun, stopped when the block exits whatever happens."""
    with tempfile.TemporaryDirectory(prefix="driftlint-run-") as tmp:
        run = AlembicRun(target, environ, driver, Path(tmp) / "result.json")
        try:
            yield run
        finally:
            run.stop()


def _outcome(
    result_file: Path, returncode: int, out: bytes, seconds: float
) -> tuple[tuple[str, ...], MigrationFailure | None, tuple[str, ...], float]:
    output = MASK(out.decode(errors="replace"))
    lines = tuple(line for line in output.splitlines() if line.strip())[-OUTPUT_TAIL:]
    try:
        result = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = lines[-1] if lines else f"exit status {returncode}"
        return (), MigrationFailure(None, None, None, last, "", None, None), lines, seconds
    applied = tuple(result.get("applied") or ())
    if result.get("ok") and returncode == 0:
        return applied, None, lines, seconds
    failure = result.get("failure") or {"error": lines[-1] if lines else f"exit status {returncode}"}
    return (
        applied,
        MigrationFailure(
            revision=failure.get("revision"),
            path=Path(failure["path"]).resolve() if failure.get("path") else None,
            line=failure.get("line"),
            error=MASK(str(failure.get("error") or "")),
            exception=str(failure.get("exception") or ""),
            sqlstate=failure.get("sqlstate"),
            statement=MASK(failure["statement"]) if failure.get("statement") else None,
        ),
        lines,
        seconds,
    )
