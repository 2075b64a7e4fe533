"""What verify reads from an Alembic environment without running it: ini URL, env.py engine kind, version table."""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass
from pathlib import Path

from driftlint.discovery import Environment
from driftlint.source import SourceFile, node_location

SYNC_FACTORIES = frozenset({"engine_from_config", "create_engine"})
ASYNC_FACTORIES = frozenset({"async_engine_from_config", "create_async_engine", "AsyncEngine", "run_sync"})
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ConfiguredURL:
    """A URL the migrations may use, and where it is configured (for reporting)."""

    source: str  # "sqlalchemy.url" or the environment variable's name
    value: str
    path: Path
    line: int


def ini_url(environment: Environment) -> ConfiguredURL | None:
    """`sqlalchemy.url` of the environment's ini section, interpolated like Alembic does."""
    config = environment.config_path
    if config is None or config.suffix != ".ini" or not config.is_file():
        return None
    parser = configparser.ConfigParser(defaults={"here": str(config.parent.resolve())})
    try:
        parser.read(config, encoding="utf-8")
        value = parser.get(environment.section or "alembic", "sqlalchemy.url", fallback=None)
    except (configparser.Error, UnicodeDecodeError):
        return None
    if not value:
        return None
    line = 1
    for number, text in enumerate(config.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if text.strip().startswith("sqlalchemy.url"):
            line = number
    return ConfiguredURL("sqlalchemy.url", value.strip(), config, line)


def _tree(env_py: Path | None) -> ast.Module | None:
    if env_py is None or not env_py.is_file():
        return None
    source = SourceFile.from_bytes(env_py, env_py.read_bytes())
    return source.tree


def _called_names(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    names: list[tuple[str, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name:
                names.append((name, node))
    return names


def engine_kind(env_py: Path | None) -> tuple[str, int] | None:
    """("sync" | "async", line of the engine factory) when env.py's online mode is visible, else None."""
    tree = _tree(env_py)
    if tree is None:
        return None
    calls = _called_names(tree)
    for name, node in calls:
        if name in ASYNC_FACTORIES:
            return "async", node_location(node)[0]
    for name, node in calls:
        if name in SYNC_FACTORIES:
            return "sync", node_location(node)[0]
    return None


def variables_read(env_py: Path | None, names: tuple[str, ...]) -> dict[str, int]:
    """Which of `names` env.py reads (a string literal equal to the name), with the first line."""
    tree = _tree(env_py)
    found: dict[str, int] = {}
    if tree is None:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            line = node_location(node)[0]
            found[node.value] = min(line, found.get(node.value, line))
    return found


def version_table(env_py: Path | None) -> tuple[str | None, str] | str:
    """(schema, table) from env.py's `configure(version_table=..., version_table_schema=...)`.

    UNKNOWN when env.py passes a value that is only known at run time.
    """
    tree = _tree(env_py)
    table: str | None = "alembic_version"
    schema: str | None = None
    if tree is None:
        return schema, "alembic_version"
    for name, node in _called_names(tree):
        if name != "configure":
            continue
        assert isinstance(node, ast.Call)
        for keyword in node.keywords:
            if keyword.arg not in ("version_table", "version_table_schema"):
                continue
            value = keyword.value
            if not (isinstance(value, ast.Constant) and (value.value is None or isinstance(value.value, str))):
                return UNKNOWN
            if keyword.arg == "version_table":
                table = value.value or "alembic_version"
            else:
                schema = value.value
    return schema, table or "alembic_version"
