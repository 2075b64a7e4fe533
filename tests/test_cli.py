"""The command line: exit codes, settings, selection, suppression, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftlint.cli import cli

from .conftest import FIXTURES, write_tree

TWO_HEADS = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": "",
    "migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n',
    "migrations/versions/b1.py": 'revision = "b1"\ndown_revision = "a1"\n',
    "migrations/versions/c1.py": 'revision = "c1"\ndown_revision = "a1"\n',
}
LINEAR = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "migrations/env.py": "",
    "migrations/versions/a1.py": 'revision = "a1"\ndown_revision = None\n',
    "migrations/versions/b1.py": 'revision = "b1"\ndown_revision = "a1"\n',
}


def invoke(root: Path, *args: str):
    previous = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_clean_repository_exits_zero(tmp_path: Path):
    write_tree(tmp_path, LINEAR)
    result = invoke(tmp_path, "check", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "All checks passed" in result.output


def test_findings_exit_one_and_exit_zero_overrides(tmp_path: Path):
    write_tree(tmp_path, TWO_HEADS)
    assert invoke(tmp_path, "check", "--no-cache").exit_code == 1
    assert invoke(tmp_path, "check", "--no-cache", "--exit-zero").exit_code == 0


def test_missing_path_is_exit_two_with_one_line(tmp_path: Path):
    result = invoke(tmp_path, "check", "does-not-exist")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "does-not-exist" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_setting_is_exit_two_naming_the_key(tmp_path: Path):
    write_tree(tmp_path, {**LINEAR, "driftlint.toml": "selct = ['DL101']\n"})
    result = invoke(tmp_path, "check")
    assert result.exit_code == 2
    assert "unknown setting `selct`" in result.stderr and "driftlint.toml" in result.stderr


def test_broken_settings_toml_is_exit_two(tmp_path: Path):
    write_tree(tmp_path, {**LINEAR, "pyproject.toml": "[tool.driftlint\nselect = 1\n"})
    result = invoke(tmp_path, "check")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.stderr and "invalid TOML" in result.stderr


def test_unknown_rule_in_select_is_exit_two(tmp_path: Path):
    write_tree(tmp_path, LINEAR)
    result = invoke(tmp_path, "check", "--select", "DL999")
    assert result.exit_code == 2 and "unknown rule `DL999`" in result.stderr


def test_select_and_ignore_accept_codes_names_and_prefixes(tmp_path: Path):
    write_tree(tmp_path, TWO_HEADS)
    assert invoke(tmp_path, "check", "--no-cache", "--ignore", "multiple-heads").exit_code == 0
    assert invoke(tmp_path, "check", "--no-cache", "--select", "DL1").exit_code == 1
    assert invoke(tmp_path, "check", "--no-cache", "--select", "DL0,DL102").exit_code == 0


def test_settings_file_select_and_cli_override(tmp_path: Path):
    write_tree(tmp_path, {**TWO_HEADS, "pyproject.toml": "[tool.driftlint]\nignore = ['DL101']\n"})
    assert invoke(tmp_path, "check", "--no-cache").exit_code == 0
    assert invoke(tmp_path, "check", "--no-cache", "--extend-select", "DL101", "--ignore", "DL102").exit_code == 0


def test_per_file_ignores_and_severity_override(tmp_path: Path):
    settings = (
        "[tool.driftlint]\n"
        "per-file-ignores = { 'migrations/versions/c1.py' = ['multiple-heads'] }\n"
    )
    write_tree(tmp_path, {**TWO_HEADS, "pyproject.toml": settings})
    assert invoke(tmp_path, "check", "--no-cache").exit_code == 0
    write_tree(tmp_path, {"pyproject.toml": "[tool.driftlint]\nseverity = { DL101 = 'warning' }\n"})
    result = invoke(tmp_path, "check", "--no-cache", "--output-format", "json")
    assert [d["severity"] for d in json.loads(result.stdout)] == ["warning"]


@pytest.mark.parametrize("selector", ["ALL", "all", "DL1", "multiple-heads"])
@pytest.mark.parametrize("pattern", ["migrations/**", "migrations/versions/*", "migrations"])
def test_per_file_ignores_accept_every_selector_select_accepts(tmp_path: Path, selector: str, pattern: str):
    """`{ "x/**" = ["ALL"] }` was accepted and ignored nothing; it ignores every rule there."""
    settings = f"[tool.driftlint]\nper-file-ignores = {{ '{pattern}' = ['{selector}'] }}\n"
    write_tree(tmp_path, {**TWO_HEADS, "pyproject.toml": settings})
    assert invoke(tmp_path, "check", "--no-cache").exit_code == 0


def test_output_format_from_environment_variable(tmp_path: Path):
    write_tree(tmp_path, TWO_HEADS)
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(cli, ["check", "--no-cache"], env={"DRIFTLINT_OUTPUT_FORMAT": "json"})
    finally:
        os.chdir(previous)
    assert json.loads(result.stdout)[0]["code"] == "DL101"


def test_statistics_counts_per_rule(tmp_path: Path):
    write_tree(tmp_path, TWO_HEADS)
    result = invoke(tmp_path, "check", "--no-cache", "--statistics")
    assert result.exit_code == 1
    assert result.stdout.split() == ["1", "DL101", "multiple-heads"]


def test_paths_are_relative_to_the_working_directory(tmp_path: Path):
    write_tree(tmp_path / "project", TWO_HEADS)
    result = invoke(tmp_path, "check", "--no-cache", "--output-format", "concise", "project")
    assert result.stdout.startswith("project/migrations/versions/c1.py:1:1: DL101")


def test_file_argument_limits_findings_to_that_file(tmp_path: Path):
    write_tree(tmp_path, TWO_HEADS)
    assert invoke(tmp_path, "check", "--no-cache", "migrations/versions/c1.py").exit_code == 1
    assert invoke(tmp_path, "check", "--no-cache", "migrations/versions/a1.py").exit_code == 0


def test_a_file_argument_keeps_findings_that_name_it_as_a_related_location(tmp_path: Path):
    """Three heads: the finding is anchored on one of them; checking any head's file shows it."""
    write_tree(tmp_path, {**TWO_HEADS, "migrations/versions/d1.py": 'revision = "d1"\ndown_revision = "a1"\n'})
    for head in ("b1", "c1", "d1"):
        result = invoke(tmp_path, "check", "--no-cache", "--output-format", "concise", f"migrations/versions/{head}.py")
        assert result.exit_code == 1, head
        assert "DL101 3 heads" in result.stdout


