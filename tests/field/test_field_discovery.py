"""Config shapes from real projects: driftlint finds the environments Alembic would, and agrees on heads."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from driftlint.engine import CheckOptions, CheckResult, run_check

from .conftest import findings, summary


def check(root: Path) -> CheckResult:
    previous = Path.cwd()
    os.chdir(root)
    try:
        # Discovery is pinned here; migration safety (DL5xx) has its own tests.
        return run_check(CheckOptions(paths=[Path(".")], cwd=root, use_cache=False, ignore=("DL5",)))
    finally:
        os.chdir(previous)


def driftlint_heads(result: CheckResult) -> dict[str, list[str]]:
    return {a.environment.name: sorted(n.revision for n in a.graph.heads) for a in result.project.environments}


@pytest.fixture
def importable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Alembic imports `pkg:dir` locations; the fixtures' packages must not leak between tests."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("incidents", "flows"):
            del sys.modules[name]


def alembic_heads(config: Config) -> list[str]:
    return sorted(ScriptDirectory.from_config(config).get_heads())


def test_named_sections_are_the_environments_and_the_package_is_found_under_src(
    fixture_copy, monkeypatch: pytest.MonkeyPatch, importable: None
) -> None:
    root = fixture_copy("named-sections-only")
    result = check(root)
    assert result.diagnostics == []
    ini = root / "src" / "incidents" / "alembic.ini"
    monkeypatch.syspath_prepend(str(root / "src"))
    expected = {
        f"alembic.ini [{section}]": alembic_heads(Config(str(ini), ini_section=section)) for section in ("core", "tenant")
    }
    assert driftlint_heads(result) == expected == {"alembic.ini [core]": ["c0a1"], "alembic.ini [tenant]": ["t0b2"]}


def test_alembic_section_without_script_location_alone_is_still_invalid(tree) -> None:
    root = tree({"alembic.ini": "[alembic]\nfile_template = %%(rev)s\n", "migrations/env.py": ""})
    assert summary(findings(root, "DL111")) == [("DL111", "alembic.ini")]


def test_a_package_location_found_nowhere_in_the_project_is_still_invalid(fixture_copy) -> None:
    root = fixture_copy("named-sections-only")
    ini = root / "src" / "incidents" / "alembic.ini"
    ini.write_text(ini.read_text(encoding="utf-8").replace("incidents:database/revisions/core", "missing_pkg:revisions"), encoding="utf-8")
    [diagnostic] = findings(root, "DL111")
    assert "names package `missing_pkg`" in diagnostic.message


def test_a_templated_script_location_is_not_a_path_and_the_script_dir_is_still_checked(fixture_copy) -> None:
    root = fixture_copy("templated-script-location")
    result = check(root)
    assert result.diagnostics == []
    config = Config()
    config.set_main_option("script_location", str(root / "hub" / "alembic"))
    assert driftlint_heads(result) == {"alembic (env.py without config)": alembic_heads(config)} == {
        "alembic (env.py without config)": ["eeb276e51423"]
    }


def test_a_missing_plain_script_location_is_still_invalid(fixture_copy) -> None:
    root = fixture_copy("templated-script-location")
    (root / "hub" / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/alembik\n", encoding="utf-8")
    assert summary(findings(root, "DL111")) == [("DL111", "hub/alembic.ini")]


def test_declared_dialect_histories_replace_the_ini_view(fixture_copy) -> None:
    root = fixture_copy("two-dialect-histories")
    result = check(root)
    assert result.diagnostics == []
    expected = {}
    for dialect in ("postgresql", "sqlite"):
        config = Config()
        config.set_main_option("script_location", str(root / "src/flows/server/database/_migrations"))
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", str(root / f"src/flows/server/database/_migrations/versions/{dialect}"))
        expected[dialect] = alembic_heads(config)
    assert driftlint_heads(result) == expected == {"postgresql": ["po02"], "sqlite": ["sq02"]}


def test_without_the_declaration_the_ini_environment_sees_what_alembic_sees(
    fixture_copy, monkeypatch: pytest.MonkeyPatch, importable: None
) -> None:
    root = fixture_copy("two-dialect-histories")
    (root / "driftlint.toml").unlink()
    result = check(root)
    assert result.diagnostics == []
    ini = root / "src/flows/server/database/alembic.ini"
    monkeypatch.syspath_prepend(str(root / "src"))
    assert driftlint_heads(result) == {"alembic.ini": alembic_heads(Config(str(ini)))} == {"alembic.ini": []}
