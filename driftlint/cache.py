"""The on-disk cache: each file's facts by content digest, and whole results by every input of a run."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import driftlint
from driftlint.facts.model import FileFacts
from driftlint.facts.store import LazyFileFacts
from driftlint.signatures import LIBRARIES

CACHE_FORMAT = "2"
# Every entry starts with this, then the SHA-256 of the pickled payload: a truncated or garbled
# entry fails the check and is treated as absent, so it can never produce a wrong result.
MAGIC = b"driftlint-cache-" + CACHE_FORMAT.encode() + b"\n"
DIGEST_SIZE = 32
# Facts of files extracted since the pack was written, kept in its delta before a new pack.
DELTA_LIMIT = 256
GITIGNORE = "# Created by driftlint automatically.\n*\n"
CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by driftlint.\n"


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
    record = _wheel_record(os.path.dirname(package), "driftlint", "driftlint/engine.py")
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
    try:
        with open(os.path.join(site, folders[0], "RECORD"), "rb") as handle:
            record = handle.read()
    except OSError:
        return None
    if f"{sample},sha256=".encode() not in record:
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


def scope_name(prefix: str, *parts: str) -> str:
    """A file name for one project (or one invocation): runs on other projects keep their own entries."""
    return f"{prefix}-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:20]}.pickle"


def read_entry(path: Path) -> Any:
    """The value stored at `path`; None when it is missing, truncated, garbled or of another format."""
    return read_entry_and_digest(path)[0]


def read_entry_and_digest(path: Path) -> tuple[Any, bytes | None]:
    """The value stored at `path` and the SHA-256 of its payload (which names this very entry);
    (None, None) when it is missing, truncated, garbled or of another format."""
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
    except OSError:
        return None, None
    start = len(MAGIC) + DIGEST_SIZE
    if len(blob) < start or not blob.startswith(MAGIC):
        return None, None
    payload = memoryview(blob)[start:]
    digest = hashlib.sha256(payload).digest()
    if digest != blob[len(MAGIC) : start]:
        return None, None
    try:
        return pickle.loads(payload), digest
    except Exception:  # noqa: BLE001 - e.g. a class renamed since: a miss, never a crash
        return None, None


def write_entry(directory: Path, name: str, value: Any) -> bool:
    """Store `value` under `name`, atomically: a concurrent reader sees the old entry or the new one.

    False when it cannot be written (read-only disk, full disk): the cache is an optimisation and
    never fails a check.
    """
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable extractor result: run uncached rather than fail
        return False
    try:
        ensure_directory(directory)
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(temp, directory / name)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except OSError:
        return False
    return True


def ensure_directory(directory: Path) -> None:
    """Create the cache folder, with its own .gitignore and CACHEDIR.TAG, when it does not exist.

    Only a folder driftlint creates gets them: `--cache-dir` pointing at an existing folder must
    not hide that folder's files from git.
    """
    if directory.is_dir():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        directory.mkdir()
    except FileExistsError:
        return  # another run created it a moment ago and writes the markers itself
    for name, text in ((".gitignore", GITIGNORE), ("CACHEDIR.TAG", CACHEDIR_TAG)):
        (directory / name).write_text(text, encoding="utf-8")


class FactCache:
    """Each file's facts, keyed by its path, kind and content digest, in one file per project.

    One file instead of one per source file: creating thousands of small files costs far more
    than extracting the facts again (about a millisecond each on ext4). Inside the pack each
    file's facts stay pickled on their own, so a run that changed one file re-pickles only that
    one, and a run over part of the project unpickles only what it reads. The pack carries the
    salt (code and settings fingerprints); a pack with another salt is ignored and replaced.

    A run that extracted a few files (an edit) writes them to a small delta beside the pack
    instead of rewriting the pack (megabytes for a large history); the delta names the pack it
    extends by the digest of its payload, so a delta left beside another pack is ignored. Past
    DELTA_LIMIT entries the delta is folded into a new pack.
    """

    def __init__(self, directory: Path, settings_fingerprint: str, root: Path, celery: bool = True):
        self.directory = directory
        self.celery = celery
        # Facts extracted without the Celery analysis (Settings.celery_facts) live in another pack.
        self.salt = f"{code_fingerprint()}:{settings_fingerprint}:{'celery' if celery else 'no-celery'}"
        self.name = scope_name("facts", str(root))
        self.delta_name = scope_name("delta", str(root))
        # path -> (kind, digest, pickled FileFacts, its suppressions)
        self._stored: dict[str, tuple[str, str, bytes, tuple[Any, ...]]] | None = None
        self._pack_digest: bytes | None = None
        self._delta: dict[str, tuple[str, str, bytes, tuple[Any, ...]]] = {}
        self._used: dict[str, tuple[str, str, bytes, tuple[Any, ...]]] = {}
        self._added: dict[str, tuple[str, str, FileFacts, bytes | None]] = {}

    def _entries(self) -> dict[str, tuple[str, str, bytes, tuple[Any, ...]]]:
        if self._stored is None:
            value, digest = read_entry_and_digest(self.directory / self.name)
            valid = isinstance(value, tuple) and len(value) == 2 and value[0] == self.salt and isinstance(value[1], dict)
            self._stored = value[1] if valid else {}
            self._pack_digest = digest if valid else None
            if valid:
                delta = read_entry(self.directory / self.delta_name)
                if (
                    isinstance(delta, tuple)
                    and len(delta) == 3
                    and delta[:2] == (self.salt, digest)
                    and isinstance(delta[2], dict)
                ):
                    self._delta = delta[2]
                    self._stored.update(delta[2])
        return self._stored

    def get(self, path: Path, kind: str, digest: str, lazy: bool = False) -> FileFacts | None:
        """The cached facts of this content of the file; `lazy`: a LazyFileFacts, unpickled when
        first used (a blob that cannot be unpickled then raises UnreadableCachedFacts, and the
        engine asks again without `lazy`, when such an entry is a miss)."""
        added = self._added.get(str(path))
        if added is not None and added[:2] == (kind, digest):
            return added[2]  # extracted earlier in this run
        entry = self._entries().get(str(path))
        if not (
            isinstance(entry, tuple) and len(entry) == 4 and entry[:2] == (kind, digest) and isinstance(entry[2], bytes)
            and isinstance(entry[3], tuple)
        ):
            return None
        if lazy:
            self._used[str(path)] = entry
            return LazyFileFacts(path, kind, digest, entry[3], entry[2])
        try:
            facts = pickle.loads(entry[2])
        except Exception:  # noqa: BLE001 - an entry that no longer loads is a miss
            return None
        if not isinstance(facts, FileFacts):
            return None
        self._used[str(path)] = entry
        facts.path = path
        return facts

    def put(self, path: Path, kind: str, digest: str, facts: FileFacts, blob: bytes | None = None) -> None:
        """Remember new facts; `blob` is their pickled form when a worker already made it."""
        self._added[str(path)] = (kind, digest, facts, blob)

    @property
    def pending(self) -> bool:
        """Whether this run extracted anything, so that the pack must be written."""
        return bool(self._added)

    def save(self) -> bool:
        """Write what this run extracted: into the delta while it stays small, else a new pack, in
        which entries of files this run did not read are kept while those files exist (another
        invocation may check them). True when done."""
        if not self._added:
            return True
        added: dict[str, tuple[str, str, bytes, tuple[Any, ...]]] = {}
        for path, (kind, digest, facts, blob) in self._added.items():
            if blob is None:
                try:
                    blob = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # noqa: BLE001 - an unpicklable extractor result: that file stays uncached
                    continue
            # The suppressions beside the blob: every run reads them, few runs need the rest.
            added[path] = (kind, digest, blob, facts.suppressions)
        stored = self._entries()
        if self._pack_digest is not None and len(self._delta.keys() | added.keys()) <= DELTA_LIMIT:
            write_entry(self.directory, self.delta_name, (self.salt, self._pack_digest, {**self._delta, **added}))
            return True
        entries = {p: e for p, e in stored.items() if p not in self._used and p not in added and os.path.exists(p)}
        entries.update(self._used)
        entries.update(added)
        write_entry(self.directory, self.name, (self.salt, entries))
        return True


class RunCache:
    """The result of one invocation, reused only when every input of the run is unchanged.

    Two ways to know that: the stat signature of every path the run looked at (its
    InputManifest, checked without reading a file), else the key the engine computes from the
    code fingerprint, the settings, the command's options, the discovered environments and the
    path, kind and content digest of every file read. One entry per invocation scope (project
    root, working directory, arguments); `context` (code and settings fingerprints) must match too.
    """

    def __init__(self, directory: Path, scope: tuple[str, ...], context: str = ""):
        self.directory = directory
        self.name = scope_name("run", *scope)
        # The layout (engine.Layout) lives apart: a run that finds nothing changed never loads it.
        self.layout_name = scope_name("layout", *scope)
        # Each rule's findings, apart again: only an edit that changes some facts loads them.
        self.findings_name = scope_name("findings", *scope)
        self.context = context
        self._entry: Any = None
        self.manifest: Any = None  # the manifest load_unchanged found still true

    def _stored(self) -> tuple[str, str, Any, Any] | None:
        if self._entry is None:
            value = read_entry(self.directory / self.name)
            valid = isinstance(value, tuple) and len(value) == 4 and value[1] == self.context
            self._entry = value if valid else ()
        return self._entry or None

    def load_unchanged(self) -> Any:
        """The stored result when no path it depended on changed since (by stat signature)."""
        from driftlint.inputs import InputManifest

        stored = self._stored()
        if stored is None or not isinstance(stored[3], InputManifest):
            return None
        if not stored[3].trustworthy() or not stored[3].unchanged():
            return None
        self.manifest = stored[3]
        return stored[2]

    def load_layout(self) -> Any:
        """What the engine stored about the previous run's files (see engine.Layout), or None."""
        value = read_entry(self.directory / self.layout_name)
        if isinstance(value, tuple) and len(value) == 2 and value[0] == self.context:
            return value[1]
        return None

    def load(self, key: str) -> Any:
        stored = self._stored()
        if stored is not None and stored[0] == key:
            return stored[2]
        return None

    def previous(self) -> tuple[Any, Any] | None:
        """The stored result and its manifest whatever its key (see engine._early_cutoff)."""
        stored = self._stored()
        if stored is None or stored[3] is None:
            return None
        return stored[2], stored[3]

    def load_findings(self, started_ns: int) -> Any:
        """The findings by rule stored by the run that started at `started_ns`, or None."""
        value = read_entry(self.directory / self.findings_name)
        if isinstance(value, tuple) and len(value) == 3 and value[0] == self.context and value[1] == started_ns:
            return value[2]
        return None

    def store_findings(self, started_ns: int, findings: Any) -> bool:
        return write_entry(self.directory, self.findings_name, (self.context, started_ns, findings))

    def store(self, key: str, value: Any, manifest: Any = None, layout: Any = None) -> None:
        """Remember `value` with what the run depended on. A manifest that is not trustworthy (see
        InputManifest) never answers load_unchanged; the engine's early cutoff uses it for the
        paths that are (every file it compares by content)."""
        write_entry(self.directory, self.name, (key, self.context, value, manifest))
        if layout is not None:
            write_entry(self.directory, self.layout_name, (self.context, layout))
