"""Optional extras ([verify], [server]): which of the modules a command needs cannot be imported."""

from __future__ import annotations

import importlib.util
import sys
from typing import Iterable


def missing_modules(names: Iterable[str]) -> list[str]:
    """The names that do not import here, found without importing them (a test may hide one by
    setting its sys.modules entry to None, as Python itself honours)."""
    return [name for name in names if not _importable(name)]


def _importable(name: str) -> bool:
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
