"""What an Alembic env.py sets for every migration it runs: a lock_timeout, autocommit, one transaction per migration."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from driftlint.schema.model import EnvSettings

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.source import SourceFile


def extract(tree: ast.Module, source: SourceFile, settings: Settings) -> EnvSettings | None:
    """The settings of an Alembic env.py; None for every other module."""
    if source.path.name != "env.py":
        return None
    docstrings = {id(node.body[0].value) for node in ast.walk(tree) if _has_docstring(node)}  # type: ignore[attr-defined]
    lock_timeout = autocommit = per_migration = False
    configure_lines: list[tuple[bool, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            lock_timeout = lock_timeout or "lock_timeout" in node.value.lower()
            autocommit = autocommit or node.value.strip().upper() == "AUTOCOMMIT"
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "transaction_per_migration" and isinstance(keyword.value, ast.Constant):
                    per_migration = per_migration or keyword.value.value is True
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "configure":
                online = any(k.arg == "connection" for k in node.keywords)
                configure_lines.append((not online, node.lineno))
    anchor = min(configure_lines)[1] if configure_lines else 1
    return EnvSettings(lock_timeout, autocommit, per_migration, anchor)


def _has_docstring(node: ast.AST) -> bool:
    if not isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not node.body:
        return False
    first = node.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
