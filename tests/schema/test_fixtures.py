"""The schema fixture repositories report exactly what their READMEs say, in every output path."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from driftlint.cli import cli

from ..conftest import FIXTURES, lint


def schema_findings(name: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(d.code, d.subject) for d in lint(FIXTURES / name, select=["DL2"])]


def test_every_source_form_is_read_so_each_cross_branch_use_is_found():
    found = schema_findings("schema-source-forms")
    assert {code for code, _ in found} == {"DL201"}
    names = (
        "accounts", "regions", "currencies", "countries", "languages", "plans", "audit_a", "audit_b",
        "features", "events", "sessions", "mv_usage", "quotas",
    )
    expected = {f"public.{name}" for name in names} | {"billing.invoices"}
    assert {subject[1] for _, subject in found} == expected
    assert len(found) == 14


def test_dropped_view_used_later_reports_the_view_and_the_renamed_table():
    assert schema_findings("dropped-view-used-later") == [
        ("DL202", ("202511201000", "public.mv_realtime_revenue")),
        ("DL202", ("202511201000", "public.revenue_daily")),
    ]


def test_unordered_drop_and_alter_reports_the_drop_and_the_double_create_only():
    # One finding per pair of revisions, however many objects they both change.
    assert schema_findings("unordered-drop-and-alter") == [("DL203", ("a100", "b100"))]


def _cli(repo: Path, *args: str):
    previous = Path.cwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(cli, ["check", "--no-cache", "--color", "never", *args], catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_json_output_carries_related_locations_for_schema_findings():
    result = _cli(FIXTURES / "seed-cross-branch-tenants", "--select", "DL201,DL204", "--output-format", "json")
    items = {item["code"]: item for item in json.loads(result.stdout)}
    assert items["DL201"]["related"][0]["filename"].endswith("202511131100_core_schema.py")
    assert items["DL204"]["related"][0]["filename"].endswith("202511131121_tenant_isolation.py")
    assert items["DL201"]["location"] == {"row": 19, "column": 48}


def test_show_unknown_lists_sql_driftlint_could_not_read():
    result = _cli(FIXTURES / "schema-source-forms", "--select", "DL201", "--show-unknown", "--output-format", "concise")
    unknown = [line for line in result.stderr.splitlines() if ": unknown: " in line]
    assert any("PostgreSQL cannot parse it" in line and "{{ templated }}" in line for line in unknown)
    assert any("sql_from_elsewhere" in line for line in unknown)
