"""Finding Alembic environments and their version locations exactly as the alembic command line would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from driftlint.cli import cli
from driftlint.config import Settings
from driftlint.discovery import discover
from driftlint.engine import CheckOptions, run_check

from ..conftest import write_tree
from .alembic_loads import alembic_load_error, says_alembic_cannot_load
from .conftest import alembic_tree, check, found, only_environment, revision


def run_cli(root: Path, *args: str, env: dict[str, str] | None = None):
    previous = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "concise", *args], env=env)
    finally:
        os.chdir(previous)


def environments(root: Path, **kwargs: object):
    previous = Path.cwd()
    os.chdir(root)
    try:
        return discover([root], Settings(root=root), **kwargs)  # type: ignore[arg-type]
    finally:
        os.chdir(previous)


def alembic_version_locations(ini: Path) -> list[str]:
    previous = Path.cwd()
    os.chdir(ini.parent)
    try:
        return [os.path.abspath(p) for p in ScriptDirectory.from_config(Config(str(ini)))._version_locations]
    finally:
        os.chdir(previous)


# -- version_locations: every separator form, against Alembic's own split ---------------------

SEPARATOR_FORMS = {
    "path_separator-os": f"path_separator = os\nversion_locations = %(here)s/v1{os.pathsep}%(here)s/v2\n",
    "path_separator-space": "path_separator = space\nversion_locations = %(here)s/v1 %(here)s/v2\n",
    "path_separator-newline": "path_separator = newline\nversion_locations =\n    %(here)s/v1\n    %(here)s/v2\n",
    "path_separator-colon": "path_separator = :\nversion_locations = %(here)s/v1:%(here)s/v2\n",
    "path_separator-semicolon": "path_separator = ;\nversion_locations = %(here)s/v1;%(here)s/v2\n",
    "version_path_separator-os": f"version_path_separator = os\nversion_locations = %(here)s/v1{os.pathsep}%(here)s/v2\n",
    "version_path_separator-space": "version_path_separator = space\nversion_locations = %(here)s/v1 %(here)s/v2\n",
    "legacy-space-and-comma": "version_locations = %(here)s/v1, %(here)s/v2 %(here)s/v3,%(here)s/v4\n",
    "path_separator-wins": "path_separator = ;\nversion_path_separator = :\nversion_locations = %(here)s/v1;%(here)s/v2\n",
    "relative-to-cwd": "path_separator = os\nversion_locations = v1\n",
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Alembic's own warning for the legacy forms
@pytest.mark.parametrize("form", SEPARATOR_FORMS, ids=str)
def test_version_locations_split_like_alembic(form, tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\n" + SEPARATOR_FORMS[form]
    root = tree({"alembic.ini": ini, "migrations/env.py": "", **{f"v{i}/.keep": "" for i in range(1, 5)}})
    [env] = environments(root)
    ours = [os.path.abspath(p) for p in env.version_locations]
    assert ours == alembic_version_locations(root / "alembic.ini")


def test_unset_version_locations_default_to_the_versions_folder(tree):
    root = tree(alembic_tree(("1000", None)))
    [env] = environments(root)
    assert [os.path.abspath(p) for p in env.version_locations] == alembic_version_locations(root / "alembic.ini")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("version_path_separator = os\n", "`version_path_separator` is deprecated since Alembic 1.16; use `path_separator`"),
        ("", "No `path_separator` is set, so Alembic falls back to the deprecated split of `version_locations`"),
    ],
    ids=["version_path_separator", "legacy-split"],
)
def test_deprecated_separator_forms_are_reported(lines, message, tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\n" + lines + "version_locations = %(here)s/migrations/versions\n"
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": ini})
    [finding] = found(check(root), "DL109")
    assert finding.startswith("alembic.ini:3:1 DL109 " + message)


def test_separator_word_alembic_rejects_is_invalid(tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = colon\nversion_locations = %(here)s/migrations/versions\n"
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": ini})
    with pytest.raises(ValueError, match="'colon' is not a valid value for path_separator"):
        alembic_version_locations(root / "alembic.ini")
    assert found(check(root), "DL111") == [
        "alembic.ini:3:1 DL111 'colon' is not a valid value for path_separator; expected 'space', 'newline', 'os', "
        "':', ';' (Alembic raises ValueError; an inline `#` comment is part of the value in .ini files)"
    ]


def test_separator_comment_breaks_prepend_sys_path_even_without_version_locations(tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = .\npath_separator = os  # use os.pathsep\n"
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": ini})
    with pytest.raises(ValueError, match="is not a valid value for path_separator"):
        ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    assert [line.split(" ", 2)[:2] for line in found(check(root))] == [["alembic.ini:4:1", "DL111"]]


# -- script_location forms ---------------------------------------------------------------------


def test_here_anchored_script_location_is_the_ini_folder(fixture_copy):
    root = fixture_copy("here-is-script-dir")
    [env] = environments(root)
    assert env.script_location == root / "migrations"
    assert env.version_locations == [root / "migrations" / "versions"]
    assert found(check(root)) == []


def test_default_section_and_script_location_interpolation(fixture_copy):
    root = fixture_copy("default-section-interpolation")
    [env] = environments(root)
    assert env.version_locations == [root / "db" / "versions", root / "db" / "data_versions"]
    graph = only_environment(check(root)).graph
    assert [n.revision for n in graph.load_order()] == ["1000", "1100", "d100"]


def test_package_resource_location_is_found_without_importing(fixture_copy):
    root = fixture_copy("pkg-resource-location")
    [env] = environments(root)
    assert env.script_location == root / "shop_pkgres" / "migrations"
    assert "shop_pkgres" not in __import__("sys").modules
    assert found(check(root)) == []


def test_package_resource_naming_an_unknown_package_is_invalid(tree):
    root = tree({"alembic.ini": "[alembic]\nscript_location = nowhere_pkg:migrations\npath_separator = os\n"})
    assert found(check(root), "DL111") == [
        "alembic.ini:2:1 DL111 `script_location = nowhere_pkg:migrations` names package `nowhere_pkg`, "
        "which is not found under the project"
    ]


def test_relative_script_location_only_works_from_one_directory(tree):
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": "[alembic]\nscript_location = migrations\npath_separator = os\n"})
    [message] = found(check(root), "DL109")
    assert message.startswith("alembic.ini:2:1 DL109 `script_location = migrations` is relative to the working directory")


def test_missing_script_location_names_it_relative_to_the_working_directory(tree):
    root = tree({"alembic.ini": "[alembic]\nscript_location = %(here)s/alembic\npath_separator = os\n"})
    assert found(check(root), "DL111") == [
        "alembic.ini:2:1 DL111 `script_location` names alembic, which does not exist: Alembic fails with \"Path doesn't exist\""
    ]


def test_missing_absolute_script_location_is_named_as_written(tree):
    """A container's path (`/usr/src/app/migrations`) reads as itself, not as ../../../usr/src/..."""
    root = tree({"alembic.ini": "[alembic]\nscript_location = /nonexistent-driftlint-test/app/migrations\npath_separator = os\n"})
    assert found(check(root), "DL111") == [
        "alembic.ini:2:1 DL111 `script_location` names /nonexistent-driftlint-test/app/migrations, which does not "
        "exist: Alembic fails with \"Path doesn't exist\""
    ]


