#!/usr/bin/env python3
"""Benchmark `driftlint check` (and `verify --fresh`) against Alembic on generated repositories (issue 7).

    python benchmarks/run.py [--quick] [--repeat N] [--sizes 1000,2000,4000] [--profile] [--out PATH] [--vs CHECKOUT]

For each size (N revisions with N/4 Celery task modules) it generates a repository with
`../shared/bench/make_synth.py` (relative to the repository root; `benchmarks/make_synth.py`, which
writes the same files, when that is absent) and measures, as medians of repeated runs taken in
this one invocation and interleaved round by round so machine noise hits every figure alike:

- `alembic heads` (loads the ScriptDirectory, imports every revision file, no database);
- `alembic heads` as its first run does it: no .pyc of the revision files (moved aside for the
  run, none written), the counterpart of driftlint's cold run with an empty cache;
- `python -c pass`, the start-up floor of any command run with this interpreter;
- `ast.parse` of every .py file of the repository and nothing else, in one process and in as
  many as driftlint uses (forked, files dealt out evenly): the floor of any check that reads
  every file with Python's own parser, against which the cold figure can be judged;
- `driftlint check` on a new clone of the same tree with the cache of the last run kept, as CI
  restoring its cache (every inode and timestamp new, the same contents);
- `driftlint check` cold (empty cache), warm (cache filled, nothing changed), after adding a
  comment to one revision file (its content and digest change, its facts do not), and after
  changing the SQL one revision runs so that it reads another table (its schema facts change:
  the rules that read them run again, the others' findings are reused);
- the peak RSS of each: `ru_maxrss` from `os.wait4` of that one child, i.e. the largest single
  process of its tree (worker processes included, each counted on its own);
- the CPU time (user + system, the child and its workers) of each, a steadier figure than wall
  time on a machine shared with other work;
- `driftlint verify --fresh` (no target: its own embedded server) against `alembic upgrade heads`
  on a repository of real migrations, when `driftlint verify` exists and PostgreSQL server programs
  are found; the target ratio subtracts the server start, measured on its own.

Children run as users run them: bytecode caching on (PYTHONDONTWRITEBYTECODE is removed from
their environment, and an unmeasured first round writes the .pyc files of driftlint, Alembic and
the revision files alike).

With `--vs CHECKOUT` (another clone of driftlint, e.g. `git worktree add ../old main~5`), every
`driftlint check` figure is measured for that checkout too, right after this one's in each round
(its own cache, the same edits), and the ratio this / that is printed: how a change moves each
figure, measured side by side rather than against a number from another day.

It prints ratios against `alembic heads` with the targets of issue 7 and writes a JSON summary
(default `benchmarks/out/summary.json`). `--profile` also writes cProfile statistics of the cold,
warm and one-edited runs at 2,000 revisions to `benchmarks/out/` and prints where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "out" / "summary.json"
FULL_SIZES = (1000, 2000, 4000)
QUICK_SIZES = (1000, 2000)
TARGET_SIZE = 2000
VERIFY_REVISIONS = 120
RACY_SECONDS = 2.1  # driftlint.inputs.RACY_WINDOW_NS, and a little more


@dataclass(frozen=True)
class Target:
    """One line of the issue's target table: a figure and the bound it must stay under."""

    figure: str
    key: str
    bound: float
    unit: str = "×"


TARGETS = (
    Target("cold check / alembic heads", "cold_vs_heads", 0.5),
    Target("warm check / alembic heads", "warm_vs_heads", 0.1),
    Target("one file edited (a comment) / alembic heads", "touched_vs_heads", 0.35),
    Target("one file edited (its SQL) / alembic heads", "changed_vs_heads", 0.35),
    Target("4,000 vs 2,000 revisions, cold", "cold_4000_vs_2000", 2.2),
    Target("peak RSS, cold", "cold_peak_rss_mb", 150.0, " MB"),
    Target("verify --fresh (less server start) / alembic upgrade heads", "verify_vs_upgrade", 1.3),
    Target("verify --fresh with the model gate (DL910) / without", "models_vs_fresh", 1.5),
    Target("verify --roundtrip / verify --fresh (each less server start)", "roundtrip_vs_fresh", 3.5),
)


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    returncode: int


