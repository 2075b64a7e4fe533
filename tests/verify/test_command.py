"""The `driftlint verify` command: exit-2 lines, output formats, password masking, cleanup on interruption."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import psycopg
import pytest
from click.testing import CliRunner

from driftlint.cli import cli

from ..conftest import write_tree
from .conftest import REPO, clean_environ, ensure_role, migrate, superuser

SECRET = "S3cr3t-p@ss:w0rd%"


def invoke(*args: str, env: dict[str, str] | None = None):
    runner = CliRunner()
    return runner.invoke(
        cli,
        ["verify", *args],
        env=env or {"DATABASE_URL": None, "DRIFTLINT_DATABASE_URL": None},
        catch_exceptions=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_exits_2_with_one_line_within_the_timeout(project):
    root = project("tenant-app")
    started = time.monotonic()
    url = f"postgresql://app:{quote(SECRET, safe='')}@127.0.0.1:{closed_port()}/app"
    result = invoke(str(root), "--database-url", url, "--timeout", "3")
    assert result.exit_code == 2
    assert time.monotonic() - started < 15
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("driftlint: error: cannot connect to")
    assert "Connection refused" in result.stderr
    assert "S3cr3t" not in result.output + result.stderr


def test_malformed_url_is_reported_without_any_part_of_the_password(project):
    result = invoke(str(project("tenant-app")), "--database-url", f"postgresql://app:{SECRET}@[::1/app")
    assert result.exit_code == 2 and "not a database URL" in result.stderr
    assert "S3cr3t" not in result.stderr and "w0rd" not in result.stderr


def test_missing_alembic_config_exits_2(tmp_path: Path):
    result = invoke(str(tmp_path), "--fresh")
    assert result.exit_code == 2
    assert result.stderr.startswith("driftlint: error: no Alembic configuration") and result.stderr.count("\n") == 1


def test_nothing_to_verify_exits_2(project):
    result = invoke(str(project("tenant-app")))
    assert result.exit_code == 2 and "no database to verify" in result.stderr


def test_missing_driver_exits_2_with_the_install_hint(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = invoke(str(project("tenant-app")), "--database-url", "postgresql://u@127.0.0.1:1/db")
    assert result.exit_code == 2
    assert "pip install driftlint[verify]" in result.stderr and result.stderr.count("\n") == 1


def test_unknown_verify_setting_exits_2(project):
    root = project("tenant-app")
    (root / "pyproject.toml").write_text("[tool.driftlint.verify]\napp-rol = 'x'\n")
    result = invoke(str(root), "--fresh")
    assert result.exit_code == 2 and "unknown setting `app-rol`" in result.stderr


def _password_role(pg_server, role: str, password: str) -> str:
    """A role that must authenticate with a password (the rest of the cluster trusts its socket's owner)."""
    ensure_role(pg_server, role)
    with superuser(pg_server) as conn:
        conn.execute(f"ALTER ROLE {role} PASSWORD '{password}' CREATEDB")  # type: ignore[arg-type]
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
        line = f"local all {role} scram-sha-256\n"
        if line not in hba.read_text():
            hba.write_text(line + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.2)
    return role


@pytest.fixture
def password_role(pg_server):
    return _password_role(pg_server, "pw_user", SECRET)


def test_bad_credentials_exit_2_without_the_password(project, databases, password_role):
    name = databases.create()
    url = databases.url(name, password_role, "wrong-" + SECRET)
    result = invoke(str(project("tenant-app")), "--database-url", url)
    assert result.exit_code == 2
    assert 'bad credentials (password authentication failed for user "pw_user")' in result.stderr
    assert "wrong-" not in result.stderr and SECRET not in result.stderr


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "sarif", "github", "gitlab", "junit"])
def test_password_never_appears_in_any_output_format(project, databases, password_role, fmt):
    root = project("tenant-app")
    name = databases.create(owner=password_role)
    url = databases.url(name, password_role, SECRET)
    migrate(root, url, "0001")
    # The async URL in DATABASE_URL is reported by DL907, with its password.
    env = {"DATABASE_URL": url.replace("+psycopg", "+asyncpg"), "DRIFTLINT_DATABASE_URL": None}
    result = invoke(str(root), "--database-url", url, "--fresh", "--output-format", fmt, env=env)
    assert result.exit_code == 1, result.stderr
    everything = result.output + result.stderr
    assert "DL901" in everything and "DL907" in everything
    for form in (SECRET, "S3cr3t", "S3cr3t-p%40ss%3Aw0rd%25"):
        assert form not in everything
    assert "***" in everything


