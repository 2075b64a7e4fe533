"""The extractors: each part of a file's facts, the file kinds it is read from, and what it depends on.

A rule names the extractors whose output it reads (`Rule.reads`); the engine reruns a rule after an
edit only when one of those parts changed. Four parts come with reading the file itself (FileFacts
fields); the others are functions run on the parsed tree, whose results FileFacts.extra holds.
An extractor never imports or runs user code.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable

from driftlint.facts.model import MODULE, REVISION, UNSCANNED

if TYPE_CHECKING:
    import ast

    from driftlint.config import Settings
    from driftlint.source import SourceFile

ALL_KINDS = (REVISION, MODULE, UNSCANNED)


@dataclass(frozen=True)
class Extractor:
    """One part of a file's facts.

    `target` ("module:function") computes it from (tree, source, settings) for the files of
    `kinds`; None for the parts reading and parsing the file yields (a FileFacts field of that
    name). `settings` names the Settings attributes the function reads: they key the fact store.
    `opens`, when set, says whether a file's bytes make this part worth extracting at all: the part
    is extracted only in a project where some file opens it (its findings cannot differ otherwise).
    """

    key: str
    kinds: tuple[str, ...]
    target: str | None = None
    settings: tuple[str, ...] = ()
    opens: Callable[[str, bytes], bool] | None = None

    @property
    def is_field(self) -> bool:
        return self.target is None

    def function(self) -> Callable[[ast.Module, SourceFile, Settings], Any]:
        assert self.target is not None, f"{self.key} is read with the file, not extracted"
        module_name, _, function_name = self.target.partition(":")
        module = _MODULES.get(module_name)
        if module is None:  # asked once per file and extractor: import_module each time cost 0.1 s on 4,000 files
            module = _MODULES[module_name] = importlib.import_module(module_name)
        return getattr(module, function_name)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Extractor({self.key})"


# The modules of the extraction functions, imported on first use (the function is looked up in
# its module each time, so a replaced one is the one called).
_MODULES: dict[str, ModuleType] = {}

_MATERIALIZED = re.compile(rb"(?i)materiali")


def _opens_celery(kind: str, data: bytes) -> bool:
    """Whether a file's bytes could make Celery facts change a finding. Every Celery rule needs an
    app or task, hence a module that imports celery (TaskIndex.uses_celery), except DL401 and
    DL402, which need a materialized view that some revision creates (celery.views.head_views),
    spelled out in it (`MATERIALIZED VIEW`, `PGMaterializedView`) for the schema analysis to see."""
    if kind == MODULE:
        return b"celery" in data
    if kind == REVISION:
        return _MATERIALIZED.search(data) is not None
    return False


PARSE_ERROR = Extractor("parse_error", ALL_KINDS)
SUPPRESSIONS = Extractor("suppressions", ALL_KINDS)
HEADER = Extractor("header", (REVISION, UNSCANNED))
LOOKS_LIKE_REVISION = Extractor("looks_like_revision", (REVISION, UNSCANNED))
SCHEMA = Extractor("schema", (REVISION,), "driftlint.schema.extract:extract", settings=("default_schema",))
CELERY = Extractor("celery", (MODULE,), "driftlint.celery.extract:extract", opens=_opens_celery)
VERSION_LOCATIONS_IN_CODE = Extractor(
    "alembic_version_locations_in_code", (MODULE,), "driftlint.rules._alembic:sets_version_locations"
)
# What an Alembic env.py sets for every migration (lock_timeout, autocommit...); None for other modules.
ALEMBIC_ENV = Extractor("alembic_env", (MODULE,), "driftlint.schema.environment:extract")

# Every part, fields first; the extracted ones run in this order.
EXTRACTORS: tuple[Extractor, ...] = (
    PARSE_ERROR,
    SUPPRESSIONS,
    HEADER,
    LOOKS_LIKE_REVISION,
    VERSION_LOCATIONS_IN_CODE,
    ALEMBIC_ENV,
    CELERY,
    SCHEMA,
)


def fact_parts() -> tuple[str, ...]:
    """The keys of the parts of a file's facts a rule can depend on (Rule.reads): every FileFacts
    field but the identity fields and `extra`, and every extracted part (FileFacts.extra)."""
    return tuple(e.key for e in EXTRACTORS if e.is_field) + tuple(sorted(e.key for e in EXTRACTORS if not e.is_field))


def extracted_for(kind: str) -> list[Extractor]:
    """The extractors with a function that read files of `kind`, in key order."""
    return sorted((e for e in EXTRACTORS if not e.is_field and kind in e.kinds), key=lambda e: e.key)


def active_extractors(files: Iterable[tuple[str, bytes | None]], opened: Collection[str] = ()) -> frozenset[Extractor]:
    """The extractors a run needs: every one without a gate; a gated one (`opens`) when some file
    of (kind, bytes) opens it, or it was open in the run whose facts are reused for the files not
    read now (`opened`: their keys)."""
    gated = [e for e in EXTRACTORS if e.opens is not None and e.key not in opened]
    active = {e for e in EXTRACTORS if e not in gated}
    listed = list(files) if gated else []
    for extractor in gated:
        assert extractor.opens is not None
        if any(data is not None and extractor.opens(kind, data) for kind, data in listed):
            active.add(extractor)
    return frozenset(active)
