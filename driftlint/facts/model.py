"""FileFacts: everything driftlint derives from one file, and how two facts of a file differ."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftlint.revisions import RevisionHeader
    from driftlint.source import ParseError, Suppression

REVISION = "revision"  # a file Alembic loads as a revision
MODULE = "module"  # any other project Python module (task modules, registries...)
UNSCANNED = "unscanned"  # looks like a revision, in a folder Alembic never scans


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
    # Results of the extractors with a function (driftlint.facts.extractors), by extractor key.
    extra: dict[str, Any] = field(default_factory=dict)


# FileFacts fields that name a file rather than describe it: equal between two runs that share
# their file kinds, and part of no rule's Rule.reads.
IDENTITY_FIELDS = ("path", "kind", "digest")


def changed_parts(old: FileFacts, new: FileFacts) -> frozenset[str] | None:
    """The keys of the parts (see fact_parts) in which two facts of one file differ; None when they
    are not of the same file and kind."""
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