@dataclass
class Series:
    """Repeated runs of one command; the median is the figure, the worst RSS is the peak."""

    label: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.runs)

    def summary(self) -> dict[str, object]:
        return {
            "command": " ".join(self.command),
            "median_s": round(self.median, 4),
            "min_s": round(min(r.seconds for r in self.runs), 4),
            "max_s": round(max(r.seconds for r in self.runs), 4),
            "runs_s": [round(r.seconds, 4) for r in self.runs],
            "cpu_median_s": round(self.cpu_median, 4),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


class BenchmarkError(Exception):
    """A measured command failed: its output is shown, the numbers would be meaningless."""


def run_child(command: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int] = (0,)) -> tuple[Run, str]:
    """Run one command, timing it and reading its own rusage (not that of earlier children)."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if process.returncode not in ok:
        raise BenchmarkError(f"`{' '.join(command)}` in {cwd} exited {process.returncode}:\n{text[-3000:]}")
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(seconds, usage.ru_utime + usage.ru_stime, rss_mb, process.returncode), text


# Read and parse every .py file under the working directory (no __pycache__), in argv[1] processes.
PARSE_FLOOR = """
import ast, gc, os, sys
gc.disable()
files = sorted(
    os.path.join(folder, name)
    for folder, subfolders, names in os.walk(".")
    if not subfolders.__setitem__(slice(None), [d for d in subfolders if d != "__pycache__" and not d.startswith(".")])
    for name in names
    if name.endswith(".py")
)
workers = int(sys.argv[1])
children = []
for share in range(1, workers):
    pid = os.fork()
    if pid == 0:
        for path in files[share::workers]:
            with open(path, "rb") as handle:
                ast.parse(handle.read())
        os._exit(0)
    children.append(pid)
for path in files[0::workers]:
    with open(path, "rb") as handle:
        ast.parse(handle.read())
for pid in children:
    os.waitpid(pid, 0)
"""


def parse_workers(env: dict[str, str]) -> int:
    """As many processes as the measured driftlint extracts with, asked of it (not re-derived)."""
    _run, text = run_child([sys.executable, "-c", "from driftlint.workers import process_count; print(process_count(None))"], REPO, env)
    return int(text.strip())


def find_generator() -> Path:
    shared = REPO.parent / "shared" / "bench" / "make_synth.py"
    return shared if shared.is_file() else HERE / "make_synth.py"


def generate(generator: Path, dest: Path, revisions: int, modules: int) -> None:
    if (dest / "alembic.ini").is_file():
        return
    subprocess.run([sys.executable, str(generator), str(dest), str(revisions), str(modules)], check=True)


def child_env() -> dict[str, str]:
    """The environment of every measured command: bytecode caching as Python does by default."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}


def driftlint_env(checkout: Path = REPO) -> dict[str, str]:
    """Measure the driftlint of `checkout` (this one by default), whatever is installed."""
    env = child_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(checkout), env.get("PYTHONPATH", "")]))
    env.pop("DRIFTLINT_CACHE_DIR", None)
    env.pop("DRIFTLINT_OUTPUT_FORMAT", None)
    return env


def check_command(cache: Path) -> list[str]:
    return [sys.executable, "-m", "driftlint", "check", ".", "--cache-dir", str(cache), "--output-format", "concise"]


def edit_revision(path: Path, original: bytes, round_number: int) -> None:
    """Change one revision file's content, not what it does: a comment line at its end (its facts
    stay the same, so driftlint reuses the findings once it has compared them)."""
    path.write_bytes(original + f"# edited in benchmark round {round_number}\n".encode())


def change_revision(path: Path, original: bytes, round_number: int) -> None:
    """Change what one revision does: its op.execute also reads another table (its schema facts
    change, so every rule that reads them runs again, and the schema history is rebuilt)."""
    changed = original.replace(
        b"SET name = lower(name)",
        f"SET name = lower(name) WHERE id IN (SELECT id FROM benchmark_{round_number})".encode(),
    )
    if changed == original:
        raise BenchmarkError(f"{path}: the generator's op.execute line was not found")
    path.write_bytes(changed)


CHECK_FIGURES = ("check_cold", "check_warm", "check_touched", "check_changed", "check_clone")


