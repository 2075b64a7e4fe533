"""Shapes met in real projects that once produced false alarms; each fixture is a tiny synthetic copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from driftlint.diagnostics import Severity
from driftlint.engine import CheckOptions, CheckResult, run_check
from driftlint.source import SourceFile

from .conftest import findings, summary

NEWER = pytest.mark.skipif(sys.version_info >= (3, 14), reason="Python 3.14 parses `except A, B:`")
NEWER_REVISION = (
    '"""create refunds"""\n'
    "from alembic import op\n"
    "\n"
    'revision = "2b3c4d5e6f70"\n'
    'down_revision = "1a2b3c4d5e6f"\n'
    "\n"
    "\n"
    "def upgrade() -> None:\n"
    "    try:\n"
    '        op.execute("CREATE TABLE refunds (id int)")\n'
    "    except KeyError, ValueError:\n"
    "        pass\n"
)


def checked(root: Path) -> CheckResult:
    previous = Path.cwd()
    os.chdir(root)
    try:
        return run_check(CheckOptions(paths=[Path(".")], cwd=root, use_cache=False))
    finally:
        os.chdir(previous)


def with_newer_revision(root: Path) -> Path:
    (root / "migrations" / "versions" / "2b3c4d5e6f70_create_refunds.py").write_text(NEWER_REVISION, encoding="utf-8")
    return root


@NEWER
def test_a_module_only_a_newer_python_parses_is_a_notice_not_a_finding(fixture_copy) -> None:
    """A limit of driftlint's interpreter is not a fault of the project: it must not fail CI."""
    result = checked(fixture_copy("newer-python-syntax"))
    assert result.diagnostics == []
    [notice] = result.notices
    assert "1 module does not parse with Python 3." in notice
    assert "the project targets Python >=3.14" in notice and "(first: shop/tasks.py)" in notice
    assert notice.endswith("run driftlint with Python 3.14 or newer")


@NEWER
def test_a_revision_only_a_newer_python_parses_is_one_warning_at_requires_python(fixture_copy) -> None:
    """The revision graph depends on revision files: those stay a finding (their headers are read by
    the tokenizer, so the graph stays whole)."""
    root = with_newer_revision(fixture_copy("newer-python-syntax"))
    [diagnostic] = findings(root, "DL001")
    assert (diagnostic.path, diagnostic.location.row) == ("pyproject.toml", 4)
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.message.startswith("1 revision file does not parse with Python 3.")
    assert "migrations/versions/2b3c4d5e6f70_create_refunds.py:11" in diagnostic.message
    assert "shop/tasks.py" not in diagnostic.message
    assert diagnostic.fix_title == "Run driftlint with Python 3.14 or newer"
    assert findings(root, "DL101") == [], "the graph stays whole"


@NEWER
def test_python_version_file_is_a_target_too(fixture_copy) -> None:
    root = with_newer_revision(fixture_copy("newer-python-syntax"))
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1.0"\n', encoding="utf-8")
    (root / ".python-version").write_text("3.14.2\n", encoding="utf-8")
    [diagnostic] = findings(root, "DL001")
    assert (diagnostic.path, diagnostic.location.row) == (".python-version", 1)
    assert diagnostic.severity is Severity.WARNING


def test_a_syntax_error_the_target_python_rejects_stays_an_error(fixture_copy) -> None:
    root = fixture_copy("newer-python-syntax")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(">=3.14", ">=3.10"), encoding="utf-8")
    (root / "shop" / "tasks.py").write_text("def broken(:\n    pass\n", encoding="utf-8")
    [diagnostic] = findings(root, "DL001")
    assert (diagnostic.code, diagnostic.path, diagnostic.severity) == ("DL001", "shop/tasks.py", Severity.ERROR)
    assert diagnostic.message == "Cannot parse file: SyntaxError: invalid syntax"


def test_jinja_and_cookiecutter_templates_are_not_parse_errors(fixture_copy) -> None:
    assert findings(fixture_copy("template-modules")) == []


def test_a_broken_module_beside_templates_is_still_reported(fixture_copy) -> None:
    root = fixture_copy("template-modules")
    (root / "sdk" / "broken.py").write_text("value = {'a': 1\n", encoding="utf-8")
    assert summary(findings(root, "DL001")) == [("DL001", "sdk/broken.py")]


def test_a_template_in_a_version_location_is_still_a_parse_error(fixture_copy) -> None:
    root = fixture_copy("template-modules")
    (root / "migrations" / "versions" / "2b3c_template.py").write_text(
        'revision = "{{ rev }}"\n{% if branch %}\nbranch_labels = ("{{ branch }}",)\n{% endif %}\n', encoding="utf-8"
    )
    assert summary(findings(root, "DL001")) == [("DL001", "migrations/versions/2b3c_template.py")]


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("def {{cookiecutter.name}}():\n    pass\n", True),
        ("import x\n{% for s in services %}\nfrom a import b\n{% endfor %}\n", True),
        ("x = f'{{literal}}'\ndef broken(:\n    pass\n", False),
        ("value = (1,\n", False),
    ],
)
def test_template_detection_needs_jinja_markers(text: str, template: bool) -> None:
    source = SourceFile.from_bytes(Path("/tmp/x.py"), text.encode())
    assert source.error is not None
    assert source.error.template is template


def test_version_locations_set_in_code_silence_unscanned_findings(fixture_copy) -> None:
    assert findings(fixture_copy("version-locations-in-code")) == []


def test_without_the_code_the_nested_revisions_are_unscanned(fixture_copy) -> None:
    root = fixture_copy("version-locations-in-code")
    (root / "app" / "db" / "cli.py").unlink()
    assert summary(findings(root, "DL106")) == [
        ("DL106", "app/db/migrations/versions/2024.1/contract/f6e5d4c3b2a1_drop_hosts_name.py"),
        ("DL106", "app/db/migrations/versions/2024.1/expand/a1b2c3d4e5f6_add_hosts_label.py"),
    ]


