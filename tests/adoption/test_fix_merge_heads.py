"""DL101 fix: a merge revision rendered from the project's script.py.mako, like `alembic merge`."""

from __future__ import annotations

import ast
import datetime
import os
import re
from pathlib import Path

import pytest

from driftlint.fixes.merge_heads import builtin_template, format_as_comma
from driftlint.revisions import read_header

from ..conftest import write_tree
from .helpers import copy_fixture, invoke, project, revision, snapshot

FIXTURE = "long-history-with-branches"


def new_files(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(set(after) - set(before))


def alembic_heads(root: Path, ini: str = "alembic.ini") -> tuple[str, ...]:
    """Alembic's own answer (imports the revision files, which the fixtures allow)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    previous = Path.cwd()
    os.chdir(root)
    try:
        return tuple(sorted(ScriptDirectory.from_config(Config(str(root / ini))).get_heads()))
    finally:
        os.chdir(previous)


def test_fix_writes_a_merge_revision_that_alembic_sees_as_the_only_head(tmp_path):
    root = copy_fixture(FIXTURE, tmp_path)
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache")

    after = snapshot(root)
    [created] = new_files(before, after)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"migrations/versions/[0-9a-f]{12}_merge_heads\.py", created)
    header = read_header(ast.parse(after[created]), created)
    assert header.revision == created.split("/")[-1][:12]
    assert header.down_revision == ("2000", "c100")
    assert {k: v for k, v in after.items() if k != created} == before
    assert alembic_heads(root) == (created.split("/")[-1][:12],)
    assert invoke(root, "check", "--no-cache").exit_code == 0


def test_fix_twice_changes_nothing_the_second_time(tmp_path):
    root = copy_fixture(FIXTURE, tmp_path)
    invoke(root, "fix", "--no-cache")
    once = snapshot(root)

    again = invoke(root, "fix", "--no-cache")

    assert again.exit_code == 0
    assert "Fixed 0 findings" in again.stderr
    assert snapshot(root) == once


def test_fix_renders_the_projects_own_template(tmp_path):
    root = copy_fixture(FIXTURE, tmp_path)
    mako = root / "migrations/script.py.mako"
    mako.write_text("# house style: ${message} (${comma(down_revision)})\n" + mako.read_text())
    before = snapshot(root)

    invoke(root, "fix", "--no-cache")

    [created] = new_files(before, snapshot(root))
    assert (root / created).read_text().startswith("# house style: merge heads (2000, c100)\n")


def test_the_template_runs_its_python_in_fix_and_diff_never_in_check(tmp_path):
    """What the README says: a Mako template can run any Python, and only the fixes render it."""
    root = copy_fixture(FIXTURE, tmp_path)
    marker = tmp_path / "RENDERED"
    mako = root / "migrations/script.py.mako"
    mako.write_text(f"<% import pathlib; pathlib.Path({str(marker)!r}).write_text('ran') %>\n" + mako.read_text())

    assert invoke(root, "check", "--no-cache").exit_code == 1
    assert not marker.exists()
    invoke(root, "check", "--no-cache", "--diff")
    assert marker.read_text() == "ran"


def test_fix_follows_file_template_and_truncate_slug_length(tmp_path):
    root = copy_fixture(FIXTURE, tmp_path)
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace(
        "[alembic]\n", "[alembic]\nfile_template = %%(year)d_%%(month).2d_%%(rev)s_%%(slug)s\ntruncate_slug_length = 5\n"
    ))
    before = snapshot(root)

    invoke(root, "fix", "--no-cache")

    [created] = new_files(before, snapshot(root))
    year = datetime.date.today().year
    assert re.fullmatch(rf"migrations/versions/{year}_\d\d_[0-9a-f]{{12}}_merge_\.py", created), created


def test_fix_puts_the_merge_next_to_the_first_head_when_there_are_several_locations(tmp_path):
    root = write_tree(tmp_path, {
        "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
        "version_locations = %(here)s/migrations/core:%(here)s/migrations/billing\n",
        "migrations/env.py": "",
        "migrations/core/a1_base.py": revision("a1", None),
        "migrations/core/c1_core.py": revision("c1", "a1"),
        "migrations/billing/b1_billing.py": revision("b1", "a1"),
    })
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache")

    [created] = new_files(before, snapshot(root))
    assert result.exit_code == 0, result.output
    assert created.startswith("migrations/billing/")
    assert invoke(root, "check", "--no-cache").exit_code == 0


def test_fix_in_a_pyproject_only_project_reads_tool_alembic(tmp_path):
    root = write_tree(tmp_path, {
        "pyproject.toml": '[tool.alembic]\nscript_location = "%(here)s/migrations"\nfile_template = "%%(slug)s_%%(rev)s"\n',
        "migrations/env.py": "",
        "migrations/versions/a1_base.py": revision("a1", None),
        "migrations/versions/b1_left.py": revision("b1", "a1"),
        "migrations/versions/c1_right.py": revision("c1", "a1"),
    })
    before = snapshot(root)

    invoke(root, "fix", "--no-cache")

    [created] = new_files(before, snapshot(root))
    assert re.fullmatch(r"migrations/versions/merge_heads_[0-9a-f]{12}\.py", created), created


def test_diff_previews_the_merge_revision_and_writes_nothing(tmp_path):
    root = copy_fixture(FIXTURE, tmp_path)
    before = snapshot(root)

    result = invoke(root, "check", "--no-cache", "--diff")

    assert result.exit_code == 1
    assert snapshot(root) == before
    assert result.stdout.startswith("--- /dev/null\n+++ b/migrations/versions/")
    assert "+down_revision: Union[str, Sequence[str], None] = ('2000', 'c100')\n" in result.stdout


def test_diff_with_nothing_to_fix_prints_nothing_and_exits_0(tmp_path):
    root = copy_fixture("diamond-merge", tmp_path)

    result = invoke(root, "fix", "--no-cache", "--diff")

    assert result.exit_code == 0
    assert result.stdout == ""


def test_check_fix_reports_what_remains_after_fixing(tmp_path):
    root = write_tree(tmp_path, project({
        "a1_base.py": revision("a1", None),
        "b1_left.py": revision("b1", "a1"),
        "c1_right.py": revision("c1", "a1"),
        "d1_dangling.py": revision("d1", "zz"),
    }))

    result = invoke(root, "check", "--no-cache", "--fix", "--output-format", "concise")

    assert result.exit_code == 1
    assert "driftlint: fixed DL101" in result.stderr
    assert "DL103" in result.stdout and "DL101" not in result.stdout


def test_without_a_script_template_the_builtin_template_is_used(tmp_path):
    """Mako is a dependency (the project's template is never skipped silently); a project that has
    no script.py.mako (where `alembic merge` itself fails) gets Alembic's generic template."""
    root = copy_fixture(FIXTURE, tmp_path)
    (root / "migrations/script.py.mako").unlink()
    before = snapshot(root)

    invoke(root, "fix", "--no-cache")

    [created] = new_files(before, snapshot(root))
    assert (root / created).read_text().startswith('"""merge heads\n')


def test_builtin_template_matches_alembics_generic_template():
    import alembic
    from mako.template import Template

    generic = Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako"
    arguments = {
        "up_revision": "0123456789ab",
        "down_revision": ("a1", "b1"),
        "branch_labels": None,
        "depends_on": None,
        "create_date": datetime.datetime(2024, 5, 1, 12, 0, 0),
        "comma": format_as_comma,
        "message": "merge heads",
        "refresh": True,
    }

    assert builtin_template(**arguments) == Template(filename=str(generic)).render_unicode(**arguments)


def test_a_template_that_does_not_render_is_reported_and_nothing_is_written(tmp_path):
    root = copy_fixture(FIXTURE, tmp_path)
    (root / "migrations/script.py.mako").write_text("${undefined_function()}\n")
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache")

    assert result.exit_code == 1
    assert "cannot fix DL101" in result.stderr and "script.py.mako does not render" in result.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize("body", ["revision = None\n", "import os\nrevision = os.environ['REV']\n"])
def test_a_template_that_does_not_declare_the_revision_is_refused(tmp_path, body):
    root = copy_fixture(FIXTURE, tmp_path)
    (root / "migrations/script.py.mako").write_text(body)
    before = snapshot(root)

    result = invoke(root, "fix", "--no-cache")

    assert "does not set `revision` and `down_revision` as literals" in result.stderr
    assert snapshot(root) == before