def test_json_output_is_the_check_format(project):
    result = invoke(str(project("cross-branch-fk")), "--fresh", "--output-format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    # Both heads carry their own branch label (a deliberate layout), so only the live gate fails.
    assert {d["code"] for d in data} == {"DL902"}
    (fresh,) = [d for d in data if d["code"] == "DL902"]
    assert fresh["filename"].endswith("202512151300_create_attribution_recompute_jobs.py")


def _server_dirs() -> set[str]:
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"/postgres") and b"-D" in argv:
            found.add(argv[argv.index(b"-D") + 1].decode())
    return found


@pytest.fixture
def own_tmp() -> Iterator[Path]:
    """A TMPDIR for one verify process (traversable, so a root run can hand it to postgres)."""
    path = Path(tempfile.mkdtemp(prefix="driftlint-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _leftovers(tmp: Path) -> tuple[list[str], list[str]]:
    servers = sorted(d for d in _server_dirs() if d.startswith(str(tmp)))
    return servers, sorted(str(p) for p in tmp.iterdir())


def _verify_process(args: list[str], tmp: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "driftlint", "verify", *args],
        env={**clean_environ(), "PYTHONPATH": str(REPO), "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_embedded_server_is_started_and_removed_by_the_command(project, own_tmp):
    process = _verify_process([str(project("cross-branch-fk")), "--fresh", "--output-format", "concise"], own_tmp)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "DL902" in out and "embedded PostgreSQL" in err
    assert _leftovers(own_tmp) == ([], [])


def _slow_project(project) -> Path:
    root = project("tenant-app")
    (root / "migrations/versions/0004_slow.py").write_text(
        '"""Slow backfill\n\nRevision ID: 0004\nRevises: 0003\n"""\n\nfrom alembic import op\n\n'
        'revision = "0004"\ndown_revision = "0003"\nbranch_labels = None\ndepends_on = None\n\n\n'
        'def upgrade() -> None:\n    op.execute("SELECT pg_sleep(60)")\n'
    )
    return root


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_fresh_drops_the_scratch_database(project, databases, sig, own_tmp):
    name = databases.create()
    process = _verify_process([str(_slow_project(project)), "--database-url", databases.url(name), "--fresh"], own_tmp)
    try:
        # The scratch database exists and the migration sleeps inside it.
        _wait_for(lambda: any(True for _ in databases.scratch_databases()) and _sleeping(databases))
        os.killpg(process.pid, sig)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    assert databases.scratch_databases() == []


def _sleeping(databases) -> bool:
    with superuser(databases.server) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()"
            ).fetchone()
        )


def test_interrupting_fresh_stops_and_removes_the_embedded_server(project, own_tmp):
    process = _verify_process([str(_slow_project(project)), "--fresh"], own_tmp)
    try:
        _wait_for(lambda: bool(_leftovers(own_tmp)[0]))
        (data,) = _leftovers(own_tmp)[0]
        # Interrupt while the migration sleeps inside the scratch database.
        _wait_for(lambda: _sleeping_in(Path(data)))
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2 and "interrupted" in err
    assert _leftovers(own_tmp) == ([], [])


def _sleeping_in(data: Path) -> bool:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return False
    lines = pid_file.read_text().splitlines()
    if len(lines) < 5:
        return False
    try:
        with psycopg.connect(
            host=lines[4], port=int(lines[3]), user="postgres", dbname="postgres", connect_timeout=2
        ) as conn:
            return bool(
                conn.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()"
                ).fetchone()
            )
    except psycopg.OperationalError:
        return False


