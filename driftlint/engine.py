"""The check pipeline: discover, read every file once (cached, in parallel), run rules, suppress, sort."""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import os
import pickle
import re
import signal
import stat
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from driftlint.cache import FactCache, RunCache, code_fingerprint, ensure_directory
from driftlint.config import ConfigError, Settings, load_settings
from driftlint.diagnostics import Diagnostic
from driftlint.inputs import InputManifest, InputRecorder, SeenContent, racy
from driftlint.signatures import full_signature as stat_signature
from driftlint.signatures import signature, unchanged
from driftlint.facts.extractors import CELERY
from driftlint.facts.model import MODULE, REVISION, UNSCANNED, FileFacts, changed_parts
from driftlint.facts.store import UnreadableCachedFacts
from driftlint.project import EnvironmentAnalysis, Project, display_path

from driftlint.rule import Rule

if TYPE_CHECKING:
    from driftlint.discovery import Environment
    from driftlint.rule import RuleInfo

# Discovery, the rules and the parser are imported where a run needs them: a run answered from
# the whole-run cache needs none of them, and importing them was a quarter of such a run.

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 300


class InternalError(Exception):
    """A bug in driftlint or a rule: exit 2 with one line (traceback only with --debug)."""


@dataclass
class CheckOptions:
    paths: list[Path]
    cwd: Path
    settings_file: Path | None = None
    alembic_config: list[Path] = field(default_factory=list)
    alembic_section: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    cache_dir: Path | None = None
    use_cache: bool = True
    jobs: int | None = None
    # Answer from the whole-run cache when every input is unchanged; such a result has no
    # `project` (nothing was parsed), so only callers that just report diagnostics ask for it.
    reuse_result: bool = False
    # File contents that replace the disk (check --base); None: the file is absent from the merge result.
    overlay: dict[Path, bytes | None] | None = None
    # Extract every fact, also those no rule can use in this project (the Celery facts of a
    # project without Celery or materialized views): --show-unknown lists what each analysis
    # could not resolve.
    all_facts: bool = False


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    project: Project | None
    files_read: int = 0
    environments: int = 0
    settings: Settings | None = None
    # When the result is stored in (or came from) the whole-run cache under a trustworthy
    # manifest: that manifest and the cache folder (driftlint.snapshot keeps a first tier there).
    manifest: InputManifest | None = None
    cache_dir: Path | None = None


def load_project_settings(options: CheckOptions) -> Settings:
    start = options.paths[0] if options.paths else options.cwd
    settings = load_settings(start.resolve(), options.settings_file, _OptionDefaults())
    if settings.source is None:
        # A file argument narrows the report, not the project: the graph needs the whole history.
        settings.root = (start if start.is_dir() else options.cwd).resolve()
    settings.select = options.select or settings.select
    settings.ignore = settings.ignore + options.ignore
    settings.extend_select = settings.extend_select + options.extend_select
    return settings


class _OptionDefaults(Mapping[str, Any]):
    """Rule option defaults, imported only when a settings file sets a key that is not a core one.

    Importing every rule module (and networkx and pglast through them) costs more than the rest
    of a run that the whole-run cache answers, and most settings files set only core keys.
    """

    def __init__(self) -> None:
        self._defaults: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._defaults is None:
            from driftlint.rule import option_defaults

            self._defaults = option_defaults()
        return self._defaults

    def __bool__(self) -> bool:
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._load()

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def selected_rules(settings: Settings) -> list[type[RuleInfo]]:
    """select (default: all), plus extend-select, minus ignore; codes, names and code prefixes accepted."""
    from driftlint.rule import all_rules, rule_by_selector

    rules = all_rules()

    def resolve(selector: str, key: str) -> list[type[RuleInfo]]:
        if selector.upper() == "ALL":
            return list(rules)
        by = rule_by_selector()
        if selector in by:
            return [by[selector]]
        matched = [r for r in rules if r.code.startswith(selector.upper()) and selector.upper().startswith("DL")]
        if not matched:
            raise ConfigError(f"unknown rule `{selector}` in `{key}` (see `driftlint rules`)")
        return matched

    chosen: dict[str, type[RuleInfo]] = {}
    for selector in settings.select or ("ALL",):
        for rule in resolve(selector, "select"):
            chosen[rule.code] = rule
    for selector in settings.extend_select:
        for rule in resolve(selector, "extend-select"):
            chosen[rule.code] = rule
    for selector in settings.ignore:
        for rule in resolve(selector, "ignore"):
            chosen.pop(rule.code, None)
    for selectors in settings.per_file_ignores.values():
        for selector in selectors:
            resolve(selector, "per-file-ignores")
    for selector in settings.severity:
        resolve(selector, "severity")
    return [chosen[code] for code in sorted(chosen)]


