"""`driftlint server` end to end: a real LSP client (pygls' LanguageClient) drives the server over stdio."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from click.testing import CliRunner
from lsprotocol import types as lsp

from driftlint.cli import cli
from driftlint.engine import CheckOptions

from .conftest import Editor, apply_edits, edits_for, run_editor

ALEMBIC_INI = "[alembic]\nscript_location = %(here)s/migrations\n"
BASE = 'revision = "a0"\ndown_revision = None\n'
TENANTS = '''from alembic import op

revision = "x1"
down_revision = "a0"


def upgrade():
    op.execute("CREATE TABLE tenants (id int PRIMARY KEY)")
'''
INVOICES = '''from alembic import op

revision = "y1"
down_revision = "a0"


def upgrade():
    op.execute("CREATE TABLE invoices (id int, tenant_id int REFERENCES tenants(id))")
'''
# One straight line: a0 <- x1 <- y1, nothing to report.
LINEAR = {
    "alembic.ini": ALEMBIC_INI,
    "migrations/env.py": "",
    "migrations/versions/a0.py": BASE,
    "migrations/versions/x1.py": TENANTS,
    "migrations/versions/y1.py": INVOICES.replace('down_revision = "a0"', 'down_revision = "x1"'),
}
# Two branches from a0: y1 uses the table x1 creates (DL201), and there are two heads (DL101).
BRANCHED = {**LINEAR, "migrations/versions/y1.py": INVOICES}


def what_fix_writes(root: Path, code: str) -> dict[Path, str]:
    """What `driftlint fix --select CODE` would write, file by file."""
    from driftlint.fixes import fix_project

    run = fix_project(CheckOptions(paths=[root], cwd=root, select=(code,), use_cache=False))
    return {edit.path: edit.after.decode() for edit in run.edits}


def codes(diagnostics: list[lsp.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def test_open_publishes_every_file_with_findings_as_full_output_shows_them(project):
    root = project(BRANCHED)
    y1, x1 = root / "migrations/versions/y1.py", root / "migrations/versions/x1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        reference = next(d for d in found if d.code == "DL201")
        assert reference.source == "driftlint"
        assert reference.severity == lsp.DiagnosticSeverity.Error
        assert reference.code_description is not None
        assert reference.code_description.href.endswith("/rules/cross-branch-reference.md")
        line = INVOICES.splitlines()[reference.range.start.line]
        assert line[reference.range.start.character : reference.range.end.character] == "tenants"
        assert "help: Add `depends_on" in reference.message
        assert reference.related_information is not None
        assert reference.related_information[0].location.uri == x1.as_uri()
        # The revision creating the table, and the other head, show the findings that name them.
        assert codes(await editor.diagnostics(x1, lambda found: bool(found))) == ["DL101", "DL201"]

    editor = run_editor(root, scenario)
    assert [r.method for r in editor.registrations] == [lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]


def test_an_unsaved_revision_that_makes_two_heads_marks_both_and_its_fix_clears_both(project):
    root = project(LINEAR)
    y1 = root / "migrations/versions/y1.py"
    new = root / "migrations/versions/z1.py"  # never saved: only the buffer has it

    async def scenario(editor: Editor) -> None:
        editor.open(new, 'revision = "z1"\ndown_revision = "x1"\n')
        assert codes(await editor.diagnostics(new, lambda found: bool(found))) == ["DL101"]
        assert codes(await editor.diagnostics(y1, lambda found: bool(found))) == ["DL101"]  # y1 is not open
        editor.change(new, 'revision = "z1"\ndown_revision = "y1"\n')
        assert await editor.diagnostics(new, lambda found: not found) == []
        assert await editor.diagnostics(y1, lambda found: not found) == []

    run_editor(root, scenario)
    assert not new.exists()


def test_a_file_closed_with_its_findings_fixed_on_disk_is_cleared(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        y1.write_text(INVOICES.replace('down_revision = "a0"', 'down_revision = "x1"'))
        editor.close(y1)
        assert await editor.diagnostics(y1, lambda found: not found) == []

    run_editor(root, scenario)


def test_the_fix_code_action_is_the_edit_driftlint_fix_makes(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        reference = next(d for d in found if d.code == "DL201")
        actions = await editor.code_actions(y1, reference)
        titles = [a.title for a in actions]
        assert titles == [
            "DL201: Add `x1` to depends_on of revision `y1` (migrations/versions/y1.py)",
            "DL201: Ignore cross-branch-reference on this line",
        ]
        fix = actions[0]
        assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
        fixed = apply_edits(INVOICES, edits_for(fix, y1))
        assert fixed == what_fix_writes(root, "DL201")[y1]
        editor.change(y1, fixed)
        await editor.diagnostics(y1, lambda found: "DL201" not in codes(found))

    run_editor(root, scenario)
    assert (root / "migrations/versions/y1.py").read_text() == INVOICES  # the client applies edits, not the server


def test_the_ignore_code_action_writes_the_comment_add_ignore_writes(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        reference = next(d for d in found if d.code == "DL201")
        ignore = next(a for a in await editor.code_actions(y1, reference) if "Ignore" in a.title)
        ignored = apply_edits(INVOICES, edits_for(ignore, y1))
        assert ignored.splitlines()[reference.range.start.line].endswith("  # driftlint: ignore[DL201]")
        editor.change(y1, ignored)
        await editor.diagnostics(y1, lambda found: "DL201" not in codes(found))

    run_editor(root, scenario)


def test_the_merge_fix_creates_the_merge_revision_file(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL101" in codes(found))
        heads = next(d for d in found if d.code == "DL101")
        fix = next(a for a in await editor.code_actions(y1, heads) if "merge revision" in a.title)
        assert fix.edit is not None and fix.edit.document_changes is not None
        created = [c for c in fix.edit.document_changes if isinstance(c, lsp.CreateFile)]
        assert len(created) == 1 and created[0].uri.endswith("_merge_heads.py")
        target = Path(created[0].uri.removeprefix("file://"))
        target.write_text(apply_edits("", edits_for(fix, target)))  # what the editor does with the edit
        editor.files_changed((target, lsp.FileChangeType.Created))
        await editor.diagnostics(y1, lambda found: "DL101" not in codes(found))

    run_editor(root, scenario)


def test_hover_on_a_finding_shows_its_rules_documentation(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        reference = next(d for d in found if d.code == "DL201")
        hover = await editor.hover(y1, reference.range.start)
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert hover.contents.kind == lsp.MarkupKind.Markdown
        text = hover.contents.value
        assert text.startswith("**DL201 cross-branch-reference**")
        assert "## What it does" in text and "code: DL201" not in text  # the doc, without its front matter
        assert await editor.hover(y1, lsp.Position(line=0, character=0)) is None

    run_editor(root, scenario)


def test_a_buffer_that_does_not_parse_is_a_finding_and_the_server_carries_on(project):
    root = project(LINEAR)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        editor.change(y1, "revision = 'y1'\ndown_revision = 'x1'\n\ndef upgrade(:\n    pass\n")
        found = await editor.diagnostics(y1, lambda found: "DL001" in codes(found))
        assert found[0].range.start.line == 3
        editor.change(y1, "revision = 'y1'\ndown_revision = 'x1'\n\ndef upgrade():\n    pass\n")
        await editor.diagnostics(y1, lambda found: not found)
        assert await editor.shutdown() == 0

    run_editor(root, scenario)


def test_a_watched_settings_file_change_rereads_the_settings(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        await editor.diagnostics(y1, lambda found: "DL101" in codes(found))
        (root / "pyproject.toml").write_text('[tool.driftlint]\nignore = ["multiple-heads"]\n')
        editor.files_changed((root / "pyproject.toml", lsp.FileChangeType.Created))
        assert codes(await editor.diagnostics(y1, lambda found: "DL101" not in codes(found))) == ["DL201"]
        # A broken settings file: one message, no findings; fixed, they come back.
        (root / "pyproject.toml").write_text('[tool.driftlint]\nselect = ["DL999"]\n')
        editor.files_changed((root / "pyproject.toml", lsp.FileChangeType.Changed))
        assert "unknown rule `DL999`" in await editor.message(lambda message: "DL999" in message)
        await editor.diagnostics(y1, lambda found: not found)
        (root / "pyproject.toml").write_text("[tool.driftlint]\n")
        editor.files_changed((root / "pyproject.toml", lsp.FileChangeType.Changed))
        await editor.diagnostics(y1, lambda found: codes(found) == ["DL101", "DL201"])

    run_editor(root, scenario)


def test_a_watched_alembic_ini_change_rereads_the_environments(project):
    root = project({**BRANCHED, "legacy/versions/old.py": 'revision = "old"\ndown_revision = None\n'})
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        (root / "alembic.ini").write_text(ALEMBIC_INI + "version_locations = %(here)s/legacy/versions\n")
        editor.files_changed((root / "alembic.ini", lsp.FileChangeType.Changed))
        # Only legacy/versions is scanned now: y1 sits in a folder Alembic never scans.
        await editor.diagnostics(y1, lambda found: "DL106" in codes(found))

    run_editor(root, scenario)


def test_settings_are_resolved_per_workspace_folder(tmp_path, project):
    strict = project(BRANCHED)
    lenient = tmp_path / "lenient"
    for relpath, text in {**BRANCHED, "driftlint.toml": 'ignore = ["DL101"]\n'}.items():
        (lenient / relpath).parent.mkdir(parents=True, exist_ok=True)
        (lenient / relpath).write_text(text)

    async def scenario(editor: Editor) -> None:
        editor.open(strict / "migrations/versions/y1.py")
        editor.open(lenient / "migrations/versions/y1.py")
        await editor.diagnostics(strict / "migrations/versions/y1.py", lambda found: codes(found) == ["DL101", "DL201"])
        await editor.diagnostics(lenient / "migrations/versions/y1.py", lambda found: codes(found) == ["DL201"])

    run_editor(strict, scenario, folders=[strict, lenient])


def test_positions_count_utf16_code_units_by_default(project):
    line = '    op.execute("CREATE TABLE invoices /* 😀 */ (id int, tenant_id int REFERENCES tenants(id))")'
    invoices = INVOICES.replace(INVOICES.splitlines()[-1], line)
    root = project({**BRANCHED, "migrations/versions/y1.py": invoices})
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        reference = next(d for d in found if d.code == "DL201")
        utf16 = len(line[: line.index("tenants(")].encode("utf-16-le")) // 2
        assert (reference.range.start.character, reference.range.end.character) == (utf16, utf16 + len("tenants"))

    run_editor(root, scenario)


def test_a_read_only_checkout_is_checked_and_left_as_it_was(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"
    paths = [root, *root.rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        editor.change(y1, INVOICES + "\n# edited\n")
        await editor.diagnostics(y1, lambda found: editor.versions[y1.as_uri()] == 2)
        await editor.code_actions(y1, (await editor.diagnostics(y1))[0])
        assert await editor.shutdown() == 0

    try:
        run_editor(root, scenario)
        after = sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in [root, *root.rglob("*")])
        assert after == before  # no cache folder, no bytecode, no edit
    finally:
        for path in paths:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_user_code_is_never_imported(fixture_copy):
    root = fixture_copy("side-effects-on-import")
    revision = root / "migrations/versions/1100_create_invoices.py"

    async def scenario(editor: Editor) -> None:
        editor.open(revision)
        assert await editor.hover(revision, lsp.Position(line=0, character=0)) is None  # answered after the check
        assert await editor.shutdown() == 0

    editor = run_editor(root, scenario)
    assert not (revision.parent / "EXECUTED").exists()
    assert b"revision module executed" not in editor.stderr


def test_exit_without_shutdown_is_exit_code_1(project):
    root = project(LINEAR)

    async def scenario(editor: Editor) -> None:
        editor.client.exit(None)
        assert await editor.within(editor.process.wait()) == 1

    run_editor(root, scenario)


def test_the_server_exits_cleanly_when_its_client_closes_stdin(project):
    root = project(LINEAR)

    async def scenario(editor: Editor) -> None:
        assert editor.process.stdin is not None
        editor.process.stdin.close()
        assert await editor.within(editor.process.wait()) == 0

    editor = run_editor(root, scenario)
    assert b"Traceback" not in editor.stderr


def test_without_pygls_the_server_command_says_so_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygls", None)
    result = CliRunner().invoke(cli, ["server"])
    assert result.exit_code == 2
    assert result.output == (
        "driftlint: error: driftlint server needs pygls, which the [server] extra installs: pip install 'driftlint[server]'\n"
    )


def test_the_server_command_is_listed_in_help():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "  server " in result.output


def test_a_folder_reached_through_a_symlink_is_answered_in_the_clients_paths(project, tmp_path):
    real = project(BRANCHED)
    linked = tmp_path / "linked"
    linked.symlink_to(real, target_is_directory=True)
    y1 = linked / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        found = await editor.diagnostics(y1, lambda found: "DL201" in codes(found))
        reference = next(d for d in found if d.code == "DL201")
        assert reference.related_information is not None
        assert reference.related_information[0].location.uri == (linked / "migrations/versions/x1.py").as_uri()
        assert not any(uri.startswith(real.as_uri()) for uri in editor.published)

    run_editor(linked, scenario)


def test_an_unsafe_fix_is_offered_as_such_and_never_preferred(fixture_copy):
    root = fixture_copy("demo")
    tasks = root / "backend/app/tasks/maintenance.py"

    async def scenario(editor: Editor) -> None:
        editor.open(tasks)
        found = await editor.diagnostics(tasks, lambda found: "DL401" in codes(found))
        drift = next(d for d in found if d.code == "DL401")
        fix = next(a for a in await editor.code_actions(tasks, drift) if "Ignore" not in a.title)
        assert fix.title.startswith("DL401: Add `mv_allocation_summary` to `MATERIALIZED_VIEWS`")
        assert fix.title.endswith("(unsafe fix)") and not fix.is_preferred

    run_editor(root, scenario)
