"""The reuse tiers around the pipeline: how much of a check can be answered from what earlier runs stored.

One `Memory` per run that may reuse a result (a plain check with the cache on). It answers, in
the order the pipeline asks:

1. `unchanged_result`: the whole result, when every path the last run depended on has the stat
   signature it had then (its InputManifest; no file is read);
2. `layout`: the last run's environments, file kinds and each file's digest by its signature,
   while nothing discovery looked at changed (the `discover` stage is skipped, and unchanged
   files keep their digest unread);
3. `answer`: once the files are read, the stored result when they hold the same bytes (a touch,
   a checkout, a new clone with the cache restored), or when the edited files' facts are equal
   part by part to the stored ones (a comment: early cutoff); else the findings of the rules that
   read none of the changed parts, which stand while the others run again.

`remember` stores what the next run needs. Each invocation scope (project root, working
directory, arguments, effective settings) keeps its own entries, so a check with another rule
selection sits beside the plain check's instead of replacing it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping

from driftlint.facts import extract as extraction
from driftlint.facts.model import changed_parts
from driftlint.inputs import Disk, InputManifest, InputRecorder, SeenContent, racy
from driftlint.signatures import unchanged
from driftlint.storage import code_fingerprint, read_entry, scope_name, write_entry

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.diagnostics import Diagnostic
    from driftlint.discovery import Environment
    from driftlint.engine.discover import Structure
    from driftlint.engine.options import CheckOptions
    from driftlint.engine.read import FileContent
    from driftlint.engine.setup import SettingsTree
    from driftlint.facts.extractors import Extractor
    from driftlint.facts.store import FactStore
    from driftlint.rule import Rule

# More edited files than this are not worth comparing fact by fact first.
EARLY_CUTOFF_FILES = 16

# What a run stores as its result: (findings, files read, environments, whether modules could hold
# Celery work, notices, what its rules learned on disk besides the files whose digests key the result).
Stored = tuple[list["Diagnostic"], int, int, bool, tuple[str, ...], "SeenContent | None"]


@dataclass(frozen=True)
class Layout:
    """What a run found before reading file contents, and each file's digest as it was read.

    `structure` holds every path that discovery and classification looked at (settings and
    Alembic config files, folder listings, env.py...): while all of them are unchanged, so are
    the environments, the file kinds and each environment's revision files. `files` maps each
    file read to (its "read" stat signature, its digest): an unchanged file's digest is reused
    without reading it, as git's index does, racily clean entries excepted.
    """

    started_ns: int
    structure: InputManifest
    environments: list[Environment]
    kinds: list[tuple[str, str]]  # (path, kind) in sorted Path order, as the run key lists them
    revision_lists: list[list[str]]
    files: dict[str, tuple[Any, str]]
    # When the run that started then stored each rule's own findings (before suppressions and
    # the other filters): reused for the rules an edit cannot concern. A run that reuses the
    # whole result keeps it.
    findings_ns: int | None = None
    # The gated extractors (Extractor.opens) that run had open: an edit keeps them so.
    opened: tuple[str, ...] = ()

    def structure_found(self) -> Structure:
        from driftlint.engine.discover import Structure

        return Structure(self.environments, self.kinds, self.revision_lists)


@dataclass(frozen=True)
class Answer:
    """What the stored results say about this run once its files are read: the whole result
    (`stored`), or the findings that stand for the rules an edit cannot concern (`standing`)."""

    stored: Stored | None = None
    standing: dict[str, list[Diagnostic]] | None = None
    changed: frozenset[str] = frozenset()
    # What the previous run's rules learned on disk, kept for the rules whose findings stand.
    previous_looked_at: SeenContent | None = None

    def stands(self, rule: type[Rule]) -> bool:
        """Whether the rule's last findings stand: it reads none of the changed parts."""
        return (
            self.standing is not None
            and rule.reads is not None
            and rule.code in self.standing
            and not any(extractor.key in self.changed for extractor in rule.reads)
        )


