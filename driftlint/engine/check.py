"""The check as a pipeline of named stages, with the reuse tiers (engine.memory) around it.

    setup -> discover -> read -> extract -> analyse -> filter

Before `discover`, the stored result may answer the whole run (nothing changed since); with the
last run's layout, `discover` is skipped; after `read`, the stored result may answer by content
or tell which rules' findings stand after an edit (see driftlint.engine.memory).
"""

from __future__ import annotations

import hashlib
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ContextManager, Mapping

from driftlint.config import ConfigError
from driftlint.engine.analyse import build_project, run_rules
from driftlint.engine.discover import Structure, discover
from driftlint.engine.filters import finish, only_file_arguments
from driftlint.engine.memory import Answer, Memory, Stored
from driftlint.engine.options import CheckOptions, CheckResult
from driftlint.engine.read import FileContent, read_contents, read_regular
from driftlint.engine.setup import SettingsTree, cache_dir, selected_rules
from driftlint.facts.extract import PARALLEL_THRESHOLD, extract_many
from driftlint.facts.extractors import CELERY, EXTRACTORS, active_extractors
from driftlint.facts.model import FileFacts
from driftlint.facts.store import FactStore, UnreadableCachedFacts, extraction_key
from driftlint.inputs import Disk, InputRecorder
from driftlint.pythons import newer_python_notices
from driftlint.unscanned import code_set_location_notices
from driftlint.rule import Rule
from driftlint.storage import ensure_directory
from driftlint.workers import Child, process_count

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.facts.extractors import Extractor
    from driftlint.inputs import InputManifest

# Each restart asks for less of the stored state; the last attempt trusts none of it.
ATTEMPTS = 3


@dataclass(frozen=True)
class Attempt:
    """How much of the stored state a pass over the pipeline trusts."""

    layout: bool = True  # the last run's layout (file kinds, digests by signature)
    lazy: bool = True  # cached facts loaded when first used


class _Restart(Exception):
    """The stored state turned out not to hold mid-run: check again with `attempt`."""

    def __init__(self, attempt: Attempt):
        super().__init__()
        self.attempt = attempt


def run_check(options: CheckOptions) -> CheckResult:
    for path in options.paths:
        # A file only the overlay has (check --stdin-filename for a file not saved yet) exists.
        if not path.exists() and (options.overlay or {}).get(path.resolve()) is None:
            raise ConfigError(f"{path}: no such file or directory")
    # Only a check that may reuse a stored result records what it reads.
    recording = options.use_cache and options.reuse_result and not options.overlay and options.base_files is None
    recorder = InputRecorder() if recording else None
    disk = Disk(recorder)
    attempt = Attempt()
    for _ in range(ATTEMPTS - 1):
        try:
            return _check(options, disk, attempt)
        except _Restart as restart:
            attempt = restart.attempt
    return _check(options, disk, Attempt(layout=False, lazy=False))