@pytest.mark.parametrize(
    "code",
    [
        'script.version_locations = ["a", "b"]\n',
        'ScriptDirectory("migrations", version_locations=["a"])\n',
        'ALEMBIC = {"version_locations": ["a"]}\n',
        'cfg.set_section_option("alembic", "version_locations", "a b")\n',
    ],
)
def test_every_way_code_sets_version_locations_is_recognised(fixture_copy, code: str) -> None:
    root = fixture_copy("version-locations-in-code")
    (root / "app" / "db" / "cli.py").write_text(code, encoding="utf-8")
    assert findings(root, "DL106") == []


@NEWER
@pytest.mark.parametrize(
    ("path", "text", "row"),
    [
        ("ruff.toml", 'line-length = 100\ntarget-version = "py314"\n', 2),
        ("pyproject.toml", '[project]\nname = "shop"\n\n[tool.ruff]\ntarget-version = "py314"\n', 5),
    ],
)
def test_ruff_target_version_is_a_target_too(fixture_copy, path: str, text: str, row: int) -> None:
    root = with_newer_revision(fixture_copy("newer-python-syntax"))
    (root / "pyproject.toml").unlink()
    (root / path).write_text(text, encoding="utf-8")
    [diagnostic] = findings(root, "DL001")
    assert (diagnostic.path, diagnostic.location.row, diagnostic.severity) == (path, row, Severity.WARNING)
    assert "targets Python 3.14 (Ruff target-version py314)" in diagnostic.message


@NEWER
def test_a_malformed_tool_table_is_no_target(fixture_copy) -> None:
    root = with_newer_revision(fixture_copy("newer-python-syntax"))
    (root / "pyproject.toml").write_text('tool = "ruff"\n', encoding="utf-8")
    [diagnostic] = findings(root, "DL001")
    assert diagnostic.path == "migrations/versions/2b3c4d5e6f70_create_refunds.py", "found by its syntax, not a target"


@NEWER
def test_newer_syntax_without_a_declared_target_is_one_warning_at_the_first_file(fixture_copy) -> None:
    """Read the Docs targets Python 3.14 in tox.ini alone and writes `except A, B:`: the files
    are not broken, driftlint's interpreter is too old for them."""
    root = with_newer_revision(fixture_copy("newer-python-syntax"))
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1.0"\n', encoding="utf-8")
    (root / "shop" / "more.py").write_text("try:\n    pass\nexcept KeyError, ValueError:\n    pass\n", encoding="utf-8")
    [diagnostic] = findings(root, "DL001")
    revision = "migrations/versions/2b3c4d5e6f70_create_refunds.py"
    assert (diagnostic.path, diagnostic.location.row, diagnostic.severity) == (revision, 11, Severity.WARNING)
    assert diagnostic.message.startswith("1 revision file uses Python 3.14 syntax, which Python 3.")
    assert diagnostic.message.endswith("(here: `except A, B:` without parentheses (PEP 758))")
    assert diagnostic.fix_title == "Run driftlint with Python 3.14 or newer"
    assert dict(diagnostic.context)["Files not checked"] == (f"{revision}:11: `except A, B:` without parentheses (PEP 758)",)
    [notice] = checked(root).notices
    assert notice.startswith("driftlint: warning: 2 modules use Python 3.14 syntax") and "(first: shop/more.py)" in notice


@NEWER
def test_newer_syntax_in_a_project_that_declares_an_older_python_stays_an_error(fixture_copy) -> None:
    root = fixture_copy("newer-python-syntax")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(">=3.14", ">=3.10"), encoding="utf-8")
    [diagnostic] = findings(root, "DL001")
    assert (diagnostic.path, diagnostic.severity) == ("shop/tasks.py", Severity.ERROR)
    assert diagnostic.message == "Cannot parse file: SyntaxError: multiple exception types must be parenthesized"


@pytest.mark.parametrize(
    ("message", "line", "expected"),
    [
        ("multiple exception types must be parenthesized", "except A, B:\n", (3, 14)),
        ("multiple exception types must be parenthesized", "    except* A, B:  # both\n", (3, 14)),
        ("multiple exception types must be parenthesized", "except A, B as error:\n", None),
        ("invalid syntax", "type Vector = list[float]\n", (3, 12)),
        ("invalid syntax", "type Pair[T] = tuple[T, T]\n", (3, 12)),
        ("expected '('", "def first[T](items: list[T]) -> T:\n", (3, 12)),
        ("expected '('", "    async def fetch[T](self) -> T:\n", (3, 12)),
        ("invalid syntax", "class Box[T]:\n", (3, 12)),
        ("invalid syntax", "class Box(Base)[T]:\n", None),
        ("f-string expression part cannot include a backslash", "x = f'{a\\n}'\n", (3, 12)),
        ("invalid syntax", "match command:\n", (3, 10)),
        ("invalid syntax", "    match (x, y):  # a tuple\n", (3, 10)),
        ("invalid syntax", "match = re.match(x):\n", None),
        ("invalid syntax", "except* ValueError:\n", (3, 11)),
        ("invalid syntax", "def broken(:\n", None),
    ],
)
def test_newer_syntax_is_recognised_on_the_failing_line(message: str, line: str, expected: tuple[int, int] | None) -> None:
    from driftlint.source import newer_syntax

    found = newer_syntax(message, line, (3, 9))
    assert (found[0] if found else None) == expected
    assert newer_syntax(message, line, (3, 14)) is None, "nothing is newer than what the interpreter parses"