def test_rules_lists_every_rule_and_explain_prints_its_doc():
    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["rules", "--output-format", "json"]).stdout)
    assert {"code": "DL101", "name": "multiple-heads"}.items() <= listed[[r["code"] for r in listed].index("DL101")].items()
    for selector in ("DL101", "multiple-heads", "dl101"):
        result = runner.invoke(cli, ["explain", selector])
        assert result.exit_code == 0 and "## What it does" in result.stdout
    assert runner.invoke(cli, ["explain", "nope"]).exit_code == 2


def test_version_and_help_everywhere():
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).stdout.startswith("driftlint, version ")
    for args in (["--help"], ["check", "--help"], ["rules", "--help"], ["explain", "--help"]):
        assert runner.invoke(cli, args).exit_code == 0


def test_python_dash_m_runs_the_cli_on_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "driftlint", "check", "--no-cache", "--output-format", "concise", str(FIXTURES / "demo")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "DL101" in result.stdout and "DL106" in result.stdout and "Traceback" not in result.stderr


def test_alembic_config_option_picks_the_ini_and_section(tmp_path: Path):
    ini = (
        "[alembic]\nscript_location = %(here)s/one\n\n[two]\nscript_location = %(here)s/two\n"
    )
    files = {"conf/db.ini": ini}
    for env in ("one", "two"):
        files[f"conf/{env}/env.py"] = ""
        files[f"conf/{env}/versions/a.py"] = 'revision = "a"\ndown_revision = None\n'
        files[f"conf/{env}/versions/b.py"] = 'revision = "b"\ndown_revision = None\n'
    write_tree(tmp_path, files)
    both = invoke(tmp_path, "check", "--no-cache", "--select", "DL101", "--output-format", "concise")
    assert both.stdout.count("DL101") == 2
    only_two = invoke(tmp_path, "check", "--no-cache", "--select", "DL101", "-c", "conf/db.ini", "-n", "two", "--output-format", "concise")
    assert only_two.stdout.count("DL101") == 1 and "conf/two/" in only_two.stdout
    assert "alembic -c conf/db.ini -n two merge" in invoke(
        tmp_path, "check", "--no-cache", "-c", "conf/db.ini", "-n", "two", "--output-format", "json"
    ).stdout
    assert invoke(tmp_path, "check", "-c", "missing.ini").exit_code == 2


