"""The embedded PostgreSQL: found, started as an unprivileged user, always stopped and removed."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from driftlint.cli import cli
from driftlint.verify.embedded import NO_SERVER, OWNER_FILE, PREFIX, embedded_postgres, find_server_programs
from driftlint.verify.errors import VerifyError

from .conftest import REPO


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_session_server_runs_unprivileged_and_answers(pg_server):
    with psycopg.connect(**pg_server.conninfo()) as conn:
        assert conn.execute("SELECT current_setting('fsync')").fetchone() == ("off",)
        data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])  # type: ignore[index]
    if os.geteuid() == 0:
        owner = pwd.getpwuid(data_dir.stat().st_uid).pw_name
        assert owner != "root"


def test_failure_inside_the_block_still_stops_and_removes_the_server():
    with pytest.raises(RuntimeError):
        with embedded_postgres() as server:
            base = server.socket_dir.parent
            pid = int((base / "data" / "postmaster.pid").read_text().splitlines()[0])
            raise RuntimeError("the verify run failed midway")
    assert not base.exists()
    assert not _alive(pid)


def test_no_server_programs_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DRIFTLINT_PG_BINDIR", "/nonexistent")
    assert find_server_programs() is None
    with pytest.raises(VerifyError, match="no PostgreSQL server programs found"):
        with embedded_postgres():
            pass


def test_no_server_programs_exits_2_with_one_line(project):
    result = CliRunner().invoke(
        cli,
        ["verify", str(project("cross-branch-fk")), "--fresh"],
        env={"DRIFTLINT_PG_BINDIR": "/nonexistent", "DATABASE_URL": None, "DRIFTLINT_DATABASE_URL": None},
    )
    assert result.exit_code == 2
    assert result.stderr == f"driftlint: error: {NO_SERVER}\n"


def test_killed_owner_takes_its_server_down_and_the_next_start_sweeps_the_folder(tmp_path):
    tmp = Path("/tmp") / f"driftlint-test-kill-{os.getpid()}"
    tmp.mkdir(mode=0o755, exist_ok=True)
    script = (
        "import os, sys\n"
        "from driftlint.verify.embedded import embedded_postgres\n"
        "with embedded_postgres() as server:\n"
        "    print(server.socket_dir.parent, flush=True)\n"
        "    sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = Path(process.stdout.readline().strip())  # type: ignore[union-attr]
        postmaster = int((base / "data" / "postmaster.pid").read_text().splitlines()[0])
        assert (base / OWNER_FILE).read_text() == str(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 20
        while _alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(postmaster), "the server outlived the process that owned it"
        assert base.exists()  # SIGKILL skips every cleanup hook...
        os.environ["TMPDIR"], previous = str(tmp), os.environ.get("TMPDIR")
        try:
            import tempfile

            tempfile.tempdir = None
            with embedded_postgres():
                pass
        finally:
            tempfile.tempdir = None
            if previous is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = previous
        assert not base.exists()  # ...so the next start removes what was left
        assert not list(tmp.glob(PREFIX + "*"))
    finally:
        if process.poll() is None:
            process.kill()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def test_pgserver_wheel_serves_when_no_system_postgresql_is_found():
    """A machine without PostgreSQL gets the server from the `pgserver` wheel (the test extra
    installs it); as root, the unprivileged account runs a private copy of that installation."""
    import importlib.util

    import psycopg

    from driftlint.verify.embedded import embedded_postgres, find_server_programs

    spec = importlib.util.find_spec("pgserver")
    assert spec is not None, "the test extra installs pgserver"
    no_system = {"PATH": "/nonexistent", "DRIFTLINT_PG_BINDIR": ""}
    programs = find_server_programs(no_system)
    if programs is not None and programs.origin != "pgserver":
        # The usual install locations still hold a server here; ask for the wheel's explicitly.
        bindir = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
        programs = find_server_programs({"DRIFTLINT_PG_BINDIR": str(bindir)})
    assert programs is not None
    with embedded_postgres(find=lambda: programs) as server:
        with psycopg.connect(**server.conninfo()) as connection:
            assert connection.execute("select 1").fetchone() == (1,)


def _listening_tcp_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                found.add(target[len("socket:[") : -1])
    return found


def test_embedded_server_listens_on_no_tcp_address():
    """A local user who finds the server in `ps` cannot connect over TCP: there is no TCP listener."""
    with embedded_postgres() as server:
        with psycopg.connect(**server.conninfo()) as conn:
            assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        postmaster = int((server.socket_dir.parent / "data" / "postmaster.pid").read_text().splitlines()[0])
        assert not _socket_inodes(postmaster) & _listening_tcp_inodes()


def test_another_os_user_cannot_connect_to_the_embedded_server():
    """The cluster trusts its connections, so only its owner (and root) may reach its socket."""
    with embedded_postgres() as server:
        mode = server.socket_dir.stat()
        assert stat.S_IMODE(mode.st_mode) == 0o700
        assert mode.st_uid == (os.geteuid() if os.geteuid() != 0 else pwd.getpwnam(_service_user(server)).pw_uid)
        if os.geteuid() != 0:
            return  # only root can act as another user; the mode above is what keeps them out
        stranger = 54321  # no account: neither the server's nor driftlint's
        child = os.fork()
        if child == 0:  # pragma: no cover - the child exits without returning to pytest
            code = 3
            try:
                os.setgroups([])
                os.setgid(stranger)
                os.setuid(stranger)
                with psycopg.connect(**server.conninfo(), connect_timeout=3):
                    code = 0
            except psycopg.OperationalError:
                code = 1
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.WEXITSTATUS(status) == 1, "another OS user connected to the embedded server"


def _service_user(server) -> str:
    return pwd.getpwuid((server.socket_dir.parent / "data").stat().st_uid).pw_name