class RunStore:
    """One invocation scope's entries: its result (with the manifest of what it depended on), its
    layout and its findings by rule, each in a file of its own (a run that finds nothing changed
    loads only the first). `context` (code and settings fingerprints) must match too."""

    def __init__(self, directory: Path, scope: tuple[str, ...], context: str):
        self.directory = directory
        self.name = scope_name("run", *scope)
        self.layout_name = scope_name("layout", *scope)
        self.findings_name = scope_name("findings", *scope)
        self.context = context
        self._entry: Any = None

    def _stored(self) -> tuple[str, str, Any, Any] | None:
        if self._entry is None:
            value = read_entry(self.directory / self.name)
            valid = isinstance(value, tuple) and len(value) == 4 and value[1] == self.context
            self._entry = value if valid else ()
        return self._entry or None

    def unchanged(self) -> tuple[Any, InputManifest] | None:
        """The stored result and its manifest when no path it depended on changed (by stat)."""
        stored = self._stored()
        if stored is None or not isinstance(stored[3], InputManifest):
            return None
        if not stored[3].trustworthy() or not stored[3].unchanged():
            return None
        return stored[2], stored[3]

    def load_layout(self) -> Any:
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
        """The stored result and its manifest whatever its key (see early_cutoff)."""
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
        InputManifest) never answers `unchanged`; the early cutoff uses it for the paths that are
        (every file it compares by content)."""
        write_entry(self.directory, self.name, (key, self.context, value, manifest))
        if layout is not None:
            write_entry(self.directory, self.layout_name, (self.context, layout))


class Memory:
    """The reuse tiers of one check (see the module docstring)."""

    def __init__(self, directory: Path, options: CheckOptions, tree: SettingsTree, dirs: list[Path], disk: Disk):
        assert disk.recorder is not None, "only a recorded check can be reused"
        settings = tree.root
        self.directory = directory
        self.tree = tree
        self.settings = settings
        self.disk = disk
        self.recorder: InputRecorder = disk.recorder
        self.invocation = _invocation(options, settings, dirs, disk)
        self.store = RunStore(directory, self.invocation, _run_context(settings))
        self.manifest: InputManifest | None = None  # the manifest `unchanged_result` found true

    def unchanged_result(self) -> Stored | None:
        found = self.store.unchanged()
        if found is None:
            return None
        self.manifest = found[1]
        return found[0]  # type: ignore[no-any-return]

    def layout(self) -> Layout | None:
        """The last run's layout, when nothing its discovery looked at changed; this run then
        depends on what that discovery depended on."""
        layout = self.store.load_layout()
        if not isinstance(layout, Layout) or not layout.structure.unchanged():
            return None
        self.recorder.adopt(layout.structure)
        return layout

    def run_key(self, environments: list[Environment], contents: Mapping[str, FileContent]) -> str:
        return _run_key(
            self.tree, self.invocation, environments, ((p, c.kind, c.digest) for p, c in contents.items()), self.disk
        )

    def answer(
        self,
        structure: Structure,
        layout: Layout | None,
        contents: Mapping[str, FileContent],
        facts: FactStore | None,
        active: Collection[Extractor],
        discovered: InputManifest | None,
    ) -> tuple[str, Answer]:
        """The run key of these contents, and what the stored results say of them (see the
        module docstring). A stored result found here is stored again with this run's manifest
        (and, with a layout, the signatures now seen), so the next run answers it by stat.
        `discovered`: what this run's discovery looked at (without a layout)."""
        key = self.run_key(structure.environments, contents)
        if layout is None:
            stored = _by_content(self.store, key)
            if stored is not None:
                # Same contents, other stat signatures (a checkout, a touch): record them afresh.
                layout_now = self.layout_of(structure, contents, active, discovered=discovered)
                self.store.store(key, stored, self.recorder.manifest(), layout_now)
                return key, Answer(stored=stored)
            return key, Answer()
        if any(c.error is not None for c in contents.values()) or len(contents) != len(layout.kinds):
            return key, Answer()  # a FIFO, an unreadable file: the full path reports it
        stored = _by_content(self.store, key)
        if stored is None:
            edited = {
                path: (c.kind, c.data, c.digest)
                for path, c in contents.items()
                if c.data is not None and (path not in layout.files or c.digest != layout.files[path][1])
            }
            if not edited or facts is None:
                return key, Answer()
            cutoff = self._early_cutoff(layout, facts, edited, active)
            if cutoff is None:
                return key, Answer()
            if cutoff.changed:
                return key, cutoff
            stored = cutoff.stored
        signatures = {path: (_trusted(c.signature, self.recorder.started_ns), c.digest) for path, c in contents.items()}
        self.store.store(key, stored, self.recorder.manifest(), replace(layout, started_ns=self.recorder.started_ns, files=signatures))
        return key, Answer(stored=stored)

    def _early_cutoff(
        self,
        layout: Layout,
        facts: FactStore,
        edited: dict[str, tuple[str, bytes, str]],
        active: Collection[Extractor],
    ) -> Answer | None:
        """The previous result, when the only files that changed since are all that changed.

        Rules see nothing of a file but its facts (spans included): an edit that leaves them
        equal (a comment, trailing lines, a docstring body) cannot change a finding, so the rules
        need not run again, as a build system stops at a step whose output did not change.
        Everything else the previous run depended on must be unchanged too: the layout's
        structure (already checked), the other files (their digests were reused), and every
        other path in its manifest, such as those the rules themselves looked at. When the facts
        did change, the parts that changed say which rules must run again (Rule.reads): changing
        the SQL of a revision leaves every Celery rule's findings as they were. The new facts are
        stored either way.
        """
        if len(edited) > EARLY_CUTOFF_FILES or any(path not in layout.files for path in edited):
            return None
        previous = self.store.previous()
        if previous is None:
            return None
        value, manifest = previous
        # The layout and the result must come from the same run.
        if manifest.started_ns != layout.started_ns:
            return None
        # Every file of the layout was just compared by content (its digest reused by a trusted
        # signature, or read again); every other path must still be as that run saw it, and must
        # not have changed so shortly before it that a later change could carry the same timestamps.
        rest = tuple(entry for entry in manifest.entries if not (entry[1] == "read" and entry[0] in layout.files))
        if any(racy(sig, manifest.started_ns) for _path, _how, sig in rest) or not unchanged(rest):
            return None
        # The unchanged files' bytes are as that run saw them: only an edited file can open a
        # gated extractor; then every file's facts of that part are wanted, the full path's work.
        if {e.key for e in active if e.opens is not None} != set(layout.opened):
            return None
        changed: set[str] = set()
        for path_text, (kind, data, digest) in edited.items():
            path = Path(path_text)
            old = facts.get(path, kind, layout.files[path_text][1])
            new = extraction.extract_facts(path, kind, data, self.tree.for_file(path), active)
            new.digest = digest
            facts.put(path, kind, digest, new)  # the extract stage takes it from there
            parts = changed_parts(old, new) if old is not None else None
            if parts is None:
                return None
            changed |= parts
        findings = None
        if changed:
            findings = self.store.load_findings(layout.findings_ns) if layout.findings_ns is not None else None
        else:
            facts.save()
        # The new manifest keeps what only the previous run looked at (the rules' own reads).
        self.recorder.adopt(InputManifest(manifest.started_ns, rest))
        if not changed:
            return Answer(stored=value)
        previous_looked_at = value[5] if isinstance(value[5], SeenContent) else None
        return Answer(standing=findings, changed=frozenset(changed), previous_looked_at=previous_looked_at)

    def layout_of(
        self,
        structure: Structure,
        contents: Mapping[str, FileContent],
        active: Collection[Extractor],
        findings_ns: int | None = None,
        discovered: InputManifest | None = None,
    ) -> Layout | None:
        """This run's layout for the next run; None when its discovery's inputs cannot vouch for it."""
        if discovered is None or not discovered.trustworthy():
            return None
        started = self.recorder.started_ns
        files = {
            path: (_trusted(content.signature, started), content.digest)
            for path, content in contents.items()
            if content.signature is not None and content.error is None
        }
        opened = tuple(sorted(e.key for e in active if e.opens is not None))
        return Layout(
            started, discovered, structure.environments, structure.kinds, structure.revision_lists, files, findings_ns, opened
        )

    def remember(
        self,
        key: str,
        result: Stored,
        structure: Structure,
        contents: Mapping[str, FileContent],
        active: Collection[Extractor],
        by_rule: dict[str, list[Diagnostic]],
        discovered: InputManifest | None,
    ) -> InputManifest:
        """Store this run's result, layout and findings by rule; the manifest it was stored with."""
        layout = self.layout_of(structure, contents, active, self.recorder.started_ns, discovered)
        if layout is not None and not self.store.store_findings(self.recorder.started_ns, by_rule):
            layout = replace(layout, findings_ns=None)
        manifest = self.recorder.manifest()
        self.store.store(key, result, manifest, layout)
        return manifest

    def rules_looked_at(self, looked_at: dict[tuple[str, str], Any], answer: Answer) -> SeenContent | None:
        """What the rules learned on disk (config files, folders), beyond the files whose digests
        key the result; with findings reused after an edit, what the reused rules had learned as
        well. None when it cannot be vouched for: the result is then never reused by content."""
        seen = SeenContent.of(
            InputManifest(self.recorder.started_ns, tuple((path, how, sig) for (path, how), sig in looked_at.items()))
        )
        if seen is None or answer.standing is None:
            return seen
        previous = answer.previous_looked_at
        if previous is None:
            return None
        known = {(path, how) for path, how, _value in seen.entries}
        return SeenContent(seen.entries + tuple(entry for entry in previous.entries if (entry[0], entry[1]) not in known))


