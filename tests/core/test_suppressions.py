"""Suppression comments (`# driftlint: ignore[...]`, `ignore-file[...]`, `# noqa: DL...`) and DL002."""

from __future__ import annotations

import pytest

from .conftest import alembic_tree, check, found, revision

# 1000 <- a100 and 1000 <- b100: DL101 is reported on b100's `revision` line (the last head).
TWO_HEADS = alembic_tree(("1000", None), ("a100", "1000"))
HEAD_FILE = "migrations/versions/b100_step.py"


def second_head(comment_line: str = "", trailing: str = "", top: str = "") -> str:
    """b100's file; without a comment line or top line, `revision` is on line 2."""
    lines = [top, '"""b100"""', comment_line, f'revision = "b100"{trailing}', 'down_revision = "1000"']
    return "\n".join(line for line in lines if line) + "\n"


def lint(tree, source: str, select=("DL101", "DL002")):
    return found(check(tree({**TWO_HEADS, HEAD_FILE: source}), select=select))


def test_unsuppressed_finding_is_reported(tree):
    assert [line.split(" ")[1] for line in lint(tree, second_head())] == ["DL101"]


@pytest.mark.parametrize(
    "source",
    [
        second_head(trailing="  # driftlint: ignore[DL101]"),
        second_head(trailing="  # driftlint: ignore[multiple-heads]"),
        second_head(comment_line="# driftlint: ignore[DL101]"),
        second_head(trailing="  # driftlint: ignore[DL105, multiple-heads]"),
        second_head(trailing="  # noqa: DL101"),
        second_head(trailing="  # noqa: E501, DL101"),
        second_head(top="# driftlint: ignore-file[DL101]"),
        second_head(trailing="  # DRIFTLINT: IGNORE[dl101]"),
    ],
    ids=["code-same-line", "name", "line-before", "several", "noqa", "noqa-after-other-codes", "ignore-file", "any-case"],
)
def test_suppression_forms_silence_the_finding(source, tree):
    result = lint(tree, source, select=("DL101",))
    assert result == []


@pytest.mark.parametrize("separator", ["\x0c\n", "# page\u2028break\n"], ids=["form-feed", "line-separator"])
def test_suppression_rows_are_python_rows_after_form_feeds_and_line_separators(separator, tree):
    # str.splitlines() starts a line at \\f and \\u2028 too; Python (and the finding's row) does not.
    source = f'"""b100"""\n{separator}revision = "b100"  # driftlint: ignore[DL101]\ndown_revision = "1000"\n'
    assert lint(tree, source) == []


def test_suppression_two_lines_above_does_not_apply(tree):
    source = '"""b100"""\n# driftlint: ignore[DL101]\n\nrevision = "b100"\ndown_revision = "1000"\n'
    assert [line.split(" ")[1] for line in lint(tree, source, select=("DL101",))] == ["DL101"]


def test_suppression_in_another_file_does_not_apply(tree):
    files = {**TWO_HEADS, HEAD_FILE: second_head()}
    files["migrations/versions/a100_step.py"] = revision("a100", "1000").replace(
        "revision: str", "# driftlint: ignore-file[DL101]\nrevision: str"
    )
    result = check(tree(files), select=("DL101",))
    assert [d.path for d in result.diagnostics] == [HEAD_FILE]


def test_one_comment_suppresses_two_rules_on_adjacent_lines(tree):
    # b100 is both the second head (revision line) and a second base (down_revision line, the line after).
    source = '"""b100"""\nrevision = "b100"  # driftlint: ignore[DL101, multiple-bases]\ndown_revision = None\n'
    files = {**alembic_tree(("1000", None)), HEAD_FILE: source}
    assert found(check(tree(files), select=("DL101", "DL102", "DL002"))) == []


def test_suppression_that_suppresses_nothing_is_unused(tree):
    source = second_head(trailing="  # driftlint: ignore[DL101, DL105]")
    assert lint(tree, source, select=("DL101", "DL105", "DL002")) == [
        f"{HEAD_FILE}:2:20 DL002 Suppression of DL105 (revision-cycle) suppresses nothing"
    ]


def test_stale_suppression_after_a_merge_is_unused(tree):
    files = {
        **TWO_HEADS,
        HEAD_FILE: second_head(trailing="  # driftlint: ignore[multiple-heads]"),
        "migrations/versions/m100_merge.py": revision("m100", ("a100", "b100")),
    }
    assert found(check(tree(files))) == [
        f"{HEAD_FILE}:2:20 DL002 Suppression of DL101 (multiple-heads) suppresses nothing"
    ]


@pytest.mark.parametrize("name", ["DL999", "multiple-head", "DL10"])
def test_suppression_naming_an_unknown_rule_is_reported(name, tree):
    source = second_head(trailing=f"  # driftlint: ignore[{name}]")
    assert f"{HEAD_FILE}:2:20 DL002 Suppression names unknown rule `{name}`" in lint(tree, source)


def test_noqa_for_an_unknown_driftlint_code_is_reported(tree):
    source = second_head(trailing="  # noqa: DL199")
    assert f"{HEAD_FILE}:2:20 DL002 Suppression names unknown rule `DL199`" in lint(tree, source)


def test_noqa_for_other_tools_is_left_alone(tree):
    source = second_head(trailing="  # noqa: E501")
    assert [line.split(" ")[1] for line in lint(tree, source)] == ["DL101"]


def test_suppression_of_a_rule_that_did_not_run_is_not_judged(tree):
    source = second_head(trailing="  # driftlint: ignore[DL101, DL105]")
    assert lint(tree, source, select=("DL101", "DL002")) == []


def test_unused_suppression_is_not_reported_when_dl002_is_ignored(tree):
    source = second_head(trailing="  # driftlint: ignore[DL101, DL105]")
    assert found(check(tree({**TWO_HEADS, HEAD_FILE: source}), select=("DL101", "DL105"))) == []


def test_suppressions_in_non_revision_modules_are_judged_too(tree):
    files = {**alembic_tree(("1000", None)), "app/models.py": "VALUE = 1  # driftlint: ignore[DL101]\n"}
    assert found(check(tree(files))) == ["app/models.py:1:12 DL002 Suppression of DL101 (multiple-heads) suppresses nothing"]