def test_a_folder_with_nothing_to_check_says_so_on_stderr(tmp_path: Path):
    """No Alembic environment, no Celery module: exit 0, and a warning instead of a bare 'All checks passed'."""
    write_tree(tmp_path, {"app/util.py": "def f():\n    return 1\n", "README.md": "hello\n"})
    result = invoke(tmp_path, "check", "--no-cache")
    assert result.exit_code == 0
    assert "no Alembic environment" in result.stderr and "nothing was checked" in result.stderr
    assert "no Alembic environment" not in invoke(tmp_path, "check", "--no-cache", "-q").stderr
    write_tree(tmp_path, {"other.ini": "[logging]\nlevel = INFO\n"})  # an ini with no [alembic] section
    assert "nothing was checked" in invoke(tmp_path, "check", "--no-cache", "-c", "other.ini").stderr


def test_a_project_with_an_environment_or_celery_gets_no_such_warning(tmp_path: Path):
    write_tree(tmp_path / "alembic", LINEAR)
    write_tree(tmp_path / "celery", {"tasks.py": "from celery import shared_task\n\n@shared_task\ndef t():\n    pass\n"})
    for folder in ("alembic", "celery"):
        assert "nothing was checked" not in invoke(tmp_path / folder, "check", "--no-cache").stderr


def test_revisions_in_a_folder_that_only_code_makes_alembic_scan_are_said_to_be_unchecked(tmp_path: Path):
    """Prefect's env.py sets version_locations to a folder per dialect: where Alembic looks is only
    known at run time, DL106 stays quiet, and the revisions there are checked by nothing. stderr says
    so (exit 0, not a finding); the same files without such code are DL106 findings instead."""
    nested = {
        **LINEAR,
        "migrations/versions/postgresql/c1_more.py": 'revision = "c1"\ndown_revision = "b1"\n',
        "migrations/versions/postgresql/d1_more.py": 'revision = "d1"\ndown_revision = "c1"\n',
    }
    write_tree(tmp_path / "plain", nested)
    plain = invoke(tmp_path / "plain", "check", "--no-cache", "--output-format", "concise")
    assert plain.exit_code == 1 and plain.stdout.count("DL106") == 2
    assert "version_locations at run time" not in plain.stderr

    env = "from alembic import context\n\ncontext.script.version_locations = [pick_folder()]\n"
    write_tree(tmp_path / "in-code", {**nested, "migrations/env.py": env})
    result = invoke(tmp_path / "in-code", "check", "--no-cache", "--output-format", "concise")
    assert result.exit_code == 0, result.output
    assert (
        "driftlint: warning: migrations/env.py sets Alembic's version_locations at run time, so 2 revision files"
        " outside the configured version locations were not checked (first: migrations/versions/postgresql/c1_more.py);"
        " declare the environments in [[tool.driftlint.environments]] to check them"
    ) in result.stderr

    write_tree(tmp_path / "in-code-flat", {**LINEAR, "migrations/env.py": env})
    assert "version_locations at run time" not in invoke(tmp_path / "in-code-flat", "check", "--no-cache").stderr


def test_each_service_of_a_monorepo_is_checked_with_its_own_settings(tmp_path: Path):
    """As Ruff resolves a file's configuration: the closest settings file, whatever the argument
    order; from the root, each service's own settings still apply to its files."""
    for service in ("svc_a", "svc_b"):
        write_tree(tmp_path / service, TWO_HEADS)
    (tmp_path / "svc_a" / "pyproject.toml").write_text("[tool.driftlint]\nignore = ['DL101']\n")
    (tmp_path / ".git").mkdir()  # the top of the work tree: the settings search stops here

    def heads(*args: str) -> list[str]:
        result = invoke(tmp_path, "check", "--no-cache", "--output-format", "concise", *args)
        return sorted(line.split(":")[0] for line in result.stdout.splitlines() if " DL101 " in line)

    expected = ["svc_b/migrations/versions/c1.py"]
    assert heads("svc_a", "svc_b") == expected
    assert heads("svc_b", "svc_a") == expected
    assert heads() == expected, "from the root, svc_a's settings still apply to svc_a"
    assert heads("--settings", "svc_a/pyproject.toml") == [], "--settings overrides every file's settings"


