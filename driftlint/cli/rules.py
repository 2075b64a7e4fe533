"""`driftlint rules` and `driftlint explain`: every rule, and one rule's documentation."""

from __future__ import annotations

import json
from pathlib import Path

import click

from driftlint.cli.options import fail


@click.command()
@click.option("--output-format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rules(output_format: str) -> None:
    """List every rule: code, name, default severity, fixable, summary."""
    from driftlint.rule import all_rules

    items = all_rules()
    if output_format == "json":
        data = [
            {
                "code": r.code, "name": r.name, "summary": r.summary, "severity": r.severity.value, "fixable": r.fixable,
                "default": not r.opt_in,
            }
            for r in items
        ]
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(r.name) for r in items)
    click.echo(f"{'code':<6}  {'name':<{width}}  {'severity':<8}  fix  summary")
    for r in items:
        opt_in = " (opt-in: select it by code or name)" if r.opt_in else ""
        click.echo(f"{r.code:<6}  {r.name:<{width}}  {r.severity.value:<8}  {'yes' if r.fixable else '   '}  {r.summary}{opt_in}")


def rule_doc_path(name: str) -> Path | None:
    package = Path(__file__).resolve().parent.parent
    for folder in (package / "_rule_docs", package.parent / "rules"):
        candidate = folder / f"{name}.md"
        if candidate.is_file():
            return candidate
    return None


@click.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print the documentation of RULE (a code such as DL101 or a name such as multiple-heads)."""
    from driftlint.rule import rule_by_selector

    found = rule_by_selector().get(rule) or rule_by_selector().get(rule.upper())
    if found is None:
        from driftlint.engine.setup import closest_rule

        raise fail(f"unknown rule `{rule}`{closest_rule(rule)} (see `driftlint rules`)")
    path = rule_doc_path(found.name)
    if path is None:
        raise fail(f"documentation for {found.code} ({found.name}) is not installed")
    click.echo(path.read_text(encoding="utf-8"), nl=False)
