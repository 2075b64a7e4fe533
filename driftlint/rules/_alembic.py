"""Helpers shared by the Alembic graph rules: where to report, and how to name things."""

from __future__ import annotations

import ast
from pathlib import Path

from driftlint.config import Settings
from driftlint.diagnostics import Location, Related
from driftlint.discovery import ConfigIssue, Environment
from driftlint.graph import Node
from driftlint.project import Project
from driftlint.source import SourceFile

Span = tuple[int, int, int, int]


def node_span(node: Node, attribute: str = "revision") -> Span:
    header = node.facts.header
    return header.span(attribute) if header is not None else (1, 1, 1, 1)


def node_related(project: Project, node: Node, note: str, attribute: str = "revision") -> Related:
    row, column, _, _ = node_span(node, attribute)
    return Related(project.relpath(node.facts.path), Location(row, column), note)


def describe(project: Project, node: Node) -> str:
    return f"{node.revision} ({project.relpath(node.facts.path)})"


def env_anchor(project: Project, env: Environment) -> tuple[str, Span]:
    path, line = env.anchor or (env.config_path or env.script_location or project.root, 1)
    return project.relpath(path), (line, 1, line, 1)


def alembic_command(project: Project, env: Environment, *arguments: str) -> str:
    """The alembic command line for this environment, run from the config's directory. A
    declared environment's locations are set in code: no `-c` names its config."""
    parts = ["alembic"]
    if env.config_path is not None and not env.flask_migrate and not env.declared:
        config = Path(env.config_path)
        default = config.name in ("alembic.ini", "pyproject.toml") and project.disk.resolve(config.parent) == project.cwd
        if not default:
            parts += ["-c", project.relpath(config)]
        if env.section and env.section != "alembic":
            parts += ["-n", env.section]
    if env.flask_migrate:
        parts = ["flask", "db"]
    return " ".join([*parts, *arguments])


VERSION_LOCATIONS_KEY = "alembic_version_locations_in_code"


def sets_version_locations(tree: ast.Module, source: SourceFile, settings: Settings) -> bool:
    """Whether a module decides Alembic's version locations in code, so no config file shows them:
    `config.set_main_option("version_locations", ...)`, `script.version_locations = [...]`,
    `ScriptDirectory(..., version_locations=...)`, `{"version_locations": [...]}` (Flask-Alembic)."""
    if "version_locations" not in source.text:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value == "version_locations":
            return True
        if isinstance(node, ast.keyword) and node.arg == "version_locations":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "version_locations" and isinstance(node.ctx, ast.Store):
            return True
    return False


def version_locations_in_code(project: Project) -> list[Path]:
    """Modules that set Alembic's version locations at run time (see sets_version_locations)."""
    return sorted(f.path for f in project.modules() if f.extra.get(VERSION_LOCATIONS_KEY))


def config_issues(project: Project, *kinds: str) -> list[ConfigIssue]:
    """Each configuration issue of these kinds once, though every environment read from the
    same file carries it."""
    return list(
        dict.fromkeys(
            issue for analysis in project.environments for issue in analysis.environment.issues if issue.kind in kinds
        )
    )
