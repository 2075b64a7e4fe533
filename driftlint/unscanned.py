"""A notice for revision files a check leaves out because code, not configuration, says where Alembic looks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftlint.facts.model import UNSCANNED
from driftlint.rules._alembic import version_locations_in_code

if TYPE_CHECKING:
    from driftlint.project import Project


def code_set_location_notices(project: Project) -> list[str]:
    """A line for stderr when revision files lie outside every configured version location and some
    module sets `version_locations` at run time (Prefect's env.py picks a folder per dialect): where
    Alembic looks is then unknown, DL106 stays quiet, and so those revisions are not checked at all.
    Not a finding: nothing is known to be wrong, only unseen."""
    # Unscanned candidates first: their kind is at hand, and most projects have none, so the
    # modules' cached facts are not loaded for this on every check.
    outside = [facts for facts in project.files.values() if facts.kind == UNSCANNED]
    if not outside:
        return []
    revisions = sorted(project.relpath(facts.path) for facts in outside if facts.looks_like_revision)
    if not revisions:
        return []
    setters = sorted(project.relpath(path) for path in version_locations_in_code(project))
    if not setters:
        return []
    count = len(revisions)
    return [
        f"driftlint: warning: {setters[0]}{f' (and {len(setters) - 1} more)' if len(setters) > 1 else ''} sets"
        f" Alembic's version_locations at run time, so {count} revision {'file' if count == 1 else 'files'}"
        f" outside the configured version locations {'was' if count == 1 else 'were'} not checked (first:"
        f" {revisions[0]}); declare the environments in [[tool.driftlint.environments]] to check"
        f" {'it' if count == 1 else 'them'}"
    ]
