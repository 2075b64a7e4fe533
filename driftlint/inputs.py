"""What a check looked at on disk, so an unchanged tree can be recognised by stat alone.

A check's result depends on the bytes of the files it read and on which files exist where it
looked (a new revision file, a pyproject.toml appearing in a parent folder). Every stage of a
check, and every rule, reaches the file system through a `Disk` (rules through `project.disk`),
which notes each path it stats, opens or lists in an `InputRecorder`, with the stat signature
seen then.
The next run compares those signatures (one stat per path, no reading, no hashing, no parsing);
when every one matches, nothing the previous run depended on can have changed, and its result
is reused. This is git's index trick, including its answer to "racily clean" entries: a path
that changed less than `RACY_WINDOW_NS` before the recording run started could change again
within the same timestamp tick unseen, so such a recording is never trusted. Anything that does
not match falls back to the content-keyed caches, which stay the authority.
"""

from __future__ import annotations

import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from driftlint.signatures import NAMES, listed_names, reduced_signature, signature, unchanged

# File systems with coarse timestamps (FAT: 2 s) need the widest window.
RACY_WINDOW_NS = 2_000_000_000


def racy(sig: Any, started_ns: int) -> bool:
    """Whether `sig` changed so shortly before `started_ns` that a later change could carry the
    same timestamps (git's "racily clean" entries). A folder's names (NAMES) never are."""
    limit = started_ns - RACY_WINDOW_NS
    return isinstance(sig, tuple) and len(sig) == 6 and (sig[4] >= limit or sig[5] >= limit)


@dataclass(frozen=True)
class InputManifest:
    """The paths one run depended on, each with how it looked and what it saw, and when it began."""

    started_ns: int
    entries: tuple[tuple[str, str, Any], ...]

    def trustworthy(self) -> bool:
        """False when some path changed so shortly before the run that a later change could carry
        the same timestamps (then only the content-keyed caches may answer)."""
        return not any(racy(sig, self.started_ns) for _path, _how, sig in self.entries)

    def unchanged(self) -> bool:
        """Whether every recorded path still has the signature the run saw."""
        return unchanged(self.entries)


def looked(path: str, how: str) -> Any:
    """What a check learns at `path` by `how`, whatever the inode and timestamps: the mode of a
    "stat" or "lstat", the SHA-256 of a regular file's bytes for a "read", the sorted names of a
    "list"; the errno when that fails. Equal across a fresh checkout of the same tree."""
    import hashlib

    try:
        if how == "stat" or how == "lstat":
            return ("mode", (os.lstat(path) if how == "lstat" else os.stat(path)).st_mode)
        if how == "list":
            return ("names", tuple(sorted(os.listdir(path))))
        if not stat.S_ISREG(os.stat(path).st_mode):
            return ("special",)
        with open(path, "rb") as handle:
            return ("sha256", hashlib.sha256(handle.read()).hexdigest())
    except OSError as exc:
        return ("errno", exc.errno or -1)


@dataclass(frozen=True)
class SeenContent:
    """What one run's rules learned on disk, by content (see `looked`): another run may reuse
    their findings while every entry still holds, even after a checkout changed every inode."""

    entries: tuple[tuple[str, str, Any], ...]

    @classmethod
    def of(cls, manifest: InputManifest) -> "SeenContent | None":
        """The content behind each recorded signature; None when some entry cannot be vouched
        for: it changed since it was recorded (or while being read now), or so shortly before
        the run that a change within the same timestamp tick would not show."""
        entries = []
        for path, how, sig in manifest.entries:
            if how == "list" and isinstance(sig, tuple) and sig[0] == NAMES:
                # Recorded by its names (see InputRecorder), which are what `looked` compares.
                if listed_names(path) != sig:
                    return None
                entries.append((path, how, sig))
                continue
            if sig == -1 or racy(sig, manifest.started_ns) or signature(path, how) != sig:
                return None
            value = looked(path, how)
            if value == ("special",) or signature(path, how) != sig:
                return None
            entries.append((path, how, value))
        return cls(tuple(entries))

    def unchanged(self) -> bool:
        return all(looked(path, how) == value for path, how, value in self.entries)


