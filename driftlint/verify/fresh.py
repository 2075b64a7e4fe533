"""`--fresh`: build a scratch database with the project's own `alembic upgrade heads`, then drop it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from driftlint.verify import _alembic_runner
from driftlint.verify.database import MASK, DatabaseURL, connect, quote_ident
from driftlint.verify.errors import VerifyError
from driftlint.verify.outcome import FreshOutcome, read_outcome

if TYPE_CHECKING:
    import psycopg

RUNNER = Path(_alembic_runner.__file__)


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


SCRATCH_PREFIX = "driftlint_fresh_"
# The token is also the key of the advisory lock the creating run holds while the database lives.
SCRATCH_NAME = re.compile(r"^driftlint_fresh_(?P<token>[0-9a-f]{16})$")
STALE_SCRATCH = """
SELECT d.datname FROM pg_database d
WHERE d.datname ~ '^driftlint_fresh_[0-9a-f]{16}$'
  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)
"""
HELD_ADVISORY_LOCKS = "SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1"


def scratch_name() -> str:
    return SCRATCH_PREFIX + secrets.token_hex(8)


def _lock_key(name: str) -> int:
    """The signed bigint pg_advisory_lock takes for a scratch database's token."""
    match = SCRATCH_NAME.match(name)
    assert match is not None
    key = int(match["token"], 16)
    return key - (1 << 64) if key >= 1 << 63 else key


@contextlib.contextmanager
def scratch_database(admin: DatabaseURL, timeout: float, owner: str | None = None) -> Iterator[DatabaseURL]:
    """CREATE DATABASE on admin's server; DROP it (forcibly) when the block exits, whatever happens.

    The admin connection stays open meanwhile, holding an advisory lock keyed by the database's
    name: a run killed outright (SIGKILL skips every cleanup) loses it, and the next run on the
    server drops the scratch databases that nobody holds and nobody is connected to.
    """
    name = scratch_name()
    keeper = connect(admin, timeout, autocommit=True, read_only=False)
    try:
        version = _server_version(keeper)
        if version >= 140000:
            # A server that closes idle sessions would release the lock of a run still migrating.
            keeper.execute("SET idle_session_timeout = 0")
        keeper.execute("SELECT pg_advisory_lock(%s)", (_lock_key(name),))
        sweep_scratch_databases(keeper)
        owner_clause = f" OWNER {quote_ident(owner)}" if owner else ""
        _execute(
            keeper, admin, f"CREATE DATABASE {quote_ident(name)}{owner_clause}", "create a scratch database",
            permission_hint=" (--fresh needs a role with CREATEDB on the target server)",
        )
        try:
            bound_statements(keeper, admin, name, timeout, version)
            yield admin.with_database(name)
        finally:
            _drop(keeper, admin, name, timeout)
    finally:
        keeper.close()


def sweep_scratch_databases(conn: "psycopg.Connection[Any]") -> list[str]:
    """Drop the scratch databases of runs that were killed: no lock held for them, no session in them."""
    import psycopg

    held = {(classid, objid) for classid, objid in conn.execute(HELD_ADVISORY_LOCKS).fetchall()}
    dropped = []
    for (name,) in conn.execute(STALE_SCRATCH).fetchall():
        key = _lock_key(name) & ((1 << 64) - 1)
        if (key >> 32, key & 0xFFFFFFFF) in held:
            continue
        try:
            # Not WITH (FORCE): a database someone connected to meanwhile is not stale after all.
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")  # type: ignore[arg-type]
        except psycopg.Error:
            continue  # another role's, or in use again
        dropped.append(name)
    return dropped


def bound_statements(conn: "psycopg.Connection[Any]", admin: DatabaseURL, name: str, timeout: float, version: int) -> None:
    """Every session in the scratch database gets verify's --timeout as statement and lock timeout,
    whatever driver env.py uses: a migration that sleeps or waits for a lock fails instead of
    hanging the run. On PostgreSQL 14 and later, a session whose client is gone (a runner killed
    with driftlint) ends within a second instead of finishing its statement."""
    milliseconds = int(timeout * 1000)
    settings = {"statement_timeout": f"{milliseconds}ms", "lock_timeout": f"{milliseconds}ms"}
    if version >= 140000:
        settings["client_connection_check_interval"] = "1s"
    for setting, value in settings.items():
        _execute(conn, admin, f"ALTER DATABASE {quote_ident(name)} SET {setting} = '{value}'", "bound the migrations' statements")


def initial_database(admin: DatabaseURL, timeout: float, owner: str | None = None) -> DatabaseURL:
    """The database `admin` names, as the scratch database of a cluster verify started itself and
    removes whole afterwards (CREATE DATABASE would only copy a template): owned by `owner`, as
    scratch_database makes it, when there is one, with the same statement bounds."""
    name = admin.database or "postgres"
    with connect(admin, timeout, autocommit=True, read_only=False) as conn:
        if owner:
            _execute(conn, admin, f"ALTER DATABASE {quote_ident(name)} OWNER TO {quote_ident(owner)}", "hand the database over")
        bound_statements(conn, admin, name, timeout, _server_version(conn))
    return admin


