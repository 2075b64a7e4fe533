"""What project rules see: every file's extracted facts, each Alembic environment and its graph."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from driftlint.facts.model import MODULE, FileFacts
from driftlint.inputs import UNRECORDED, Disk

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.discovery import Environment
    from driftlint.graph import RevisionGraph


def display_path(path: Path | str, cwd: Path) -> str:
    """Paths in output are relative to the working directory, with forward slashes."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return rel.replace(os.sep, "/")


@dataclass
class EnvironmentAnalysis:
    environment: "Environment"
    scripts: list[FileFacts]
    graph: "RevisionGraph"


@dataclass
class Project:
    cwd: Path
    root: Path
    settings: Settings
    environments: list[EnvironmentAnalysis] = field(default_factory=list)
    files: dict[Path, FileFacts] = field(default_factory=dict)
    # The file system, for what a rule reads beyond the files' facts (a pyproject.toml's
    # requires-python, a package's __init__.py): through here, so a reused result depends on it.
    disk: Disk = UNRECORDED
    # Each file's own settings (its closest settings file, see engine.setup.SettingsTree); the
    # check's `settings` for every file when not given.
    settings_of: Callable[[Path], Settings] | None = None
    # check --base REF: the Python files REF has. A revision file not among them is new on this
    # branch, so it is being deployed now (driftlint.schema.safety). None without --base.
    base_files: frozenset[Path] | None = None
    # Derived indexes (task index, schema history...) computed once and shared between rules.
    _memo: dict[str, Any] = field(default_factory=dict)

    def relpath(self, path: Path | str) -> str:
        return display_path(path, self.cwd)

    def settings_for(self, path: Path) -> Settings:
        """The settings `path` is checked with: a rule's options for a file, an environment
        (its config file) or a task module come from here."""
        return self.settings_of(path) if self.settings_of is not None else self.settings

    def modules(self) -> Iterator[FileFacts]:
        for facts in self.files.values():
            if facts.kind == MODULE:
                yield facts

    def environment_settings(self, env: Environment) -> Settings:
        """The settings an environment is checked with: its config file's closest ones."""
        anchor = env.config_path or (env.script_location / "env.py" if env.script_location else None)
        return self.settings_for(anchor) if anchor is not None else self.settings

    def environment_label(self, analysis: EnvironmentAnalysis) -> str:
        """How output names an environment: its config file (and section), or its declared name."""
        env = analysis.environment
        if env.config_path is None or env.declared:
            return env.name
        label = self.relpath(env.config_path)
        return f"{label} [{env.section}]" if env.section and env.section != "alembic" else label

    def memo(self, key: str, compute: Any) -> Any:
        """Compute a project-wide index once per run (e.g. the Celery task index)."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]