def test_own_cluster_runs_the_migrations_as_the_migration_role_owning_the_database(project, own_tmp):
    """verify's own cluster has no scratch database of its own: its initial one is handed to the
    migration role, which then owns it as it would own a scratch database (FORCE ROW LEVEL
    SECURITY applies to it as the owner)."""
    process = _verify_process([str(project("forced-rls")), "--fresh", "--output-format", "concise"], own_tmp)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "FORCE ROW LEVEL SECURITY applies it even to the owner (migrator)" in out
    assert _leftovers(own_tmp) == ([], [])


def test_a_password_in_the_query_string_is_used_to_connect(project, databases, password_role):
    """`?password=` works for env.py (SQLAlchemy passes the query to the driver), so it works here."""
    root = project("tenant-app")
    name = databases.create(owner=password_role)
    url = databases.url(name, password_role) + "&password=" + quote(SECRET, safe="")
    migrate(root, url)
    result = invoke(str(root), "--database-url", url, "--output-format", "concise")
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.output + result.stderr


def test_secrets_in_the_query_string_are_never_echoed(project):
    url = (
        f"postgresql://app@127.0.0.1:{closed_port()}/app?password=Qs3cret-1&sslpassword=Qs3cret-2"
        "&options=-c%20app.key%3DQs3cret-3&application_name=mine"
    )
    result = invoke(str(project("tenant-app")), "--database-url", url, "--timeout", "2")
    assert result.exit_code == 2 and result.stderr.startswith("driftlint: error: cannot connect to")
    assert "Qs3cret" not in result.output + result.stderr
    assert "password=***" in result.stderr and "application_name=mine" in result.stderr


ECHOING_ENV = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