def _server_version(conn: "psycopg.Connection[Any]") -> int:
    row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    return int(row[0]) if row else 0


def _execute(
    conn: "psycopg.Connection[Any]", admin: DatabaseURL, statement: str, doing: str, permission_hint: str = ""
) -> None:
    """One statement outside a transaction as admin; a failure becomes one line."""
    try:
        conn.execute(statement)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - psycopg errors become one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = permission_hint if "permission denied" in first else ""
        raise VerifyError(MASK(f"cannot {doing} on {admin}: {first}{hint}")) from None


def _drop(keeper: "psycopg.Connection[Any]", admin: DatabaseURL, name: str, timeout: float) -> None:
    if keeper.closed or keeper.broken:
        with connect(admin, timeout, autocommit=True, read_only=False) as conn:
            drop_database(conn, name)
    else:
        drop_database(keeper, name)


def drop_database(conn: "psycopg.Connection[Any]", name: str) -> None:
    if _server_version(conn) >= 130000:
        conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")  # type: ignore[arg-type]
    else:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")  # type: ignore[arg-type]


@dataclass(frozen=True)
class RunnerChecks:
    """What the runner does besides `upgrade heads`: only what a selected gate will read."""

    roundtrip: bool = False  # DL911, DL912
    compare_models: bool = False  # DL910


class AlembicRun:
    """`alembic upgrade heads` in a subprocess of this Python, started before its database exists.

    Python, Alembic, SQLAlchemy and the driver load while the server starts and the scratch
    database is created (a third of an Alembic run on a small history); `go` hands over the URL
    (as `sqlalchemy.url` and the value of every `url_env` variable, on stdin, never on the
    command line) and the migrations start; `finish` waits for the outcome.
    """

    def __init__(
        self,
        target: AlembicTarget,
        environ: Mapping[str, str],
        driver: str,
        result_file: Path,
        timeout: float,
        checks: RunnerChecks,
    ) -> None:
        self.target = target
        self.result_file = result_file
        env = dict(environ)
        if checks.roundtrip:
            env[_alembic_runner.ROUNDTRIP_VARIABLE] = "1"
        if checks.compare_models:
            env[_alembic_runner.COMPARE_MODELS_VARIABLE] = "1"
        env[_alembic_runner.RESULT_VARIABLE] = str(result_file)
        env[_alembic_runner.URL_ON_STDIN_VARIABLE] = "1"
        env[_alembic_runner.DRIVER_VARIABLE] = driver
        # The runner dies with driftlint (it checks that this is still its parent once it asked to).
        env[_alembic_runner.PARENT_VARIABLE] = str(os.getpid())
        # libpq drivers send these at connect time, where they win over a role's own settings
        # (ALTER ROLE ... SET statement_timeout = 0); the scratch database's settings cover the rest.
        milliseconds = int(timeout * 1000)
        bounds = f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}"
        env["PGOPTIONS"] = f"{env['PGOPTIONS']} {bounds}" if env.get("PGOPTIONS") else bounds
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

    def finish(self, url: DatabaseURL, migrations_url: DatabaseURL) -> FreshOutcome:
        out = self._collect()
        seconds = time.monotonic() - self.started
        return read_outcome(url, migrations_url, self.result_file, self.process.returncode, out, seconds)

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


RUN_PREFIX = "driftlint-run-"
# Held (flock) by the run that made the folder: a folder whose lock anyone can take is a killed run's.
ALIVE_FILE = "alive.lock"


@contextlib.contextmanager
def alembic_run(
    target: AlembicTarget, environ: Mapping[str, str], driver: str, timeout: float, checks: RunnerChecks = RunnerChecks()
) -> Iterator[AlembicRun]:
    """An AlembicRun, stopped when the block exits whatever happens."""
    parent = Path(tempfile.gettempdir())
    sweep_run_folders(parent)
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=parent))
    alive = _hold_alive_lock(folder)
    try:
        run = AlembicRun(target, environ, driver, folder / "result.json", timeout, checks)
        try:
            yield run
        finally:
            run.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(alive)


def _hold_alive_lock(folder: Path) -> int:
    """Lock the folder's ALIVE_FILE before it has that name, so a sweep never sees it unlocked."""
    pending = folder / (ALIVE_FILE + ".new")
    descriptor = os.open(pending, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    os.rename(pending, folder / ALIVE_FILE)
    return descriptor


def sweep_run_folders(parent: Path) -> list[Path]:
    """Remove the run folders of killed verify runs (SIGKILL skips every cleanup)."""
    removed = []
    for folder in parent.glob(RUN_PREFIX + "*"):
        try:
            descriptor = os.open(folder / ALIVE_FILE, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue  # not ours, or one from before the lock existed
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its run is alive
        finally:
            os.close(descriptor)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