class InputRecorder:
    """What one check looked at: (path, how) -> the signature seen then (see signatures.signature),
    except under `ignored` folders. A failure to stat is recorded as its errno: a file that appears
    later is a change."""

    def __init__(self) -> None:
        self.ignored: tuple[str, ...] = ()
        self.started_ns = time.time_ns()
        self.cwd = os.getcwd()
        self.seen: dict[tuple[str, str], Any] = {}

    def ignore(self, folder: str) -> None:
        """Leave `folder` out (the cache folder: the run itself writes there)."""
        prefix = os.path.join(os.path.abspath(folder), "")
        self.ignored = (*self.ignored, prefix)
        self.seen = {key: sig for key, sig in self.seen.items() if not os.path.join(key[0], "").startswith(prefix)}

    def note(self, path: str, how: str, sig: Any) -> None:
        """Record what the caller saw by other means (a file's signature compared, not read)."""
        self.seen.setdefault((path, how), sig)

    def adopt(self, manifest: InputManifest) -> None:
        """Depend on everything `manifest` depended on (its paths were just found unchanged)."""
        for path, how, sig in manifest.entries:
            self.seen.setdefault((path, how), sig)

    @contextmanager
    def apart(self) -> Iterator[dict[tuple[str, str], Any]]:
        """Also record what the code inside looks at on its own, paths seen before included, into
        the dict this yields (complete once the block ends); all of it joins the run's recording."""
        outer: dict[tuple[str, str], Any] = self.seen
        inner: dict[tuple[str, str], Any] = {}
        self.seen = inner
        try:
            yield inner
        finally:
            self.seen = outer
            for key, sig in inner.items():
                outer.setdefault(key, sig)

    def manifest(self) -> InputManifest:
        """What was seen so far, without the checks another entry already implies: a "stat" or
        "lstat" whose mode, inode and device a "read" or "list" of the same path also holds (a
        symlink's lstat never matches its target's stat), a "stat" that an "lstat" of the same
        non-symlink already answered. About half the stat calls of the next run's comparison."""
        entries = []
        for (path, how), sig in self.seen.items():
            if how in ("stat", "lstat") and isinstance(sig, tuple):
                fuller = self.seen.get((path, "read")) or self.seen.get((path, "list"))
                if isinstance(fuller, tuple) and fuller[:3] == sig[:3]:
                    continue
                if how == "stat" and self.seen.get((path, "lstat")) == sig and not stat.S_ISLNK(sig[0]):
                    continue
            entries.append((path, how, sig))
        return InputManifest(self.started_ns, tuple(entries))

    def key(self, path: str | os.PathLike[str], how: str) -> tuple[str, str] | None:
        """The key `path` is recorded under, or None when it is not recorded (already seen, or
        ignored). Relative paths are joined to the working directory, not normalised: the next
        run (same working directory, part of its scope) stats the same string."""
        text = os.fspath(path)
        if not os.path.isabs(text):
            text = os.path.join(self.cwd, text)
        key = (text, how)
        if key in self.seen:
            return None
        if self.ignored and (text + os.sep).startswith(self.ignored):
            return None
        return key


