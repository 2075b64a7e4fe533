"""Every rule has a doc whose examples are executed: Example must trigger it, Use instead must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftlint.docs import REQUIRED_SECTIONS, parse_rule_doc
from driftlint.rule import all_rules, static_rules

from .conftest import REPO, lint, write_tree

DOCS = REPO / "rules"
STATIC_RULES = static_rules()


def test_rule_codes_and_names_are_unique_and_well_formed():
    codes = [r.code for r in all_rules()]
    names = [r.name for r in all_rules()]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
    for rule in all_rules():
        assert rule.code[:2] == "DL" and rule.code[2:].isdigit() and len(rule.code) == 5
        assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name


def test_every_rule_has_a_doc_and_every_doc_a_rule():
    documented = {p.stem for p in DOCS.glob("*.md")}
    assert documented == {r.name for r in all_rules()}


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.name)
def test_doc_front_matter_matches_rule(rule):
    doc = parse_rule_doc(DOCS / f"{rule.name}.md")
    assert doc.front_matter.get("code") == rule.code
    assert doc.front_matter.get("name") == rule.name
    assert doc.front_matter.get("summary") == rule.summary
    assert doc.front_matter.get("severity") == rule.severity.value
    assert doc.front_matter.get("fixable") == ("true" if rule.fixable else "false")
    for section in REQUIRED_SECTIONS:
        assert section in doc.sections, f"{rule.name}.md lacks the section ## {section}"


def _scenarios(section: str):
    for rule in STATIC_RULES:
        path = DOCS / f"{rule.name}.md"
        if not path.exists():
            continue
        for scenario in parse_rule_doc(path).scenarios(section):
            yield pytest.param(rule, scenario, id=f"{rule.name}-{scenario.title}")


@pytest.mark.parametrize(("rule", "scenario"), list(_scenarios("Example")))
def test_doc_example_triggers_rule(rule, scenario, tmp_path: Path):
    write_tree(tmp_path, scenario.files)
    found = [d for d in lint(tmp_path, select=[rule.code]) if d.code == rule.code]
    assert found, f"the Example '{scenario.title}' of {rule.name}.md does not trigger {rule.code}"


@pytest.mark.parametrize(("rule", "scenario"), list(_scenarios("Use instead")))
def test_doc_use_instead_is_clean(rule, scenario, tmp_path: Path):
    write_tree(tmp_path, scenario.files)
    found = [d for d in lint(tmp_path, select=[rule.code]) if d.code == rule.code]
    assert not found, "\n".join(f"{d.path}:{d.location.row}: {d.message}" for d in found)


@pytest.mark.parametrize("rule", STATIC_RULES, ids=lambda r: r.name)
def test_every_static_rule_doc_has_runnable_examples(rule):
    doc = parse_rule_doc(DOCS / f"{rule.name}.md")
    assert doc.scenarios("Example"), f"{rule.name}.md has no runnable Example"
    assert doc.scenarios("Use instead"), f"{rule.name}.md has no runnable Use instead"