def test_config_without_script_location_is_invalid(tree):
    root = tree({"alembic.ini": "[alembic]\nsqlalchemy.url = postgresql://app@localhost/app\n"})
    assert [line.split(" ", 2)[:2] for line in found(check(root))] == [["alembic.ini:1:1", "DL111"]]


def test_ini_that_does_not_parse_is_one_finding(tree):
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": "script_location = %(here)s/migrations\n"})
    result = check(root)
    assert [(d.code, d.path) for d in result.diagnostics] == [("DL001", "alembic.ini")]
    assert str(root) not in result.diagnostics[0].message


# -- configurations Alembic cannot load: Alembic itself says which ------------------------------

GOOD_INI = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
LOADING = {
    "ini": {"alembic.ini": GOOD_INI},
    "pyproject-only": {"pyproject.toml": "[tool.alembic]\nscript_location = '%(here)s/migrations'\n"},
    "pyproject-without-alembic": {"alembic.ini": GOOD_INI, "pyproject.toml": "[project]\nname = 'app'\n"},
    "toml-script-location-ignored-beside-the-ini": {"alembic.ini": GOOD_INI, "pyproject.toml": "[tool.alembic]\nscript_location = 5\n"},
    "empty-ini-with-pyproject": {"alembic.ini": "", "pyproject.toml": "[tool.alembic]\nscript_location = '%(here)s/migrations'\n"},
    "ini-sets-every-option": {
        "alembic.ini": GOOD_INI + "truncate_slug_length = 40\nrecursive_version_locations = false\nfile_template = %%(rev)s\n"
        "sourceless = false\noutput_encoding = utf-8\ntimezone = UTC\nprepend_sys_path = .\n"
        "version_locations = %(here)s/migrations/versions\n[post_write_hooks]\n",
        "pyproject.toml": "[project\n",  # never read: the ini answers every option
    },
    "toml-integers-and-hooks": {
        "pyproject.toml": "[tool.alembic]\nscript_location = '%(here)s/migrations'\ntruncate_slug_length = 20\n"
        "[[tool.alembic.post_write_hooks]]\nname = 'black'\ntype = 'console_scripts'\n",
    },
}
NOT_LOADING = {
    "pyproject-not-toml": ({"alembic.ini": GOOD_INI, "pyproject.toml": "[project\nname = 'app'\n"}, "pyproject.toml:1:1 DL001"),
    "tool-is-a-list": ({"alembic.ini": GOOD_INI, "pyproject.toml": "tool = [1]\n"}, "pyproject.toml:1:1 DL111"),
    "tool-alembic-not-a-table": ({"alembic.ini": GOOD_INI, "pyproject.toml": "[tool]\nalembic = 3\n"}, "pyproject.toml:2:1 DL111"),
    "script-location-a-number": ({"pyproject.toml": "[tool.alembic]\nscript_location = 5\n"}, "pyproject.toml:2:1 DL111"),
    "latin-1-byte-in-ini": ({"alembic.ini": GOOD_INI.replace("[alembic]\n", "[alembic]\n# caf\xe9\n").encode("latin-1")}, "alembic.ini:2:1 DL001"),
    "empty-ini": ({"alembic.ini": ""}, "alembic.ini:1:1 DL111"),
    "ini-without-alembic-section": ({"alembic.ini": "[loggers]\nkeys = root\n"}, "alembic.ini:1:1 DL111"),
    "segment-over-255-bytes": ({"alembic.ini": GOOD_INI.replace("migrations", "m" * 300)}, "alembic.ini:2:1 DL111"),
    "version-location-over-255-bytes": (
        {"alembic.ini": GOOD_INI + "version_locations = %(here)s/" + "v" * 300 + "\n"}, "alembic.ini:4:1 DL111"
    ),
    "slug-length-not-a-number": ({"alembic.ini": GOOD_INI + "truncate_slug_length = forty\n"}, "alembic.ini:4:1 DL111"),
    "file-template-not-doubled": ({"alembic.ini": GOOD_INI + "file_template = %(rev)s_%(slug)s\n"}, "alembic.ini:4:1 DL111"),
    "toml-file-template-formatted": (
        {"pyproject.toml": "[tool.alembic]\nscript_location = '%(here)s/migrations'\nfile_template = '%(rev)s'\n"}, "pyproject.toml:3:1 DL111"
    ),
    "toml-float": ({"alembic.ini": GOOD_INI, "pyproject.toml": "[tool.alembic]\ntimezone = 1.5\n"}, "pyproject.toml:2:1 DL111"),
    "toml-version-locations-of-numbers": (
        {"alembic.ini": GOOD_INI, "pyproject.toml": "[tool.alembic]\nversion_locations = [1]\n"}, "pyproject.toml:2:1 DL111"
    ),
    "toml-hook-without-name": (
        {"pyproject.toml": "[tool.alembic]\nscript_location = '%(here)s/migrations'\n[[tool.alembic.post_write_hooks]]\ntype = 'exec'\n"},
        "pyproject.toml:1:1 DL111",
    ),
    "toml-nested-too-deep": ({"alembic.ini": GOOD_INI, "pyproject.toml": "x = " + "[" * 3000 + "]" * 3000 + "\n"}, "pyproject.toml:1:1 DL001"),
}


