"""--roundtrip: each revision upgraded, downgraded and upgraded again; DL911 downgrade-failed, DL912 downgrade-leaves-trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_command import invoke

VERSIONS = "migrations/versions"


def _revision(root: Path, number: str, parent: str, upgrade: str, downgrade: str, doc: str = "Change") -> None:
    (root / VERSIONS / f"{number}_change.py").write_text(
        f'"""{doc}\n\nRevision ID: {number}\nRevises: {parent}\n"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "{number}"\ndown_revision = "{parent}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade() -> None:\n{upgrade}\n\n\ndef downgrade() -> None:\n{downgrade}\n"
    )


def test_a_failing_downgrade_names_its_line_the_database_error_and_the_statement(project, verify):
    (finding,) = verify(project("downgrade-drops-missing-index"), fresh=True, roundtrip=True).of("DL911")
    assert finding.message == (
        "The downgrade of revision 0002 (Create orders) fails right after its upgrade: "
        'index "ix_orders_customer" does not exist'
    )
    assert (finding.path, finding.location.row) == ("migrations/versions/0002_orders.py", 27)
    context = dict(finding.context)
    assert context["Database error"][:2] == ('index "ix_orders_customer" does not exist', "SQLSTATE 42704")
    assert context["Statement"] == ("DROP INDEX ix_orders_customer",)


def test_each_revision_is_judged_on_its_own_and_the_gates_see_the_upgraded_database(project, verify):
    """A broken downgrade neither hides the next revision's trace nor leaves the database the
    other gates judge anything but what `upgrade heads` builds."""
    root = project("downgrade-drops-missing-index")
    _revision(
        root, "0003", "0002",
        '    op.execute("ALTER TABLE customers ADD COLUMN IF NOT EXISTS nickname text")\n'
        '    op.execute("CREATE INDEX ix_nick ON customers (nickname)")',
        '    op.execute("DROP INDEX ix_nick")',
    )
    models = root / "app/models.py"
    models.write_text(models.read_text().replace("    name: Mapped[str] = mapped_column(sa.Text)", "    name: Mapped[str] = mapped_column(sa.Text)\n    nickname: Mapped[str | None] = mapped_column(sa.Text)"))
    run = verify(root, fresh=True, roundtrip=True)
    assert run.codes() == ["DL910", "DL911", "DL912"]
    # The models lack 0003's index: the gates judged the database upgrade heads builds.
    assert run.of("DL910")[0].message.startswith("Index `ix_nick` on `customers` is created by the migrations")
    (trace,) = run.of("DL912")
    assert trace.message == (
        "After the downgrade of revision 0003 (Change) the schema differs from before its upgrade: "
        "column `customers.nickname` left over"
    )
    line = (root / VERSIONS / "0003_change.py").read_text().splitlines().index("def downgrade() -> None:") + 1
    assert (trace.path, trace.location.row, trace.location.column) == ("migrations/versions/0003_change.py", line, 1)
    assert dict(trace.context)["Left over"] == ("column customers.nickname: text",)


def test_an_upgrade_that_cannot_run_again_names_the_error_and_what_was_left(project, verify):
    root = project("models-match")
    _revision(
        root, "0003", "0002",
        "    op.execute(\"CREATE TYPE order_status AS ENUM ('open', 'paid')\")\n"
        '    op.add_column("orders", sa.Column("status", sa.Enum(name="order_status", create_type=False)))',
        '    op.drop_column("orders", "status")',
    )
    (finding,) = verify(root, fresh=True, roundtrip=True, ignore=("DL910",)).of("DL912")
    assert finding.message == (
        "The upgrade of revision 0003 (Change) cannot run again after its downgrade: "
        'type "order_status" already exists (type `order_status` left over)'
    )
    assert dict(finding.context)["Left over"] == ("type order_status: enum ('open', 'paid')",)


def test_a_downgrade_that_changes_what_it_did_not_create_is_named(project, verify):
    root = project("models-match")
    _revision(
        root, "0003", "0002",
        '    op.alter_column("orders", "total_cents", type_=sa.BigInteger())',
        '    pass',
    )
    (finding,) = verify(root, fresh=True, roundtrip=True, ignore=("DL910",)).of("DL912")
    assert finding.message.endswith("column `orders.total_cents` changed")
    assert dict(finding.context)["Changed"] == (
        "column orders.total_cents: integer NOT NULL DEFAULT 0 -> bigint NOT NULL DEFAULT 0",
    )


def test_round_trips_on_a_target_server_leave_no_scratch_database(project, verify, databases):
    name = databases.create()
    run = verify(project("downgrade-leaves-table"), fresh=True, roundtrip=True, database_url=databases.url(name))
    assert "DL912" in run.codes()
    assert databases.scratch_databases() == []


def test_an_irreversible_revision_is_skipped_with_a_note(project, verify):
    run = verify(project("irreversible-downgrade"), fresh=True, roundtrip=True)
    assert run.result.diagnostics == []
    assert "driftlint: note: --roundtrip skipped 0002: its downgrade() raises NotImplementedError" in run.notes


def test_a_failed_round_trip_outside_the_transaction_stops_there(project, verify):
    """An autocommit block commits the savepoint away: what failed cannot be undone, so the later
    revisions and the gates that read the fresh database are not judged on a broken database."""
    root = project("models-match")
    _revision(
        root, "0003", "0002",
        '    op.execute("CREATE INDEX ix_orders_total ON orders (total_cents)")',
        "    with op.get_context().autocommit_block():\n        op.execute(\"DROP INDEX CONCURRENTLY ix_orders_totals\")",
    )
    _revision(root, "0004", "0003", '    op.execute("CREATE TABLE later (id int)")', "    pass")
    run = verify(root, fresh=True, roundtrip=True)
    assert run.codes() == ["DL911"]
    assert any("--roundtrip stopped at 0003" in note for note in run.notes)


def test_ignoring_both_round_trip_gates_skips_the_round_trips(project, verify):
    run = verify(project("downgrade-leaves-table"), fresh=True, roundtrip=True, ignore=("DL911", "DL912"))
    assert run.result.diagnostics == []
    assert not any("down and up again" in note for note in run.notes)


def test_roundtrip_implies_fresh_and_refuses_no_fresh(project):
    root = project("downgrade-leaves-table")
    result = invoke(str(root), "--roundtrip", "--output-format", "concise")
    assert result.exit_code == 1 and "DL912" in result.stdout, result.stderr
    refused = invoke(str(root), "--roundtrip", "--no-fresh")
    assert refused.exit_code == 2
    assert refused.stderr == "driftlint: error: --roundtrip builds a fresh database: it cannot be combined with --no-fresh\n"


@pytest.mark.parametrize("fixture", ["branched-history-roundtrip", "models-match"])
def test_clean_histories_pass_every_round_trip(project, verify, fixture):
    assert verify(project(fixture), fresh=True, roundtrip=True).result.diagnostics == []
