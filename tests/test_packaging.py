"""Packaging a user can trust: the declared Python floor installs and runs, the licence is shipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from .conftest import FIXTURES, REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def floor_version() -> str:
    declared = PYPROJECT["project"]["requires-python"]
    assert declared.startswith(">="), declared
    return declared[2:]


def floor_interpreter() -> str | None:
    """An interpreter of the declared floor: one pyenv installed, or pythonX.Y on PATH (not a pyenv
    shim, which may refuse to run a version that is not selected)."""
    version = floor_version()
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(root.glob(f"{version}.*")):
        if (candidate / "bin" / "python").is_file():
            return str(candidate / "bin" / "python")
    found = shutil.which(f"python{version}")
    return found if found and "/shims/" not in found else None


def test_the_declared_python_floor_installs_and_checks_the_demo(tmp_path: Path):
    """requires-python must be true: driftlint (with pglast, which has no wheel below 3.10) installs
    on the oldest Python it claims, and its check runs there. Machines without that interpreter
    cannot tell; CI's has it."""
    python = floor_interpreter()
    if python is None:
        pytest.skip(f"no Python {floor_version()} on this machine")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(REPO)],
        capture_output=True, text=True, timeout=900,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    demo = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", demo)
    run = subprocess.run(
        [str(venv / "bin" / "driftlint"), "check", ".", "--no-cache", "--output-format", "concise"],
        cwd=demo, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr  # the demo holds the drift it is named for
    assert "DL101" in run.stdout and "Traceback" not in run.stderr


def test_the_licence_is_shipped_and_named_in_the_metadata():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "LICENSE" in PYPROJECT["project"]["license-files"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_fix_can_render_the_project_template_in_a_plain_install():
    """`fix` renders script.py.mako like `alembic merge`: Mako is a dependency, not an extra."""
    assert any(dep.lower().startswith("mako") for dep in PYPROJECT["project"]["dependencies"])