def config_tree(tree, files: dict[str, str | bytes]) -> Path:
    return tree({"migrations/env.py": "", "migrations/versions/a1_first.py": revision("a1", None), **files})


@pytest.mark.parametrize("files", LOADING.values(), ids=LOADING.keys())
def test_driftlint_is_quiet_on_configurations_alembic_loads(files, tree):
    root = config_tree(tree, files)
    assert alembic_load_error(root) is None
    assert says_alembic_cannot_load(check(root).diagnostics) == []


@pytest.mark.parametrize(("files", "where"), NOT_LOADING.values(), ids=NOT_LOADING.keys())
def test_configurations_alembic_cannot_load_are_reported(files, where, tree):
    root = config_tree(tree, files)
    assert alembic_load_error(root) is not None
    reported = says_alembic_cannot_load(check(root).diagnostics)
    assert [f"{d.path}:{d.location.row}:{d.location.column} {d.code}" for d in reported] == [where]


def test_an_invalid_pyproject_toml_says_what_alembic_does(tree):
    root = config_tree(tree, {"alembic.ini": GOOD_INI, "pyproject.toml": "tool = [1]\n"})
    assert found(check(root)) == [
        "pyproject.toml:1:1 DL111 `tool` in pyproject.toml is not a table, so Alembic fails reading [tool.alembic] "
        "with \"AttributeError: 'list' object has no attribute 'get'\""
    ]


