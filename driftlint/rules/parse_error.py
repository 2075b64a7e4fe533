"""DL001 parse-error: a file driftlint must read does not parse."""

from __future__ import annotations

from typing import Iterator

from driftlint.diagnostics import Diagnostic, Severity
from driftlint.facts import HEADER, PARSE_ERROR, REVISION, FileFacts
from driftlint.project import Project
from driftlint.pythons import Target, unparsed
from driftlint.rule import Rule
from driftlint.rules._alembic import config_issues


class ParseErrorRule(Rule):
    code = "DL001"
    name = "parse-error"
    summary = "A file driftlint must read does not parse"
    reads = frozenset({PARSE_ERROR, HEADER})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        found = unparsed(project)
        running = found.running
        for facts in found.broken:
            error = facts.parse_error
            assert error is not None
            what = "revision file" if facts.kind == "revision" else "file"
            unreadable = error.message.startswith("cannot read file: ")
            yield self.diagnostic(
                f"Cannot {'read' if unreadable else 'parse'} {what}: {error.message.removeprefix('cannot read file: ')}",
                project.relpath(facts.path),
                (error.row, error.column, error.row, error.column),
                fix_title="Make the file readable (or remove a broken symlink)" if unreadable else "Fix the syntax error",
                subject=(error.message,),
            )
        # Modules that only a newer Python parses are a limit of driftlint's interpreter, said on
        # stderr (driftlint.pythons.newer_python_notices); revision files are findings: the graph
        # and the schema history depend on them.
        for target, files in sorted(found.newer.items(), key=lambda item: str(item[0].path)):
            revisions = [f for f in files if f.kind == REVISION]
            if revisions:
                yield from self._newer_syntax(project, target, revisions, running)
        for version, files in sorted(found.newer_syntax.items()):
            revisions = [f for f in files if f.kind == REVISION]
            if revisions:
                yield self._undeclared_newer_syntax(project, version, revisions, running)
        for issue in config_issues(project, "parse"):
            yield self.diagnostic(
                f"Cannot parse Alembic configuration: {issue.message}",
                project.relpath(issue.path),
                issue.span,
                fix_title="Fix the configuration file",
                subject=(issue.message,),
            )

    def _newer_syntax(self, project: Project, target: Target, files: list[FileFacts], running: tuple[int, int]) -> Iterator[Diagnostic]:
        """One finding per target declaration, for the revision files driftlint's interpreter cannot parse."""
        files = sorted(files, key=lambda f: project.relpath(f.path))
        first = files[0]
        assert first.parse_error is not None
        version = ".".join(map(str, target.version))
        count = f"{len(files)} revision files do" if len(files) != 1 else "1 revision file does"
        diagnostic = self.diagnostic(
            f"{count} not parse with Python {running[0]}.{running[1]}, which driftlint runs on, while the project "
            f"targets Python {target.text}: driftlint checks the revision graph from their headers alone "
            f"(first: {project.relpath(first.path)}:{first.parse_error.row}: {first.parse_error.message})",
            project.relpath(target.path),
            (target.line, 1, target.line, 1),
            fix_title=f"Run driftlint with Python {version} or newer",
            context=[("Files not checked", [f"{project.relpath(f.path)}:{f.parse_error.row}: {f.parse_error.message}" for f in files if f.parse_error])],
            subject=("newer-python", target.text),
        )
        yield diagnostic.with_severity(Severity.WARNING)

    def _undeclared_newer_syntax(
        self, project: Project, version: tuple[int, int], files: list[FileFacts], running: tuple[int, int]
    ) -> Diagnostic:
        """One finding per Python version whose syntax files use, at the first such file."""
        files = sorted(files, key=lambda f: project.relpath(f.path))
        first = files[0]
        error = first.parse_error
        assert error is not None
        wanted = ".".join(map(str, version))
        count = f"{len(files)} revision files use" if len(files) != 1 else "1 revision file uses"
        diagnostic = self.diagnostic(
            f"{count} Python {wanted} syntax, which Python {running[0]}.{running[1]} (the one driftlint runs on) cannot "
            f"parse: driftlint checks the revision graph from their headers alone (here: {error.feature})",
            project.relpath(first.path),
            (error.row, error.column, error.row, error.column),
            fix_title=f"Run driftlint with Python {wanted} or newer",
            context=[
                ("Files not checked", [f"{project.relpath(f.path)}:{f.parse_error.row}: {f.parse_error.feature}" for f in files if f.parse_error])
            ],
            subject=("newer-syntax", wanted),
        )
        return diagnostic.with_severity(Severity.WARNING)
