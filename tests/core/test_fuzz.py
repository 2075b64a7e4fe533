"""Property: whatever the revision files and configs contain, `driftlint check` exits 0, 1 or 2, never raises, never hangs."""

from __future__ import annotations

import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftlint.cli import cli

# A run over a handful of small files takes well under a second; anything near this is a hang.
HANG_SECONDS = 60
FORMATS = ["concise", "full", "json", "github", "sarif", "gitlab", "junit"]

revision_ids = st.text(alphabet="0123456789abcdef_-:@+ ", max_size=10)
# Source text of a header value: literals Alembic accepts, and expressions only known at run time.
header_values = st.one_of(
    st.none().map(repr),
    revision_ids.map(repr),
    st.lists(revision_ids, max_size=3).map(lambda ids: repr(tuple(ids))),
    st.lists(revision_ids, max_size=3).map(repr),
    st.sampled_from(["compute()", 'f"{x}"', '"a" + "b"', "os.environ['REV']", "1000", "{'a', 'b'}", "...", "PARENT"]),
)


@st.composite
def revision_sources(draw: st.DrawFn) -> str:
    """Something shaped like a revision file: header assignments in any form, a body."""
    lines = [f'"""{draw(st.text(max_size=30))}\n\nRevision ID: {draw(revision_ids)}\n"""']
    for name in draw(st.lists(st.sampled_from(["revision", "down_revision", "branch_labels", "depends_on"]), max_size=6)):
        text = draw(header_values)
        if draw(st.booleans()):
            lines.append(f"{name}: Union[str, Sequence[str], None] = {text}")
        elif draw(st.booleans()):
            lines.append(f"if CONDITION:\n    {name} = {text}")
        else:
            lines.append(f"{name} = {text}")
    lines.append("def upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer))\n")
    return "\n".join(lines) + "\n"


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
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
]
PYPROJECT_TEMPLATES = [
    '[tool.alembic]\nscript_location = "%(here)s/migrations"\nversion_locations = ["%(here)s/migrations/versions"]\n',
    '[tool.alembic]\nscript_location = 5\nrecursive_version_locations = "true"\n',
    "[tool.alembic]\nscript_location = '%(here)s/%(missing)s'\n",
    "tool = 3\n",
]
FILE_NAMES = st.sampled_from(
    ["1000_base.py", "a100_step.py", "b100 step.py", "__init__.py", ".#lock.py", "utils.py", "3f2a9c.py", "\u00e9t\u00e9.py", "nested/2024_x.py"]
)


@st.composite
def projects(draw: st.DrawFn) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if draw(st.booleans()):
        files["alembic.ini"] = draw(mutated(st.sampled_from(INI_TEMPLATES)))
    if draw(st.integers(0, 3)) == 0:
        files["pyproject.toml"] = draw(mutated(st.sampled_from(PYPROJECT_TEMPLATES)))
    if draw(st.integers(0, 5)) == 0:
        files["driftlint.toml"] = draw(mutated(st.sampled_from(['select = ["DL1"]\n', "[[tool.driftlint.environments]]\nname = 1\n"])))
    files["migrations/env.py"] = draw(mutated(st.just("from alembic import context\ncontext.run_migrations()\n")))
    for name in draw(st.lists(FILE_NAMES, min_size=1, max_size=5, unique=True)):
        files[f"migrations/versions/{name}"] = draw(mutated(revision_sources()))
    return files


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
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=projects(), output_format=st.sampled_from(FORMATS), use_cache=st.booleans())
def test_check_never_raises_never_hangs_and_exits_0_1_or_2(files: dict[str, bytes], output_format: str, use_cache: bool):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for relpath, data in files.items():
            (root / relpath).parent.mkdir(parents=True, exist_ok=True)
            (root / relpath).write_bytes(data)
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
