#!/usr/bin/env python3
"""Write a synthetic Alembic repository: N revisions and M Celery task modules (the team's shared generator, kept here).

Usage: make_synth.py DEST N M [--heads K]

The history is mostly linear, with a two-revision feature branch merged back about every twentieth
revision; K extra unmerged heads can be added at the end. The output is byte for byte what
`../shared/bench/make_synth.py` writes (same seed, same text), so numbers from either are comparable;
`benchmarks/run.py` uses this copy only when the shared one is absent.
"""

from __future__ import annotations

import random
import sys
import textwrap
from pathlib import Path

SEED = 7
MERGE_PROBABILITY = 0.05
HELPERS_PER_MODULE = 20


def generate(dest: Path, revisions: int, modules: int, extra_heads: int = 0) -> None:
    rnd = random.Random(SEED)
    versions = dest / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (dest / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (dest / "migrations" / "env.py").write_text("from alembic import context\n")
    (dest / "migrations" / "script.py.mako").write_text("")
    ids = [f"{rnd.getrandbits(48):012x}" for _ in range(revisions)]
    tables: list[str] = []
    previous: str | tuple[str, str] | None = None
    i = 0
    while i < revisions:
        # The random draw happens only once there is a previous revision, exactly as upstream.
        if previous is not None and i + 3 < revisions and rnd.random() < MERGE_PROBABILITY:
            first, second, merge = ids[i], ids[i + 1], ids[i + 2]
            write_revision(versions, first, previous, tables)
            write_revision(versions, second, previous, tables)
            write_revision(versions, merge, (first, second), tables)
            previous = merge
            i += 3
            continue
        write_revision(versions, ids[i], previous, tables)
        previous = ids[i]
        i += 1
    for _ in range(extra_heads):
        write_revision(versions, f"{rnd.getrandbits(48):012x}", previous, tables)
    write_tasks(dest, modules)


def write_tasks(dest: Path, modules: int) -> None:
    tasks = dest / "app" / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (dest / "app" / "__init__.py").write_text("")
    (tasks / "__init__.py").write_text("")
    (dest / "app" / "celery_app.py").write_text(
        textwrap.dedent(
            """\
            from celery import Celery
            app = Celery("synth")
            from app.tasks.t0 import SCHEDULE_0
            app.conf.beat_schedule = {**SCHEDULE_0}
            """
        )
    )
    for j in range(modules):
        body = textwrap.dedent(
            f'''\
            from celery import shared_task
            from sqlalchemy import text
            from app.db import engine

            @shared_task(name="app.tasks.t{j}.work")
            def work(tenant_id, batch):
                with engine.begin() as conn:
                    conn.execute(text("SELECT pg_try_advisory_xact_lock(42)"))
                    rows = conn.execute(text("SELECT id FROM t WHERE tenant_id = :t"), {{"t": tenant_id}}).all()
                return len(rows)

            @shared_task
            def cleanup_{j}():
                return None

            SCHEDULE_{j} = {{
                "cleanup-{j}": {{"task": "app.tasks.t{j}.cleanup_{j}", "schedule": 60.0}},
            }}
            '''
        )
        helpers = "\n".join(f"def helper_{j}_{h}(x):\n    return x * {h}\n" for h in range(HELPERS_PER_MODULE))
        (tasks / f"t{j}.py").write_text(body + helpers)


REVISION_TEMPLATE = textwrap.dedent(
    '''\
    """auto revision {revision}

    Revision ID: {revision}
    Revises: {down}
    Create Date: 2024-01-01 00:00:00

    """
    from alembic import op
    import sqlalchemy as sa

    revision = "{revision}"
    down_revision = {down_repr}
    branch_labels = None
    depends_on = None


    def upgrade():
        op.create_table(
            "{table}",
            sa.Column("id", sa.Integer(), primary_key=True){foreign_key}
            sa.Column("name", sa.String(200), nullable=False),
        )
        op.create_index("ix_{table}_name", "{table}", ["name"])
        op.execute("UPDATE {table} SET name = lower(name)")


    def downgrade():
        op.drop_index("ix_{table}_name", table_name="{table}")
        op.drop_table("{table}")
    '''
)


def write_revision(versions: Path, revision: str, down: str | tuple[str, str] | None, tables: list[str]) -> None:
    table = f"t_{revision}"
    parent = tables[-1] if tables else None
    tables.append(table)
    # Upstream substitutes before dedenting, which leaves the parent_id column at column 0 (still
    # valid Python inside the call's parentheses); kept so the files stay byte for byte identical.
    foreign_key = f',\nsa.Column("parent_id", sa.Integer(), sa.ForeignKey("{parent}.id")),' if parent else ","
    text = REVISION_TEMPLATE.format(
        revision=revision, down=down, down_repr=repr(down), table=table, foreign_key=foreign_key
    )
    (versions / f"{revision}_auto.py").write_text(text)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    extra = int(argv[argv.index("--heads") + 1]) if "--heads" in argv else 0
    generate(Path(argv[0]), int(argv[1]), int(argv[2]), extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
