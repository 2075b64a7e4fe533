"""A file's facts, end to end: what is extracted from one file, by which extractor, and how they are stored."""

from driftlint.facts.extractors import (
    ALEMBIC_ENV,
    CELERY,
    EXTRACTORS,
    HEADER,
    LOOKS_LIKE_REVISION,
    PARSE_ERROR,
    SCHEMA,
    SUPPRESSIONS,
    VERSION_LOCATIONS_IN_CODE,
    Extractor,
)
from driftlint.facts.model import MODULE, REVISION, UNSCANNED, FileFacts

__all__ = [
    "ALEMBIC_ENV",
    "CELERY",
    "EXTRACTORS",
    "HEADER",
    "LOOKS_LIKE_REVISION",
    "MODULE",
    "PARSE_ERROR",
    "REVISION",
    "SCHEMA",
    "SUPPRESSIONS",
    "UNSCANNED",
    "VERSION_LOCATIONS_IN_CODE",
    "Extractor",
    "FileFacts",
]