def _by_content(store: RunStore, key: str) -> Any:
    """The result stored under `key` (the same code, settings, environments and file contents),
    when what its rules learned on disk besides those files still holds: a rule reads
    requires-python from pyproject.toml, the module namer looks for __init__.py files. Compared by
    content, so that a fresh checkout of the same tree reuses it (looking records the paths)."""
    stored = store.load(key)
    if stored is None:
        return None
    looked_at = stored[5]
    if not isinstance(looked_at, SeenContent) or not looked_at.unchanged():
        return None
    return stored


def _trusted(sig: Any, started_ns: int) -> Any:
    """A file's signature as the next run may trust it: None when it changed so shortly before
    this run that a later change could carry the same timestamps (the next run reads it again)."""
    return None if racy(sig, started_ns) else sig


def _invocation(options: CheckOptions, settings: Settings, dirs: list[Path], disk: Disk) -> tuple[str, ...]:
    """What makes two invocations different questions: each keeps its own entries. File
    arguments are left out: they only filter the report. The effective settings are in: a run
    with another selection keeps its entries beside this one's."""
    return (
        str(settings.root),
        str(disk.resolve(options.cwd)),
        repr([str(d) for d in dirs]),
        repr([str(disk.resolve(p)) for p in options.alembic_config]),
        repr(options.alembic_section),
        repr(options.settings_file and disk.resolve(options.settings_file)),
        settings.fingerprint(),
    )


def _run_context(settings: Settings) -> str:
    """What a stored result depends on besides the files: the code and the effective settings."""
    return f"{code_fingerprint()}\0{settings.fingerprint()}\0{settings.source!r}"


def _run_key(
    tree: SettingsTree,
    invocation: tuple[str, ...],
    environments: list[Environment],
    files: Iterable[tuple[str, str, str]],
    disk: Disk,
) -> str:
    """Every input of a check: the code, the settings (file and effective values), the command's
    options, the environments discovery found, and each file's (path, kind, content digest), in
    sorted path order."""
    digest = hashlib.sha256()
    settings_files = [_content_digest(s.source, disk) for s in tree.loaded() if s.source is not None]
    for part in (
        code_fingerprint(),
        tree.fingerprint(),
        *settings_files,
        *invocation,
        repr(environments),
    ):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for path, kind, file_digest in files:
        digest.update(f"{path}\0{kind}\0{file_digest}\0".encode("utf-8", "surrogateescape"))  # a name that is not UTF-8
    return digest.hexdigest()


def _content_digest(path: Path, disk: Disk) -> str:
    try:
        return hashlib.sha256(disk.read_bytes(path)).hexdigest()
    except OSError as exc:
        return f"unreadable:{exc}"
