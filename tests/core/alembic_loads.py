"""Alembic itself as the oracle for "this configuration loads": what every command does before it reads a revision."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Iterable

from driftlint.diagnostics import Diagnostic



def alembic_load_error(root: Path) -> str | None:
    """None when `alembic` run in `root` gets as far as listing revision files (the Config the
    command line builds, ScriptDirectory.from_config, then each version location's exists() as
    _load_revisions does); else how it fails. Revision files are not imported."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    previous_cwd, previous_path, previous_modules = os.getcwd(), list(sys.path), set(sys.modules)
    os.chdir(root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecated separators warn, and still load
            script = ScriptDirectory.from_config(Config("alembic.ini", toml_file="pyproject.toml"))
            for location in script._version_locations:
                location.exists()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return f"{type(exc).__name__}: {exc}"
    finally:
        os.chdir(previous_cwd)
        sys.path[:] = previous_path
        for name in set(sys.modules) - previous_modules:  # a `pkg:dir` location imports pkg
            del sys.modules[name]


def says_alembic_cannot_load(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """driftlint's findings that say the configuration does not load: DL111, and DL001 on a
    configuration file."""
    return [
        d for d in diagnostics
        if d.code == "DL111" or (d.code == "DL001" and d.path.endswith((".ini", ".toml")))
    ]
