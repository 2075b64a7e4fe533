"""Fixtures for the adoption tests."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from .helpers import Repo, git_env


@pytest.fixture
def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Repo]:
    """Git repositories isolated from the user's config; driftlint's own git calls see the same env."""
    env = git_env(tmp_path / "git-home")
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, env[key])

    def make(name: str = "repo") -> Repo:
        return Repo(tmp_path / name, env)

    return make