def run_check(options: CheckOptions) -> CheckResult:
    with _cyclic_gc_paused():
        return _run_check(options)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector for one check: a run allocates hundreds of thousands of objects
    (trees, facts, a cached pack) that live until the end, and the collector kept re-scanning them
    (a third of a warm run's CPU time on a 2,000-revision history). Reference counting still frees
    everything acyclic; the collector resumes, with whatever it was set to, when the check ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_check(options: CheckOptions) -> CheckResult:
    for path in options.paths:
        if not path.exists():
            raise ConfigError(f"{path}: no such file or directory")
    if not (options.use_cache and options.reuse_result and not options.overlay):
        return _analyse(options, None)
    with InputRecorder() as recorder:
        # driftlint's own source is read for the code fingerprint, which the entry's context holds.
        recorder.ignore(os.path.dirname(os.path.abspath(__file__)))
        return _analyse(options, recorder)


def _reused(run_cache: RunCache, options: CheckOptions, settings: Settings) -> CheckResult | None:
    stored = run_cache.load_unchanged()
    if stored is None:
        return None
    return _stored_result(stored, options, settings, manifest=run_cache.manifest, cache_dir=run_cache.directory)


def _stored_result(stored: Any, options: CheckOptions, settings: Settings, **cached: Any) -> CheckResult:
    """The CheckResult of a result stored in the whole-run cache: (findings, files read,
    environments, what the rules looked at), as _analyse stores it."""
    diagnostics, files_read, environment_count, _rules_looked_at = stored
    return CheckResult(_only_file_arguments(list(diagnostics), options), None, files_read, environment_count, settings, **cached)


def _analyse(
    options: CheckOptions, recorder: InputRecorder | None, trust_layout: bool = True, lazy: bool = True
) -> CheckResult:
    """The check itself; with a recorder, the result may be reused from (and is stored in) the
    whole-run cache, first by the stat signatures of every input, then by content digests; and
    when only file contents changed, the previous run's environments, file kinds and the digests
    of unchanged files are reused (see Layout)."""
    settings = load_project_settings(options)
    cache_dir = _cache_dir(options, settings) if options.use_cache else None
    dirs = [p.resolve() for p in options.paths if p.is_dir()] or [settings.root]
    run_cache = None
    if recorder is not None and cache_dir is not None:
        recorder.ignore(os.fspath(cache_dir))
        try:
            # Before anything is listed: creating the folder inside the project later would
            # change the project folder's listing, and the next run could not be reused.
            ensure_directory(cache_dir)
        except OSError:
            pass  # unwritable: every write fails quietly later as well
        run_cache = RunCache(cache_dir, _invocation(options, settings, dirs), _run_context(settings))
        reused = _reused(run_cache, options, settings)
        if reused is not None:
            return reused
    layout = _unchanged_layout(run_cache, recorder) if trust_layout else None
    cache = None
    if cache_dir is not None:
        cache = FactCache(cache_dir, settings.fingerprint(), settings.root, layout.celery if layout is not None else True)
    reuse = None
    if layout is not None:
        assert run_cache is not None and recorder is not None and cache is not None
        quick, settled, reuse = _quick_pass(layout, run_cache, cache, options, settings, dirs, recorder)
        if quick is not None:
            return _stored_result(quick, options, settings)
        environments = layout.environments
        kinds, revision_lists = layout.paths()
    else:
        settled = {}
        from driftlint import discovery

        environments = discovery.discover(
            dirs, settings, [p.resolve() for p in options.alembic_config] or None, options.alembic_section
        )
        kinds, revision_lists = _classify_files(dirs, settings, environments, options.overlay)
    # Everything the environments and the file kinds depend on: what discovery looked at, or
    # what the reused layout's discovery did (the quick pass has recorded file reads since).
    if layout is not None:
        structure = layout.structure
    else:
        structure = recorder.manifest() if recorder is not None else None
    contents = read_contents(kinds, options.overlay, settled)
    if recorder is not None:
        for path, content in contents.items():
            if content.signature is not None and content.data is None:
                recorder.note(os.fspath(path), "read", content.signature)
    celery = options.all_facts or _celery_gate(contents, layout)
    if cache is not None and cache.celery != celery:
        cache = FactCache(cache.directory, settings.fingerprint(), settings.root, celery)
    if run_cache is not None:
        assert recorder is not None
        key = _run_key(options, settings, dirs, environments, ((os.fspath(p), c.kind, c.digest) for p, c in contents.items()))
        # With a layout, the quick pass already asked for this key.
        stored = _by_content(run_cache, key) if layout is None else None
        if stored is not None:
            # Same contents, other stat signatures (a checkout, a touch): record them afresh.
            run_cache.store(
                key, stored, recorder.manifest(), _layout(recorder, structure, environments, kinds, revision_lists, contents, celery)
            )
            return _stored_result(stored, options, settings)
    try:
        facts = read_all(
            kinds, replace(settings, celery_facts=celery), cache, options.jobs, options.overlay, contents, save=False, lazy=lazy
        )
    except _ChangedWhileChecked:
        # A file reused by its signature changed after all (an edit during the run): start over,
        # reading everything; the recorded signatures then end this run's reuse next time too.
        if cache is not None:
            cache.save()
        return _analyse(options, recorder, trust_layout=False, lazy=lazy)
    saver = None
    if cache is not None and cache.pending:
        # Writing the pack (pickling what the parent extracted, checksumming, writing) overlaps
        # the rules when a second CPU is there; the child is always waited for.
        if _workers(options.jobs) > 1 and len(facts) >= PARALLEL_THRESHOLD:
            saver = _Child.start(cache.save)
        if saver is None:
            cache.save()
    # Only now: a reused result needs no rule class (the selection is a function of the settings
    # in its key), and importing the rules costs as much as extracting a few hundred files.
    selected = selected_rules(settings)
    rules = [r for r in selected if issubclass(r, Rule)]

    project = Project(cwd=options.cwd.resolve(), root=settings.root, settings=settings, files=facts)
    from driftlint.graph import RevisionGraph

    parallel = _workers(options.jobs) > 1 and len(facts) >= PARALLEL_THRESHOLD
    try:
        # The graphs read every revision's header: their facts are loaded here, before the rules
        # child is forked, and it inherits them.
        for env, revision_files in zip(environments, revision_lists):
            scripts = [facts[p] for p in revision_files if p in facts]
            project.environments.append(EnvironmentAnalysis(env, scripts, RevisionGraph(scripts)))
        with recorder.apart() if recorder is not None else nullcontext({}) as looked_at:
            by_rule = _check_rules(rules, project, recorder, parallel, reuse)
    except UnreadableCachedFacts:
        # A cached blob that passed the pack's checksum yet does not unpickle (LazyFileFacts):
        # start over reading the cache up front, where such an entry is a miss, extracted again.
        if saver is not None:
            saver.collect()  # let it finish writing: a killed writer would leave its temporary file
        return _analyse(options, recorder, trust_layout, lazy=False)
    rules_looked_at = _rule_inputs(recorder, looked_at, reuse)
    if saver is not None and saver.collect() is not True and cache is not None:
        cache.save()  # the child could not write the pack: write it here
    diagnostics = [d for rule in rules for d in by_rule[rule.code]]

    # A suppression naming a selected gate suppresses nothing in `check`, and says so.
    diagnostics = apply_suppressions(diagnostics, project, {r.code for r in selected})
    diagnostics = apply_per_file_ignores(diagnostics, settings, project)
    diagnostics = apply_severity(diagnostics, settings)
    unique = {(d.sort_key(), d.end, d.related): d for d in diagnostics}
    ordered = sorted(unique.values(), key=Diagnostic.sort_key)
    if run_cache is not None:
        assert recorder is not None
        layout = _layout(recorder, structure, environments, kinds, revision_lists, contents, celery, recorder.started_ns)
        if layout is not None and not run_cache.store_findings(recorder.started_ns, by_rule):
            layout = replace(layout, findings_ns=None)
        manifest = recorder.manifest()
        run_cache.store(key, (ordered, len(facts), len(environments), rules_looked_at), manifest, layout)
        if manifest.trustworthy():
            return CheckResult(
                _only_file_arguments(ordered, options), project, len(facts), len(environments), settings,
                manifest=manifest, cache_dir=run_cache.directory,
            )
    return CheckResult(_only_file_arguments(ordered, options), project, len(facts), len(environments), settings)


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
    # the other filters; RunCache.store_findings): reused for the rules an edit cannot concern
    # (see Rule.reads and _early_cutoff). A run that reuses the whole result keeps it.
    findings_ns: int | None = None
    # Whether that run extracted Celery facts (see _celery_gate): an edit keeps it so unless an
    # edited file opens the gate.
    celery: bool = True

    def paths(self) -> tuple[dict[Path, str], list[list[Path]]]:
        """The file kinds and revision lists as Paths: built only when the rules must run (a Path
        per file costs more than the rest of a run that reuses the findings)."""
        return {Path(path): kind for path, kind in self.kinds}, [[Path(p) for p in paths] for paths in self.revision_lists]


class _ChangedWhileChecked(Exception):
    """A file whose digest was reused from its signature turned out to hold other bytes."""


def _rule_inputs(recorder: InputRecorder | None, looked_at: dict[tuple[str, str], Any], reuse: "_Reuse | None") -> SeenContent | None:
    """What the rules learned on disk (config files, folders), beyond the files whose digests key
    the result; with findings reused after an edit, what the reused rules had learned as well.
    None when it cannot be vouched for: the result is then never reused by content."""
    if recorder is None:
        return None
    seen = SeenContent.of(InputManifest(recorder.started_ns, tuple((path, how, sig) for (path, how), sig in looked_at.items())))
    if seen is None or reuse is None or reuse.findings is None:
        return seen
    previous = reuse.value[3]
    if not isinstance(previous, SeenContent):
        return None
    known = {(path, how) for path, how, _value in seen.entries}
    return SeenContent(seen.entries + tuple(entry for entry in previous.entries if (entry[0], entry[1]) not in known))


def _by_content(run_cache: RunCache, key: str) -> Any:
    """The result stored under `key` (the same code, settings, environments and file contents),
    when what its rules learned on disk besides those files still holds: a rule reads
    requires-python from pyproject.toml, the module namer looks for __init__.py files. Compared by
    content, so that a fresh checkout of the same tree reuses it (looking records the paths)."""
    stored = run_cache.load(key)
    if stored is None:
        return None
    looked_at = stored[3]
    if not isinstance(looked_at, SeenContent) or not looked_at.unchanged():
        return None
    return stored


def _unchanged_layout(run_cache: RunCache | None, recorder: InputRecorder | None) -> Layout | None:
    if run_cache is None or recorder is None:
        return None
    layout = run_cache.load_layout()
    if not isinstance(layout, Layout) or not layout.structure.unchanged():
        return None
    # This run depends on what the reused structure depended on: keep those entries.
    recorder.adopt(layout.structure)
    return layout


def _layout(
    recorder: InputRecorder,
    structure: InputManifest | None,
    environments: list[Environment],
    kinds: dict[Path, str],
    revision_lists: list[list[Path]],
    contents: dict[Path, FileContent],
    celery: bool,
    findings_ns: int | None = None,
) -> Layout | None:
    if structure is None or not structure.trustworthy():
        return None
    files = {
        os.fspath(path): (_trusted(content.signature, recorder.started_ns), content.digest)
        for path, content in contents.items()
        if content.signature is not None and content.error is None
    }
    return Layout(
        recorder.started_ns,
        structure,
        environments,
        [(os.fspath(path), kinds[path]) for path in sorted(kinds)],
        [[os.fspath(path) for path in paths] for paths in revision_lists],
        files,
        findings_ns,
        celery,
    )


def _opens_celery(kind: str, data: bytes | None) -> bool:
    return data is not None and CELERY.opens is not None and CELERY.opens(kind, data)


def _celery_gate(contents: dict[Path, FileContent], layout: "Layout | None") -> bool:
    """Whether this run extracts Celery facts: when some file opens the gate (_opens_celery).
    Without a layout every file was read; with one, the files not read are those of its run,
    whose gate stands (it is kept open even when an edit closes it: findings are the same)."""
    if layout is not None and layout.celery:
        return True
    return any(_opens_celery(content.kind, content.data) for content in contents.values())


def _trusted(sig: Any, started_ns: int) -> Any:
    """A file's signature as the next run may trust it: None when it changed so shortly before
    this run that a later change could carry the same timestamps (the next run reads it again)."""
    return None if racy(sig, started_ns) else sig


# More edited files than this are not worth comparing fact by fact first.
EARLY_CUTOFF_FILES = 16


def _quick_pass(
    layout: Layout,
    run_cache: RunCache,
    cache: FactCache,
    options: CheckOptions,
    settings: Settings,
    dirs: list[Path],
    recorder: InputRecorder,
) -> tuple[Any, dict[str, FileContent], "_Reuse | None"]:
    """With the last run's layout: its stored result when the files hold the same bytes (a touch,
    a checkout) or only edits that leave their facts equal (see _early_cutoff), else None; then
    the findings of rules the edits cannot concern, when there are such rules.

    Decided on path strings: files whose "read" signature is unchanged keep their digest unread,
    the others are read and hashed. Any file that cannot be read as a regular file leaves the
    question to the full path. Also returns each file's content as found (bytes or a reused
    digest), so that the full path neither stats nor reads it again.
    """
    files: list[tuple[str, str, str]] = []
    edited: dict[str, tuple[str, bytes, str]] = {}
    signatures: dict[str, tuple[Any, str]] = {}
    read: dict[str, FileContent] = {}  # each file as this pass found it, for the full path
    complete = True
    for path, kind in layout.kinds:
        previous = layout.files.get(path)
        content = _content_of(path, kind, previous)
        if content is None or content.error is not None:
            complete = False  # a FIFO, an unreadable file: the full path reports it
            if content is not None:
                read[path] = content
            continue
        read[path] = content
        files.append((path, kind, content.digest))
        if content.data is None:
            recorder.note(path, "read", content.signature)
        elif previous is None or content.digest != previous[1]:
            edited[path] = (kind, content.data, content.digest)
        signatures[path] = (_trusted(content.signature, recorder.started_ns), content.digest)
    if not complete:
        return None, read, None
    key = _run_key(options, settings, dirs, layout.environments, files)
    stored = _by_content(run_cache, key)
    if stored is None and edited:
        cutoff = _early_cutoff(run_cache, layout, cache, edited, settings, recorder)
        if cutoff is not None:
            if cutoff.changed:
                return None, read, cutoff
            stored = cutoff.value
    if stored is None:
        return None, read, None
    run_cache.store(key, stored, recorder.manifest(), replace(layout, started_ns=recorder.started_ns, files=signatures))
    return stored, read, None


@dataclass(frozen=True)
class _Reuse:
    """What an early cutoff found: the previous result, the parts of the edited files' facts that
    changed (none: the result stands as it is), and the previous run's findings by rule."""

    value: Any
    changed: frozenset[str]
    findings: dict[str, list[Diagnostic]] | None

    def reusable(self, rule: type[Rule]) -> bool:
        """Whether the rule's last findings stand: it reads none of the changed parts."""
        return (
            self.findings is not None
            and rule.reads is not None
            and rule.code in self.findings
            and not any(extractor.key in self.changed for extractor in rule.reads)
        )


def _early_cutoff(
    run_cache: RunCache,
    layout: Layout,
    cache: FactCache,
    edited: dict[str, tuple[str, bytes, str]],
    settings: Settings,
    recorder: InputRecorder,
) -> _Reuse | None:
    """The previous result, when the only files that changed since are all that changed.

    Rules see nothing of a file but its facts (spans included): an edit that leaves them equal
    (a comment, trailing lines, a docstring body) cannot change a finding, so the rules need not
    run again, as a build system stops at a step whose output did not change. Everything else
    the previous run depended on must be unchanged too: the layout's structure (already checked),
    the other files (their digests were reused), and every other path in its manifest, such as
    those the rules themselves looked at. When the facts did change, the parts that changed say
    which rules must run again (Rule.reads): changing the SQL of a revision leaves every Celery
    rule's findings as they were. The new facts are cached either way.
    """
    if len(edited) > EARLY_CUTOFF_FILES or any(path not in layout.files for path in edited):
        return None
    previous = run_cache.previous()
    if previous is None:
        return None
    value, manifest = previous
    # The layout and the result must come from the same run.
    if manifest.started_ns != layout.started_ns:
        return None
    # Every file of the layout was just compared by content (its digest reused by a trusted
    # signature, or read again); every other path must still be as that run saw it, and must not
    # have changed so shortly before it that a later change could carry the same timestamps.
    rest = tuple(entry for entry in manifest.entries if not (entry[1] == "read" and entry[0] in layout.files))
    if any(racy(sig, manifest.started_ns) for _path, _how, sig in rest) or not unchanged(rest):
        return None
    # The unchanged files' bytes are as that run saw them: only an edited file can open the gate;
    # then every module's Celery facts are wanted, which is the full path's work.
    if not layout.celery and any(_opens_celery(kind, data) for kind, data, _digest in edited.values()):
        return None
    extraction = replace(settings, celery_facts=layout.celery)
    changed: set[str] = set()
    for path_text, (kind, data, digest) in edited.items():
        path = Path(path_text)
        old = cache.get(path, kind, layout.files[path_text][1])
        new = extract_facts(path, kind, data, extraction)
        new.digest = digest
        cache.put(path, kind, digest, new)  # read_all takes it from there otherwise
        parts = changed_parts(old, new) if old is not None else None
        if parts is None:
            return None
        changed |= parts
    findings = None
    if changed:
        findings = run_cache.load_findings(layout.findings_ns) if layout.findings_ns is not None else None
    else:
        cache.save()
    # The new manifest keeps what only the previous run looked at (the rules' own reads).
    recorder.adopt(InputManifest(manifest.started_ns, rest))
    return _Reuse(value, frozenset(changed), findings)


def _only_file_arguments(diagnostics: list[Diagnostic], options: CheckOptions) -> list[Diagnostic]:
    """File arguments narrow the report, not the analysis (the graph needs the whole history).

    Applied after the whole-run cache, so pre-commit runs naming different files share one entry.
    """
    file_args = [p.resolve() for p in options.paths if p.is_file()]
    if not file_args:
        return diagnostics
    cwd = options.cwd.resolve()
    wanted = {display_path(p, cwd) for p in file_args}
    return [d for d in diagnostics if d.path in wanted]


def _invocation(options: CheckOptions, settings: Settings, dirs: list[Path]) -> tuple[str, ...]:
    """What makes two invocations different questions: each keeps its own whole-run entry. File
    arguments are left out: they only filter the report."""
    return (
        str(settings.root),
        str(options.cwd.resolve()),
        repr([str(d) for d in dirs]),
        repr([str(p.resolve()) for p in options.alembic_config]),
        repr(options.alembic_section),
        repr(options.settings_file and options.settings_file.resolve()),
    )


def _run_context(settings: Settings) -> str:
    """What a stored result depends on besides the files: the code and the effective settings."""
    return f"{code_fingerprint()}\0{settings.fingerprint()}\0{settings.source!r}"


def _run_key(
    options: CheckOptions,
    settings: Settings,
    dirs: list[Path],
    environments: list[Environment],
    files: Iterable[tuple[str, str, str]],
) -> str:
    """Every input of a check: the code, the settings (file and effective values), the command's
    options, the environments discovery found, and each file's (path, kind, content digest), in
    sorted path order."""
    digest = hashlib.sha256()
    settings_file = _content_digest(settings.source) if settings.source is not None else ""
    for part in (
        code_fingerprint(),
        settings.fingerprint(),
        repr(settings.source),
        settings_file,
        *_invocation(options, settings, dirs),
        repr(environments),
    ):
        digest.update(part.encode() + b"\0")
    for path, kind, file_digest in files:
        digest.update(f"{path}\0{kind}\0{file_digest}\0".encode())
    return digest.hexdigest()


def _content_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable:{exc}"


def _cache_dir(options: CheckOptions, settings: Settings) -> Path:
    if options.cache_dir is not None:
        return options.cache_dir
    env = os.environ.get("DRIFTLINT_CACHE_DIR")
    if env:
        return Path(env)
    if settings.cache_dir:
        return settings.root / settings.cache_dir
    return settings.root / ".driftlint_cache"


def _classify_files(
    dirs: list[Path], settings: Settings, environments: list[Environment], overlay: dict[Path, bytes | None] | None = None
) -> tuple[dict[Path, str], list[list[Path]]]:
    """Every file to read, with its kind (revision files, unscanned candidates, other modules),
    and each environment's revision files in load order."""
    from driftlint.discovery import walk_project

    kinds: dict[Path, str] = {}
    real_paths: dict[Path, str] = {}
    revision_lists = [env.revision_files(overlay, real_paths) for env in environments]
    for revision_files in revision_lists:
        for path in revision_files:
            kinds[path] = REVISION
    folders: dict[str, str] = {}
    revision_real = {real_paths.get(p) or _real(p, folders) for p in kinds}
    # Membership is tested on path strings: a Path per listed file, for each of the (usually
    # three) walks over a 2,000-revision folder, cost more than reading the files.
    known = {os.fspath(p) for p in kinds}
    walked: set[Path] = set()
    for env in environments:
        for folder in env.candidate_folders():
            # The script folder is usually also a version location's parent: one walk is enough.
            # Never outside the project: a version location at the project's top would make its
            # parent, say the home folder, a "candidate" to read whole.
            if folder in walked or not _inside(folder, settings.root) or not folder.is_dir():
                continue
            walked.add(folder)
            for root, _dirs, files in walk_project([folder], settings):
                root_text = os.fspath(root)
                for name in files:
                    if not name.endswith(".py") or name.startswith("__init__") or name == "env.py":
                        continue
                    text = os.path.join(root_text, name)
                    if text not in known and _real(root / name, folders) not in revision_real:
                        kinds[root / name] = UNSCANNED
                        known.add(text)
    for root, _dirs, files in walk_project(dirs, settings):
        root_text = os.fspath(root)
        for name in files:
            if name.endswith(".py") and os.path.join(root_text, name) not in known:
                path = root / name
                if _real(path, folders) not in revision_real:
                    rel = _relative(path, settings.root)
                    if not settings.is_excluded(rel):
                        kinds[path] = MODULE
    for path, data in (overlay or {}).items():
        # Modules that only the merge result has (check --base), e.g. a registry added upstream.
        if data is not None and path.suffix == ".py" and path not in kinds and not path.exists():
            if any(path.is_relative_to(d) for d in dirs) and not settings.is_excluded(_relative(path, settings.root)):
                kinds[path] = MODULE
    kept = {p: kind for p, kind in kinds.items() if not overlay or overlay.get(p, b"") is not None}
    return kept, revision_lists


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _real(path: Path, folders: dict[str, str]) -> str:
    from driftlint.discovery import real_path

    try:
        return real_path(path, folders)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in a configured path
        return os.fspath(path)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# -- reading files ---------------------------------------------------------------------------------


def extract_facts(path: Path, kind: str, data: bytes, settings: Settings) -> FileFacts:
    """Everything driftlint needs from one file. Runs in worker processes; never imports the file."""
    from driftlint.facts.extractors import extracted_for
    from driftlint.revisions import looks_like_revision, read_header
    from driftlint.source import ParseError, SourceFile

    source = SourceFile.from_bytes(path, data)
    facts = FileFacts(path=path, kind=kind, parse_error=source.error, suppressions=source.suppressions)
    tree = source.tree
    if tree is None:
        return facts
    if kind in (REVISION, UNSCANNED):
        facts.header = read_header(tree, path.name, source.lines)
        facts.looks_like_revision = looks_like_revision(tree)
    for extractor in extracted_for(kind):
        if extractor is CELERY and not settings.celery_facts:
            continue
        key = extractor.key
        try:
            facts.extra[key] = extractor.function()(tree, source, settings)
        except RecursionError:
            # Python parses expressions nested deeper than an analysis can walk (a string built
            # from a thousand `+`): report the file instead of failing the whole run.
            facts.extra.clear()
            facts.parse_error = ParseError(f"the file is nested too deeply to analyse ({key})", 1, 1)
            break
    return facts


def _extract_batch(batch: list[tuple[Path, str, bytes, str]], settings: Settings) -> list[FileFacts]:
    results = []
    for path, kind, data, digest in batch:
        facts = extract_facts(path, kind, data, settings)
        facts.digest = digest
        results.append(facts)
    return results


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
    kinds: dict[Path, str],
    overlay: dict[Path, bytes | None] | None = None,
    settled: dict[str, FileContent] | None = None,
) -> dict[Path, FileContent]:
    """Every file's bytes, in sorted path order; FIFOs, devices and sockets are left out.
    `settled` holds what this run already found for a file (see _quick_pass)."""
    contents: dict[Path, FileContent] = {}
    for path in sorted(kinds):
        kind = kinds[path]
        found: FileContent | None
        if settled and os.fspath(path) in settled:
            found = settled[os.fspath(path)]
        elif overlay and path in overlay:
            data = overlay[path]
            found = FileContent(kind, data, hashlib.sha256(data).hexdigest()) if data is not None else None
        else:
            found = _content_of(os.fspath(path), kind, None)
        if found is not None:
            contents[path] = found
    return contents


