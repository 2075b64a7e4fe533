"""Nothing a check reads escapes its recording: every stage and rule reaches the file system through
driftlint.inputs.Disk, and this test watches the builtins to prove it (the check itself never
replaces a builtin)."""

from __future__ import annotations

import builtins
import io
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import driftlint
from driftlint.engine import CheckOptions, run_check
from driftlint.storage import read_entry

from ..conftest import FIXTURES


@contextmanager
def watched() -> Iterator[set[str]]:
    """Every path os.stat, os.lstat, os.scandir, os.listdir, os.open and open were called with
    while the block ran (absolute, not normalised)."""
    touched: set[str] = set()
    saved: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def watching(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, (str, bytes, os.PathLike)):
                text = os.fsdecode(os.fspath(path))
                touched.add(text if os.path.isabs(text) else os.path.join(os.getcwd(), text))
            return original(path, *args, **kwargs)

        saved.append((owner, name, original))
        setattr(owner, name, watching)

    for owner, name in ((os, "stat"), (os, "lstat"), (os, "scandir"), (os, "listdir"), (os, "open"), (builtins, "open"), (io, "open")):
        wrap(owner, name)
    try:
        yield touched
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def _outside_the_question(cache: Path) -> Callable[[str], bool]:
    """Paths a check reads that are not inputs of its answer: the cache it writes, driftlint's own
    code and the installed libraries (both in the code fingerprint), the interpreter's files."""
    package = os.path.dirname(os.path.abspath(driftlint.__file__))
    excluded = [
        os.path.join(os.path.abspath(p), "") for p in (cache, package, sys.prefix, sys.base_prefix, "/proc", "/dev")
    ]
    # The folder the package is installed in is listed for its wheel's RECORD (the fingerprint).
    site = os.path.dirname(package)
    return lambda path: path == site or any(os.path.join(path, "").startswith(prefix) for prefix in excluded)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_path_a_check_reads_is_an_input_it_recorded(fixture: str, tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / fixture, tmp_path / fixture, symlinks=True))
    cache = tmp_path / "cache"
    previous = Path.cwd()
    os.chdir(root)
    try:
        with watched() as touched:
            run_check(CheckOptions(paths=[Path(".")], cwd=root, cache_dir=cache, reuse_result=True, jobs=1))
    finally:
        os.chdir(previous)
    entries = [read_entry(entry) for entry in cache.glob("run-*.pickle")]
    assert len(entries) == 1, "the check stored its result"
    recorded = {path for path, _how, _sig in entries[0][3].entries}
    # A folder listed, a file read or stat'ed: the manifest drops a stat another entry implies.
    skipped = _outside_the_question(cache)
    unrecorded = sorted(path for path in touched if not skipped(path) and path not in recorded)
    assert unrecorded == [], f"read without being recorded: {unrecorded[:10]}"
