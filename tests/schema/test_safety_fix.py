"""`driftlint fix` for DL501-DL503: a revision that only builds and drops indexes does it CONCURRENTLY, outside the transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftlint.fixes import FixError
from driftlint.fixes.concurrent_index import concurrent_indexes

from ..adoption.helpers import invoke
from ..conftest import lint, write_tree
from .helpers import alembic_tree, revision

ORDERS = 'op.create_table("orders", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True), sa.Column("email", sa.Text()))'
ENV = '"""env"""\ndef run(connection):\n    connection.exec_driver_sql("SET lock_timeout = \'5s\'")\n'


def tree(tmp_path: Path, body: str) -> Path:
    return write_tree(tmp_path, alembic_tree(
        {"a1": revision("a1", None, ORDERS), "b1": revision("b1", "a1", body)}, {"migrations/env.py": ENV}
    ))


def test_fix_builds_and_drops_the_indexes_concurrently_in_an_autocommit_block(tmp_path: Path):
    root = tree(tmp_path, '''
        """Indexes for the email lookups."""
        op.create_index("ix_orders_email", "orders", ["email"])  # lookups by email
        op.drop_index(
            "ix_orders_old",
            table_name="orders",
        )
    ''')
    [creation, deletion] = [d for d in lint(root) if d.code in ("DL501", "DL502")]
    assert "(`driftlint fix --unsafe-fixes` does this)" in (creation.fix_title or "")
    assert "(`driftlint fix --unsafe-fixes` does this)" in (deletion.fix_title or "")
    before = (root / "migrations/versions/b1.py").read_text()
    # Unsafe: what a failure leaves behind changes. Plain fix names it and leaves it.
    held = invoke(root, "fix", "--no-cache")
    assert (root / "migrations/versions/b1.py").read_text() == before
    assert "--unsafe-fixes" in held.stderr

    result = invoke(root, "fix", "--no-cache", "--unsafe-fixes")

    assert result.exit_code == 0, result.output
    text = (root / "migrations/versions/b1.py").read_text()
    assert text.endswith(
        'def upgrade():\n'
        '    """Indexes for the email lookups."""\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_orders_email", "orders", ["email"], postgresql_concurrently=True)  # lookups by email\n'
        '        op.drop_index(\n'
        '            "ix_orders_old",\n'
        '            table_name="orders",\n'
        '            postgresql_concurrently=True,\n'
        '        )\n'
    )
    assert invoke(root, "check", "--no-cache").exit_code == 0
    again = invoke(root, "fix", "--no-cache", "--unsafe-fixes")
    assert "Fixed 0 findings" in again.stderr and (root / "migrations/versions/b1.py").read_text() == text


def test_fix_moves_a_concurrent_build_out_of_the_transaction_as_a_safe_fix(tmp_path: Path):
    root = tree(tmp_path, 'op.create_index("ix_orders_email", "orders", ["email"], postgresql_concurrently=True)')
    [finding] = lint(root)
    assert finding.code == "DL503" and "(`driftlint fix` does this)" in (finding.fix_title or "")
    assert invoke(root, "fix", "--no-cache").exit_code == 0
    assert "with op.get_context().autocommit_block():" in (root / "migrations/versions/b1.py").read_text()
    assert lint(root) == []


def test_fix_leaves_a_revision_that_does_more_than_indexes_and_says_why(tmp_path: Path):
    root = tree(tmp_path, '''
        op.add_column("orders", sa.Column("note", sa.Text()))
        op.create_index("ix_orders_email", "orders", ["email"])
    ''')
    before = (root / "migrations/versions/b1.py").read_bytes()
    [finding] = [d for d in lint(root) if d.code == "DL501"]
    assert "driftlint fix" not in (finding.fix_title or "")

    result = invoke(root, "fix", "--no-cache", "--unsafe-fixes")

    assert (root / "migrations/versions/b1.py").read_bytes() == before
    assert "moving part of it out of the transaction would commit that part on its own" in result.stderr


@pytest.mark.parametrize("body", [
    "    x = 1\n    op.create_index('a', 't', ['x'])\n",
    "    op.create_index('a', 't', ['x'], **options)\n",
])
def test_concurrent_indexes_refuses_what_it_cannot_rewrite_equivalently(body: str):
    with pytest.raises(FixError):
        concurrent_indexes(f"from alembic import op\n\n\ndef upgrade():\n{body}".encode())