def test_a_latin_1_ini_names_the_byte_and_its_line(tree):
    root = config_tree(tree, {"alembic.ini": b"[alembic]\n# caf\xe9\nscript_location = %(here)s/migrations\n"})
    assert found(check(root)) == [
        "alembic.ini:2:1 DL001 Cannot parse Alembic configuration: alembic.ini is not UTF-8 (byte 0xe9 on line 2): "
        "Alembic reads it in the locale's encoding and fails with UnicodeDecodeError wherever that is UTF-8"
    ]


# -- booleans: only the exact string `true` -----------------------------------------------------


@pytest.mark.parametrize("value", ["True", "TRUE", "yes", "1", "on"])
def test_boolean_other_than_lowercase_true_is_false(value, fixture_copy):
    root = fixture_copy("recursive-versions")
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace("recursive_version_locations = true", f"recursive_version_locations = {value}"))
    [env] = environments(root)
    assert env.recursive is False
    result = check(root)
    assert [m.split(" ", 2)[:2] for m in found(result, "DL109")] == [["alembic.ini:5:1", "DL109"]]
    assert sorted(d.path.rsplit("/", 1)[-1] for d in result.diagnostics if d.code == "DL106") == [
        "1100_create_invoices.py",
        "1200_create_orders.py",
    ]


def test_recursive_version_locations_true_loads_nested_revisions(fixture_copy):
    root = fixture_copy("recursive-versions")
    assert found(check(root)) == []
    assert sorted(only_environment(check(root)).graph.by_id) == ["1000", "1100", "1200"]


