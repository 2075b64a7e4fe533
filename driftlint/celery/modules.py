"""Dotted module names for project files, computed from the import roots the running app would use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from driftlint.discovery import real_path
from driftlint.inputs import UNRECORDED, Disk


@dataclass(frozen=True)
class ModuleName:
    """`name` is how the file is imported from its import root; `aliases` are the names it gets from a

    deeper root inside the same `__init__.py` chain (a worker started inside `backend/` imports
    `backend/app/tasks.py` as `app.tasks`), used only to resolve imports and task names leniently.
    """

    name: str
    is_package: bool
    aliases: tuple[str, ...] = ()


def import_roots(root: Path, src: Iterable[str], disk: Disk = UNRECORDED) -> list[Path]:
    """Configured `src` roots (relative to the settings root), else a `src/` directory when there is one."""
    roots = [disk.resolve(root / entry) for entry in src]
    if not roots and disk.is_dir(root / "src"):
        roots.append(disk.resolve(root / "src"))
    return roots


class ModuleNamer:
    """Dotted names for the files of one project: each folder is resolved and checked for an

    `__init__.py` once, not once per file (a `Path.resolve` per module cost more than the naming).
    """

    def __init__(self, project_root: Path, roots: Iterable[Path], disk: Disk = UNRECORDED) -> None:
        self._disk = disk
        self._roots = sorted(roots, key=lambda r: len(r.parts), reverse=True)
        self._top = disk.resolve(project_root).parent
        self._folders: dict[str, str] = {}
        self._packages: dict[Path, bool] = {}
        self._chains: dict[Path, tuple[str, ...]] = {}

    def name(self, path: Path) -> Optional[ModuleName]:
        """The dotted name of a Python file, or None for a file that is not importable by name."""
        path = Path(real_path(path, self._folders, self._disk))
        if path.suffix != ".py":
            return None
        is_package = path.name == "__init__.py"
        for root in self._roots:
            try:
                relative = path.relative_to(root)
            except ValueError:
                continue
            parts = list(relative.with_suffix("").parts)
            if is_package:
                parts = parts[:-1]
            if not parts or not all(part.isidentifier() for part in parts):
                return None
            return ModuleName(".".join(parts), is_package)
        parts = [*self._chain(path.parent), *([] if is_package else [path.stem])]
        if not parts or not all(part.isidentifier() for part in parts):
            return None
        aliases = tuple(".".join(parts[index:]) for index in range(1, len(parts)) if parts[index:])
        return ModuleName(".".join(parts), is_package, aliases)

    def _chain(self, directory: Path) -> tuple[str, ...]:
        """The names of the packages `directory` sits in, outermost first, itself last (empty when
        it is no package); one lookup per folder for all the modules in it."""
        known = self._chains.get(directory)
        if known is None:
            if self._is_package(directory) and directory != self._top and directory.parent != directory:
                known = (*self._chain(directory.parent), directory.name)
            else:
                known = ()
            self._chains[directory] = known
        return known

    def _is_package(self, directory: Path) -> bool:
        known = self._packages.get(directory)
        if known is None:
            known = self._packages[directory] = self._disk.is_file(directory / "__init__.py")
        return known


def resolve_relative(current: str, is_package: bool, module: str, level: int) -> Optional[str]:
    """The absolute module `from <level dots><module> import ...` names inside `current`."""
    if level == 0:
        return module
    package = current.split(".") if is_package else current.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    if module:
        base = [*base, *module.split(".")]
    return ".".join(base) if base else None
