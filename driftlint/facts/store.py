"""The fact store: each file's facts by path, kind and content digest, kept in one pack per project.

Its key is only what extraction depends on (driftlint's code, the settings the active extractors
read, which extractors are active): a run with another rule selection or severity shares it.
Facts are loaded from their stored form when first used (LazyFileFacts).
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Sequence

from driftlint.facts.model import FileFacts
from driftlint.source import ParseError
from driftlint.storage import (
    code_fingerprint,
    dump_data,
    load_data,
    read_entry,
    read_entry_and_digest,
    scope_name,
    write_entry,
)

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.facts.extractors import Extractor
    from driftlint.source import Suppression

# Facts of files extracted since the pack was written, kept in its delta before a new pack.
DELTA_LIMIT = 256

# path -> (kind, digest, stored FileFacts, its suppressions, its parse error)
Entry = tuple[str, str, bytes, tuple[Any, ...], Any]


def extraction_key(settings: Sequence[Settings], active: Collection[Extractor]) -> str:
    """What extraction with these extractors depends on besides a file's bytes: the settings each
    extractor reads, in every settings file in play."""
    parts = [code_fingerprint()]
    for extractor in sorted(active, key=lambda e: e.key):
        parts.append(extractor.key)
        for each in settings:
            parts.extend(f"{each.source}:{name}={getattr(each, name)!r}" for name in extractor.settings)
    return "\0".join(parts)


class UnreadableCachedFacts(Exception):
    """Cached facts that could not be loaded when first used (see LazyFileFacts): the engine runs
    the check again reading every cached entry up front, where such an entry is a miss."""


class FactStore:
    """Each file's facts, keyed by its path, kind and content digest, in one file per project.

    One file instead of one per source file: creating thousands of small files costs far more
    than extracting the facts again (about a millisecond each on ext4). Inside the pack each
    file's facts stay serialised on their own, so a run that changed one file re-serialises only
    that one, and a run over part of the project loads only what it reads. The pack carries its
    key (extraction_key); a pack with another key is ignored and replaced.

    A run that extracted a few files (an edit) writes them to a small delta beside the pack
    instead of rewriting the pack (megabytes for a large history); the delta names the pack it
    extends by the digest of its payload, so a delta left beside another pack is ignored. Past
    DELTA_LIMIT entries the delta is folded into a new pack.
    """

    def __init__(self, directory: Path, key: str, root: Path):
        self.directory = directory
        self.key = key
        self.name = scope_name("facts", str(root))
        self.delta_name = scope_name("delta", str(root))
        self._stored: dict[str, Entry] | None = None
        self._pack_digest: bytes | None = None
        self._delta: dict[str, Entry] = {}
        self._used: dict[str, Entry] = {}
        self._added: dict[str, tuple[str, str, FileFacts, bytes | None]] = {}

    def _entries(self) -> dict[str, Entry]:
        if self._stored is None:
            value, digest = read_entry_and_digest(self.directory / self.name)
            valid = isinstance(value, tuple) and len(value) == 2 and value[0] == self.key and isinstance(value[1], dict)
            self._stored = value[1] if valid else {}
            self._pack_digest = digest if valid else None
            if valid:
                delta = read_entry(self.directory / self.delta_name)
                if (
                    isinstance(delta, tuple)
                    and len(delta) == 3
                    and delta[:2] == (self.key, digest)
                    and isinstance(delta[2], dict)
                ):
                    self._delta = delta[2]
                    self._stored.update(delta[2])
        return self._stored

    def get(self, path: Path, kind: str, digest: str, lazy: bool = False) -> FileFacts | None:
        """The stored facts of this content of the file; `lazy`: a LazyFileFacts, loaded when
        first used (an entry that cannot be loaded then raises UnreadableCachedFacts, and the
        engine asks again without `lazy`, when such an entry is a miss)."""
        added = self._added.get(str(path))
        if added is not None and added[:2] == (kind, digest):
            return added[2]  # extracted earlier in this run
        entry = self._entries().get(str(path))
        if not (
            isinstance(entry, tuple)
            and len(entry) == 5
            and entry[:2] == (kind, digest)
            and isinstance(entry[2], bytes)
            and isinstance(entry[3], tuple)
            and (entry[4] is None or isinstance(entry[4], ParseError))
        ):
            return None
        if lazy:
            self._used[str(path)] = entry
            return LazyFileFacts(path, kind, digest, entry[3], entry[4], entry[2])
        try:
            facts = load_data(entry[2])
        except Exception:  # noqa: BLE001 - an entry that no longer loads is a miss
            return None
        if not isinstance(facts, FileFacts):
            return None
        self._used[str(path)] = entry
        facts.path = path
        return facts

    def put(self, path: Path, kind: str, digest: str, facts: FileFacts, blob: bytes | None = None) -> None:
        """Remember new facts; `blob` is their serialised form when a worker already made it."""
        self._added[str(path)] = (kind, digest, facts, blob)

    @property
    def pending(self) -> bool:
        """Whether this run extracted anything, so that the pack must be written."""
        return bool(self._added)

    def save(self) -> bool:
        """Write what this run extracted: into the delta while it stays small, else a new pack, in
        which entries of files this run did not read are kept while those files exist (another
        invocation may check them). True when done."""
        if not self._added:
            return True
        added: dict[str, Entry] = {}
        for path, (kind, digest, facts, blob) in self._added.items():
            if blob is None:
                try:
                    blob = dump_data(facts)
                except Exception:  # noqa: BLE001 - an unpicklable extractor result: that file stays uncached
                    continue
            # The suppressions and the parse error beside the blob: every run reads them (the
            # filters, the newer-Python notices), few runs need the rest.
            added[path] = (kind, digest, blob, facts.suppressions, facts.parse_error)
        stored = self._entries()
        if self._pack_digest is not None and len(self._delta.keys() | added.keys()) <= DELTA_LIMIT:
            write_entry(self.directory, self.delta_name, (self.key, self._pack_digest, {**self._delta, **added}))
            return True
        entries = {p: e for p, e in stored.items() if p not in self._used and p not in added and os.path.exists(p)}
        entries.update(self._used)
        entries.update(added)
        write_entry(self.directory, self.name, (self.key, entries))
        return True


class LazyFileFacts(FileFacts):
    """A file's facts as the fact store holds them: path, kind, digest and suppressions at hand,
    the rest loaded on first use. An edit that reruns only the schema rules then never loads the
    facts of a project's thousands of other modules (most of an edit's cost)."""

    def __init__(
        self,
        path: Path,
        kind: str,
        digest: str,
        suppressions: tuple[Suppression, ...],
        parse_error: ParseError | None,
        blob: bytes,
    ):
        # Not the dataclass __init__: the lazy fields are properties, read from `_loaded`.
        self.__dict__.update(
            path=path, kind=kind, digest=digest, suppressions=suppressions, parse_error=parse_error, _blob=blob, _loaded=None
        )

    def load(self) -> FileFacts:
        loaded = self.__dict__["_loaded"]
        if loaded is None:
            try:
                loaded = load_data(self.__dict__["_blob"])
            except Exception as exc:  # noqa: BLE001 - garbage in an intact pack: rerun without laziness
                raise UnreadableCachedFacts(str(self.path)) from exc
            if not isinstance(loaded, FileFacts) or loaded.kind != self.kind:
                raise UnreadableCachedFacts(str(self.path))
            loaded.path = self.path
            loaded.digest = self.digest
            loaded.parse_error = self.__dict__["parse_error"]
            self.__dict__["_loaded"] = loaded
        return loaded

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileFacts):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(FileFacts))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        # Pickled (into a child, say) as the plain facts it stands for.
        return (_plain, (self.load(),))


def _plain(facts: FileFacts) -> FileFacts:
    return facts


def _lazy_field(name: str) -> property:
    def get(self: LazyFileFacts) -> Any:
        return getattr(self.load(), name)

    def put(self: LazyFileFacts, value: Any) -> None:
        setattr(self.load(), name, value)

    return property(get, put)


for _field in fields(FileFacts):
    if _field.name not in ("path", "kind", "digest", "suppressions", "parse_error"):
        setattr(LazyFileFacts, _field.name, _lazy_field(_field.name))
del _field