def test_sourceless_true_is_read_and_sources_are_still_the_revisions(tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\nsourceless = true\n"
    root = tree({**alembic_tree(("1000", None), ("1100", "1000")), "alembic.ini": ini, "migrations/versions/2000_old.pyc": b"\x00\x01"})
    [env] = environments(root)
    assert env.sourceless is True
    result = check(root)
    assert found(result) == []
    assert sorted(only_environment(result).graph.by_id) == ["1000", "1100"]


def test_nested_revision_without_recursion_is_unscanned(fixture_copy):
    result = check(fixture_copy("unscanned-folder"))
    assert found(result, "DL106") == [
        "migrations/versions/2024/2024_create_orders.py:15:1 DL106 Revision 2024 is never loaded: it is nested below "
        "version location migrations/versions and recursive_version_locations is not true, so Alembic does not see it"
    ]


def test_version_location_that_does_not_exist_is_reported(tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\nversion_locations = %(here)s/migrations/version\n"
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": ini})
    assert "alembic.ini:4:1 DL106 Version location migrations/version does not exist: Alembic skips it silently" in found(check(root))


# -- which configuration: pyproject, Flask-Migrate, sections, -c/-n, declared environments -------


def test_pyproject_only_configuration(fixture_copy):
    root = fixture_copy("pyproject-only")
    [env] = environments(root)
    assert env.config_path == root / "pyproject.toml"
    assert env.version_locations == [root / "migrations" / "versions", root / "migrations" / "reports"]
    assert found(check(root)) == []


def test_ini_script_location_wins_over_pyproject(tree):
    root = tree(
        {
            **alembic_tree(("1000", None)),
            "pyproject.toml": '[tool.alembic]\nscript_location = "%(here)s/elsewhere"\n',
        }
    )
    [env] = environments(root)
    assert env.script_location == root / "migrations"
    assert ScriptDirectory.from_config(Config(str(root / "alembic.ini"), toml_file=str(root / "pyproject.toml"))).dir == str(root / "migrations")


def test_pyproject_values_of_the_wrong_type_are_invalid(tree):
    root = tree(
        {
            "pyproject.toml": '[tool.alembic]\nscript_location = "%(here)s/migrations"\nrecursive_version_locations = "true"\n',
            "migrations/env.py": "",
            "migrations/versions/1000_base.py": revision("1000"),
        }
    )
    [message] = found(check(root), "DL111")
    assert message.startswith("pyproject.toml:3:1 DL111 `recursive_version_locations` in [tool.alembic] must be true or false")


def test_flask_migrate_layout_without_script_location(fixture_copy):
    root = fixture_copy("flask-migrate")
    [env] = environments(root)
    assert env.flask_migrate and env.script_location == root / "migrations"
    assert found(check(root)) == []


@pytest.mark.parametrize("value", [".", "migrations", "elsewhere"])
def test_flask_migrate_ignores_the_ini_script_location(fixture_copy, value):
    """Flask-Migrate reads <directory>/alembic.ini, then sets script_location to <directory>: a
    `script_location = .` that Flask-Migrate's own older templates wrote is never used (the
    Flask env.py cannot run under a plain `alembic` command), so it is not cwd-dependent."""
    root = fixture_copy("flask-migrate")
    ini = root / "migrations" / "alembic.ini"
    ini.write_text(ini.read_text().replace("[alembic]\n", f"[alembic]\nscript_location = {value}\n", 1))
    [env] = environments(root)
    assert env.flask_migrate and env.script_location == root / "migrations"
    assert found(check(root)) == []


def test_a_plain_env_keeps_its_ini_script_location(fixture_copy):
    root = fixture_copy("flask-migrate")
    # tasking-manager: the Flask-Migrate line left in a comment does not make it Flask-Migrate's.
    (root / "migrations" / "env.py").write_text(
        'from alembic import context\n# target_metadata = current_app.extensions["migrate"].db.metadata\n'
    )
    ini = root / "migrations" / "alembic.ini"
    ini.write_text(ini.read_text().replace("[alembic]\n", "[alembic]\nscript_location = .\n", 1))
    [env] = environments(root)
    assert not env.flask_migrate
    assert [line.split(" ")[1] for line in found(check(root))] == ["DL109"]


def test_flask_migrate_merge_command_is_flask_db_merge(fixture_copy):
    root = fixture_copy("flask-migrate")
    versions = root / "migrations" / "versions"
    (versions / "9c9c9c9c9c9c_tags.py").write_text(revision("9c9c9c9c9c9c", "4b1c2d3e5f60"))
    [diagnostic] = check(root).diagnostics
    assert diagnostic.fix_title == 'Merge the heads: `flask db merge -m "merge heads" 7a8b9c0d1e2f 9c9c9c9c9c9c`'


def test_every_section_with_a_script_location_is_an_environment(fixture_copy):
    root = fixture_copy("multi-section-ini")
    assert sorted(e.section for e in environments(root)) == ["app", "audit"]
    [diagnostic] = check(root).diagnostics
    assert diagnostic.fix_title == 'Merge the heads: `alembic -n audit merge -m "merge heads" a100 a200`'


def test_name_option_checks_one_section(fixture_copy):
    root = fixture_copy("multi-section-ini")
    assert run_cli(root, "-n", "app").exit_code == 0
    audit = run_cli(root, "-n", "audit")
    assert audit.exit_code == 1 and "DL101" in audit.stdout


def test_name_option_with_an_unknown_section_is_a_usage_error(fixture_copy):
    result = run_cli(fixture_copy("multi-section-ini"), "-n", "billing")
    assert result.exit_code == 2
    assert "has a [billing] section" in result.stderr


def test_config_option_given_twice_pairs_an_ini_with_pyproject(tree):
    root = tree(
        {
            "deploy/alembic.ini": "[alembic]\nsqlalchemy.url = postgresql://app@localhost/app\n",
            "deploy/pyproject.toml": '[tool.alembic]\nscript_location = "%(here)s/../migrations"\n',
            "migrations/env.py": "",
            "migrations/versions/1000_base.py": revision("1000"),
            "migrations/versions/a100_a.py": revision("a100", "1000"),
            "migrations/versions/b100_b.py": revision("b100", "1000"),
        }
    )
    result = run_cli(root, "-c", "deploy/alembic.ini", "-c", "deploy/pyproject.toml")
    assert result.exit_code == 1, result.output
    assert 'alembic -c deploy/alembic.ini merge -m "merge heads" a100 b100' in check(
        root, alembic_config=[root / "deploy/alembic.ini", root / "deploy/pyproject.toml"]
    ).diagnostics[0].fix_title


@pytest.mark.parametrize(
    ("configs", "error"),
    [
        (("a.ini", "b.ini"), "only one ini file may be indicated with --config"),
        (("pyproject.toml", "sub/pyproject.toml"), "pyproject.toml indicated more than once with --config"),
        (("missing.ini",), "missing.ini: Alembic config file not found"),
    ],
    ids=["two-ini", "two-pyproject", "missing"],
)
def test_config_option_errors_like_alembic(configs, error, tree):
    root = tree(
        {
            "a.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
            "b.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
            "pyproject.toml": "[tool.alembic]\n",
            "sub/pyproject.toml": "[tool.alembic]\n",
            "migrations/env.py": "",
        }
    )
    args = [arg for config in configs for arg in ("-c", config)]
    result = run_cli(root, *args)
    assert result.exit_code == 2
    assert error in result.stderr and "Traceback" not in result.output


def test_alembic_config_environment_variable_is_not_read(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "alt.ini").write_text("[alembic]\nscript_location = %(here)s/nowhere\n")
    root = tree(alembic_tree(("1000", None), ("1100", "1000")))
    result = run_cli(root, env={"ALEMBIC_CONFIG": str(outside / "alt.ini")})
    assert result.exit_code == 0, result.output


def test_code_only_locations_are_declared_in_driftlint_settings(fixture_copy):
    root = fixture_copy("code-only-locations")
    result = check(root)
    env = only_environment(result).environment
    assert env.name == "app" and env.version_locations == [root / "app" / "db" / "revisions"]
    assert [d.subject for d in result.diagnostics] == [("a100", "b100")]
    (root / "driftlint.toml").unlink()
    assert check(root).project.environments == []


def test_declared_location_that_does_not_exist_is_reported(tree):
    root = tree(
        {
            "driftlint.toml": '[[tool.driftlint.environments]]\nname = "app"\nscript-location = "app/db"\n',
        }
    )
    assert found(check(root)) == [
        "driftlint.toml:1:1 DL106 Environment `app` declares `app/db/versions`, which does not exist",
        "driftlint.toml:1:1 DL106 Environment `app` declares `app/db`, which does not exist",
    ]


def test_environments_are_found_below_the_checked_path(tree):
    root = tree(
        {
            "services/billing/alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n",
            "services/billing/migrations/env.py": "",
            "services/billing/migrations/versions/1000_base.py": revision("1000"),
            "services/users/alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n",
            "services/users/migrations/env.py": "",
            "services/users/migrations/versions/1000_base.py": revision("1000"),
            "services/users/migrations/versions/2000_second_base.py": revision("2000"),
        }
    )
    result = check(root)
    assert len(result.project.environments) == 2
    assert [(d.code, d.path) for d in result.diagnostics] == [
        ("DL101", "services/users/migrations/versions/2000_second_base.py"),
        ("DL102", "services/users/migrations/versions/2000_second_base.py"),
    ]
    assert 'alembic -c services/users/alembic.ini merge' in result.diagnostics[0].fix_title


def test_a_version_location_at_the_top_never_reads_the_folder_above(tmp_path):
    """Candidate folders for DL106 are the version locations' parents, but never outside the project."""
    write_tree(tmp_path, {"outside/not_ours.py": 'revision = "x"\ndown_revision = None\n'})
    root = write_tree(tmp_path / "project", {
        "alembic.ini": "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s\n",
        "env.py": "",
        "a1_base.py": 'revision = "a1"\ndown_revision = None\n',
    })
    result = run_check(CheckOptions(paths=[root], cwd=root, use_cache=False, jobs=1))
    assert result.project is not None
    assert all(root in path.parents for path in result.project.files)
    assert not [d for d in result.diagnostics if d.code in ("DL102", "DL106")]
