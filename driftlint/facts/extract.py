"""Reading one file's facts out of its bytes, and many files' facts in parallel processes."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Iterator, Sequence

from driftlint import workers
from driftlint.facts.extractors import extracted_for
from driftlint.facts.model import REVISION, UNSCANNED, FileFacts

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.facts.extractors import Extractor

# Below this many files to extract, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 300

# One file to extract: its path, kind, bytes and their digest.
Task = tuple[Path, str, bytes, str]
# The settings a file is extracted with (its closest settings file's).
SettingsOf = Callable[[Path], "Settings"]


# Frames parsing and extracting one file may use, counted from extract_facts: the same budget
# whether the fast path, the click command or a worker calls it (with the interpreter's limit,
# a file nested near it parsed in one and failed in the other, and the cache carried either).
EXTRACTION_FRAMES = 950


@contextmanager
def _frames_for_extraction() -> Iterator[None]:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + EXTRACTION_FRAMES)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def extract_facts(path: Path, kind: str, data: bytes, settings: Settings, active: Collection[Extractor]) -> FileFacts:
    """Everything driftlint needs from one file, by the `active` extractors. Never imports the file."""
    with _frames_for_extraction():
        return _extract_facts(path, kind, data, settings, active)


def _extract_facts(path: Path, kind: str, data: bytes, settings: Settings, active: Collection[Extractor]) -> FileFacts:
    from driftlint.revisions import looks_like_revision, read_header, recover_header
    from driftlint.source import ParseError, SourceFile

    source = SourceFile.from_bytes(path, data)
    facts = FileFacts(path=path, kind=kind, parse_error=source.error, suppressions=source.suppressions)
    tree = source.tree
    if tree is None:
        if kind in (REVISION, UNSCANNED):
            # One revision that does not parse must not cut its children from the graph.
            facts.header = recover_header(source, path.name)
        return facts
    if kind in (REVISION, UNSCANNED):
        facts.header = read_header(tree, path.name, source.lines)
        facts.looks_like_revision = looks_like_revision(tree)
    for extractor in extracted_for(kind):
        if extractor not in active:
            continue
        try:
            facts.extra[extractor.key] = extractor.function()(tree, source, settings)
        except RecursionError:
            # Python parses expressions nested deeper than an analysis can walk (a string built
            # from a thousand `+`): report the file instead of failing the whole run.
            facts.extra.clear()
            facts.parse_error = ParseError(f"the file is nested too deeply to analyse ({extractor.key})", 1, 1)
            break
    return facts


def extract_batch(batch: Sequence[Task], settings_of: SettingsOf, active: Collection[Extractor]) -> list[FileFacts]:
    results = []
    for path, kind, data, digest in batch:
        facts = extract_facts(path, kind, data, settings_of(path), active)
        facts.digest = digest
        results.append(facts)
    return results


def extract_many(
    todo: Sequence[Task], settings_of: SettingsOf, active: Collection[Extractor], processes: int
) -> list[tuple[FileFacts, bytes | None]]:
    """Each file's facts (with the settings `settings_of` gives its path), and their serialised
    form when a child process produced them."""
    if processes <= 1 or len(todo) < PARALLEL_THRESHOLD:
        return [(facts, None) for facts in extract_batch(todo, settings_of, active)]
    for kind in {item[1] for item in todo}:
        for extractor in extracted_for(kind):
            if extractor in active:
                extractor.function()  # imported once, before forking, instead of once per process
    return workers.share(
        todo, lambda chunk: extract_batch(chunk, settings_of, active), processes, lambda facts: isinstance(facts, FileFacts)
    )
