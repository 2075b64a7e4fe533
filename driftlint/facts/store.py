"""Facts as the fact store holds them: loaded from their stored form when first used."""

from __future__ import annotations

import pickle
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftlint.facts.model import FileFacts

if TYPE_CHECKING:
    from driftlint.source import Suppression


class UnreadableCachedFacts(Exception):
    """Cached facts that could not be loaded when first used (see LazyFileFacts): the engine runs
    the check again reading every cached entry up front, where such an entry is a miss."""


class LazyFileFacts(FileFacts):
    """A file's facts as the fact cache holds them: path, kind, digest and suppressions at hand,
    the rest loaded on first use. An edit that reruns only the schema rules then never loads the
    facts of a project's thousands of other modules (most of an edit's cost)."""

    def __init__(self, path: Path, kind: str, digest: str, suppressions: tuple[Suppression, ...], blob: bytes):
        # Not the dataclass __init__: the lazy fields are properties, read from `_loaded`.
        self.__dict__.update(path=path, kind=kind, digest=digest, suppressions=suppressions, _blob=blob, _loaded=None)

    def load(self) -> FileFacts:
        loaded = self.__dict__["_loaded"]
        if loaded is None:
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