def _content_of(path: str, kind: str, previous: tuple[Any, str] | None) -> FileContent | None:
    """One file's content: its digest unread when its "read" signature is `previous`'s (the
    last run read it so), else its bytes; None for FIFOs, devices and sockets."""
    if previous is not None and previous[0] is not None:
        now = signature(path, "read")
        if now == previous[0]:
            return FileContent(kind, None, previous[1], signature=now)
    try:
        status, data = _read_regular(Path(path))
    except OSError as exc:
        error = _unreadable(exc)
        return FileContent(kind, b"", f"unreadable:{error.message}", error)
    if data is None:
        return None
    return FileContent(kind, data, hashlib.sha256(data).hexdigest(), signature=status)


def _read_regular(path: Path) -> tuple[Any, bytes | None]:
    """A regular file's "read" signature and bytes; no bytes for FIFOs and devices, which would
    block or never end, so the type is checked before opening; dangling symlinks fail the stat
    (OSError). os.read on the descriptor costs half of what a file object does, which shows
    over thousands of small files."""
    name = os.fspath(path)
    status = os.stat(name)
    if not stat.S_ISREG(status.st_mode):
        return None, None
    descriptor = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        # One byte more than the stat saw, and on until end of file: a file that grew meanwhile
        # is still read whole.
        while chunk := os.read(descriptor, max(status.st_size + 1, 65536)):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    return stat_signature(status), b"".join(chunks)


