"""What project rules see: every file's extracted facts, each Alembic environment and its graph."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.discovery import Environment
    from driftlint.graph import RevisionGraph
    from driftlint.revisions import RevisionHeader
    from driftlint.source import ParseError, Suppression

REVISION = "revision"  # a file Alembic loads as a revision
MODULE = "module"  # any other project Python module (task modules, registries...)
UNSCANNED = "unscanned"  # looks like a revision, in a folder Alembic never scans



def display_path(path: Path | str, cwd: Path) -> str:
    """Paths in output are relative to the working directory, with forward slashes."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return rel.replace(os.sep, "/")


@dataclass
class FileFacts:
    """Everything driftlint derives from one file; picklable, cached by content hash."""

    path: Path
    kind: str
    digest: str = ""
    parse_error: ParseError | None = None
    suppressions: tuple[Suppression, ...] = ()
    header: RevisionHeader | None = None
    looks_like_revision: bool = False
    # Results of the registered extractors (driftlint.extractors), by extractor key.
    extra: dict[str, Any] = field(default_factory=dict)


class UnreadableCachedFacts(Exception):
    """Cached facts that could not be unpickled when first used (see LazyFileFacts): the engine
    runs the check again reading every cached entry up front, where such an entry is a miss."""


class LazyFileFacts(FileFacts):
    """A file's facts as the fact cache holds them: path, kind, digest and suppressions at hand,
    the rest unpickled on first use. An edit that reruns only the schema rules then never
    unpickles the facts of a project's thousands of other modules (most of an edit's cost)."""

    def __init__(self, path: Path, kind: str, digest: str, suppressions: tuple[Suppression, ...], blob: bytes):
        # Not the dataclass __init__: the lazy fields are properties, read from `_loaded`.
        self.__dict__.update(path=path, kind=kind, digest=digest, suppressions=suppressions, _blob=blob, _loaded=None)

    def load(self) -> FileFacts:
        loaded = self.__dict__["_loaded"]
        if loaded is None:
            import pickle

            try:
                loaded = pickle.loads(self.__dict__["_blob"])
            except Exception as exc:  # noqa: BLE001 - garbage in an intact pack: rerun without laziness
                raise UnreadableCachedFacts(str(self.path)) from exc
            if not isinstance(loaded, FileFacts) or loaded.kind != self.kind:
                raise UnreadableCachedFacts(str(self.path))
            loaded.path = self.path
            loaded.digest = self.digest
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
    if _field.name not in ("path", "kind", "digest", "suppressions"):
        setattr(LazyFileFacts, _field.name, _lazy_field(_field.name))
del _field


# FileFacts fields that name a file rather than describe it: equal between two runs that share
# their file kinds (engine.Layout), and part of no rule's Rule.reads.
IDENTITY_FIELDS = ("path", "kind", "digest")


def fact_parts() -> tuple[str, ...]:
    """The parts of a file's facts a rule can depend on (Rule.reads): every FileFacts field but
    the identity fields and `extra`, and every extractor key (FileFacts.extra)."""
    from driftlint.extractors import EXTRACTORS

    named = tuple(f.name for f in fields(FileFacts) if f.name not in IDENTITY_FIELDS and f.name != "extra")
    return named + tuple(sorted(EXTRACTORS))


def changed_parts(old: FileFacts, new: FileFacts) -> frozenset[str] | None:
    """The parts (see fact_parts) in which two facts of one file differ; None when they are not
    of the same file and kind."""
    if old.path != new.path or old.kind != new.kind:
        return None
    changed = {
        f.name
        for f in fields(FileFacts)
        if f.name not in IDENTITY_FIELDS and f.name != "extra" and getattr(old, f.name) != getattr(new, f.name)
    }
    missing = object()
    for key in old.extra.keys() | new.extra.keys():
        if old.extra.get(key, missing) != new.extra.get(key, missing):
            changed.add(key)
    return frozenset(changed)


@dataclass
class EnvironmentAnalysis:
    environment: "Environment"
    scripts: list[FileFacts]
    graph: "RevisionGraph"


@dataclass
class Project:
    cwd: Path
    root: Path
    settings: Settings
    environments: list[EnvironmentAnalysis] = field(default_factory=list)
    files: dict[Path, FileFacts] = field(default_factory=dict)
    # Derived indexes (task index, schema history...) computed once and shared between rules.
    _memo: dict[str, Any] = field(default_factory=dict)

    def relpath(self, path: Path | str) -> str:
        return display_path(path, self.cwd)

    def modules(self) -> Iterator[FileFacts]:
        for facts in self.files.values():
            if facts.kind == MODULE:
                yield facts

    def memo(self, key: str, compute: Any) -> Any:
        """Compute a project-wide index once per run (e.g. the Celery task index)."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]
