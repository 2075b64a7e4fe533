"""What a check looked at on disk, so an unchanged tree can be recognised by stat alone.

A check's result depends on the bytes of the files it read and on which files exist where it
looked (a new revision file, a pyproject.toml appearing in a parent folder). While a check runs,
`InputRecorder` notes every path it stats, opens or lists, with the stat signature seen then.
The next run compares those signatures (one stat per path, no reading, no hashing, no parsing);
when every one matches, nothing the previous run depended on can have changed, and its result
is reused. This is git's index trick, including its answer to "racily clean" entries: a path
that changed less than `RACY_WINDOW_NS` before the recording run started could change again
within the same timestamp tick unseen, so such a recording is never trusted. Anything that does
not match falls back to the content-keyed caches, which stay the authority.
"""

from __future__ import annotations

import builtins
import io
import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

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
    """Notes every path the code inside `with` stats, opens or lists (except under `ignored`).

    It wraps the functions of `os`, `io` and `builtins` that every file access in driftlint goes
    through (pathlib, os.walk, os.path and configparser call them by module attribute), for the
    duration of one check in one thread; the import system uses its own primitives and is not
    recorded. A failure to stat is recorded as its errno: a file that appears later is a change.
    """

    def __init__(self) -> None:
        self.ignored: tuple[str, ...] = ()
        self.started_ns = 0
        self.cwd = ""
        self.seen: dict[tuple[str, str], Any] = {}
        self._saved: list[tuple[Any, str, Any]] = []

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
        outer, inner = self.seen, {}
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

    def __enter__(self) -> "InputRecorder":
        self.started_ns = time.time_ns()
        self.cwd = os.getcwd()
        self._wrap(os, "stat", self._stat_wrapper(os.stat, "stat"))
        self._wrap(os, "lstat", self._stat_wrapper(os.lstat, "lstat"))
        self._wrap(os, "scandir", self._listing_wrapper(os.scandir))
        self._wrap(os, "listdir", self._listing_wrapper(os.listdir))
        self._wrap(os, "open", self._open_wrapper(os.open))
        opener = self._open_wrapper(builtins.open)
        self._wrap(builtins, "open", opener)
        self._wrap(io, "open", opener)
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()

    def _wrap(self, owner: Any, name: str, replacement: Callable[..., Any]) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def _key(self, path: Any, how: str) -> tuple[str, str] | None:
        if isinstance(path, int) or path is None:
            return None  # a file descriptor: its path was recorded when it was opened
        if isinstance(path, str):
            text = path
        else:
            try:
                text = os.fsdecode(os.fspath(path))
            except TypeError:
                return None
        if not os.path.isabs(text):
            # Not normalised: the next run (same working directory, part of its scope) stats the
            # same string, and driftlint passes absolute, normalised paths almost everywhere.
            text = os.path.join(self.cwd, text)
        key = (text, how)
        if key in self.seen:
            return None
        if self.ignored and (text + os.sep).startswith(self.ignored):
            return None
        return key

    def _stat_wrapper(self, original: Callable[..., os.stat_result], how: str) -> Callable[..., os.stat_result]:
        def recording(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if args or kwargs.get("dir_fd") is not None:
                return original(path, *args, **kwargs)
            looked = "lstat" if not kwargs.get("follow_symlinks", True) else how
            try:
                result = original(path, **kwargs)
            except OSError as exc:
                key = self._key(path, looked)
                if key is not None:
                    self.seen[key] = exc.errno or -1
                raise
            key = self._key(path, looked)
            if key is not None:
                self.seen[key] = reduced_signature(result)
            return result

        return recording

    def _listing_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def recording(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            key = self._key(path, "list")
            if key is not None:
                # Before listing: an entry added while the listing runs then shows as a change.
                sig = signature(key[0], "list")
                if racy(sig, self.started_ns):
                    # Changed just before the run (creating the cache folder inside the project
                    # does that to its folder): its timestamps cannot vouch for the listing, its
                    # names can, and the next run compares those.
                    sig = listed_names(key[0])
                self.seen[key] = sig
            return original(path, *args, **kwargs)

        return recording

    def _open_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def recording(file: Any, *args: Any, **kwargs: Any) -> Any:
            key = self._key(file, "read")
            if key is not None:
                sig = signature(key[0], "read")
                if isinstance(sig, tuple) and not stat.S_ISREG(sig[0]) and not stat.S_ISDIR(sig[0]):
                    sig = -1  # a FIFO or device: never reuse a result that read one
                self.seen[key] = sig
            return original(file, *args, **kwargs)

        return recording