def read_all(
    kinds: dict[Path, str],
    settings: Settings,
    cache: "FactCache | None",
    jobs: int | None,
    overlay: dict[Path, bytes | None] | None = None,
    contents: dict[Path, FileContent] | None = None,
    save: bool = True,
    lazy: bool = False,
) -> dict[Path, FileFacts]:
    """Every file's facts, from the fact cache or extracted now (`lazy`: cached facts are
    unpickled when a rule first uses them; see LazyFileFacts)."""
    if contents is None:
        contents = read_contents(kinds, overlay)
    facts: dict[Path, FileFacts] = {}
    todo: list[tuple[Path, str, bytes, str]] = []
    for path, content in contents.items():
        if content.error is not None:
            facts[path] = FileFacts(path=path, kind=content.kind, parse_error=content.error)
            continue
        cached = cache.get(path, content.kind, content.digest, lazy) if cache else None
        if cached is not None:
            facts[path] = cached
        elif content.data is None:
            # Reused by signature, yet not in the fact cache (a pack written by another
            # invocation): read it now, and trust the reuse only if the bytes agree.
            try:
                _status, data = _read_regular(path)
            except OSError:
                data = None
            if data is None or hashlib.sha256(data).hexdigest() != content.digest:
                raise _ChangedWhileChecked(path)
            todo.append((path, content.kind, data, content.digest))
        else:
            todo.append((path, content.kind, content.data, content.digest))
    if todo:
        for (path, kind, _data, digest), (result, blob) in zip(todo, _extract_many(todo, settings, jobs)):
            facts[path] = result
            if cache:
                cache.put(path, kind, digest, result, blob)
        # Sorted path order whatever came from the cache: rules see the files in the same order
        # on every run.
        facts = {path: facts[path] for path in contents}
    if cache and save:
        cache.save()
    return facts


