"""Stage `discover`: the Alembic environments under the checked paths, and every file to read with its kind."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from driftlint.facts.model import MODULE, REVISION, UNSCANNED
from driftlint.inputs import UNRECORDED, Disk

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.discovery import Environment


@dataclass(frozen=True)
class Structure:
    """What a run finds before reading a file's contents: the environments, every file to read
    with its kind (path strings, in sorted Path order: the order the rules see files in and the
    run key lists them), and each environment's revision files in Alembic's load order."""

    environments: list[Environment]
    kinds: list[tuple[str, str]]
    revision_lists: list[list[str]]


def discover(
    dirs: list[Path],
    settings: Settings,
    alembic_config: list[Path] | None,
    alembic_section: str | None,
    overlay: Mapping[Path, bytes | None] | None = None,
    disk: Disk = UNRECORDED,
) -> Structure:
    from driftlint import discovery

    environments = discovery.discover(dirs, settings, alembic_config, alembic_section, disk)
    kinds, revision_lists = classify_files(dirs, settings, environments, overlay, disk)
    return Structure(
        environments,
        [(os.fspath(path), kinds[path]) for path in sorted(kinds)],
        [[os.fspath(path) for path in paths] for paths in revision_lists],
    )


def classify_files(
    dirs: list[Path],
    settings: Settings,
    environments: list[Environment],
    overlay: Mapping[Path, bytes | None] | None = None,
    disk: Disk = UNRECORDED,
) -> tuple[dict[Path, str], list[list[Path]]]:
    """Every file to read, with its kind (revision files, unscanned candidates, other modules),
    and each environment's revision files in load order."""
    from driftlint.discovery import walk_project

    kinds: dict[Path, str] = {}
    real_paths: dict[Path, str] = {}
    revision_lists = [env.revision_files(overlay, real_paths, disk) for env in environments]
    for revision_files in revision_lists:
        for path in revision_files:
            kinds[path] = REVISION
    folders: dict[str, str] = {}
    revision_real = {real_paths.get(p) or _real(p, folders, disk) for p in kinds}
    # Membership is tested on path strings: a Path per listed file, for each of the (usually
    # three) walks over a 2,000-revision folder, cost more than reading the files.
    known = {os.fspath(p) for p in kinds}
    walked: set[Path] = set()
    for env in environments:
        for folder in env.candidate_folders():
            # The script folder is usually also a version location's parent: one walk is enough.
            # Never outside the project: a version location at the project's top would make its
            # parent, say the home folder, a "candidate" to read whole.
            if folder in walked or not _inside(folder, settings.root) or not disk.is_dir(folder):
                continue
            walked.add(folder)
            for root, _dirs, files in walk_project([folder], settings, disk):
                root_text = os.fspath(root)
                for name in files:
                    if not name.endswith(".py") or name.startswith("__init__") or name == "env.py":
                        continue
                    text = os.path.join(root_text, name)
                    if text not in known and _real(root / name, folders, disk) not in revision_real:
                        kinds[root / name] = UNSCANNED
                        known.add(text)
    for root, _dirs, files in walk_project(dirs, settings, disk):
        root_text = os.fspath(root)
        for name in files:
            if name.endswith(".py") and os.path.join(root_text, name) not in known:
                path = root / name
                if _real(path, folders, disk) not in revision_real:
                    rel = relative(path, settings.root)
                    if not settings.is_excluded(rel):
                        kinds[path] = MODULE
    for path, data in (overlay or {}).items():
        # Modules that only the merge result has (check --base), e.g. a registry added upstream.
        if data is not None and path.suffix == ".py" and path not in kinds and not disk.exists(path):
            if any(path.is_relative_to(d) for d in dirs) and not settings.is_excluded(relative(path, settings.root)):
                kinds[path] = MODULE
    kept = {p: kind for p, kind in kinds.items() if not overlay or overlay.get(p, b"") is not None}
    return kept, revision_lists


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _real(path: Path, folders: dict[str, str], disk: Disk) -> str:
    from driftlint.discovery import real_path

    try:
        return real_path(path, folders, disk)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in a configured path
        return os.fspath(path)


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
