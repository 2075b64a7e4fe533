"""Properties of `driftlint check` on generated projects.

Whatever the revision files, Celery modules, Alembic configs and driftlint settings contain, and
whatever is wrong with the files themselves (unreadable, FIFOs, symlink loops, names that are not
UTF-8), the real `driftlint` program exits 0, 1 or 2, never raises, never hangs, prints valid
output, and a run answered from its cache prints byte for byte what `--no-cache` prints, edit after
edit. Where a history's headers are plain literals, Alembic's own RevisionMap says whether Alembic
can load it, and driftlint must agree.

How many examples each test draws depends on the profile: `DRIFTLINT_FUZZ=dev|ci|thorough`, and
`ci` when CI is set (.ci/run sets it), which keeps this file to about two minutes.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from driftlint.cli import cli
from driftlint.inputs import RACY_WINDOW_NS

PROFILE = os.environ.get("DRIFTLINT_FUZZ") or ("ci" if os.environ.get("CI") else "dev")
# Examples per test and profile.
BUDGET = {
    "dev": {"in_process": 30, "console": 5, "revision_map": 60, "size": 1},
    "ci": {"in_process": 40, "console": 8, "revision_map": 100, "size": 2},
    "thorough": {"in_process": 400, "console": 120, "revision_map": 1000, "size": 20},
}[PROFILE]
for name, examples in BUDGET.items():
    settings.register_profile(
        f"driftlint-{name}",
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )

# A run over a few small files takes well under a second; anything near this is a hang.
HANG_SECONDS = 120
FORMATS = ["concise", "full", "json", "github", "sarif", "gitlab", "junit"]
PROGRAM = shutil.which("driftlint", path=os.path.dirname(sys.executable)) or shutil.which("driftlint")

# -- revision files ---------------------------------------------------------------------------------

revision_ids = st.text(alphabet="0123456789abcdef_-:@+ ", max_size=10)
# Source text of a header value: literals Alembic accepts, and expressions only known at run time.
header_values = st.one_of(
    st.none().map(repr),
    revision_ids.map(repr),
    st.lists(revision_ids, max_size=3).map(lambda ids: repr(tuple(ids))),
    st.lists(revision_ids, max_size=3).map(repr),
    st.sampled_from(["compute()", 'f"{x}"', '"a" + "b"', "os.environ['REV']", "1000", "{'a', 'b'}", "...", "PARENT"]),
)
BODIES = [
    'op.create_table("t_{x}", sa.Column("id", sa.Integer, primary_key=True))',
    'op.drop_table("t_{x}")',
    'op.rename_table("t_{x}", "t_{y}")',
    'op.add_column("t_{x}", sa.Column("{y}_id", sa.Integer, sa.ForeignKey("t_{y}.id")))',
    'op.create_index("ix_{x}", "t_{x}", ["id"], unique=True)',
    'op.execute("CREATE MATERIALIZED VIEW mv_{x} AS SELECT id FROM t_{y}")',
    'op.execute("CREATE UNIQUE INDEX ux_mv_{x} ON mv_{x} (id)")',
    'op.execute("ALTER TABLE t_{x} ENABLE ROW LEVEL SECURITY")',
    'op.execute("UPDATE t_{x} SET id = id + 1")',
    'op.execute(sa.text("REFRESH MATERIALIZED VIEW mv_{x}"))',
    'if op.get_bind().dialect.name == "sqlite":\n        op.drop_table("t_{x}")\n    else:\n        op.execute("SELECT 1 FROM t_{x}")',
    "pass",
]


def pieces(templates: list[str], max_size: int) -> st.SearchStrategy[list[str]]:
    """Some of `templates`, each with {x} and {y} filled in with table or view suffixes."""
    filled = st.tuples(st.sampled_from(templates), st.sampled_from("abc"), st.sampled_from("abc"))
    return st.lists(filled.map(lambda t: t[0].format(x=t[1], y=t[2])), min_size=1, max_size=max_size)


bodies = pieces(BODIES, 3).map(lambda lines: "\n    ".join(lines))


@st.composite
def revision_sources(draw: st.DrawFn) -> str:
    """Something shaped like a revision file: header assignments in any form, a body."""
    lines = [f'"""{draw(st.text(max_size=30))}\n\nRevision ID: {draw(revision_ids)}\n"""', "from alembic import op", "import sqlalchemy as sa"]
    for name in draw(st.lists(st.sampled_from(["revision", "down_revision", "branch_labels", "depends_on"]), max_size=6)):
        text = draw(header_values)
        if draw(st.booleans()):
            lines.append(f"{name}: Union[str, Sequence[str], None] = {text}")
        elif draw(st.booleans()):
            lines.append(f"if CONDITION:\n    {name} = {text}")
        else:
            lines.append(f"{name} = {text}")
    lines.append(f"def upgrade():\n    {draw(bodies)}\n")
    return "\n".join(lines) + "\n"


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(data),
        st.just(data),
        st.just(data.replace(b"\n", b"\r\n")),
        st.just(b"\xef\xbb\xbf" + data),
        st.just(b""),
        st.integers(0, len(data)).map(lambda cut: data[:cut]),
        st.tuples(st.integers(0, len(data)), st.binary(min_size=1, max_size=20)).map(lambda t: data[: t[0]] + t[1] + data[t[0] :]),
        st.binary(max_size=200),
        st.just(data.decode("utf-8", "replace").replace("a", "\xe9").encode("latin-1", "replace")),
        st.just(data + b"x = '" + b"a" * 200_000 + b"'\n"),
        st.integers(1, 250).map(lambda n: data + b"y = " + b"(" * n + b"1" + b")" * n + b"\n"),
        st.integers(1, 3000).map(lambda n: data + b"z = " + b" + ".join([b'"a"'] * n) + b"\n"),
        st.integers(1, 120).map(lambda n: data + b"".join(b" " * i + b"if x:\n" for i in range(n)) + b" " * n + b"pass\n"),
    )


def mutated(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return strategy.map(lambda text: text.encode("utf-8")).flatmap(_mutations)


# -- Alembic configuration --------------------------------------------------------------------------

INI_TEMPLATES = [
    "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n",
    "[alembic]\nscript_location = migrations\nrecursive_version_locations = True\nsourceless = yes\n",
    "[alembic]\nscript_location = %(here)s/migrations\nversion_path_separator = os  # comment\n"
    "version_locations = %(here)s/migrations/versions:%(here)s/other\n",
    "[DEFAULT]\nscript_location = %(here)s/migrations\n[alembic]\nversion_locations = %(script_location)s/versions %(nope)s\n",
    "[one]\nscript_location = %(here)s/migrations\n[two]\nscript_location = pkg_missing:migrations\n",
    "[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = .\npath_separator = newline\n"
    "version_locations =\n    %(here)s/migrations/versions\n    %(here)s/migrations/versions/2024\n",
    "[alembic]\nsqlalchemy.url = postgresql://%%user@host/db\n",
    "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\ntruncate_slug_length = forty\n",
    "[alembic]\nscript_location = %(here)s/migrations\nfile_template = %(rev)s_%(slug)s\n",
    "",
]
PYPROJECT_TEMPLATES = [
    '[tool.alembic]\nscript_location = "%(here)s/migrations"\nversion_locations = ["%(here)s/migrations/versions"]\n',
    '[tool.alembic]\nscript_location = 5\nrecursive_version_locations = "true"\n',
    "[tool.alembic]\nscript_location = '%(here)s/%(missing)s'\n",
    "[tool.alembic]\nscript_location = '%(here)s/migrations'\ntimezone = 1.5\n",
    "tool = 3\n",
    "tool = [1]\n",
    '[project]\nname = "app"\nrequires-python = ">=3.13"\n',
    "x = " + "[" * 2000 + "]" * 2000 + "\n",
]
FILE_NAMES = st.sampled_from(
    [
        "1000_base.py", "a100_step.py", "b100 step.py", "__init__.py", ".#lock.py", "utils.py", "3f2a9c.py",
        "\u00e9t\u00e9.py", "e\u0301te\u0301.py", "nested/2024_x.py", "caf\udce9.py", "new\nline.py", "-dash.py",
        "x" * 252 + ".py",
    ]
)

# -- Celery modules ---------------------------------------------------------------------------------

CELERY_PIECES = [
    "from celery import Celery, shared_task\nfrom celery.schedules import crontab\n",
    "app = Celery('proj')\n",
    "app = Celery('proj', include=['app.tasks'])\n",
    "app.conf.beat_schedule = {{'refresh': {{'task': 'app.tasks.refresh_{x}', 'schedule': 60.0}}}}\n",
    "app.conf.beat_schedule = {{'bad': {{'task': 'app.tasks.nope', 'schedule': crontab(0, 0)}}}}\n",
    "app.conf.beat_schedule = {{'no-task': {{'schedule': 5, 'args': ()}}}}\n",
    "CELERY_BEAT_SCHEDULE = {{'x': {{'task': 'app.tasks.refresh_{x}', 'schedule': 10}}}}\n",
    "app.conf.update(beat_schedule=BEAT, CELERYBEAT_SCHEDULE=BEAT)\n",
    "app.config_from_object('app.celeryconfig', namespace='CELERY')\n",
    "@app.task\ndef refresh_{x}(name):\n    db.execute(f'REFRESH MATERIALIZED VIEW CONCURRENTLY {{name}}')\n",
    "@shared_task(bind=True)\ndef refresh_{x}(self, tenant_id):\n    with advisory_lock(1):\n        db.execute('REFRESH MATERIALIZED VIEW mv_{x}')\n",
    "@app.task\ndef rebuild_{x}():\n    db.execute('REFRESH MATERIALIZED VIEW CONCURRENTLY mv_{y}')\n",
    "MATVIEWS = ['mv_{x}', 'mv_{y}']\n",
    "@app.on_after_configure.connect\ndef setup(sender, **kw):\n    sender.add_periodic_task(10.0, refresh_{x}.s())\n",
    "app.autodiscover_tasks(['app'])\n",
]
celery_modules = pieces(CELERY_PIECES, 6).map("".join)

# -- driftlint's own settings -----------------------------------------------------------------------

SELECTORS = st.sampled_from(["ALL", "DL1", "DL101", "multiple-heads", "DL3", "parse-error", "DL999", "mulitple-heads", ""])
selector_lists = st.lists(SELECTORS, max_size=3)
GLOBS = st.sampled_from(["migrations/*", "app/**", "*.py", "x/**", "**", "alembic.ini", "[", "migrations/versions/a*"])
any_value = st.recursive(
    st.one_of(st.booleans(), st.integers(-3, 3), st.text(alphabet="aDL1_*/.", max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(alphabet="ab", max_size=2), inner, max_size=2)),
    max_leaves=5,
)
SETTINGS = {
    "select": selector_lists,
    "ignore": selector_lists,
    "extend-select": selector_lists,
    "extend-ignore": selector_lists,
    "per-file-ignores": st.dictionaries(GLOBS, st.one_of(selector_lists, st.just(["ALL"])), max_size=2),
    "exclude": st.lists(GLOBS, max_size=2),
    "extend-exclude": st.lists(GLOBS, max_size=2),
    "severity": st.dictionaries(SELECTORS, st.sampled_from(["error", "warning", "info", "fatal"]), max_size=2),
    "respect-gitignore": st.booleans(),
    "output-format": st.sampled_from([*FORMATS, "xml"]),
    "default-schema": st.sampled_from(["public", "app"]),
    "src": st.lists(st.sampled_from(["app", "src", "missing"]), max_size=2),
    "baseline": st.just("missing-baseline.json"),
    "environments": st.lists(
        st.fixed_dictionaries(
            {"script-location": st.sampled_from(["migrations", "elsewhere"])},
            optional={"name": st.text(alphabet="ab", max_size=3), "version-locations": st.lists(st.just("migrations/versions"), max_size=1)},
        ),
        max_size=1,
    ),
    "migration-role-bypasses-rls": st.booleans(),
    "tenant-arguments": st.lists(st.sampled_from(["tenant_id", "org"]), max_size=2),
    "matview-registry": st.sampled_from(["app.tasks.MATVIEWS", ""]),
    "selct": st.just(["DL1"]),
}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


@st.composite
def driftlint_settings(draw: st.DrawFn) -> str:
    """A settings table: keys driftlint knows with values of the right shape or of any shape."""
    lines = []
    for key in draw(st.lists(st.sampled_from(sorted(SETTINGS)), max_size=4, unique=True)):
        value = draw(st.one_of(SETTINGS[key], SETTINGS[key], any_value))
        lines.append(f"{json.dumps(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


# -- whole projects ---------------------------------------------------------------------------------


@st.composite
def projects(draw: st.DrawFn, max_revisions: int = 5) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if draw(st.booleans()):
        files["alembic.ini"] = draw(mutated(st.sampled_from(INI_TEMPLATES)))
    if draw(st.integers(0, 3)) == 0:
        files["pyproject.toml"] = draw(mutated(st.sampled_from(PYPROJECT_TEMPLATES)))
    if draw(st.integers(0, 2)) == 0:
        table = draw(driftlint_settings())
        if "pyproject.toml" in files and draw(st.booleans()):
            files["pyproject.toml"] += b"\n[tool.driftlint]\n" + table.encode()
        else:
            files["driftlint.toml"] = draw(st.one_of(st.just(table.encode()), mutated(st.just(table))))
    files["migrations/env.py"] = draw(mutated(st.just("from alembic import context\ncontext.run_migrations()\n")))
    if draw(st.booleans()):
        files["migrations/script.py.mako"] = b'"""${message}"""\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n'
    for name in draw(st.lists(FILE_NAMES, min_size=1, max_size=max_revisions, unique=True)):
        files[f"migrations/versions/{name}"] = draw(mutated(revision_sources()))
    for index in range(draw(st.integers(0, 2))):
        files[f"app/tasks{index or ''}.py"] = draw(mutated(celery_modules))
    if draw(st.integers(0, 3)) == 0:
        files[".gitignore"] = draw(st.sampled_from([b"app/\n", b"*.py\n!migrations/**\n", b"migrations/versions/a*\n", b"[\n"]))
    return files


def write_project(root: Path, files: dict[str, bytes]) -> None:
    for relpath, data in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if ".gitignore" in files:
        subprocess.run(["git", "init", "-q", str(root)], check=False, capture_output=True)


# -- faults: what can be wrong with the files themselves --------------------------------------------

FAULTS = ["unreadable", "unlistable", "fifo", "loop", "to-root", "dangling", "outside", "empty-dir-as-file"]
faults = st.lists(st.tuples(st.sampled_from(FAULTS), st.integers(0, 10**6)), max_size=2)


def apply_fault(root: Path, fault: str, pick: int) -> str:
    """Break one path of the project; returns what was done (for the failure report)."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and ".git" not in p.parts and ".driftlint_cache" not in p.parts)
    folders = sorted(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink() and ".git" not in p.parts and ".driftlint_cache" not in p.parts)
    if fault == "unreadable" and files:
        target = files[pick % len(files)]
        target.chmod(0)
    elif fault == "unlistable" and folders:
        target = folders[pick % len(folders)]
        target.chmod(0)
    elif fault == "fifo" and files:
        target = files[pick % len(files)]
        target.unlink()
        os.mkfifo(target)
    elif fault in LINKS and folders:
        name, points_to = LINKS[fault]
        target = folders[pick % len(folders)] / name
        if os.path.lexists(target):
            return f"{fault}: {target.relative_to(root)} is there already"
        if points_to is None:
            target.mkdir()
        else:
            target.symlink_to(points_to)
    else:
        return f"{fault}: nothing to break"
    return f"{fault}: {target.relative_to(root)}"


