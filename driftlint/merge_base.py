"""The merge result for `check --base REF`: files REF brings, read from git, as an engine overlay."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from driftlint.config import ConfigError

# Only Python files take part: revision files and the modules rules read (registries, task modules).
OVERLAY_SUFFIXES = (".py",)
REGULAR_MODES = ("100644", "100755")


class BaseRefError(ConfigError):
    """`--base` cannot be honoured (no git, not a repository, unknown ref): exit 2, one line."""


@dataclass(frozen=True)
class MergeOverlay:
    """What the merge of REF into the working tree changes, keyed by absolute path.

    `files[path]` is the content in the merge result, or None when the merge deletes the file.
    """

    ref: str
    toplevel: Path
    merge_base: str | None
    files: dict[Path, bytes | None] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # Every Python file REF itself has: what is not among them is new in the working tree
    # (migration safety judges the revisions being deployed now by this).
    ref_files: frozenset[Path] = frozenset()


@dataclass(frozen=True)
class _Change:
    status: str  # A, M, D, T (git diff --raw, renames off)
    old_blob: str
    new_blob: str
    path: str


def merge_overlay(ref: str, start: Path) -> MergeOverlay:
    """The files to add, replace or remove so the engine sees the working tree merged with REF.

    Per file, like a merge: what only REF changed since the merge base is taken from REF; what the
    working tree also changed stays as in the working tree (git would merge or conflict there).
    Without a merge base (unrelated or shallow histories) the result is the union: every file REF
    has and the working tree lacks is added.
    """
    directory = start if start.is_dir() else start.parent
    toplevel = Path(_git(directory, "rev-parse", "--show-toplevel", what=f"{directory} is not inside a git repository").strip())
    commit = _resolve(toplevel, ref)
    base = _merge_base(toplevel, commit)
    ref_files = _python_files(toplevel, commit)
    if base is None:
        files = _union(toplevel, commit)
        note = (
            f"--base {ref}: no merge base with HEAD (a shallow clone? fetch the full history), "
            "so every file of the base that the working tree lacks is added"
        )
        return MergeOverlay(ref, toplevel, None, files, (note,), ref_files)
    return MergeOverlay(ref, toplevel, base, _three_way(toplevel, base, commit), ref_files=ref_files)


def _python_files(toplevel: Path, commit: str) -> frozenset[Path]:
    listing = _git_bytes(toplevel, "ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, what=f"cannot list {commit[:12]}")
    names = (raw.decode("utf-8", errors="surrogateescape") for raw in listing.split(b"\0") if raw)
    return frozenset(toplevel / name for name in names if _wanted(name))


def _run(directory: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(directory), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise BaseRefError("--base needs git, and no `git` executable is on PATH") from None
    except OSError as exc:
        raise BaseRefError(f"--base: cannot run git: {exc.strerror or exc}") from None


def _git_bytes(directory: Path, *args: str, what: str, stdin: bytes | None = None) -> bytes:
    completed = _run(directory, *args, stdin=stdin)
    if completed.returncode != 0:
        raise BaseRefError(f"--base: {what}")
    return completed.stdout


def _git(directory: Path, *args: str, what: str, stdin: bytes | None = None) -> str:
    return _git_bytes(directory, *args, what=what, stdin=stdin).decode("utf-8", errors="surrogateescape")


def _resolve(toplevel: Path, ref: str) -> str:
    completed = _run(toplevel, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if completed.returncode != 0 or ref.startswith("-"):
        raise BaseRefError(f"--base: unknown git revision `{ref}`")
    return completed.stdout.decode().strip()


def _merge_base(toplevel: Path, commit: str) -> str | None:
    """None when HEAD is unborn or the histories share no commit (or the clone is too shallow)."""
    completed = _run(toplevel, "merge-base", "HEAD", commit)
    if completed.returncode != 0:
        return None
    return completed.stdout.decode().strip() or None


def _wanted(path: str) -> bool:
    return path.endswith(OVERLAY_SUFFIXES)


def _changes(toplevel: Path, base: str, commit: str) -> list[_Change]:
    raw = _git_bytes(toplevel, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, commit,
                     what=f"cannot compare {base[:12]} with {commit[:12]}")
    fields = raw.split(b"\0")
    changes: list[_Change] = []
    for index in range(0, len(fields) - 1, 2):
        meta, path = fields[index].decode(), fields[index + 1].decode("utf-8", errors="surrogateescape")
        old_mode, new_mode, old_blob, new_blob, status = meta.lstrip(":").split(" ")
        if not _wanted(path):
            continue
        # Symlinks and submodules are not file contents driftlint reads.
        if status != "D" and new_mode not in REGULAR_MODES or status == "D" and old_mode not in REGULAR_MODES:
            continue
        changes.append(_Change(status[0], old_blob, new_blob, path))
    return changes


def _three_way(toplevel: Path, base: str, commit: str) -> dict[Path, bytes | None]:
    changes = _changes(toplevel, base, commit)
    on_disk = [c for c in changes if (toplevel / c.path).is_file()]
    disk_blobs = dict(zip((c.path for c in on_disk), _hash_files(toplevel, [c.path for c in on_disk])))
    files: dict[Path, bytes | None] = {}
    wanted: dict[str, list[Path]] = {}
    for change in changes:
        target = toplevel / change.path
        in_tree = change.path in disk_blobs
        # The working tree left the file as the merge base had it: the merge takes REF's side.
        untouched = (in_tree and disk_blobs[change.path] == change.old_blob) or (
            not in_tree and change.status == "A"
        )
        if not untouched:
            continue
        if change.status == "D":
            files[target] = None
        else:
            wanted.setdefault(change.new_blob, []).append(target)
    return {**files, **_contents(toplevel, wanted)}


def _union(toplevel: Path, commit: str) -> dict[Path, bytes | None]:
    listing = _git_bytes(toplevel, "ls-tree", "-r", "-z", "--full-tree", commit, what=f"cannot list {commit[:12]}")
    wanted: dict[str, list[Path]] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split(" ")
        path = raw_path.decode("utf-8", errors="surrogateescape")
        if kind == "blob" and mode in REGULAR_MODES and _wanted(path) and not (toplevel / path).exists():
            wanted.setdefault(blob, []).append(toplevel / path)
    return _contents(toplevel, wanted)


def _contents(toplevel: Path, wanted: dict[str, list[Path]]) -> dict[Path, bytes | None]:
    blobs = _read_blobs(toplevel, sorted(wanted))
    return {path: blobs[blob] for blob, paths in wanted.items() for path in paths}


def _hash_files(toplevel: Path, paths: list[str]) -> list[str]:
    """Blob ids of working-tree files as git would store them (clean filters, autocrlf applied)."""
    if not paths:
        return []
    # --stdin-paths reads one path a line: a name with a newline goes as an argument of its own.
    # surrogateescape: a name that is not UTF-8 goes back to git as the bytes git gave.
    listed = [p for p in paths if "\n" not in p]
    hashed = dict(zip(listed, _git(
        toplevel, "hash-object", "--stdin-paths", stdin="".join(p + "\n" for p in listed).encode("utf-8", "surrogateescape"),
        what="cannot hash working-tree files",
    ).split())) if listed else {}
    for path in paths:
        if path not in hashed:
            hashed[path] = _git(toplevel, "hash-object", "--", path, what="cannot hash working-tree files").strip()
    return [hashed[path] for path in paths]


def _read_blobs(toplevel: Path, blobs: list[str]) -> dict[str, bytes]:
    if not blobs:
        return {}
    out = _git_bytes(toplevel, "cat-file", "--batch", stdin="".join(b + "\n" for b in blobs).encode(),
                     what="cannot read blobs")
    result: dict[str, bytes] = {}
    position = 0
    for blob in blobs:
        end = out.index(b"\n", position)
        header = out[position:end].decode().split(" ")
        size = int(header[2])
        result[blob] = out[end + 1 : end + 1 + size]
        position = end + 1 + size + 1
    return result