def _check(options: CheckOptions, disk: Disk, attempt: Attempt) -> CheckResult:
    recorder = disk.recorder
    # -- setup
    tree = SettingsTree(options, disk)
    settings = tree.root
    directory = cache_dir(options, settings) if options.use_cache else None
    dirs = [disk.resolve(p) for p in options.paths if disk.is_dir(p)] or [settings.root]
    memory = None
    if recorder is not None and directory is not None:
        recorder.ignore(os.fspath(directory))
        try:
            # Before anything is listed: creating the folder inside the project later would
            # change the project folder's listing, and the next run could not be reused.
            ensure_directory(directory)
        except OSError:
            pass  # unwritable: every write fails quietly later as well
        memory = Memory(directory, options, tree, dirs, disk)
        stored = memory.unchanged_result()
        if stored is not None:
            return _stored_result(stored, options, settings, disk, manifest=memory.manifest, cache_dir=directory)

    # -- discover (or the last run's layout)
    layout = memory.layout() if memory is not None and attempt.layout else None
    discovered: InputManifest | None
    if layout is not None:
        structure, discovered = layout.structure_found(), layout.structure
    else:
        aliases = [disk.resolve(p) for p in options.alembic_config] or None
        structure = discover(dirs, settings, aliases, options.alembic_section, options.overlay, disk)
        discovered = recorder.manifest() if recorder is not None else None

    # -- read
    contents = read_contents(structure.kinds, options.overlay, layout.files if layout is not None else None, disk)
    # Each file is checked with its closest settings: every folder's are looked up now, before
    # any stored result is asked for, since they are part of its key.
    for folder in {os.path.dirname(path) for path in contents}:
        tree.for_folder(Path(folder))
    needed = active_extractors(
        ((content.kind, content.data) for content in contents.values()), layout.opened if layout is not None else ()
    )
    # --show-unknown lists what each analysis could not resolve: every extractor runs.
    active = frozenset(EXTRACTORS) if options.all_facts else needed
    store = FactStore(directory, extraction_key(tree.loaded(), active), settings.root) if directory is not None else None
    key, answer = "", Answer()
    if memory is not None:
        key, answer = memory.answer(structure, layout, contents, store, active, discovered)
        if answer.stored is not None:
            return _stored_result(answer.stored, options, settings, disk)

    # -- extract
    try:
        facts = extract(contents, store, tree, active, options.jobs, attempt.lazy, disk)
    except _ChangedWhileChecked:
        # A file reused by its signature changed after all (an edit during the run): start over,
        # reading everything; the recorded signatures then end this run's reuse next time too.
        if store is not None:
            store.save()
        raise _Restart(Attempt(layout=False, lazy=attempt.lazy)) from None
    parallel = process_count(options.jobs) > 1 and len(facts) >= PARALLEL_THRESHOLD
    saver = None
    if store is not None and store.pending:
        # Writing the pack (serialising what the parent extracted, checksumming, writing)
        # overlaps the rules when a second CPU is there; the child is always waited for.
        saver = Child.start(store.save) if parallel else None
        if saver is None:
            store.save()

    # -- analyse. Only now: a reused result needs no rule class (the selection is a function of
    # the settings in its key), and importing the rules costs as much as extracting a few hundred files.
    selected = sorted({r for each in tree.loaded() for r in selected_rules(each)}, key=lambda r: r.code)
    rules = [r for r in selected if issubclass(r, Rule)]
    standing = {r.code: answer.standing[r.code] for r in rules if answer.standing is not None and answer.stands(r)}
    try:
        project = build_project(options.cwd, tree, structure, facts, disk, options.base_files)
        watching: ContextManager[dict[tuple[str, str], Any]] = recorder.apart() if recorder is not None else nullcontext({})
        with watching as looked_at:
            by_rule = run_rules(rules, project, recorder, parallel, standing)
            notices = (
                *newer_python_notices(project),
                *code_set_location_notices(project),
                *dict.fromkeys(line for rule in rules for line in rule.notices(project)),
            )
    except UnreadableCachedFacts:
        # A cached blob that passed the pack's checksum yet does not load (LazyFileFacts): start
        # over reading the cache up front, where such an entry is a miss, extracted again.
        if saver is not None:
            saver.collect()  # let it finish writing: a killed writer would leave its temporary file
        raise _Restart(Attempt(layout=attempt.layout, lazy=False)) from None
    rules_looked_at = memory.rules_looked_at(looked_at, answer) if memory is not None else None
    if saver is not None and saver.collect() is not True and store is not None:
        store.save()  # the child could not write the pack: write it here

    # -- filter. A suppression naming a selected gate suppresses nothing in `check`, and says so.
    diagnostics = finish(
        [d for rule in rules for d in by_rule[rule.code]], project, tree.for_file, {r.code for r in selected}
    )
    tasks = CELERY in needed
    result = CheckResult(
        only_file_arguments(diagnostics, options, disk), project, len(facts), len(structure.environments), settings, tasks,
        notices,
    )
    if memory is not None:
        stored_value: Stored = (diagnostics, len(facts), len(structure.environments), tasks, notices, rules_looked_at)
        manifest = memory.remember(key, stored_value, structure, contents, active, by_rule, discovered)
        if manifest.trustworthy():
            result.manifest, result.cache_dir = manifest, directory
    return result


def _stored_result(stored: Stored, options: CheckOptions, settings: Settings, disk: Disk, **cached: Any) -> CheckResult:
    """The CheckResult of a result stored in the whole-run cache."""
    diagnostics, files_read, environment_count, tasks, notices, _rules_looked_at = stored
    return CheckResult(
        only_file_arguments(list(diagnostics), options, disk), None, files_read, environment_count, settings, tasks, notices,
        **cached,
    )


class _ChangedWhileChecked(Exception):
    """A file whose digest was reused from its signature turned out to hold other bytes."""


def extract(
    contents: Mapping[str, FileContent],
    store: FactStore | None,
    tree: SettingsTree,
    active: frozenset[Extractor],
    jobs: int | None,
    lazy: bool,
    disk: Disk,
) -> dict[Path, FileFacts]:
    """Stage `extract`: every file's facts, from the fact store or extracted now (`lazy`: stored
    facts are loaded when a rule first uses them; see LazyFileFacts), in the order of `contents`."""
    facts: dict[Path, FileFacts] = {}
    todo: list[tuple[Path, str, bytes, str]] = []
    for path_text, content in contents.items():
        path = Path(path_text)
        if content.error is not None:
            facts[path] = FileFacts(path=path, kind=content.kind, parse_error=content.error)
            continue
        cached = store.get(path, content.kind, content.digest, lazy) if store is not None else None
        if cached is not None:
            facts[path] = cached
        elif content.data is None:
            # Reused by signature, yet not in the fact store (a pack written by another
            # invocation): read it now, and trust the reuse only if the bytes agree.
            try:
                _status, data = read_regular(path, disk)
            except OSError:
                data = None
            if data is None or hashlib.sha256(data).hexdigest() != content.digest:
                raise _ChangedWhileChecked(path)
            todo.append((path, content.kind, data, content.digest))
        else:
            todo.append((path, content.kind, content.data, content.digest))
    if todo:
        for (path, kind, _data, digest), (result, blob) in zip(
            todo, extract_many(todo, tree.for_file, active, process_count(jobs))
        ):
            facts[path] = result
            if store is not None:
                store.put(path, kind, digest, result, blob)
        # The order of `contents` whatever came from the store: rules see the files in the same
        # order on every run.
        facts = {path: facts[path] for path in map(Path, contents)}
    return facts


__all__ = ["Structure", "run_check"]