def _unreadable(exc: OSError) -> Any:
    from driftlint.source import ParseError

    return ParseError(f"cannot read file: {exc.strerror or exc}", 1, 1)


def _extract_many(
    todo: list[tuple[Path, str, bytes, str]], settings: Settings, jobs: int | None
) -> list[tuple[FileFacts, bytes | None]]:
    """Each file's facts, with their pickled form when a child process produced them.

    The parent forks `workers - 1` children and extracts too: on two cores a pool of two workers
    left the parent idle. The files are cut into chunks, and every process takes the next chunk
    from a shared pipe of one-byte tickets until none is left, so no process waits for another
    that drew the slower files (fixed shares did: a third of a second at 2,000 revisions). A
    child sends each chunk's facts as soon as it has them, and the parent unpickles them between
    its own chunks. A chunk a child took but never delivered (it failed, or could not be
    started) is extracted here at the end: a failure costs only time. Without fork (Windows),
    extraction is serial.
    """
    workers = _workers(jobs)
    if workers <= 1 or len(todo) < PARALLEL_THRESHOLD or not hasattr(os, "fork"):
        return [(facts, None) for facts in _extract_batch(todo, settings)]
    from driftlint.facts.extractors import extracted_for

    for kind in {item[1] for item in todo}:
        for extractor in extracted_for(kind):
            extractor.function()  # imported once, before forking, instead of once per process
    size = max(CHUNK_FILES, -(-len(todo) // MAX_CHUNKS))
    chunks = [todo[start : start + size] for start in range(0, len(todo), size)]
    results: list[list[tuple[FileFacts, bytes | None]] | None] = [None] * len(chunks)
    tickets = _tickets(len(chunks))
    children: list[_Child] = []
    try:
        if tickets is not None:
            for _ in range(workers - 1):
                child = _Child.start(partial(_extract_chunks, tickets, chunks, settings), streaming=True)
                if child is not None:
                    children.append(child)
            while (index := _take_ticket(tickets)) is not None:
                results[index] = [(facts, None) for facts in _extract_batch(chunks[index], settings)]
                for child in children:
                    _store_chunks(child.receive(wait=False), results)
            for child in children:
                _store_chunks(child.receive(wait=True), results)
        for index, chunk in enumerate(chunks):
            if results[index] is None:  # never taken, or taken by a child that did not deliver it
                results[index] = [(facts, None) for facts in _extract_batch(chunk, settings)]
    finally:
        # An interrupted parent (Ctrl-C, an alarm) must not leave children blocked on their pipes.
        if tickets is not None:
            os.close(tickets)
        for child in children:
            child.abandon()
    return [item for chunk_results in results for item in chunk_results]  # type: ignore[union-attr]


# Chunks of files the extracting processes take one at a time: at most 255 (a ticket is one
# byte), of at least this many files.
CHUNK_FILES = 8
MAX_CHUNKS = 255


def _tickets(count: int) -> int | None:
    """The read end of a pipe holding one byte per chunk, 0 to count - 1, its write end closed
    (a read at the end gives b""); None when no pipe can be made."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        os.write(write_end, bytes(range(count)))  # at most 255 bytes: one atomic write
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return read_end


def _take_ticket(tickets: int) -> int | None:
    """The next chunk to extract, or None when all are taken; a one-byte read is never shared
    between two processes."""
    ticket = os.read(tickets, 1)
    return ticket[0] if ticket else None


def _extract_chunks(tickets: int, chunks: list[list[tuple[Path, str, bytes, str]]], settings: Settings) -> Iterator[Any]:
    """In a child: (chunk index, each file's pickled facts) for every chunk it takes."""
    while (index := _take_ticket(tickets)) is not None:
        yield index, [pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL) for facts in _extract_batch(chunks[index], settings)]


def _store_chunks(received: list[Any], results: list[Any]) -> None:
    """A child's chunks into `results`; one that cannot be read stays None (the parent redoes it)."""
    for item in received:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] < len(results):
            index, blobs = item
            try:
                loaded = [(pickle.loads(blob), blob) for blob in blobs]
            except Exception:  # noqa: BLE001 - garbled: extracted again here
                continue
            if all(isinstance(facts, FileFacts) for facts, _blob in loaded):
                results[index] = loaded


def _workers(jobs: int | None) -> int:
    return jobs if jobs is not None else _available_cpus()


def _available_cpus() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return min(count, 8)


# Rule families checked in a child process when a second CPU is there: the Celery task index
# and its rules cost about what all the others cost together.
CHILD_FAMILIES = ("DL3", "DL4")


def _check_rules(
    rules: list[type[Rule]],
    project: Project,
    recorder: InputRecorder | None,
    parallel: bool,
    reuse: _Reuse | None = None,
) -> dict[str, list[Diagnostic]]:
    """Every selected rule's findings, by code: the last run's for the rules `reuse` says an edit
    cannot concern, the others' checked now. With `parallel`, the CHILD_FAMILIES rules run in a
    forked child meanwhile; what the child looked at on disk joins this run's recording. A child
    that fails costs only time: its rules run here, and a rule's own error is raised here."""
    found: dict[str, list[Diagnostic]] = {}
    if reuse is not None and reuse.findings is not None:
        found = {r.code: list(reuse.findings[r.code]) for r in rules if reuse.reusable(r)}
    todo = [r for r in rules if r.code not in found]
    offloaded = [r for r in todo if r.code.startswith(CHILD_FAMILIES)] if parallel else []
    child = _Child.start(partial(_rules_in_child, offloaded, project, recorder)) if offloaded else None
    if child is None:
        offloaded = []
    try:
        found.update(_run_rules([r for r in todo if r not in offloaded], project))
        if child is not None:
            outcome = child.collect()
            if outcome is None:
                found.update(_run_rules(offloaded, project))
            else:
                from_child, seen = outcome
                found.update(from_child)
                if recorder is not None:
                    for (path, how), sig in seen:
                        recorder.note(path, how, sig)
    finally:
        if child is not None:
            child.abandon()
    return found


def _rules_in_child(
    rules: list[type[Rule]], project: Project, recorder: InputRecorder | None
) -> tuple[dict[str, list[Diagnostic]], list[tuple[tuple[str, str], Any]]]:
    before = set(recorder.seen) if recorder is not None else set()
    found = _run_rules(rules, project)
    seen = [(key, sig) for key, sig in recorder.seen.items() if key not in before] if recorder is not None else []
    return found, seen


def _run_rules(rules: list[type[Rule]], project: Project) -> dict[str, list[Diagnostic]]:
    found: dict[str, list[Diagnostic]] = {}
    for rule_class in rules:
        rule = rule_class()
        try:
            found[rule.code] = list(rule.check(project))
        except UnreadableCachedFacts:
            raise  # not the rule's fault: the engine checks again without lazy facts
        except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
            raise InternalError(f"rule {rule.code} ({rule.name}) failed: {type(exc).__name__}: {exc}") from exc
    return found


class _Child:
    """A forked process doing one piece of a check and sending its picklable result on a pipe:
    at the end (`collect`), or, `streaming`, each item of what it yields as soon as it has it
    (`receive`)."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe: int | None = pipe
        self.buffer = bytearray()

    @classmethod
    def start(cls, work: "Callable[[], Any]", streaming: bool = False) -> "_Child | None":
        """Run `work` in a child; None when no child can be started (the caller then does the
        work itself)."""
        if not hasattr(os, "fork"):
            return None
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        if streaming:
            _widen(write_end)
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: work, send, and leave without running the parent's exit handlers
            status = 1
            try:
                os.close(read_end)
                if streaming:
                    for item in work():
                        data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
                        _write_all(write_end, len(data).to_bytes(8, "little") + data)
                else:
                    _write_all(write_end, pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(pid, read_end)

    def collect(self) -> Any:
        """The child's result; None when it failed."""
        assert self.pipe is not None
        chunks = []
        try:
            while chunk := os.read(self.pipe, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self.pipe)
            self.pipe = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if status != 0:
            return None
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a truncated message: the caller does that work itself
            return None

    def receive(self, wait: bool) -> list[Any]:
        """A streaming child's items that arrived whole: those already sent (`wait` False), or all
        it will send, after which it is reaped. An item cut short by the child's failure, or that
        cannot be read, is dropped; the caller does that work itself."""
        if self.pipe is None:
            return []
        os.set_blocking(self.pipe, wait)
        ended = False
        try:
            while chunk := os.read(self.pipe, 1 << 20):
                self.buffer += chunk
            ended = True
        except BlockingIOError:
            pass  # nothing more for now
        items = []
        view = memoryview(self.buffer)
        offset = 0
        while len(view) - offset >= 8:
            length = int.from_bytes(view[offset : offset + 8], "little")
            if len(view) - offset - 8 < length:
                break
            try:
                items.append(pickle.loads(view[offset + 8 : offset + 8 + length]))
            except Exception:  # noqa: BLE001 - garbled: left to the caller
                pass
            offset += 8 + length
        view.release()
        del self.buffer[:offset]
        if ended:
            os.close(self.pipe)
            self.pipe = None
            os.waitpid(self.pid, 0)
            self.pid = 0
        return items

    def abandon(self) -> None:
        """Stop and reap a child that was not collected."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass  # already gone
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass  # already reaped
            self.pid = 0


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _widen(pipe: int) -> None:
    """Let a pipe hold a megabyte where Linux allows it (64 KiB by default), so that a child
    streaming results seldom waits for the parent to read them."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, 1 << 20)  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        pass


# -- suppressions, per-file ignores, severities ----------------------------------------------------


def apply_suppressions(diagnostics: list[Diagnostic], project: Project, enabled: set[str]) -> list[Diagnostic]:
    from driftlint.rule import rule_by_selector

    by_selector = rule_by_selector()
    # Only files with suppression comments matter here; relpath on every file of a large history
    # costs more than all the rules together.
    facts_by_rel = {project.relpath(path): facts for path, facts in project.files.items() if facts.suppressions}
    used: set[tuple[str, int, str]] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        facts = facts_by_rel.get(diagnostic.path)
        suppressed = False
        if facts is not None:
            for suppression in facts.suppressions:
                rule = by_selector.get(suppression.rule) or by_selector.get(suppression.rule.upper())
                if rule is None or rule.code != diagnostic.code:
                    continue
                if suppression.whole_file or suppression.line in (diagnostic.location.row, diagnostic.location.row - 1):
                    used.add((diagnostic.path, suppression.line, suppression.rule))
                    suppressed = True
        if not suppressed:
            kept.append(diagnostic)
    if "DL002" in enabled:
        unused_rule = by_selector["DL002"]()
        for rel, facts in facts_by_rel.items():
            for suppression in facts.suppressions:
                rule = by_selector.get(suppression.rule) or by_selector.get(suppression.rule.upper())
                span = (suppression.line, suppression.column, suppression.line, suppression.column)
                if rule is None:
                    kept.append(
                        unused_rule.diagnostic(
                            f"Suppression names unknown rule `{suppression.rule}`",
                            rel,
                            span,
                            fix_title="Remove it or name a rule listed by `driftlint rules`",
                            subject=(suppression.rule, "unknown"),
                        )
                    )
                elif rule.code in enabled and (rel, suppression.line, suppression.rule) not in used:
                    kept.append(
                        unused_rule.diagnostic(
                            f"Suppression of {rule.code} ({rule.name}) suppresses nothing",
                            rel,
                            span,
                            fix_title="Remove the unused suppression",
                            subject=(rule.code, "unused"),
                        )
                    )
    return kept


def apply_per_file_ignores(diagnostics: list[Diagnostic], settings: Settings, project: Project) -> list[Diagnostic]:
    from driftlint.rule import rule_by_selector

    if not settings.per_file_ignores:
        return diagnostics
    by_selector = rule_by_selector()
    kept = []
    for diagnostic in diagnostics:
        rel = _relative(project.cwd / diagnostic.path, settings.root)
        ignored = False
        for pattern, selectors in settings.per_file_ignores.items():
            if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*"):
                codes = {by_selector[s].code if s in by_selector else s.upper() for s in selectors}
                if diagnostic.code in codes or any(diagnostic.code.startswith(c) for c in codes if c.startswith("DL")):
                    ignored = True
        if not ignored:
            kept.append(diagnostic)
    return kept


def apply_severity(diagnostics: list[Diagnostic], settings: Settings) -> list[Diagnostic]:
    from driftlint.rule import rule_by_selector

    if not settings.severity:
        return diagnostics
    by_selector = rule_by_selector()
    overrides = {by_selector[s].code: level for s, level in settings.severity.items() if s in by_selector}
    return [d.with_severity(overrides[d.code]) if d.code in overrides else d for d in diagnostics]


def statistics(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, str, int]]:
    counts: dict[tuple[str, str], int] = {}
    for d in diagnostics:
        counts[(d.code, d.name)] = counts.get((d.code, d.name), 0) + 1
    return sorted(((code, name, n) for (code, name), n in counts.items()), key=lambda t: (-t[2], t[0]))


__all__ = [
    "CheckOptions",
    "CheckResult",
    "ConfigError",
    "InternalError",
    "apply_per_file_ignores",
    "apply_severity",
    "apply_suppressions",
    "run_check",
    "selected_rules",
    "statistics",
]
