"""Opt-in rules: off by default, on only when a selector names them."""

from __future__ import annotations

from pathlib import Path

import pytest

import driftlint.rule as rule_module
from driftlint.config import Settings
from driftlint.engine import selected_rules
from driftlint.rule import Rule


class _Style(Rule):
    code = "DL991"
    name = "some-style-rule"
    summary = "A style rule"
    opt_in = True


class _Lock(Rule):
    code = "DL990"
    name = "some-lock-rule"
    summary = "A lock rule"


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rule_module, "all_rules", lambda: (_Lock, _Style))
    monkeypatch.setattr(rule_module, "rule_by_selector", lambda: {
        "DL990": _Lock, "some-lock-rule": _Lock, "DL991": _Style, "some-style-rule": _Style,
    })


def codes(**given: tuple[str, ...]) -> list[str]:
    return [r.code for r in selected_rules(Settings(root=Path("."), **given))]


def test_all_and_shared_prefixes_leave_opt_in_rules_off(rules: None):
    assert codes() == ["DL990"]
    assert codes(select=("ALL",)) == ["DL990"]
    assert codes(select=("DL99",)) == ["DL990"]


def test_an_opt_in_rule_is_on_by_code_name_or_a_prefix_of_opt_in_rules_only(rules: None):
    assert codes(extend_select=("DL991",)) == ["DL990", "DL991"]
    assert codes(select=("some-style-rule",)) == ["DL991"]
    assert codes(select=("DL991",)) == ["DL991"]


def test_ignore_all_turns_off_opt_in_rules_too(rules: None):
    assert codes(select=("DL991",), ignore=("ALL",)) == []