def test_a_services_severity_and_per_file_ignores_stay_in_that_service(tmp_path: Path):
    for service in ("svc_a", "svc_b"):
        write_tree(tmp_path / service, TWO_HEADS)
    (tmp_path / "svc_a" / "driftlint.toml").write_text("severity = { DL101 = 'warning' }\n")
    # Relative to svc_b's own settings file, like every pattern of it.
    (tmp_path / "svc_b" / "driftlint.toml").write_text("per-file-ignores = { 'migrations/versions/c1.py' = ['DL1'] }\n")
    (tmp_path / ".git").mkdir()
    result = invoke(tmp_path, "check", "--no-cache", "--output-format", "json")
    found = {(d["filename"], d["severity"]) for d in json.loads(result.stdout) if d["code"] == "DL101"}
    assert found == {("svc_a/migrations/versions/c1.py", "warning")}


@pytest.mark.parametrize(
    ("settings", "args", "expected"),
    [
        ("[tool.driftlint]\nselct = ['DL1']\n", (), "unknown setting `selct` in [tool.driftlint] (did you mean `select`?)"),
        ("[tool.driftlint]\nignore = ['mulitple-heads']\n", (), "unknown rule `mulitple-heads` in `ignore` (did you mean `multiple-heads`?)"),
        ("", ("--select", "DL1O1"), "unknown rule `DL1O1` in `select` (did you mean `DL101`?)"),
        ("[tool.driftlint.verify]\ntimout = 3\n", (), None),
    ],
)
def test_a_misspelt_setting_or_rule_names_the_closest_one(tmp_path: Path, settings: str, args: tuple[str, ...], expected: str | None):
    write_tree(tmp_path, {**TWO_HEADS, "pyproject.toml": settings})
    result = invoke(tmp_path, "check", "--no-cache", *args) if expected else invoke(tmp_path, "verify", "--fresh")
    assert result.exit_code == 2
    assert (expected or "unknown setting `timout` in [tool.driftlint.verify] (did you mean `timeout`?)") in result.stderr


def test_explain_names_the_closest_rule(tmp_path: Path):
    result = invoke(tmp_path, "explain", "mulitple-head")
    assert result.exit_code == 2 and "(did you mean `multiple-heads`?)" in result.stderr


def test_show_settings_says_where_each_value_comes_from_for_each_settings_file(tmp_path: Path):
    for service in ("svc_a", "svc_b"):
        write_tree(tmp_path / service, TWO_HEADS)
    (tmp_path / "svc_a" / "pyproject.toml").write_text("[tool.driftlint]\nignore = ['DL101']\n")
    (tmp_path / ".git").mkdir()
    result = invoke(tmp_path, "check", "--show-settings", "--select", "DL1")
    assert result.exit_code == 0
    text = result.stdout
    # Each service: three revisions and env.py.
    assert "no settings file (defaults) (the check's own settings; 4 checked files)" in text
    assert "svc_a/pyproject.toml (closest settings; 4 checked files)" in text
    assert any(line.split() == ["ignore", "DL101", "svc_a/pyproject.toml"] for line in text.splitlines())
    assert any(line.split()[:2] == ["select", "DL1"] and line.endswith("command line") for line in text.splitlines())
    assert "cache folder" in text and "rules selected" in text


def test_show_files_lists_environments_files_and_task_modules(tmp_path: Path):
    write_tree(tmp_path, {**TWO_HEADS, "app/tasks.py": "from celery import shared_task\n\n@shared_task\ndef t():\n    pass\n"})
    result = invoke(tmp_path, "check", "--show-files")
    assert result.exit_code == 0
    assert "Alembic environments: 1" in result.stdout
    assert any(line.split() == ["revisions", "3"] for line in result.stdout.splitlines())
    assert "Files read: 5 (3 revision files, 0 unscanned candidates, 2 other modules)" in result.stdout
    assert "app/tasks.py (1 task)" in result.stdout
