"""Per-file analyses run once per file (in worker processes) and cached by content hash.

Each entry maps an extractor key to the file kinds it reads and a "module:function" path.
The function takes (tree: ast.Module, source: SourceFile, settings: Settings) and returns a
picklable value, stored in FileFacts.extra[key]. It must never import or run user code.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from driftlint.project import MODULE, REVISION, UNSCANNED

EXTRACTORS: dict[str, tuple[tuple[str, ...], str]] = {
    # key: ((file kinds...), "module:function"); one line per analysis.
    "schema": ((REVISION,), "driftlint.schema.extract:extract"),
    "celery": ((MODULE,), "driftlint.celery.extract:extract"),
    "alembic_version_locations_in_code": ((MODULE,), "driftlint.rules._alembic:sets_version_locations"),
}


def extractors_for(kind: str) -> list[tuple[str, Callable[..., Any]]]:
    result = []
    for key, (kinds, target) in sorted(EXTRACTORS.items()):
        if kind in kinds:
            module_name, _, function_name = target.partition(":")
            result.append((key, getattr(importlib.import_module(module_name), function_name)))
    return result


__all__ = ["EXTRACTORS", "extractors_for", "MODULE", "REVISION", "UNSCANNED"]
