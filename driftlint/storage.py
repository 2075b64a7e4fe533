"""The cache folder's files: checksummed entries written atomically and read back as data, never code.

An entry is MAGIC, the SHA-256 of its payload, and the payload: a pickle that only
`load_data` reads, which rebuilds driftlint's own fact and result types (dataclasses and enums
of the modules in STORED_MODULES), paths and plain builtins, and refuses every other callable.
A cache restored from elsewhere (CI's actions/cache, a pull request that adds the folder) can
therefore hold wrong data but can never run code: a planted entry naming anything else is a
miss. Only regular files of bounded size are read, so a FIFO or a device in place of an entry
neither hangs a run nor fills its memory.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import importlib
import io
import os
import pathlib
import pickle
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import driftlint
from driftlint.signatures import LIBRARIES

CACHE_FORMAT = "3"
# Every entry starts with this, then the SHA-256 of the pickled payload: a truncated or garbled
# entry fails the check and is treated as absent, so it can never produce a wrong result.
MAGIC = b"driftlint-cache-" + CACHE_FORMAT.encode() + b"\n"
DIGEST_SIZE = 32
# No entry driftlint writes comes near this (a 10,000-revision history's facts are tens of MB).
MAX_ENTRY_BYTES = 1 << 30
GITIGNORE = "# Created by driftlint automatically.\n*\n"
CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by driftlint.\n"

# The modules whose dataclasses and enums an entry may rebuild: the facts, the findings and what
# the reuse tiers remember about a run.
STORED_MODULES = frozenset(
    {
        "driftlint.facts.model",
        "driftlint.schema.model",
        "driftlint.celery.facts",
        "driftlint.celery.values",
        "driftlint.diagnostics",
        "driftlint.revisions",
        "driftlint.source",
        "driftlint.discovery",
        "driftlint.config",
        "driftlint.inputs",
        "driftlint.engine.memory",
    }
)
_PATHS = {cls.__name__: cls for cls in (pathlib.PurePosixPath, pathlib.PureWindowsPath, pathlib.PosixPath, pathlib.WindowsPath)}


class _DataUnpickler(pickle.Unpickler):
    """Rebuilds only allowed types: a planted entry cannot name a function to call."""

    def find_class(self, module: str, name: str) -> Any:
        found = _allowed(module, name)
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a type driftlint stores")
        return found


@lru_cache(maxsize=None)
def _allowed(module: str, name: str) -> type | None:
    if module == "pathlib":
        return _PATHS.get(name)
    if module not in STORED_MODULES:
        return None
    value = getattr(importlib.import_module(module), name, None)
    if not isinstance(value, type) or value.__module__ != module:
        return None
    if dataclasses.is_dataclass(value) or issubclass(value, enum.Enum):
        return value
    return None


def load_data(payload: bytes | memoryview) -> Any:
    """A pickled value, rebuilt from allowed types only (raises on anything else)."""
    return _DataUnpickler(io.BytesIO(payload)).load()


def dump_data(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def read_regular(path: Path | str, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes; None for anything else (missing,
    unreadable, a FIFO, a device, a folder, too large). The file is opened without blocking and
    checked on its descriptor, so it cannot be swapped for a FIFO between a check and the read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        chunks = []
        total = 0
        while chunk := os.read(descriptor, max(status.st_size + 1, 65536)):
            total += len(chunk)
            if total > limit:
                return None  # it grew past the bound while being read
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def read_entry(path: Path) -> Any:
    """The value stored at `path`; None when it is missing, truncated, garbled, of another format
    or names a type driftlint does not store."""
    return read_entry_and_digest(path)[0]


def read_entry_and_digest(path: Path) -> tuple[Any, bytes | None]:
    """The value stored at `path` and the SHA-256 of its payload (which names this very entry);
    (None, None) when it cannot be read (see read_entry)."""
    blob = read_regular(path, MAX_ENTRY_BYTES)
    start = len(MAGIC) + DIGEST_SIZE
    if blob is None or len(blob) < start or not blob.startswith(MAGIC):
        return None, None
    payload = memoryview(blob)[start:]
    digest = hashlib.sha256(payload).digest()
    if digest != blob[len(MAGIC) : start]:
        return None, None
    try:
        return load_data(payload), digest
    except Exception:  # noqa: BLE001 - a planted or outdated entry (a class renamed since): a miss
        return None, None


def write_entry(directory: Path, name: str, value: Any) -> bool:
    """Store `value` under `name`, atomically: a concurrent reader sees the old entry or the new one.

    False when it cannot be written (read-only disk, full disk): the cache is an optimisation and
    never fails a check.
    """
    try:
        payload = dump_data(value)
    except Exception:  # noqa: BLE001 - an unpicklable extractor result: run uncached rather than fail
        return False
    try:
        ensure_directory(directory)
        return _replace(directory, name, MAGIC + hashlib.sha256(payload).digest() + payload)
    except OSError:
        return False


def _replace(directory: Path, name: str, data: bytes) -> bool:
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, directory / name)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return True


def ensure_directory(directory: Path) -> None:
    """Create the cache folder, with its own .gitignore and CACHEDIR.TAG, when it does not exist.

    Only a folder driftlint creates gets them: `--cache-dir` pointing at an existing folder must
    not hide that folder's files from git. Each marker is written whole or not at all, and a
    folder whose .gitignore could not be written (a full disk) is removed again, so no run can
    leave a cache folder that git would see.
    """
    if directory.is_dir():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        directory.mkdir()
    except FileExistsError:
        return  # another run created it a moment ago and writes the markers itself
    try:
        _replace(directory, ".gitignore", GITIGNORE.encode())
    except OSError:
        try:
            directory.rmdir()
        except OSError:
            pass
        raise
    try:
        _replace(directory, "CACHEDIR.TAG", CACHEDIR_TAG.encode())
    except OSError:
        pass  # the tag only spares backup tools a folder git already ignores


def scope_name(prefix: str, *parts: str) -> str:
    """A file name for one project (or one invocation): runs on other projects keep their own entries."""
    return f"{prefix}-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:20]}.pickle"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """driftlint's own source files, its version, the interpreter, and the libraries that read files.

    Reusing a result needs exactly the code that produced it. An installed wheel is known by its
    RECORD, which lists each of its files with the SHA-256 of its bytes: the same wheel installed
    again (each CI job, each new virtualenv) gets the same fingerprint, so a cache restored onto a
    new machine still answers; each module's size is added, against a hand-edited site-packages.
    An editable install (no such RECORD) counts each source file by its name, size, inode and
    modification time, as the libraries do: the version stays the same while an extractor or a
    rule changes underneath, an edit changes those, and hashing every module cost a quarter of a
    run that reuses a result.
    """
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{driftlint.__version__}\0{sys.version}\0".encode())
    package = os.path.dirname(os.path.abspath(driftlint.__file__))
    record = _wheel_record(os.path.dirname(package), "driftlint", "driftlint/storage.py")
    if record is not None:
        digest.update(b"record\0" + hashlib.sha256(record).digest())
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                status = os.stat(path)
                stamp = f"{os.path.relpath(path, package)}\0{status.st_size}\0"
                if record is None:
                    stamp += f"{status.st_ino}\0{status.st_mtime_ns}\0"
                digest.update(stamp.encode())
    for name in LIBRARIES:
        digest.update(f"{name}\0{_library_stamp(name)}\0".encode())
    return digest.hexdigest()


def _wheel_record(site: str, project: str, sample: str) -> bytes | None:
    """The lines of the RECORD of the wheel that installed `project` into `site` that list the
    package's files with their hashes; None without a RECORD that lists the `sample` module (an
    editable install's RECORD lists only its hook files)."""
    try:
        folders = [name for name in os.listdir(site) if name.startswith(f"{project}-") and name.endswith(".dist-info")]
    except OSError:
        return None
    if len(folders) != 1:
        return None  # none, or leftovers of several installs: which one is live is unclear
    record = read_regular(os.path.join(site, folders[0], "RECORD"), MAX_ENTRY_BYTES)
    if record is None or f"{sample},sha256=".encode() not in record:
        return None
    # The package's own files only: the console script's line holds the interpreter's path, and
    # direct_url.json where the wheel came from, which differ between equal installs.
    prefix = f"{project}/".encode()
    return b"\n".join(line for line in record.splitlines() if line.startswith(prefix) and b"__pycache__" not in line)


def _library_stamp(name: str) -> str:
    """An installed library, found without importing it: its wheel's RECORD when there is one,
    else where it lives and when it was written."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "absent"
    origin = spec.origin if spec is not None else None
    if not origin:
        return "absent"
    package = os.path.dirname(origin)
    record = _wheel_record(os.path.dirname(package), name, f"{name}/{os.path.basename(origin)}")
    if record is not None:
        return "record:" + hashlib.sha256(record).hexdigest()
    try:
        status = os.stat(origin)
    except OSError:
        return origin
    return f"{origin}:{status.st_size}:{status.st_mtime_ns}"
