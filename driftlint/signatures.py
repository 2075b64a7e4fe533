"""Stat signatures: what a check saw at a path, and whether it still holds (stdlib `os` only,
so that the first tier of a warm run, driftlint.snapshot, can use them without other imports)."""

from __future__ import annotations

import os
from typing import Any, Sequence

# Libraries whose behaviour shapes what is extracted from a file (pglast parses the raw SQL):
# part of the cache's code fingerprint and of a snapshot's inputs.
LIBRARIES = ("pglast",)

# Bound once: thousands of signatures are compared in a warm run's loop.
_stat, _lstat, _listdir = os.stat, os.lstat, os.listdir

# A "list" signature that is the folder's names rather than its stat: what a run records for a
# folder changed so shortly before it that its timestamps cannot vouch for it (racy).
NAMES = "names"


def signature(path: str, how: str = "stat") -> Any:
    """What a run saw at `path`, by `how` it looked:

    - "stat" / "lstat": (mode, inode, device) only: is it there, a folder, a file or a symlink,
      the one already walked; a folder's timestamps change with every file created in it, a
      file's with every edit, and only listings and reads depend on those;
    - "list": a listed folder's full signature (mode, inode, device, size, mtime, ctime: its
      mtime changes when entries come and go);
    - "read": a read file's full signature (an edit changes its mtime and ctime, and even one
      that restores the mtime changes the ctime);
    - the errno when the path cannot be stat'ed.
    """
    try:
        status = _lstat(path) if how == "lstat" else _stat(path)
    except OSError as exc:
        return exc.errno or -1
    return full_signature(status) if how in ("list", "read") else reduced_signature(status)


def reduced_signature(status: os.stat_result) -> tuple[int, int, int, int, int, int]:
    """The "stat" / "lstat" signature of a stat result: mode, inode and device."""
    return (status.st_mode, status.st_ino, status.st_dev, 0, 0, 0)


def full_signature(status: os.stat_result) -> tuple[int, int, int, int, int, int]:
    """The "read" / "list" signature of a stat result the caller already has."""
    return (status.st_mode, status.st_ino, status.st_dev, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def listed_names(path: str) -> Any:
    """A folder's names as a "list" signature (NAMES, sorted names), or the errno."""
    try:
        return (NAMES, tuple(sorted(_listdir(path))))
    except OSError as exc:
        return exc.errno or -1


def unchanged(entries: Sequence[tuple[str, str, Any]]) -> bool:
    """Whether every (path, how, signature) still holds (signature() inlined: thousands of
    entries, and this loop is most of a warm run)."""
    stat_path, lstat_path = _stat, _lstat
    for path, how, sig in entries:
        if how == "list" and type(sig) is tuple and sig[0] == NAMES:
            if listed_names(path) != sig:
                return False
            continue
        try:
            status = lstat_path(path) if how == "lstat" else stat_path(path)
        except OSError as exc:
            if sig != (exc.errno or -1):
                return False
            continue
        if how == "read" or how == "list":
            now = (status.st_mode, status.st_ino, status.st_dev, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        else:
            now = (status.st_mode, status.st_ino, status.st_dev, 0, 0, 0)
        if now != sig:
            return False
    return True
