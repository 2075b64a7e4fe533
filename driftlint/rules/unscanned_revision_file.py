"""DL106 unscanned-revision-file: a revision file in a folder Alembic never scans."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from driftlint.diagnostics import Diagnostic
from driftlint.facts import HEADER, LOOKS_LIKE_REVISION, UNSCANNED, VERSION_LOCATIONS_IN_CODE
from driftlint.inputs import Disk
from driftlint.project import Project
from driftlint.rule import Rule
from driftlint.rules._alembic import config_issues, version_locations_in_code


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _through_symlink(path: Path, location: Path, disk: Disk) -> bool:
    return any(disk.is_symlink(folder) for folder in path.parents if _inside(folder, location) and folder != location)


class UnscannedRevisionFile(Rule):
    code = "DL106"
    name = "unscanned-revision-file"
    summary = "A revision file sits in a folder Alembic does not scan, or a version location does not exist"
    reads = frozenset({HEADER, LOOKS_LIKE_REVISION, VERSION_LOCATIONS_IN_CODE})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        # When code sets version_locations (neutron's and keystone's expand/contract folders, an env.py
        # choosing a folder per dialect), where Alembic looks is only known at run time: declare the
        # environments in [tool.driftlint] to have them checked.
        decided_in_code = bool(version_locations_in_code(project))
        for facts in project.files.values():
            if facts.kind != UNSCANNED or not facts.looks_like_revision or decided_in_code:
                continue
            header = facts.header
            revision = header.revision if header and header.revision else facts.path.stem
            reason = "it is not in any version location"
            for analysis in project.environments:
                env = analysis.environment
                for location in env.version_locations:
                    if _inside(facts.path, location) and not env.recursive:
                        reason = (
                            f"it is nested below version location {project.relpath(location)} "
                            f"and recursive_version_locations is not true"
                        )
                        break
                    if _inside(facts.path, location) and _through_symlink(facts.path, location, project.disk):
                        reason = (
                            f"it is in a symlinked folder below version location {project.relpath(location)}, "
                            f"and Alembic does not follow symlinked folders"
                        )
                        break
            yield self.diagnostic(
                f"Revision {revision} is never loaded: {reason}, so Alembic does not see it",
                project.relpath(facts.path),
                header.span("revision") if header else None,
                fix_title="Move the file into a version location, add its folder to version_locations, or set recursive_version_locations = true",
                subject=(revision,),
            )
        for issue in config_issues(project, "missing-location"):
            yield self.diagnostic(
                issue.sentence,
                project.relpath(issue.path),
                issue.span,
                fix_title="Create the folder or remove it from version_locations",
                subject=issue.subject,
            )
