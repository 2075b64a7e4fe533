"""README stays true: its rule table, its two Quickstart commands, and .ci/run running the second."""

from __future__ import annotations

import re

from driftlint.rule import all_rules

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def expected_rule_table() -> str:
    rows = ["| code | name | summary |", "| --- | --- | --- |"]
    rows += [f"| {r.code} | {r.name} | {r.summary} |" for r in all_rules()]
    return "\n".join(rows)


def test_readme_rule_table_lists_every_rule():
    table = README.split("<!-- rules-table:start -->\n", 1)[1].split("\n<!-- rules-table:end -->", 1)[0]
    assert table == expected_rule_table(), "README rule table is stale; expected:\n" + expected_rule_table()


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second_verbatim():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert "driftlint check fixtures/repos/demo" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_readme_includes_every_integration_snippet_verbatim():
    snippets = sorted((REPO / "docs" / "integrations").iterdir())
    assert snippets
    for path in snippets:
        marker = f"<!-- include: docs/integrations/{path.name} -->\n"
        assert marker in README, f"README does not include {path.name}"
        included = README.split(marker, 1)[1].split("<!-- /include -->", 1)[0]
        body = included.split("\n", 1)[1].rsplit("```", 1)[0]
        assert body == path.read_text(encoding="utf-8")


def test_readme_settings_examples_are_accepted_settings(tmp_path):
    """Every TOML block in the README that configures driftlint loads without an error."""
    from driftlint.config import load_settings
    from driftlint.rule import option_defaults

    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert blocks
    for number, block in enumerate(blocks):
        path = tmp_path / f"example{number}" / "pyproject.toml"
        path.parent.mkdir()
        path.write_text(block, encoding="utf-8")
        settings = load_settings(path.parent, path, option_defaults())
        assert settings.source == path
