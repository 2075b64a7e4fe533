"""The live gates' docs: each Example run through `driftlint verify` finds the rule, each Use instead does not.

A scenario runs with `--fresh` on the session's PostgreSQL; when it has a `target.sql`, that SQL
builds a target database first and verify gets its URL (with `fresh = true` in the tree's
`[tool.driftlint.verify]` to also build from the migrations).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from driftlint.docs import parse_rule_doc
from driftlint.rule import all_rules, live_gates

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .conftest import REPO, ensure_role

DOCS = REPO / "rules"
LIVE_RULES = live_gates()


def _scenarios(section: str):
    for rule in LIVE_RULES:
        for scenario in parse_rule_doc(DOCS / f"{rule.name}.md").scenarios(section):
            yield pytest.param(rule, scenario, id=f"{rule.name}-{scenario.title}")


def _run(rule, scenario, root: Path, verify, databases, pg_server):
    files = dict(scenario.files)
    target_sql = files.pop("target.sql", None)
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    given = {}
    if target_sql is None:
        given["fresh"] = True
    else:
        config = tomllib.loads(files.get("pyproject.toml", "")).get("tool", {}).get("driftlint", {}).get("verify", {})
        for key in ("app-role", "migration-role", "read-only-role"):
            if key in config:
                ensure_role(pg_server, config[key])
        name = databases.create()
        databases.execute(name, target_sql)
        given["database_url"] = databases.url(name)
    return [d for d in verify(root, **given).result.diagnostics if d.code == rule.code]


@pytest.mark.parametrize(("rule", "scenario"), list(_scenarios("Example")))
def test_live_doc_example_triggers_rule(rule, scenario, tmp_path, verify, databases, pg_server):
    found = _run(rule, scenario, tmp_path, verify, databases, pg_server)
    assert found, f"the Example '{scenario.title}' of {rule.name}.md does not trigger {rule.code}"


@pytest.mark.parametrize(("rule", "scenario"), list(_scenarios("Use instead")))
def test_live_doc_use_instead_is_clean(rule, scenario, tmp_path, verify, databases, pg_server):
    found = _run(rule, scenario, tmp_path, verify, databases, pg_server)
    assert not found, "\n".join(f"{d.path}:{d.location.row}: {d.message}" for d in found)


@pytest.mark.parametrize("rule", LIVE_RULES, ids=lambda r: r.name)
def test_every_live_rule_doc_is_marked_live_and_runnable(rule):
    doc = parse_rule_doc(DOCS / f"{rule.name}.md")
    assert doc.front_matter.get("live") == "true"
    assert doc.scenarios("Example") and doc.scenarios("Use instead")


@pytest.mark.parametrize("rule", LIVE_RULES, ids=lambda r: r.name)
def test_live_rules_are_silent_in_a_static_check(rule, tmp_path):
    from tests.conftest import lint

    for scenario in parse_rule_doc(DOCS / f"{rule.name}.md").scenarios("Example"):
        for relpath, content in scenario.files.items():
            path = tmp_path / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        assert lint(tmp_path, select=[rule.code]) == []