engine = engine_from_config(context.config.get_section(context.config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
# SQLAlchemy escapes a password its own way (`quote(password, safe=" +")`) when it renders a URL.
print("connecting to", engine.url.render_as_string(hide_password=False), flush=True)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""


@pytest.mark.parametrize("where", ["user part", "query"])
def test_a_password_as_sqlalchemy_renders_it_is_masked_in_alembic_output(tmp_path, databases, pg_server, where):
    password = "sp ace+plus@at:co/sl%pc"
    role = _password_role(pg_server, "pw_render", password.replace("'", "''"))
    root = write_tree(
        tmp_path / "repo",
        {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
            "migrations/env.py": ECHOING_ENV,
            "migrations/versions/a1.py": (
                'revision = "a1"\ndown_revision = None\n\nfrom alembic import op\n\n\n'
                'def upgrade():\n    op.execute("SELECT no_such_function()")\n'
            ),
        },
    )
    name = databases.create(owner=role)
    if where == "user part":
        url = databases.url(name, role, password)
    else:
        url = databases.url(name, role) + "&password=" + quote(password, safe="")
    result = invoke(str(root), "--database-url", url, "--fresh", "--output-format", "full")
    assert result.exit_code == 1, result.stderr
    everything = result.output + result.stderr
    assert "DL902" in everything and "connecting to postgresql+psycopg://" in everything
    for fragment in ("sp ace", "sp%20ace", "plus", "co/sl", "co%2Fsl"):
        assert fragment not in everything


def test_the_urls_application_name_wins(project, databases):
    from driftlint.verify.database import DatabaseURL, connect

    root = project("tenant-app")
    name = databases.create()
    url = databases.url(name) + "&application_name=ci-verify"
    migrate(root, databases.url(name))
    result = invoke(str(root), "--database-url", url, "--output-format", "concise")
    assert result.exit_code == 0, result.stderr
    with connect(DatabaseURL.parse(url), 5) as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("ci-verify",)
    with connect(DatabaseURL.parse(databases.url(name)), 5) as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("driftlint-verify",)


def _runner_of(pid: int) -> int | None:
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"_alembic_runner.py" in cmdline and f"\nPPid:\t{pid}\n" in status:
            return int(proc.name)
    return None


def _gone(pid: int) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return True


def test_sigkill_takes_the_runner_down_and_the_next_run_sweeps_what_was_left(project, databases, own_tmp):
    """SIGKILL skips every cleanup: the runner dies with verify (parent-death signal), and the next
    run drops the orphaned scratch database (no lock, no session) and removes the run folder."""
    name = databases.create()
    process = _verify_process([str(_slow_project(project)), "--database-url", databases.url(name), "--fresh"], own_tmp)
    try:
        _wait_for(lambda: _sleeping(databases))
        (orphan,) = databases.scratch_databases()
        runner = _runner_of(process.pid)
        assert runner is not None
        process.kill()  # verify alone, as the OOM killer or `kill -9` would
        process.communicate(timeout=30)
        _wait_for(lambda: _gone(runner), timeout=10)
        # Its session ends soon after (client_connection_check_interval), not when pg_sleep would.
        _wait_for(lambda: not _sleeping(databases), timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert databases.scratch_databases() == [orphan]
    assert [p.name.startswith("driftlint-run-") for p in own_tmp.iterdir()] == [True]

    again = _verify_process([str(project("cross-branch-fk")), "--database-url", databases.url(name), "--fresh"], own_tmp)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 1, err
    assert databases.scratch_databases() == []
    assert list(own_tmp.iterdir()) == []


def test_a_running_verify_keeps_its_scratch_database_from_another_runs_sweep(project, databases):
    from driftlint.verify.database import DatabaseURL, connect
    from driftlint.verify.fresh import scratch_database, sweep_scratch_databases

    admin = DatabaseURL.parse(databases.url("postgres"))
    with scratch_database(admin, 5) as scratch:
        # Nobody is connected to it yet (the runner has not started migrating): still not stale.
        with connect(admin, 5, autocommit=True, read_only=False) as other:
            assert sweep_scratch_databases(other) == []
        assert databases.scratch_databases() == [scratch.database]
    assert databases.scratch_databases() == []


def test_fresh_timeout_bounds_a_sleeping_migration_on_the_own_cluster(project, own_tmp):
    started = time.monotonic()
    process = _verify_process(
        [str(_slow_project(project)), "--fresh", "--timeout", "2", "--output-format", "concise"], own_tmp
    )
    out, err = process.communicate(timeout=120)
    assert time.monotonic() - started < 40
    assert process.returncode == 1, err
    assert "DL902" in out and "canceling statement due to statement timeout" in out
    assert _leftovers(own_tmp) == ([], [])


def test_select_and_ignore_choose_the_gates_as_they_choose_checks_rules(project, databases):
    """A database behind its heads fails DL901 and DL903 (its registered view is not there yet)."""
    root = project("tenant-app")
    name = databases.create()
    migrate(root, databases.url(name), "0001")
    url = databases.url(name)

    def codes(*args: str) -> list[str]:
        result = invoke(str(root), "--database-url", url, "--output-format", "json", *args)
        assert result.exit_code in (0, 1), result.stderr
        return sorted({d["code"] for d in json.loads(result.stdout)})

    assert codes() == ["DL901", "DL903"]
    assert codes("--ignore", "database-not-at-head") == ["DL903"]
    assert codes("--select", "DL905,DL906") == []
    assert codes("--select", "DL901", "--extend-select", "DL903") == ["DL901", "DL903"]
    (root / "pyproject.toml").write_text('[tool.driftlint]\nignore = ["DL901"]\n')
    assert codes() == ["DL903"]
    (root / "pyproject.toml").write_text('[tool.driftlint]\nselect = ["DL1"]\n')
    assert codes() == []
    assert codes("--select", "DL9") == ["DL901", "DL903"]


def test_an_unknown_gate_in_the_selection_exits_2(project):
    result = invoke(str(project("tenant-app")), "--fresh", "--ignore", "DL999")
    assert result.exit_code == 2 and "unknown rule `DL999`" in result.stderr


@pytest.mark.parametrize(
    ("missing", "args"),
    [
        ("alembic", ["--fresh"]),
        ("sqlalchemy", ["--fresh"]),
        ("psycopg", ["--fresh"]),
        ("alembic", ["--fresh", "--database-url", "postgresql://u@127.0.0.1:1/db"]),
        ("psycopg", ["--database-url", "postgresql://u@127.0.0.1:1/db"]),
        ("alembic", ["--roundtrip"]),
    ],
)
def test_a_missing_verify_extra_is_one_line_on_every_path(project, monkeypatch, missing, args):
    monkeypatch.setitem(sys.modules, missing, None)
    result = invoke(str(project("tenant-app")), *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"needs {missing}" in result.stderr
    assert result.stderr.endswith("which the [verify] extra installs: pip install driftlint[verify]\n")
