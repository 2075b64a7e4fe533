"""Helpers shared by the Alembic graph rules: where to report, and how to name things."""

from __future__ import annotations

import os
from pathlib import Path

from driftlint.diagnostics import Location, Related
from driftlint.discovery import Environment
from driftlint.graph import Node
from driftlint.project import Project

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
    """The alembic command line for this environment, run from the config's directory."""
    parts = ["alembic"]
    if env.config_path is not None and not env.flask_migrate:
        config = Path(env.config_path)
        default = config.name in ("alembic.ini", "pyproject.toml") and config.parent.resolve() == project.cwd
        if not default:
            parts += ["-c", os.path.relpath(config, project.cwd).replace(os.sep, "/")]
        if env.section and env.section != "alembic":
            parts += ["-n", env.section]
    if env.flask_migrate:
        parts = ["flask", "db"]
    return " ".join([*parts, *arguments])