def bench_size(
    generator: Path, work: Path, revisions: int, repeat: int, other: Path | None = None
) -> dict[str, Series]:
    modules = revisions // 4
    repo = work / f"synth-{revisions}"
    generate(generator, repo, revisions, modules)
    cache = work / f"cache-{revisions}"
    env = driftlint_env()
    plain_env = child_env()
    heads = Series("alembic heads", [sys.executable, "-m", "alembic", "-c", "alembic.ini", "heads"])
    # Alembic's own cold run: no .pyc for the revision files yet, none written (driftlint's cold
    # run has no cache either). Alembic's and the libraries' .pyc stay: that is an installation.
    heads_first = Series("alembic heads 1st", heads.command + ["(no revision .pyc)"])
    no_bytecode_env = {**plain_env, "PYTHONDONTWRITEBYTECODE": "1"}
    startup = Series("python startup", [sys.executable, "-c", "pass"])
    workers = parse_workers(env) if hasattr(os, "fork") else 1
    parse_one = Series("ast.parse, 1 proc", [sys.executable, "-c", PARSE_FLOOR, "1"])
    parse_all = Series(f"ast.parse, {workers} proc", [sys.executable, "-c", PARSE_FLOOR, str(workers)])
    check = check_command(cache)
    cold = Series("check cold", check + ["(cache emptied)"])
    warm = Series("check warm", check + ["(nothing changed)"])
    touched = Series("check one edited", check + ["(a comment added to one revision)"])
    changed = Series("check one changed", check + ["(the SQL of one revision changed)"])
    clone = Series("check new clone", check + ["(a new clone of the same tree, the cache kept)"])
    # --vs: another checkout's driftlint, run right after this one's for every check figure,
    # with its own cache: the same machine moments, the same edits.
    other_env = driftlint_env(other) if other is not None else None
    other_cache = work / f"cache-{revisions}-vs"
    other_check = check_command(other_cache)
    twins = {key: Series(f"{key.removeprefix('check_')} (--vs)", other_check) for key in CHECK_FIGURES}

    def both(series: Series, key: str) -> None:
        series.runs.append(run_child(check, repo, env, ok=(0, 1))[0])
        if other_env is not None:
            twins[key].runs.append(run_child(other_check, repo, other_env, ok=(0, 1))[0])
    victim = sorted((repo / "migrations" / "versions").glob("*.py"))[revisions // 2]
    original = victim.read_bytes()
    last_write = time.monotonic()
    # One unmeasured round first: the OS file cache and .pyc files are warm for every figure alike.
    run_child(heads.command, repo, plain_env)
    run_child(check, repo, env, ok=(0, 1))
    if other_env is not None:
        run_child(other_check, repo, other_env, ok=(0, 1))
    try:
        for round_number in range(repeat):
            run, text = run_child(heads.command, repo, plain_env)
            if "(head)" not in text:
                raise BenchmarkError(f"alembic heads printed no head:\n{text}")
            heads.runs.append(run)
            # The revision .pyc files step aside inside their __pycache__ folder, so that the
            # versions folder itself is not touched.
            bytecode = repo / "migrations" / "versions" / "__pycache__"
            aside = bytecode / "aside"
            aside.mkdir(exist_ok=True)
            for compiled in bytecode.glob("*.pyc"):
                compiled.rename(aside / compiled.name)
            try:
                heads_first.runs.append(run_child(heads.command, repo, no_bytecode_env)[0])
            finally:
                for compiled in aside.glob("*.pyc"):
                    compiled.rename(bytecode / compiled.name)
            startup.runs.append(run_child(startup.command, repo, plain_env)[0])
            parse_one.runs.append(run_child(parse_one.command, repo, plain_env)[0])
            parse_all.runs.append(run_child(parse_all.command, repo, plain_env)[0])
            # driftlint never trusts the stat signature of a file changed within 2 s of a run
            # (git's "racily clean" rule; the edited revision was restored at the end of the last
            # round): keep the cold run as far from that edit as a developer would be.
            time.sleep(max(0.0, RACY_SECONDS - (time.monotonic() - last_write)))
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(other_cache, ignore_errors=True)
            both(cold, "check_cold")
            both(warm, "check_warm")
            edit_revision(victim, original, round_number)
            both(touched, "check_touched")
            change_revision(victim, original, round_number)
            both(changed, "check_changed")
            victim.write_bytes(original)
            last_write = time.monotonic()
            # CI restoring the cache of the last job onto a new clone of the same tree: every
            # inode and timestamp is new, the contents are those of the last run.
            run_child(check, repo, env, ok=(0, 1))
            if other_env is not None:
                run_child(other_check, repo, other_env, ok=(0, 1))
            fresh_clone(repo)
            both(clone, "check_clone")
            last_write = time.monotonic()  # the clone wrote every file
            print(
                f"  {revisions:>5} round {round_number + 1}/{repeat}: heads {heads.runs[-1].seconds:.3f}s"
                f"  cold {cold.runs[-1].seconds:.3f}s  warm {warm.runs[-1].seconds:.3f}s"
                f"  one edited {touched.runs[-1].seconds:.3f}s  one changed {changed.runs[-1].seconds:.3f}s"
                f"  new clone {clone.runs[-1].seconds:.3f}s",
                flush=True,
            )
    finally:
        victim.write_bytes(original)
    return {
        "alembic_heads": heads,
        "alembic_heads_first": heads_first,
        "python_startup": startup,
        "parse_floor_one": parse_one,
        "parse_floor": parse_all,
        "check_cold": cold,
        "check_warm": warm,
        "check_touched": touched,
        "check_changed": changed,
        "check_clone": clone,
        **({f"vs_{key}": series for key, series in twins.items()} if other_env is not None else {}),
    }


def fresh_clone(repo: Path) -> None:
    """Replace `repo` by a copy of itself, as `git clone` would write it: same bytes, new files."""
    copy = repo.with_name(repo.name + "-clone")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(repo, copy, symlinks=True)
    shutil.rmtree(repo)
    copy.rename(repo)


# -- verify --fresh against alembic upgrade heads ------------------------------------------------

VERIFY_ENV_PY = '''\
"""Alembic environment of the benchmark repository: the URL comes from DATABASE_URL."""
import os

from alembic import context
from sqlalchemy import create_engine

from models import metadata

config = context.config


def run_migrations_online():
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''


def write_linear_history(repo: Path, revisions: int) -> None:
    """A repository whose migrations all apply: the generator's revisions in one straight line,
    with the models they build (`models.py`, env.py's target_metadata, for DL910).

    The generated histories cannot be used here: their feature branches reference each other's
    tables, which is exactly the drift `check` reports and `upgrade` fails on.
    """
    sys.path.insert(0, str(HERE))
    import make_synth

    shutil.rmtree(repo, ignore_errors=True)
    versions = repo / "migrations" / "versions"
    versions.mkdir(parents=True)
    (repo / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = .\n")
    (repo / "migrations" / "env.py").write_text(VERIFY_ENV_PY)
    (repo / "migrations" / "script.py.mako").write_text("")
    tables: list[str] = []
    previous = None
    for number in range(revisions):
        revision = f"{number + 1:012x}"
        make_synth.write_revision(versions, revision, previous, tables)
        previous = revision
    (repo / "models.py").write_text(models_source(tables))


def models_source(tables: list[str]) -> str:
    """The tables make_synth's revisions create, as models: autogenerate finds nothing to add."""
    lines = ['"""The benchmark\'s models: the tables its migrations build."""', "import sqlalchemy as sa", "", "metadata = sa.MetaData()"]
    for parent, table in zip([None, *tables], tables):
        foreign_key = f'\n    sa.Column("parent_id", sa.Integer(), sa.ForeignKey("{parent}.id")),' if parent else ""
        lines.append(
            f'\nsa.Table(\n    "{table}",\n    metadata,\n    sa.Column("id", sa.Integer(), primary_key=True),{foreign_key}\n'
            f'    sa.Column("name", sa.String(200), nullable=False),\n    sa.Index("ix_{table}_name", "name"),\n)'
        )
    return "\n".join(lines) + "\n"


def verify_available(env: dict[str, str]) -> str | None:
    """Why `verify --fresh` cannot be measured here, or None when it can."""
    probe = subprocess.run(
        [sys.executable, "-m", "driftlint", "verify", "--help"], env=env, capture_output=True, text=True
    )
    if probe.returncode != 0:
        return "`driftlint verify` does not exist in this checkout"
    if "--fresh" not in probe.stdout:
        return "`driftlint verify` has no --fresh option"
    if find_bindir() is None:
        return "no PostgreSQL server programs (initdb, pg_ctl) found"
    return None


def find_bindir() -> Path | None:
    candidates = [os.environ.get("DRIFTLINT_PG_BINDIR", "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(result.stdout.strip())
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A throwaway PostgreSQL cluster for the verify benchmark, started once and removed at the end."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        # Its own folder under the system temp dir: when we are root it is handed to an
        # unprivileged user (initdb refuses root), who must be able to reach it.
        self.base = Path(tempfile.mkdtemp(prefix="driftlint-bench-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.user = "bench"
        self.run_as = self._unprivileged()
        if self.run_as:
            os.chown(self.base, int(self.run_as["user"]), int(self.run_as["group"]))

    def start(self) -> None:
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "--no-sync"])
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.base / "server.log"),
                   "-o", options, "start"])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str) -> None:
        subprocess.run(
            [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "postgres",
             "-v", "ON_ERROR_STOP=1", "-qc", sql],
            check=True,
            capture_output=True,
        )

    def _run(self, command: list[str], check: bool = True) -> None:
        result = subprocess.run(command, capture_output=True, text=True, **self.run_as)  # type: ignore[call-overload]
        if check and result.returncode != 0:
            raise BenchmarkError(f"`{' '.join(command)}` failed:\n{result.stdout}{result.stderr}")

    @staticmethod
    def _unprivileged() -> dict[str, object]:
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            return {}
        import pwd

        for name in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        raise BenchmarkError("running as root and no unprivileged user to run PostgreSQL as")


EMBEDDED_START = """
import time
from driftlint.verify.embedded import embedded_postgres
started = time.perf_counter()
with embedded_postgres() as server:
    ready = time.perf_counter() - started
print(ready)
"""


def bench_verify(work: Path, repeat: int) -> dict[str, object]:
    env = driftlint_env()
    reason = verify_available(env)
    if reason is not None:
        print(f"verify: skipped ({reason})")
        return {"skipped": reason}
    bindir = find_bindir()
    assert bindir is not None
    repo = work / "verify-repo"
    write_linear_history(repo, VERIFY_REVISIONS)
    upgrade = Series("alembic upgrade heads", [sys.executable, "-m", "alembic", "-c", "alembic.ini", "upgrade", "heads"])
    verify_command = [sys.executable, "-m", "driftlint", "verify", "--fresh"]
    # The figure verify has had from the start leaves out the gates added since (the model gate).
    fresh = Series("driftlint verify --fresh --ignore DL910", [*verify_command, "--ignore", "DL910"])
    models = Series("driftlint verify --fresh (DL910 on)", verify_command)
    roundtrip = Series(
        "driftlint verify --fresh --roundtrip --ignore DL910", [*verify_command, "--roundtrip", "--ignore", "DL910"]
    )
    fresh_env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "DRIFTLINT_DATABASE_URL")}
    # The server start the target excludes, as verify --fresh does it: driftlint's own embedded
    # server (initdb, then postgres until it accepts connections), timed inside a child.
    starts: list[float] = []
    start_command = [sys.executable, "-c", EMBEDDED_START]
    for round_number in range(repeat):
        # `alembic upgrade heads` on a server of its own, stopped before the other figures: an
        # idle PostgreSQL beside them slowed verify --fresh by a third on this machine.
        server = Server(bindir)
        server.start()
        try:
            database = f"bench_{round_number}"
            server.psql(f"CREATE DATABASE {database}")
            upgrade_env = child_env() | {"DATABASE_URL": server.url(database)}
            upgrade.runs.append(run_child(upgrade.command, repo, upgrade_env)[0])
        finally:
            server.stop()
        # Disks are shared: let the writes of what ran before land first, for every figure.
        os.sync()
        _, text = run_child(start_command, repo, env)
        starts.append(float(text.strip().splitlines()[-1]))
        os.sync()
        # With no target, --fresh starts its own embedded server, builds the scratch database
        # there and runs only the gates on it: the overhead the issue's target is about ("plus
        # server start", measured on its own just above and subtracted below).
        fresh.runs.append(run_child(fresh.command, repo, fresh_env, ok=(0, 1))[0])
        os.sync()
        models.runs.append(run_child(models.command, repo, fresh_env, ok=(0, 1))[0])
        os.sync()
        roundtrip.runs.append(run_child(roundtrip.command, repo, fresh_env, ok=(0, 1))[0])
        print(
            f"  verify round {round_number + 1}/{repeat}: server start {starts[-1]:.3f}s"
            f"  upgrade heads {upgrade.runs[-1].seconds:.3f}s  verify --fresh {fresh.runs[-1].seconds:.3f}s"
            f"  with DL910 {models.runs[-1].seconds:.3f}s  --roundtrip {roundtrip.runs[-1].seconds:.3f}s",
            flush=True,
        )
    server_start = statistics.median(starts)
    return {
        "revisions": VERIFY_REVISIONS,
        "server_start_s": round(server_start, 3),
        "alembic_upgrade_heads": upgrade.summary(),
        "verify_fresh": fresh.summary(),
        "verify_fresh_raw_vs_upgrade": round(fresh.median / upgrade.median, 3),
        "verify_vs_upgrade": round(max(fresh.median - server_start, 0.0) / upgrade.median, 3),
        "verify_fresh_models": models.summary(),
        "models_vs_fresh": round(models.median / fresh.median, 3),
        "verify_fresh_roundtrip": roundtrip.summary(),
        "roundtrip_vs_fresh": round(
            max(roundtrip.median - server_start, 0.0) / max(fresh.median - server_start, 1e-9), 3
        ),
        "roundtrip_vs_fresh_raw": round(roundtrip.median / fresh.median, 3),
    }


# -- profiling ------------------------------------------------------------------------------------


def profile(work: Path, out: Path, revisions: int) -> dict[str, list[str]]:
    """cProfile of cold, warm and one-edited runs; returns the top functions by cumulative time."""
    repo = work / f"synth-{revisions}"
    cache = work / f"profile-cache-{revisions}"
    env = driftlint_env()
    victim = sorted((repo / "migrations" / "versions").glob("*.py"))[revisions // 2]
    original = victim.read_bytes()
    shutil.rmtree(cache, ignore_errors=True)
    report: dict[str, list[str]] = {}
    try:
        for scenario in ("cold", "warm", "touched"):
            if scenario == "touched":
                edit_revision(victim, original, 99)
            stats_file = out / f"profile-{scenario}-{revisions}.pstats"
            command = [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "driftlint", "check", ".",
                       "--cache-dir", str(cache), "--output-format", "concise", "--jobs", "1"]
            run_child(command, repo, env, ok=(0, 1))
            stats = pstats.Stats(str(stats_file))
            rows = sorted(stats.stats.items(), key=lambda item: -item[1][3])  # type: ignore[attr-defined]
            lines = []
            for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in rows[:25]:
                lines.append(f"{cumtime:8.3f} cum {tottime:8.3f} own  {Path(filename).name}:{line}({name})")
            report[scenario] = lines
            print(f"\nprofile, {scenario} ({stats_file.name}; --jobs 1 so the workers' time is visible):")
            print("\n".join(lines))
    finally:
        victim.write_bytes(original)
    return report


# -- reporting -----------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    except OSError:  # no git on this machine
        commit = ""
    return {
        "cpus": usable,
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit.strip() or None,
        # Other work on the machine inflates every figure; ratios measured in one run stay comparable.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def ratios(sizes: dict[int, dict[str, Series]]) -> dict[str, float]:
    """The target figures (wall-time medians), plus the same ratios in CPU time (`cpu_` keys)."""
    found: dict[str, float] = {}
    if TARGET_SIZE in sizes:
        at = sizes[TARGET_SIZE]
        for prefix, value in (("", lambda s: s.median), ("cpu_", lambda s: s.cpu_median)):
            heads = value(at["alembic_heads"])
            first = value(at["alembic_heads_first"])
            for figure in ("cold", "warm", "touched", "changed", "clone"):
                found[f"{prefix}{figure}_vs_heads"] = value(at[f"check_{figure}"]) / heads
                found[f"{prefix}{figure}_vs_heads_first"] = value(at[f"check_{figure}"]) / first
            # The floor no program started with this interpreter gets under.
            found[f"{prefix}startup_vs_heads"] = value(at["python_startup"]) / heads
            found[f"{prefix}parse_one_vs_heads"] = value(at["parse_floor_one"]) / heads
            found[f"{prefix}parse_vs_heads"] = value(at["parse_floor"]) / heads
            if 4000 in sizes:
                found[f"{prefix}cold_4000_vs_2000"] = value(sizes[4000]["check_cold"]) / value(at["check_cold"])
        found["cold_peak_rss_mb"] = at["check_cold"].peak_rss_mb
    for revisions, series in sizes.items():
        for key in CHECK_FIGURES:
            if f"vs_{key}" in series:
                mine, theirs = series[key], series[f"vs_{key}"]
                found[f"{key}_{revisions}_vs_other"] = mine.median / theirs.median
                found[f"cpu_{key}_{revisions}_vs_other"] = mine.cpu_median / theirs.cpu_median
    return found


def print_report(sizes: dict[int, dict[str, Series]], found: dict[str, float]) -> list[dict[str, object]]:
    print()
    print(f"{'revisions':>9}  {'figure':<18} {'wall':>8} {'/ heads':>8} {'CPU':>8} {'/ heads':>8} {'peak RSS':>9}")
    for revisions, series in sorted(sizes.items()):
        heads = series["alembic_heads"]
        for s in series.values():
            print(
                f"{revisions:>9}  {s.label:<18} {s.median:>7.3f}s {s.median / heads.median:>7.2f}×"
                f" {s.cpu_median:>7.3f}s {s.cpu_median / heads.cpu_median:>7.2f}× {s.peak_rss_mb:>6.0f} MB"
            )
    print()
    rows = []
    for target in TARGETS:
        value = found.get(target.key)
        cpu = found.get(f"cpu_{target.key}")
        first = found.get(f"{target.key}_first")
        if value is None:
            verdict = "not measured"
            shown = "-"
        else:
            verdict = "ok" if value <= target.bound else "MISSED"
            shown = f"{value:.2f}{target.unit}"
        cpu_shown = f"(CPU {cpu:.2f}{target.unit})" if cpu is not None else ""
        first_shown = f"vs 1st run {first:.2f}{target.unit}" if first is not None else ""
        print(
            f"  {target.figure:<42} {shown:>10} {cpu_shown:<14} {first_shown:<18}"
            f" target ≤ {target.bound:g}{target.unit}  {verdict}"
        )
        rows.append(
            {
                "figure": target.figure,
                "value": None if value is None else round(value, 3),
                "cpu_value": None if cpu is None else round(cpu, 3),
                "value_vs_heads_first_run": None if first is None else round(first, 3),
                "bound": target.bound,
                "verdict": verdict,
            }
        )
    compared = sorted(k for k in found if k.endswith("_vs_other") and not k.startswith("cpu_"))
    if compared:
        print("\n  this checkout / --vs checkout (medians; within 5% is [0.95, 1.05]):")
        for key in compared:
            print(f"    {key.removesuffix('_vs_other'):<28} wall {found[key]:.3f}×  CPU {found['cpu_' + key]:.3f}×")
    floor = found.get("startup_vs_heads")
    if floor is not None:
        print(f"  (floor: `python -c pass` alone is {floor:.2f}× alembic heads on this machine)")
    parse_one, parse = found.get("parse_one_vs_heads"), found.get("parse_vs_heads")
    if parse_one is not None and parse is not None:
        print(
            f"  (floor: reading and ast.parse of every file, nothing else, is {parse_one:.2f}× alembic heads in one"
            f" process, {parse:.2f}× in as many as driftlint uses)"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,000 revisions, 3 rounds, no verify")
    parser.add_argument("--repeat", type=int, help="rounds per figure (default 5, --quick 3)")
    parser.add_argument("--sizes", help="comma-separated revision counts (default 1000,2000,4000)")
    parser.add_argument("--work-dir", type=Path, help="where repositories are generated (default: a temporary folder)")
    parser.add_argument("--profile", action="store_true", help="also write and summarise cProfile statistics")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON summary path")
    parser.add_argument("--vs", type=Path, metavar="CHECKOUT",
                        help="another driftlint checkout, measured in the same rounds for every check figure")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 5)
    sizes_wanted = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else FULL_SIZES)
    generator = find_generator()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="driftlint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(
        f"driftlint benchmark: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']},"
        f" load average {info['load_average_at_start']}; generator {generator}"
    )
    try:
        sizes = {n: bench_size(generator, work, n, repeat, args.vs) for n in sizes_wanted}
        verify = {"skipped": "--quick"} if args.quick else bench_verify(work, repeat)
        found = ratios(sizes)
        for key in ("verify_vs_upgrade", "models_vs_fresh", "roundtrip_vs_fresh"):
            if key in verify:
                found[key] = float(verify[key])  # type: ignore[arg-type]
        profiles = profile(work, args.out.parent, TARGET_SIZE) if args.profile and TARGET_SIZE in sizes else {}
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    rows = print_report(sizes, found)
    summary = {
        "machine": info,
        "generator": str(generator),
        "repeat": repeat,
        "sizes": {
            str(n): {"revisions": n, "task_modules": n // 4, **{k: s.summary() for k, s in series.items()}}
            for n, series in sizes.items()
        },
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "ratios": {k: round(v, 3) for k, v in found.items()},
        "targets": rows,
        "verify": verify,
        "profile": profiles,
    }
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\nsummary written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
