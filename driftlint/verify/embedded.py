"""An ephemeral PostgreSQL cluster that driftlint starts, owns and always removes."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import glob
import importlib.util
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlencode

from driftlint.verify.errors import VerifyError

SUPERUSER = "postgres"
# Where package managers put the server programs when they are not on PATH.
INSTALL_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/pgsql/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/opt/homebrew/bin",
    "/usr/local/opt/postgresql*/bin",
    "/Applications/Postgres.app/Contents/Versions/*/bin",
)
# Unprivileged accounts that may own the cluster when driftlint runs as root, best first.
SERVICE_USERS = ("postgres", "nobody")
DEDICATED_USER = "driftlint-pg"
PREFIX = "driftlint-pg-"
# Only names the socket file (.s.PGSQL.5432) in the cluster's private folder: nothing binds it.
SOCKET_PORT = 5432
OWNER_FILE = "driftlint.pid"
NO_SERVER = (
    "no PostgreSQL server programs found (initdb and postgres): install PostgreSQL "
    "(e.g. `apt-get install postgresql`), put its bin directory on PATH or in DRIFTLINT_PG_BINDIR, "
    "or `pip install pgserver`"
)


@dataclass(frozen=True)
class ServerPrograms:
    """The `initdb` and `postgres` executables of one installation."""

    bindir: Path
    origin: str  # "PATH", "DRIFTLINT_PG_BINDIR", an install location, or "pgserver"

    @property
    def initdb(self) -> Path:
        return self.bindir / "initdb"

    @property
    def postgres(self) -> Path:
        return self.bindir / "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    """How to reach a running embedded cluster: its Unix socket, in a directory only its owner may enter.

    The cluster listens on no TCP address and trusts the connections that reach its socket: only
    the OS user running it (and root) can, since the socket directory has mode 0700.
    """

    socket_dir: Path
    port: int
    superuser: str
    version_num: int

    @property
    def host(self) -> str:
        """libpq's host: a directory means a Unix socket in it."""
        return str(self.socket_dir)

    def url(self, database: str, user: str | None = None, driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL (no password: only the socket's owner can connect)."""
        where = urlencode({"host": self.host, "port": self.port})
        return f"{driver}://{quote(user or self.superuser, safe='')}@/{quote(database, safe='')}?{where}"

    def conninfo(self, database: str = "postgres", user: str | None = None) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "user": user or self.superuser, "dbname": database}


def _has_programs(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres"))


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def find_server_programs(environ: dict[str, str] | None = None) -> ServerPrograms | None:
    """The newest usable installation: an explicit bindir, PATH, usual locations, then pgserver."""
    environ = dict(os.environ if environ is None else environ)
    explicit = environ.get("DRIFTLINT_PG_BINDIR")
    if explicit:
        return ServerPrograms(Path(explicit), "DRIFTLINT_PG_BINDIR") if _has_programs(Path(explicit)) else None
    on_path = shutil.which("initdb", path=environ.get("PATH"))
    if on_path:
        # Distribution wrappers (e.g. Debian's /usr/bin symlinks) resolve to the real bindir.
        bindir = Path(on_path).resolve().parent
        if _has_programs(bindir):
            return ServerPrograms(bindir, "PATH")
    for pattern in INSTALL_GLOBS:
        for candidate in sorted(glob.glob(pattern), key=_version_key, reverse=True):
            if _has_programs(Path(candidate)):
                return ServerPrograms(Path(candidate), pattern)
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        bindir = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
        if _has_programs(bindir):
            return ServerPrograms(bindir, "pgserver")
    return None


def _traversable_by_others(path: Path) -> bool:
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in (path, *path.parents))


@dataclass(frozen=True)
class _RunAs:
    user: str
    uid: int
    gid: int


def _service_account() -> _RunAs | None:
    """None when not root; else an unprivileged account (PostgreSQL refuses to run as root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    wanted = os.environ.get("DRIFTLINT_PG_USER")
    for name in (wanted,) if wanted else (*SERVICE_USERS, DEDICATED_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return _RunAs(name, entry.pw_uid, entry.pw_gid)
    if wanted:
        raise VerifyError(f"DRIFTLINT_PG_USER={wanted}: no such unprivileged user to run the embedded PostgreSQL")
    useradd = shutil.which("useradd")
    if useradd:
        done = subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", DEDICATED_USER],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            entry = pwd.getpwnam(DEDICATED_USER)
            return _RunAs(DEDICATED_USER, entry.pw_uid, entry.pw_gid)
    raise VerifyError(
        "running as root, and no unprivileged user (postgres, nobody) exists to run the embedded PostgreSQL; "
        "set DRIFTLINT_PG_USER"
    )


def _die_with_parent() -> None:
    """In the server's child process: get SIGQUIT (immediate shutdown) if driftlint is killed."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGQUIT)


def _sweep_orphans(parent: Path) -> None:
    """Remove clusters left by a driftlint that was killed (SIGKILL skips every cleanup hook)."""
    for base in parent.glob(PREFIX + "*"):
        try:
            owner = int((base / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            # The server got SIGQUIT when its owner died (see _die_with_parent); wait for it to go.
            pid_file = base / "data" / "postmaster.pid"
            for _ in range(50):
                if not pid_file.exists():
                    break
                time.sleep(0.1)
            shutil.rmtree(base, ignore_errors=True)
        except OSError:
            continue


_LIVE: set["EmbeddedCluster"] = set()
_LOCK = threading.Lock()


def _stop_all() -> None:
    for cluster in list(_LIVE):
        cluster.stop()


atexit.register(_stop_all)


class EmbeddedCluster:
    """initdb + postgres in a temporary directory; `stop()` is idempotent and always removes it."""

    def __init__(self, programs: ServerPrograms, start_timeout: float = 60.0) -> None:
        self.programs = programs
        self.start_timeout = start_timeout
        self.base: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.server: EmbeddedServer | None = None
        self._run_as: _RunAs | None = None

    @property
    def log_path(self) -> Path | None:
        return self.base / "server.log" if self.base else None

    def _spawn_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"env": {**os.environ, "LC_ALL": "C", "LANG": "C"}}
        if self._run_as is not None:
            kwargs.update(user=self._run_as.uid, group=self._run_as.gid, extra_groups=[])
        return kwargs

    def start(self) -> EmbeddedServer:
        self._run_as = _service_account()
        parent = Path(tempfile.gettempdir())
        if self._run_as is not None and not _traversable_by_others(parent):
            parent = Path("/tmp")
        _sweep_orphans(parent)
        self.base = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        (self.base / OWNER_FILE).write_text(str(os.getpid()))
        with _LOCK:
            _LIVE.add(self)
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> EmbeddedServer:
        assert self.base is not None
        data, sockets = self.base / "data", self.base / "sock"
        # The cluster trusts whoever reaches its socket, so only its owner may enter this folder
        # (root, running driftlint, passes any permission check).
        sockets.mkdir(mode=0o700)
        if self._run_as is not None:
            for path in (self.base, sockets):
                os.chown(path, self._run_as.uid, self._run_as.gid)
            os.chmod(self.base, 0o711)
            if not _traversable_by_others(self.programs.bindir):
                # e.g. pgserver installed under /root: the service account cannot reach it there,
                # so it runs a private copy of the (relocatable) installation instead.
                source = self.programs.bindir.parent
                package = self.base / "pkg"
                install = package / source.parent.name / source.name
                shutil.copytree(source, install, symlinks=True)
                # auditwheel-built wheels (pgserver) find their libraries through an RPATH into
                # the sibling "<package>.libs" folder: keep that layout.
                libs = source.parent.parent / f"{source.parent.name}.libs"
                if libs.is_dir():
                    shutil.copytree(libs, package / libs.name, symlinks=True)
                for root, dirs, files in os.walk(package):
                    for name in (*dirs, *files):
                        path = Path(root) / name
                        if not path.is_symlink():
                            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or path.stat().st_mode & stat.S_IXUSR else 0))
                for folder in (package, install.parent):
                    folder.chmod(0o755)
                self.programs = ServerPrograms(install / self.programs.bindir.name, self.programs.origin)
        initdb = subprocess.run(
            [
                str(self.programs.initdb),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            cwd=self.base,
            check=False,
            **self._spawn_kwargs(),
        )
        if initdb.returncode != 0:
            detail = (initdb.stderr or initdb.stdout).decode(errors="replace").strip().splitlines()
            raise VerifyError(f"initdb failed ({self.programs.initdb}): {detail[-1] if detail else initdb.returncode}")
        log = open(self.base / "server.log", "ab")  # noqa: SIM115 - the server writes to it until stop()
        try:
            self.process = subprocess.Popen(
                [
                    str(self.programs.postgres),
                    "-D",
                    str(data),
                    "-p",
                    str(SOCKET_PORT),
                    "-k",
                    str(sockets),
                    # No TCP address at all: the only way in is the private socket directory.
                    "-c",
                    "listen_addresses=",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=40",
                    "-c",
                    "shared_buffers=32MB",
                    "-c",
                    "log_min_messages=warning",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.base,
                # Its own session: a Ctrl-C meant for driftlint must not kill the server
                # before driftlint has dropped its scratch database.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                **self._spawn_kwargs(),
            )
        finally:
            log.close()
        version_num = self._wait_ready(sockets)
        if version_num is None:
            last_error = self._log_tail()
            self._terminate()
            raise VerifyError(f"the embedded PostgreSQL did not start: {last_error or 'no log output'}")
        self.server = EmbeddedServer(sockets, SOCKET_PORT, SUPERUSER, version_num)
        return self.server

    def _wait_ready(self, sockets: Path) -> int | None:
        import psycopg

        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return None
            try:
                with psycopg.connect(
                    host=str(sockets), port=SOCKET_PORT, user=SUPERUSER, dbname="postgres", connect_timeout=2
                ) as conn:
                    row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
                    return int(row[0]) if row else 0
            except psycopg.OperationalError:
                time.sleep(0.05)
        return None

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGINT is PostgreSQL's fast shutdown; SIGQUIT immediate; SIGKILL if all else fails.
        for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop(self) -> None:
        """Stop the server and delete its directory; safe to call more than once."""
        self._terminate()
        base, self.base = self.base, None
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
        self.server = None
        with _LOCK:
            _LIVE.discard(self)


@contextlib.contextmanager
def signals_exit() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit while a cluster lives, so cleanup code runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)


@contextlib.contextmanager
def embedded_postgres(
    start_timeout: float = 60.0,
    find: Callable[[], ServerPrograms | None] = find_server_programs,
) -> Iterator[EmbeddedServer]:
    """Start a throwaway cluster and yield how to reach it; it is gone when the block exits."""
    programs = find()
    if programs is None:
        raise VerifyError(NO_SERVER)
    cluster = EmbeddedCluster(programs, start_timeout=start_timeout)
    with signals_exit():
        try:
            yield cluster.start()
        finally:
            cluster.stop()
