"""DL107 not-a-revision: a .py file in a versions folder that is not a revision breaks every command."""

from __future__ import annotations

import re
from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, REVISION
from driftlint.project import Project
from driftlint.rule import Rule


class NotARevision(Rule):
    code = "DL107"
    name = "not-a-revision"
    summary = "A Python file in a version location is not a revision"
    reads = frozenset({HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for facts in project.files.values():
            header = facts.header
            if facts.kind != REVISION or header is None:
                continue
            if not header.has_revision and not header.revision_from_filename:
                yield self.diagnostic(
                    f"{facts.path.name} has no `revision` variable: Alembic loads every .py file here and every command "
                    f"fails with \"Could not determine revision id from filename {facts.path.name}\"",
                    project.relpath(facts.path),
                    (1, 1, 1, 1),
                    fix_title="Move helper modules out of the version locations (or name them __init__*.py)",
                    subject=(facts.path.name, "revision"),
                )
            elif header.revision_from_filename and not header.has_down_revision:
                # Named like a legacy revision (`0001.py`, `cafe.py`): Alembic takes the id from the
                # file name, then reads `down_revision` without a default.
                module = re.sub(r"\W", "_", facts.path.name)
                yield self.diagnostic(
                    f"{facts.path.name} has neither `revision` nor `down_revision`: Alembic loads every .py file here, "
                    f"takes `{header.revision}` from its name as a legacy revision id, and every command fails with "
                    f"AttributeError: module '{module}' has no attribute 'down_revision'",
                    project.relpath(facts.path),
                    (1, 1, 1, 1),
                    fix_title="Move helper modules out of the version locations (or name them __init__*.py)",
                    subject=(facts.path.name, "down_revision"),
                )
            elif header.has_revision and not header.has_down_revision:
                yield self.diagnostic(
                    f"Revision {header.revision} has no `down_revision`: Alembic fails with "
                    f"AttributeError: module has no attribute 'down_revision'",
                    project.relpath(facts.path),
                    header.span("revision"),
                    fix_title="Add `down_revision = None` (a base) or the parent revision id",
                    subject=(header.revision or facts.path.name, "down_revision"),
                )
