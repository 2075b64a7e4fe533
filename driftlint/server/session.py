"""One workspace folder checked in memory: the engine's stages kept warm between edits (no pygls here).

A `Session` runs the stages of `driftlint check` (setup, discover, read, extract, analyse, filter)
once over the folder, then keeps what they produced: the settings and selected rules, the
environments and every file's kind, every file's digest and facts, each rule's own findings and
the revision graphs. An edit then costs what it changes:

- an open buffer that differs from what a file's facts were read from is extracted again, alone;
- the parts of its facts that changed (driftlint.facts.model.changed_parts) say which rules run
  again (Rule.reads); the others' findings stand;
- while no revision header changed, the revision graphs (and their costly derived orders) are kept:
  a file's facts object keeps its identity, updated in place, so the graphs hold the new facts;
- a file created or deleted, or a buffer for a file discovery has not seen, runs `discover` again;
  a settings or Alembic config file that changed runs everything from `setup` again.

Nothing is written anywhere (the cache is off: a read-only checkout stays as it is) and nothing
is imported from the project: facts are read by the extractors, as `check` reads them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from driftlint.engine.analyse import build_project, run_rules
from driftlint.engine.discover import discover
from driftlint.engine.filters import finish
from driftlint.engine.options import CheckOptions
from driftlint.engine.read import FileContent, content_of
from driftlint.engine.setup import SettingsTree, selected_rules
from driftlint.facts.extract import PARALLEL_THRESHOLD, extract_many
from driftlint.facts.extractors import HEADER, active_extractors
from driftlint.facts.model import FileFacts, changed_parts
from driftlint.workers import process_count

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.diagnostics import Diagnostic
    from driftlint.engine.analyse import Findings
    from driftlint.engine.discover import Structure
    from driftlint.facts.extractors import Extractor
    from driftlint.project import Project
    from driftlint.rule import Rule, RuleInfo

# Files whose change can change the settings or the environments discovery finds: everything
# runs again from `setup`. (env.py and script.py.mako are read by discovery too: `discover` runs again.)
CONFIG_NAMES = frozenset({"alembic.ini", "pyproject.toml", "driftlint.toml"})
CONFIG_SUFFIXES = (".ini", ".toml")
DISCOVERY_NAMES = frozenset({"env.py", "script.py.mako"})


@dataclass(frozen=True)
class Outcome:
    """What one check of the session found, and how much of the pipeline it ran."""

    diagnostics: list[Diagnostic]
    # The rules checked again (the others' findings stood), and whether the graphs were rebuilt.
    rules_run: int
    graphs_rebuilt: bool
    # Whether every stage ran over every file (the first check, new settings, new files).
    everything: bool = False


class Session:
    """The check of one workspace folder, kept in memory between edits (see the module docstring)."""

    def __init__(self, folder: Path, jobs: int | None = None):
        self.folder = folder.resolve()
        # As `driftlint check` run in the folder: settings found at or above it, paths relative
        # to it. The cache is off: the session's memory is the cache.
        self.options = CheckOptions(paths=[self.folder], cwd=self.folder, use_cache=False, jobs=jobs)
        self.buffers: dict[Path, bytes] = {}  # the open documents' contents, standing in for the disk
        # Each file's settings, as `check` resolves them (its closest settings file); `settings`
        # are the check's own (the folder's): discovery's exclusions, the declared environments.
        self.tree: SettingsTree | None = None
        self.settings: Settings | None = None
        self._extraction: tuple[object, ...] = ()
        self.project: Project | None = None
        self.diagnostics: list[Diagnostic] = []
        self._selected: list[type[RuleInfo]] = []
        self._rules: list[type[Rule]] = []
        self._structure: Structure | None = None
        self._paths: dict[str, Path] = {}  # path text -> Path, for every file of the structure
        self._disk: dict[str, FileContent] = {}  # each file as last read from disk
        self._facts: dict[Path, FileFacts] = {}
        self._active: frozenset[Extractor] = frozenset()
        self._by_rule: Findings = {}
        # Open buffers discovery did not take into the project (outside every environment, excluded).
        self._outside: set[Path] = set()
        # What the next check must redo: everything, discovery, or the files changed on disk.
        self._setup_stale = True
        self._discovery_stale = True
        self._disk_stale: set[str] = set()

    # -- what changed since the last check --------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Whether something changed that the last check has not seen."""
        return self._setup_stale or self._discovery_stale or bool(self._disk_stale) or self._buffers_changed()

    def set_buffer(self, path: Path, data: bytes | None) -> None:
        """An open document's contents (None: closed, the file on disk counts again)."""
        if data is None:
            self.buffers.pop(path, None)
            self._disk_stale.add(str(path))
            if not path.exists():
                self._discovery_stale = True  # a file only its buffer held leaves the project
        else:
            self.buffers[path] = data
        if self._structure is not None and str(path) not in self._paths and path.suffix == ".py":
            # A buffer of a file discovery has not seen (a new revision not saved yet): it may
            # join the project. Checked by discovery once; a file it leaves out stays out.
            if path not in self._outside:
                self._discovery_stale = True

    def disk_changed(self, path: Path, created_or_deleted: bool = False) -> None:
        """A file changed on disk (a watched-file event, a save)."""
        if path.name in CONFIG_NAMES or path.suffix in CONFIG_SUFFIXES:
            self._setup_stale = True
        elif created_or_deleted or path.name in DISCOVERY_NAMES:
            self._discovery_stale = True
        else:
            self._disk_stale.add(str(path))

    def reload(self) -> None:
        """Trust nothing kept: the next check runs every stage again (facts of unchanged files excepted)."""
        self._setup_stale = True

    # -- the check ----------------------------------------------------------------------------

    def check(self) -> Outcome:
        """Check the folder as it is now: the open buffers over the disk. Raises ConfigError for a
        settings problem (as `check` exits 2), InternalError for a rule that fails."""
        everything = False
        if self._setup_stale:
            self._setup()
            everything = True
        if self._discovery_stale:
            everything = self._discover() or everything
        assert self.settings is not None and self._structure is not None
        changed, replaced = self._read_and_extract()
        everything = everything or replaced
        keep_graphs = not everything and self.project is not None and HEADER.key not in changed
        if everything:
            standing: dict[str, list[Diagnostic]] = {}
        else:
            standing = {
                r.code: self._by_rule[r.code]
                for r in self._rules
                if r.code in self._by_rule and r.reads is not None and not any(e.key in changed for e in r.reads)
            }
        if not everything and not changed and self.project is not None:
            return Outcome(self.diagnostics, 0, False)
        assert self.tree is not None
        project = build_project(
            self.folder, self.tree, self._structure, self._facts, same_graphs=self.project if keep_graphs else None
        )
        parallel = process_count(self.options.jobs) > 1 and len(self._facts) >= PARALLEL_THRESHOLD
        self._by_rule = run_rules(self._rules, project, None, parallel, standing)
        self.project = project
        self.diagnostics = finish(
            [d for rule in self._rules for d in self._by_rule[rule.code]],
            project,
            self.tree.for_file,
            {r.code for r in self._selected},
        )
        return Outcome(self.diagnostics, len(self._rules) - len(standing), not keep_graphs, everything)

    def _setup(self) -> None:
        # Cleared first: a settings file that fails to load leaves the session to load it again.
        self.project = None
        self._by_rule = {}
        self.tree = SettingsTree(self.options)
        self.settings = self.tree.root
        self._setup_stale = False
        self._discovery_stale = True

    def _discover(self) -> bool:
        """Run `discover` again, with the open buffers over the disk; True when the files or their
        kinds changed (every rule then runs again)."""
        assert self.settings is not None
        overlay: dict[Path, bytes | None] = dict(self.buffers)
        structure = discover([self.folder], self.settings, None, None, overlay)
        changed = self._structure is None or (
            structure.kinds != self._structure.kinds or structure.revision_lists != self._structure.revision_lists
            or structure.environments != self._structure.environments
        )
        self._structure = structure
        self._paths = {path: Path(path) for path, _kind in structure.kinds}
        self._settings_of_files()
        self._outside = {p for p in self.buffers if str(p) not in self._paths}
        # Files discovery listed may have changed on disk unseen (no watcher): read them again,
        # keeping the digest of those whose stat signature is the one they were read with.
        self._disk_stale |= set(self._paths)
        self._discovery_stale = False
        if changed:
            self._order_facts()
        return changed

    def _settings_of_files(self) -> None:
        """Look up every folder's settings now (the rules that run are those any of them
        selects), and read every file's facts again if the settings extraction reads changed."""
        from driftlint.facts.extractors import EXTRACTORS
        from driftlint.rule import Rule

        assert self.tree is not None and self._structure is not None
        for folder in {os.path.dirname(path) for path, _kind in self._structure.kinds}:
            self.tree.for_folder(Path(folder))
        loaded = self.tree.loaded()
        self._selected = sorted({r for each in loaded for r in selected_rules(each)}, key=lambda r: r.code)
        self._rules = [r for r in self._selected if issubclass(r, Rule)]
        extraction = tuple(
            (str(each.source), name, getattr(each, name)) for each in loaded for e in EXTRACTORS for name in e.settings
        )
        if extraction != self._extraction:
            self._facts = {}
            self._extraction = extraction

    def _read_and_extract(self) -> tuple[frozenset[str], bool]:
        """Bring every file's facts up to date with its buffer or its bytes on disk; the parts
        that changed, and whether some file's facts were added or replaced by another kind's."""
        assert self.settings is not None
        todo, new_facts = self._outdated()
        if todo:
            # A gated extractor (the Celery one) opens when a file read now opens it, and stays
            # open: its facts change no finding in a project where no file opens it.
            opened = active_extractors(((kind, data) for _path, kind, data, _digest in todo), {e.key for e in self._active})
            if self._facts and not opened <= self._active:
                # The new part is wanted from every file: all are read and extracted again.
                self._facts = {}
                self._disk_stale |= set(self._paths)
                todo, new_facts = self._outdated()
            self._active = self._active | opened
            assert self.tree is not None
            extracted = extract_many(todo, self.tree.for_file, self._active, process_count(self.options.jobs))
            for (path, _kind, _data, digest), (facts, _blob) in zip(todo, extracted):
                facts.digest = digest
                new_facts[path] = facts
        changed: set[str] = set()
        replaced = False
        for path, facts in new_facts.items():
            old = self._facts.get(path)
            parts = changed_parts(old, facts) if old is not None else None
            if old is None or parts is None:
                replaced = True
                self._facts[path] = facts
            else:
                changed |= parts
                _update_in_place(old, facts)
        if replaced:
            self._order_facts()
        return frozenset(changed), replaced

    def _outdated(self) -> tuple[list[tuple[Path, str, bytes, str]], dict[Path, FileFacts]]:
        """The files whose facts do not describe their buffer or their bytes on disk: those to
        extract (path, kind, bytes, digest), and the facts of those that cannot be read."""
        assert self._structure is not None
        todo: list[tuple[Path, str, bytes, str]] = []
        unreadable: dict[Path, FileFacts] = {}
        for text, kind in self._structure.kinds:
            path = self._paths[text]
            buffer = self.buffers.get(path)
            content = FileContent(kind, buffer, _digest(buffer)) if buffer is not None else self._read(text, kind)
            facts = self._facts.get(path)
            if facts is not None and facts.kind == kind and facts.digest == content.digest:
                continue
            if content.error is not None:
                unreadable[path] = FileFacts(path=path, kind=kind, digest=content.digest, parse_error=content.error)
            else:
                data = content.data if content.data is not None else self._read(text, kind, fresh=True).data
                todo.append((path, kind, data or b"", content.digest))
        self._disk_stale.clear()
        return todo, unreadable

    def _read(self, text: str, kind: str, fresh: bool = False) -> FileContent:
        """A file's content as on disk: the digest read last time while its stat signature holds
        (without its bytes), else its bytes now. A FIFO or device reads as empty."""
        content = self._disk.get(text)
        if fresh or content is None or text in self._disk_stale or content.kind != kind:
            previous = None if fresh or content is None or content.kind != kind else (content.signature, content.digest)
            content = content_of(text, kind, previous) or FileContent(kind, b"", _digest(b""))
            self._disk[text] = content
        return content

    def _order_facts(self) -> None:
        """Rules see the files in the structure's order, whatever order their facts came in."""
        assert self._structure is not None
        paths = (self._paths[text] for text, _kind in self._structure.kinds)
        self._facts = {path: self._facts[path] for path in paths if path in self._facts}

    def _buffers_changed(self) -> bool:
        for path, data in self.buffers.items():
            facts = self._facts.get(path)
            if facts is not None and facts.digest != _digest(data):
                return True
        return False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _update_in_place(old: FileFacts, new: FileFacts) -> None:
    """Give `old` the contents of `new`: the revision graphs and scripts lists hold `old`."""
    for field in fields(FileFacts):
        setattr(old, field.name, getattr(new, field.name))


__all__ = ["Outcome", "Session", "CONFIG_NAMES"]
