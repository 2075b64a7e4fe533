"""One embedded PostgreSQL per test session, plus helpers to build target databases and run verify.

Under CI (CI=true) a live test is never skipped: if the server cannot start, the session fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlencode

import psycopg
import pytest

from driftlint.verify.database import DatabaseURL
from driftlint.verify.embedded import EmbeddedCluster, EmbeddedServer, find_server_programs
from driftlint.verify.errors import VerifyError
from driftlint.verify.run import VerifyRequest, VerifyResult, run_verify

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "verify"
IN_CI = os.environ.get("CI", "").lower() == "true"
URL_VARIABLES = ("DATABASE_URL", "DRIFTLINT_DATABASE_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.live)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run the live tests, but PostgreSQL is unavailable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL is unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedServer]:
    programs = find_server_programs()
    if programs is None:
        _unavailable("no initdb/postgres found")
    assert programs is not None
    cluster = EmbeddedCluster(programs)
    try:
        server = cluster.start()
    except VerifyError as exc:
        cluster.stop()
        _unavailable(str(exc))
        raise
    try:
        yield server
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def admin_url(pg_server: EmbeddedServer) -> DatabaseURL:
    return DatabaseURL.parse(pg_server.url("postgres"))


def superuser(pg_server: EmbeddedServer, database: str = "postgres") -> psycopg.Connection[Any]:
    return psycopg.connect(**pg_server.conninfo(database), autocommit=True)


@pytest.fixture(autouse=True)
def _roles_are_per_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Roles are cluster-wide: drop the ones a test (or verify) created, memberships with them."""
    if "pg_server" not in request.fixturenames:
        yield
        return
    server: EmbeddedServer = request.getfixturevalue("pg_server")
    with superuser(server) as conn:
        before = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
    yield
    with superuser(server) as conn:
        for (role,) in conn.execute("SELECT rolname FROM pg_roles").fetchall():
            if role not in before:
                conn.execute(f'DROP ROLE "{role}"')  # type: ignore[arg-type]


@dataclass
class Databases:
    server: EmbeddedServer
    created: list[str]

    def create(self, owner: str | None = None) -> str:
        name = f"target_{secrets.token_hex(4)}"
        with superuser(self.server) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))  # type: ignore[arg-type]
        self.created.append(name)
        return name

    def url(
        self, name: str, user: str | None = None, password: str | None = None, driver: str = "postgresql+psycopg"
    ) -> str:
        credentials = user or self.server.superuser
        if password:
            credentials += f":{quote(password, safe='')}"
        socket = urlencode({"host": self.server.host, "port": self.server.port})
        return f"{driver}://{credentials}@/{name}?{socket}"

    def execute(self, name: str, *statements: str) -> None:
        with superuser(self.server, name) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def scratch_databases(self) -> list[str]:
        with superuser(self.server) as conn:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'driftlint_fresh_%'"
                ).fetchall()
            ]


@pytest.fixture
def databases(pg_server: EmbeddedServer) -> Iterator[Databases]:
    dbs = Databases(pg_server, [])
    yield dbs
    with superuser(pg_server) as conn:
        for name in dbs.created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def ensure_role(server: EmbeddedServer, role: str, *attributes: str) -> None:
    with superuser(server) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(f'CREATE ROLE "{role}" LOGIN {" ".join(attributes)}')  # type: ignore[arg-type]


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of a fixture project (verify and the engine may write caches into it)."""

    def copy(name: str) -> Path:
        destination = tmp_path / name
        shutil.copytree(FIXTURES / name, destination)
        return destination

    return copy


def clean_environ(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in URL_VARIABLES}
    environ.update(extra)
    return environ


def migrate(project_dir: Path, url: str, revision: str = "heads") -> None:
    """`alembic upgrade <revision>` in-process (test setup for target databases)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(project_dir / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        command.upgrade(config, revision)
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


@dataclass
class Run:
    result: VerifyResult
    notes: list[str]

    def codes(self) -> list[str]:
        return [d.code for d in self.result.diagnostics]

    def of(self, code: str) -> list[Any]:
        return [d for d in self.result.diagnostics if d.code == code]


@pytest.fixture
def verify(pg_server: EmbeddedServer) -> Callable[..., Run]:
    """run_verify in-process; --fresh without a target uses the session server as the embedded one."""

    def run(project_dir: Path, environ: dict[str, str] | None = None, **given: Any) -> Run:
        selection = {key: given.pop(key) for key in ("select", "ignore") if key in given}
        notes: list[str] = []
        previous = Path.cwd()
        os.chdir(project_dir)
        try:
            result = run_verify(
                VerifyRequest(
                    path=Path("."),
                    cwd=project_dir,
                    given=given,
                    select=tuple(selection.get("select", ())),
                    ignore=tuple(selection.get("ignore", ())),
                    environ=environ if environ is not None else clean_environ(),
                    server=lambda: contextlib.nullcontext(pg_server),
                ),
                notes.append,
            )
        finally:
            os.chdir(previous)
        return Run(result, notes)

    return run