class Disk:
    """The file system as a check sees it: every stat, listing and read a check (its stages and
    its rules) depends on goes through here, and is noted in the recorder when there is one (a
    check whose result may be reused). Methods mirror os, os.path and pathlib."""

    def __init__(self, recorder: InputRecorder | None = None):
        self.recorder = recorder

    # -- stats

    def stat(self, path: str | os.PathLike[str]) -> os.stat_result:
        return self._stat(path, "stat")

    def lstat(self, path: str | os.PathLike[str]) -> os.stat_result:
        return self._stat(path, "lstat")

    def _stat(self, path: str | os.PathLike[str], how: str) -> os.stat_result:
        try:
            result = os.lstat(path) if how == "lstat" else os.stat(path)
        except OSError as exc:
            self._record(path, how, exc.errno or -1)
            raise
        self._record(path, how, reduced_signature(result))
        return result

    def exists(self, path: str | os.PathLike[str]) -> bool:
        return self._mode(path, "stat") is not None

    def lexists(self, path: str | os.PathLike[str]) -> bool:
        return self._mode(path, "lstat") is not None

    def is_file(self, path: str | os.PathLike[str]) -> bool:
        mode = self._mode(path, "stat")
        return mode is not None and stat.S_ISREG(mode)

    def is_dir(self, path: str | os.PathLike[str]) -> bool:
        mode = self._mode(path, "stat")
        return mode is not None and stat.S_ISDIR(mode)

    def is_symlink(self, path: str | os.PathLike[str]) -> bool:
        mode = self._mode(path, "lstat")
        return mode is not None and stat.S_ISLNK(mode)

    def _mode(self, path: str | os.PathLike[str], how: str) -> int | None:
        """The mode, or None where os.path.exists would say False (any OSError, a NUL in the name)."""
        try:
            return self._stat(path, how).st_mode
        except (OSError, ValueError):
            return None

    # -- listings

    def scandir(self, path: str | os.PathLike[str]) -> list[os.DirEntry[str]]:
        self._record_listing(path)
        with os.scandir(path) as entries:
            return list(entries)

    def listdir(self, path: str | os.PathLike[str]) -> list[str]:
        self._record_listing(path)
        return os.listdir(path)

    def walk(self, top: str | os.PathLike[str], followlinks: bool = False) -> Iterator[tuple[str, list[str], list[str]]]:
        """os.walk, top-down (callers may prune `dirs`), through this disk's listings; folders
        that cannot be listed are skipped, as os.walk skips them."""
        pending = [os.fspath(top)]
        while pending:
            root = pending.pop()
            try:
                entries = self.scandir(root)
            except OSError:
                continue
            dirs: list[str] = []
            files: list[str] = []
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                (dirs if is_dir else files).append(entry.name)
            yield root, dirs, files
            for name in reversed(dirs):
                child = os.path.join(root, name)
                if followlinks or not os.path.islink(child):
                    pending.append(child)

    def _record_listing(self, path: str | os.PathLike[str]) -> None:
        recorder = self.recorder
        key = recorder.key(path, "list") if recorder is not None else None
        if recorder is None or key is None:
            return
        # Before listing: an entry added while the listing runs then shows as a change.
        sig = signature(key[0], "list")
        if racy(sig, recorder.started_ns):
            # Changed just before the run (creating the cache folder inside the project does that
            # to its folder): its timestamps cannot vouch for the listing, its names can, and the
            # next run compares those.
            sig = listed_names(key[0])
        recorder.seen[key] = sig

    # -- reads

    def read_bytes(self, path: str | os.PathLike[str]) -> bytes:
        self._record_read(path)
        with open(path, "rb") as handle:
            return handle.read()

    def read_text(self, path: str | os.PathLike[str], encoding: str = "utf-8", errors: str = "strict") -> str:
        self._record_read(path)
        with open(path, encoding=encoding, errors=errors) as handle:
            return handle.read()

    def _record_read(self, path: str | os.PathLike[str]) -> None:
        recorder = self.recorder
        key = recorder.key(path, "read") if recorder is not None else None
        if recorder is None or key is None:
            return
        sig = signature(key[0], "read")
        if isinstance(sig, tuple) and not stat.S_ISREG(sig[0]) and not stat.S_ISDIR(sig[0]):
            sig = -1  # a FIFO or device: never reuse a result that read one
        recorder.seen[key] = sig

    def note(self, path: str, how: str, sig: Any) -> None:
        """What the caller saw by its own means (the read stage's signatures, taken before reading)."""
        if self.recorder is not None:
            key = self.recorder.key(path, how)
            if key is not None:
                self.recorder.seen[key] = sig

    # -- paths

    def realpath(self, path: str | os.PathLike[str]) -> str:
        """os.path.realpath, with what it depends on recorded: the lstat of every folder on the
        way, in the path as given and in the path it resolves to (a folder replaced by a link, or
        a link pointed elsewhere, is a change)."""
        given = os.path.abspath(path)
        real = os.path.realpath(given)
        if self.recorder is not None:
            for walked in {given, real}:
                current = walked
                while True:
                    self._mode(current, "lstat")
                    parent = os.path.dirname(current)
                    if parent == current:
                        break
                    current = parent
        return real

    def resolve(self, path: Path) -> Path:
        """Path.resolve(), recorded (see realpath)."""
        return Path(self.realpath(path))

    def _record(self, path: str | os.PathLike[str], how: str, sig: Any) -> None:
        recorder = self.recorder
        if recorder is not None:
            key = recorder.key(path, how)
            if key is not None:
                recorder.seen[key] = sig


# The file system unrecorded: for calls outside a check (tests, `fix` planning, verify).
UNRECORDED = Disk()


_Found = TypeVar("_Found")


def closest_above(
    folder: Path,
    look: Callable[[Path], _Found | None],
    last: Callable[[Path], bool],
    memo: dict[Path, _Found | None],
) -> _Found | None:
    """What `look` finds in `folder` or in the closest folder above it, going up no further than a
    folder `last` says ends the search (or the file system's root). `memo` keeps the answer of
    every folder passed on the way, so that the folders of a whole project cost one look each."""
    walked: list[Path] = []
    found: _Found | None = None
    current = folder
    while True:
        if current in memo:
            found = memo[current]
            break
        walked.append(current)
        found = look(current)
        if found is not None or last(current) or current.parent == current:
            break
        current = current.parent
    for visited in walked:
        memo[visited] = found
    return found
