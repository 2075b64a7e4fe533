"""Stage `read`: every file's bytes and their digest, or the digest the last run saw, unread."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from driftlint.inputs import UNRECORDED, Disk
from driftlint.signatures import full_signature, reduced_signature, signature


@dataclass(frozen=True)
class FileContent:
    """One file as this run read it: its bytes and their SHA-256, or why it could not be read.

    `data` is None when the digest was reused from the previous run (the file's signature is
    unchanged); `signature` is its "read" stat signature, taken before reading (None: overlay)."""

    kind: str
    data: bytes | None
    digest: str
    error: Any = None  # a ParseError for an unreadable file (then digest describes the error)
    signature: Any = None


def read_contents(
    files: Iterable[tuple[str, str]],
    overlay: Mapping[Path, bytes | None] | None = None,
    known: Mapping[str, tuple[Any, str]] | None = None,
    disk: Disk = UNRECORDED,
) -> dict[str, FileContent]:
    """Each (path, kind) file's content, in the given order; FIFOs, devices and sockets are left
    out. A file whose "read" signature is the one `known` holds keeps that digest unread. What
    was seen of each file on disk is noted in `disk`."""
    contents: dict[str, FileContent] = {}
    for path, kind in files:
        found: FileContent | None
        if overlay and Path(path) in overlay:
            data = overlay[Path(path)]
            found = FileContent(kind, data, hashlib.sha256(data).hexdigest()) if data is not None else None
        else:
            found = content_of(path, kind, known.get(path) if known else None, disk)
        if found is not None:
            contents[path] = found
    return contents


def content_of(path: str, kind: str, previous: tuple[Any, str] | None, disk: Disk = UNRECORDED) -> FileContent | None:
    """One file's content: its digest unread when its "read" signature is `previous`'s (the
    last run read it so), else its bytes; None for FIFOs, devices and sockets."""
    if previous is not None and previous[0] is not None:
        now = signature(path, "read")
        if now == previous[0]:
            disk.note(path, "read", now)
            return FileContent(kind, None, previous[1], signature=now)
    try:
        status, data = read_regular(path, disk)
    except OSError as exc:
        error = unreadable(exc)
        disk.note(path, "read", signature(path, "read"))
        return FileContent(kind, b"", f"unreadable:{error.message}", error)
    if data is None:
        return None
    return FileContent(kind, data, hashlib.sha256(data).hexdigest(), signature=status)


def read_regular(path: str | Path, disk: Disk = UNRECORDED) -> tuple[Any, bytes | None]:
    """A regular file's "read" signature and bytes; no bytes for FIFOs and devices, which would
    block or never end, so the type is checked before opening; dangling symlinks fail the stat
    (OSError). os.read on the descriptor costs half of what a file object does, which shows
    over thousands of small files."""
    name = os.fspath(path)
    try:
        status = os.stat(name)
    except OSError as exc:
        disk.note(name, "stat", exc.errno or -1)
        raise
    if not stat.S_ISREG(status.st_mode):
        disk.note(name, "stat", reduced_signature(status))
        return None, None
    disk.note(name, "read", full_signature(status))
    descriptor = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        # One byte more than the stat saw, and on until end of file: a file that grew meanwhile
        # is still read whole.
        while chunk := os.read(descriptor, max(status.st_size + 1, 65536)):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    return full_signature(status), b"".join(chunks)


def unreadable(exc: OSError) -> Any:
    from driftlint.source import ParseError

    return ParseError(f"cannot read file: {exc.strerror or exc}", 1, 1)