# A name in some folder of the project and where it points (None: an empty folder named .py).
LINKS = {
    "loop": ("loop", ".."),
    "to-root": ("rootfs", "/"),
    "dangling": ("9999_gone.py", "nowhere/9999_gone.py"),
    "outside": ("a300_linked.py", "/etc/hostname"),
    "empty-dir-as-file": ("b300_folder.py", None),
}


def restore_permissions(root: Path) -> None:
    """So that the temporary folder can be removed after a fault made parts of it unreadable."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                try:
                    os.chmod(path, 0o700 if os.path.isdir(path) else 0o600)
                except OSError:
                    pass
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]


def _without_file_permission_override() -> None:
    """Root loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so unreadable files stop it too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP; without CAP_SETPCAP root simply reads on


# -- edits between runs -----------------------------------------------------------------------------

EDITS = ["rewrite", "same-size", "append-comment", "add-revision", "delete", "rename", "touch", "settings", "celery", "fault"]
edits = st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10**6), st.binary(max_size=40)), min_size=1, max_size=3)


def apply_edit(root: Path, edit: str, pick: int, data: bytes, source: bytes) -> str:
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and ".git" not in p.parts and ".driftlint_cache" not in p.parts
        and os.access(p, os.R_OK | os.W_OK) and not stat.S_ISFIFO(p.stat().st_mode)
    )
    if edit == "add-revision":
        target = root / "migrations/versions" / f"f{pick % 1000:03d}_added.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source)
        return f"added {target.relative_to(root)}"
    if edit == "settings":
        (root / "driftlint.toml").write_bytes(data.decode("utf-8", "replace").encode() if pick % 2 else b'select = ["DL1"]\n')
        return "rewrote driftlint.toml"
    if edit == "celery":
        target = root / "app/tasks.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(CELERY_PIECES[0].encode() + CELERY_PIECES[1 + pick % (len(CELERY_PIECES) - 1)].format(x="a", y="b").encode())
        return "rewrote app/tasks.py"
    if edit == "fault":
        return apply_fault(root, FAULTS[pick % len(FAULTS)], pick)
    if not files:
        return f"{edit}: no file"
    target = files[pick % len(files)]
    where = target.relative_to(root)
    if edit == "rewrite":
        target.write_bytes(source)
    elif edit == "same-size":
        # An edit git calls racy: same size, same mtime; only the contents (and ctime) differ.
        before = target.stat()
        old = target.read_bytes()
        new = bytes((b + 1) % 256 if i == pick % max(len(old), 1) else b for i, b in enumerate(old))
        target.write_bytes(new)
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif edit == "append-comment":
        with target.open("ab") as handle:
            handle.write(b"\n# " + data.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n")
    elif edit == "delete":
        target.unlink()
    elif edit == "rename":
        target.rename(target.with_name("r" + target.name[-200:]))  # a name stays under 255 bytes
    elif edit == "touch":
        os.utime(target)
    return f"{edit}: {where}"


# -- running the real program -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: bytes
    stderr: bytes


def program(root: Path, *args: str) -> Run:
    """The installed `driftlint` console script, in its own process, as a user on a UTF-8 terminal
    runs it (though not on a terminal: output goes to a pipe, as in CI and pre-commit)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DRIFTLINT_CACHE_DIR", "DRIFTLINT_OUTPUT_FORMAT", "NO_COLOR")}
    env["LC_ALL"] = "C.UTF-8"
    try:
        completed = subprocess.run(
            [PROGRAM or "driftlint", "check", *args], cwd=root, capture_output=True, timeout=HANG_SECONDS, env=env,
            preexec_fn=_without_file_permission_override if os.geteuid() == 0 else None,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"driftlint check {' '.join(args)} ran longer than {HANG_SECONDS}s: a hang") from None
    return Run(completed.returncode, completed.stdout, completed.stderr)


def difference(cached: Run, fresh: Run) -> str:
    import difflib

    lines = []
    for what in ("stdout", "stderr"):
        a, b = (getattr(run, what).decode("utf-8", "replace").splitlines() for run in (cached, fresh))
        lines += difflib.unified_diff(a, b, f"{what} cached (exit {cached.code})", f"{what} --no-cache (exit {fresh.code})", lineterm="")
    return "\n".join(lines)


def assert_well_behaved(run: Run, fmt: str | None) -> None:
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.code in (0, 1, 2), stderr
    assert b"Traceback" not in run.stderr, stderr
    if run.code == 2:
        assert stderr.startswith("driftlint: error: ") and stderr.count("\n") == 1, stderr
        assert "internal error" not in stderr, stderr
        return
    text = run.stdout.decode("utf-8")  # valid UTF-8 whatever the file names
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(text)
    elif fmt == "junit":
        ElementTree.fromstring(run.stdout)


# -- the properties -----------------------------------------------------------------------------------


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts the run (Unix main thread only)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"driftlint check ran longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the hang guard needs SIGALRM")
@settings(settings.get_profile("driftlint-in_process"))
@given(files=projects(), output_format=st.sampled_from(FORMATS), use_cache=st.booleans())
def test_check_never_raises_never_hangs_and_exits_0_1_or_2(files: dict[str, bytes], output_format: str, use_cache: bool):
    """In-process, many examples: the engine and every output format on any content."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_project(root, files)
        args = ["check", "--output-format", output_format, "--color", "never"]
        args += ["--cache-dir", str(root / ".cache")] if use_cache else ["--no-cache"]
        previous = Path.cwd()
        os.chdir(root)
        try:
            with hang_guard(HANG_SECONDS):
                result = CliRunner().invoke(cli, args)
                again = CliRunner().invoke(cli, args) if use_cache else result
        finally:
            os.chdir(previous)
    for run in (result, again):
        assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
        assert run.exit_code in (0, 1, 2), run.output
        assert "Traceback" not in run.output
        if run.exit_code == 2:
            assert run.stderr.startswith("driftlint: error: ") and "internal error" not in run.stderr, run.stderr
    assert again.stdout == result.stdout, "a second run, from the cache, must report the same"


@pytest.mark.skipif(PROGRAM is None, reason="the driftlint console script is not installed")
@settings(settings.get_profile("driftlint-console"), deadline=timedelta(seconds=HANG_SECONDS * 4))
@given(
    files=projects(),
    broken=faults,
    changes=edits,
    sources=st.lists(mutated(revision_sources()), min_size=3, max_size=3),
    output_format=st.one_of(st.none(), st.sampled_from(FORMATS)),
    aged=st.booleans(),
)
def test_console_script_after_each_edit_prints_what_no_cache_prints(files, broken, changes, sources, output_format, aged):
    """The real program, cold and then after each edit: what the cache answers (the output
    snapshot, the stored result, reused facts) is byte for byte what `--no-cache` prints.

    `aged`: the files are older than the racy window before the first run, so the next runs trust
    what they recorded of the files no edit touched (the tiers that skip reading them)."""
    args = ["--output-format", output_format] if output_format else []
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "project"
        root.mkdir()
        try:
            write_project(root, files)
            for fault, pick in broken:
                note(apply_fault(root, fault, pick))
            if aged:
                time.sleep(RACY_WINDOW_NS / 1e9 + 0.1)
            cold = program(root, *args)
            assert_well_behaved(cold, output_format)
            for (edit, pick, data), source in zip(changes, sources):
                note(apply_edit(root, edit, pick, data, source))
                cached = program(root, *args)
                fresh = program(root, "--no-cache", *args)
                assert_well_behaved(fresh, output_format)
                assert cached == fresh, "a cached run must print what --no-cache prints:\n" + difference(cached, fresh)
        finally:
            restore_permissions(root)


# -- Alembic's RevisionMap as the oracle --------------------------------------------------------------

ID_POOL = ["1000", "a100", "b100", "c100", "d100", "e100"]
BAD_IDS = ["a-1", "x@y", "p+q", "c:d"]
LABELS = ["lib", "app", "a100"]


@dataclass
class Header:
    revision: str
    down: str | tuple[str, ...] | None
    labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()


@st.composite
def histories(draw: st.DrawFn) -> list[Header]:
    """Revision headers as plain literals: mostly well-formed, now and then a missing parent, a
    cycle, a label used twice, a character Alembic rejects. Ids are unique: with a duplicate,
    Alembic still resolves the shadowed file's depends_on and labels (RevisionMap._revision_map
    iterates all_revisions), which driftlint's DL104 handling does not follow yet."""
    count = draw(st.integers(1, 6))
    ids = draw(st.lists(st.sampled_from(ID_POOL), min_size=count, max_size=count, unique=True))
    if draw(st.integers(0, 6)) == 0:
        ids[draw(st.integers(0, count - 1))] = draw(st.sampled_from(BAD_IDS))
    headers = []
    for index, rid in enumerate(ids):
        earlier = ids[:index] or [None]
        if draw(st.integers(0, 9)) == 0:
            down = draw(st.sampled_from(["9999", *ids]))  # missing, itself, or a later one: a cycle
        elif len(earlier) > 1 and draw(st.integers(0, 3)) == 0:
            down = tuple(draw(st.lists(st.sampled_from(earlier), min_size=2, max_size=2, unique=True)))  # a merge
        else:
            down = draw(st.sampled_from(earlier))
        labels = tuple(draw(st.lists(st.sampled_from(LABELS), max_size=1))) if draw(st.integers(0, 4)) == 0 else ()
        # Not its own label: Alembic loads a revision that depends on its own branch label,
        # driftlint reports a cycle (DL105) there (reported to the graph engineer).
        references = [e for e in earlier if e is not None] + [label for label in ("lib", "9999") if label not in labels]
        depends_on = (draw(st.sampled_from(references)),) if draw(st.integers(0, 3)) == 0 else ()
        headers.append(Header(rid, down, labels, depends_on))
    return headers


def alembic_revision_map(headers: list[Header]) -> tuple[tuple[str, ...], str | None]:
    """(heads, None) when Alembic's RevisionMap builds from these headers (as ScriptDirectory
    does when every command starts), else ((), its error). Builds Revision objects: no file is
    imported."""
    import warnings

    from alembic.script.revision import Revision, RevisionMap

    try:
        revisions = [Revision(h.revision, h.down, branch_labels=h.labels or None, dependencies=h.depends_on or None) for h in headers]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a duplicate id only warns
            revision_map = RevisionMap(lambda: revisions)
            return tuple(revision_map.heads), None
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return (), f"{type(exc).__name__}: {exc}"


def history_files(headers: list[Header]) -> dict[str, str]:
    files = {"alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n", "migrations/env.py": ""}
    for index, header in enumerate(headers):
        files[f"migrations/versions/r{index:04d}.py"] = (
            f"revision = {header.revision!r}\ndown_revision = {header.down!r}\n"
            f"branch_labels = {header.labels or None!r}\ndepends_on = {header.depends_on or None!r}\n"
        )
    return files


# What driftlint reports when Alembic cannot build the revision map.
LOAD_FAILURES = {"DL103", "DL105", "DL110", "DL112"}


@settings(settings.get_profile("driftlint-revision_map"))
@given(headers=histories())
def test_driftlint_reports_a_history_exactly_when_alembic_cannot_load_it(headers: list[Header]):
    from .conftest import check

    _heads, error = alembic_revision_map(headers)
    note(f"Alembic: {error}")
    event("Alembic fails" if error else "Alembic loads")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for relpath, text in history_files(headers).items():
            (root / relpath).parent.mkdir(parents=True, exist_ok=True)
            (root / relpath).write_text(text)
        reported = sorted({d.code for d in check(root).diagnostics} & LOAD_FAILURES)
    assert bool(reported) == (error is not None), f"driftlint reported {reported}; Alembic: {error}"


# -- size: thousands of revisions within a time bound -------------------------------------------------


def large_history(size: int, seed: int, heads: int, bases: int, cycle: bool) -> list[Header]:
    """A mostly linear history with feature branches merged back, some extra heads and bases,
    and maybe a two-revision cycle: the shapes of real histories, at scale."""
    rnd = random.Random(seed)
    ids = [f"{rnd.getrandbits(48):012x}" for _ in range(size)]
    headers: list[Header] = []
    tip: str | None = None
    index = 0
    while index < size:
        if tip is not None and index + 3 < size and rnd.random() < 0.05:
            first, second, merge = ids[index : index + 3]
            headers += [Header(first, tip), Header(second, tip), Header(merge, (first, second))]
            tip = merge
            index += 3
            continue
        headers.append(Header(ids[index], tip))
        tip = ids[index]
        index += 1
    for extra in range(heads):
        parent = headers[rnd.randrange(len(headers))].revision
        headers.append(Header(f"head{extra:04d}", parent))
    for extra in range(bases):
        headers.append(Header(f"base{extra:04d}", None))
    if cycle:
        headers[size // 2] = replace(headers[size // 2], down=headers[size // 2 + 1].revision)
    return headers


@pytest.mark.skipif(PROGRAM is None, reason="the driftlint console script is not installed")
@settings(settings.get_profile("driftlint-size"), deadline=timedelta(seconds=90))
@given(
    size=st.integers(1000, 4000),
    seed=st.integers(0, 2**32),
    heads=st.integers(0, 5),
    bases=st.integers(0, 5),
    cycle=st.booleans(),
)
def test_thousands_of_revisions_are_checked_within_the_deadline(size, seed, heads, bases, cycle):
    """The deadline bounds each example (writing the files, driftlint cold, Alembic's map): a
    check that turns quadratic at this size blows it, a linear one takes a few seconds."""
    headers = large_history(size, seed, heads, bases, cycle)
    alembic_heads, error = alembic_revision_map(headers)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for relpath, text in history_files(headers).items():
            (root / relpath).parent.mkdir(parents=True, exist_ok=True)
            (root / relpath).write_text(text)
        run = program(root, "--no-cache", "--output-format", "json")
    assert_well_behaved(run, "json")
    codes = {item["code"] for item in json.loads(run.stdout)}
    assert bool(codes & LOAD_FAILURES) == (error is not None), f"driftlint reported {sorted(codes)}; Alembic: {error}"
    if error is None:
        assert ("DL101" in codes) == (len(alembic_heads) > 1)
