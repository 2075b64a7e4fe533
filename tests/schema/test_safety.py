"""DL5xx end to end: what each rule reports, and what the history proves harmless."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftlint.diagnostics import Diagnostic

from ..adoption.helpers import Repo, git_env, invoke
from ..conftest import lint, write_tree
from .helpers import alembic_tree, revision

ORDERS = 'op.create_table("orders", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True), sa.Column("email", sa.Text()))'
INDEX = 'op.create_index("ix_orders_email", "orders", ["email"])'
LOCK_TIMEOUT_ENV = (
    '"""env"""\nfrom alembic import context\n\n'
    "def run(connection):\n"
    "    connection.exec_driver_sql(\"SET lock_timeout = '5s'\")\n"
    "    context.configure(connection=connection)\n"
)


def check(tmp_path: Path, revisions: dict[str, str], *select: str, settings: str = "", env: str | None = None) -> list[Diagnostic]:
    extra = {"pyproject.toml": f"[tool.driftlint]\n{settings}"} if settings else {}
    if env is not None:
        extra["migrations/env.py"] = env
    write_tree(tmp_path, alembic_tree(revisions, extra))
    codes = set(select)
    return [d for d in lint(tmp_path, select=select) if d.code in codes]


def where(findings: list[Diagnostic]) -> list[tuple[str, str]]:
    return sorted((d.code, Path(d.path).stem) for d in findings)


# -- what is new: the history -------------------------------------------------------------------


def test_each_revision_is_its_own_deployment_when_no_scope_is_set(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, f"{ORDERS}\n{INDEX}"),
        "b1": revision("b1", "a1", 'op.create_index("ix_orders_id", "orders", ["id"])'),
    }, "DL501")
    # a1 builds its index on the table it creates; b1 on a table an earlier deployment filled.
    assert where(findings) == [("DL501", "b1")]
    [finding] = findings
    assert "SHARE lock" in finding.message and "`orders`" in finding.message
    assert "autocommit_block" in (finding.fix_title or "") and "driftlint fix" in (finding.fix_title or "")
    assert finding.subject == ("b1", "public.orders", "ix_orders_id")


def test_since_makes_the_revisions_after_it_one_deployment_and_ignores_those_before(tmp_path: Path):
    revisions = {
        "a0": revision("a0", None, 'op.create_table("legacy", sa.Column("id", sa.BigInteger()))'),
        "a1": revision("a1", "a0", 'op.create_index("ix_legacy_id", "legacy", ["id"])'),
        "b1": revision("b1", "a1", ORDERS),
        "c1": revision("c1", "b1", f'{INDEX}\nop.create_index("ix_legacy_id2", "legacy", ["id"])'),
    }
    assert where(check(tmp_path / "each", revisions, "DL501")) == [("DL501", "a1"), ("DL501", "c1"), ("DL501", "c1")]
    # orders is created after a1, in the deployment being checked: empty. legacy is older.
    findings = check(tmp_path / "since", revisions, "DL501", settings='migration-safety-since = "a1"')
    assert [(Path(d.path).stem, "legacy" in d.message) for d in findings] == [("c1", True)]


def test_since_accepts_a_unique_start_of_a_revision_id(tmp_path: Path):
    revisions = {"abc123": revision("abc123", None, ORDERS), "def456": revision("def456", "abc123", INDEX)}
    assert where(check(tmp_path, revisions, "DL501", settings='migration-safety-since = "abc"')) == [("DL501", "def456")]


def test_a_since_no_environment_has_is_exit_2_with_one_line(tmp_path: Path):
    write_tree(tmp_path, alembic_tree(
        {"a1": revision("a1", None, ORDERS)}, {"pyproject.toml": '[tool.driftlint]\nmigration-safety-since = "nope"\n'}
    ))
    result = invoke(tmp_path, "check", "--no-cache")
    assert result.exit_code == 2
    assert "`migration-safety-since` names `nope`, which no Alembic environment's revisions are" in result.stderr
    assert "internal error" not in result.stderr


def test_a_renamed_table_is_as_new_as_it_was_under_its_old_name(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("legacy", sa.Column("id", sa.BigInteger()))'),
        "b1": revision("b1", "a1", '''
            op.create_table("drafts", sa.Column("id", sa.BigInteger()))
            op.rename_table("drafts", "orders")
            op.create_index("ix_orders_id", "orders", ["id"])
            op.rename_table("legacy", "archive")
            op.create_index("ix_archive_id", "archive", ["id"])
        '''),
    }, "DL501")
    assert ["archive" in d.message for d in findings] == [True]


def test_tables_code_cannot_name_in_the_same_deployment_count_as_new(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, '''
            Base.metadata.create_all(op.get_bind())
            op.create_index("ix_orders_email", "orders", ["email"])
        '''),
    }, "DL501") == []


def test_a_statement_on_a_dropped_table_is_left_to_reference_to_dropped_object(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", f'op.drop_table("orders")\n{INDEX}'),
    }, "DL501") == []


def test_base_makes_the_revisions_the_base_ref_lacks_one_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env = git_env(tmp_path / "git-home")
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, env[key])
    repo = Repo(tmp_path / "repo", env)
    repo.write(alembic_tree({"a0": revision("a0", None, 'op.create_table("legacy", sa.Column("id", sa.BigInteger()))')}))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(alembic_tree({
        "b1": revision("b1", "a0", ORDERS),
        "c1": revision("c1", "b1", f'{INDEX}\nop.create_index("ix_legacy_id", "legacy", ["id"])'),
    }))
    repo.commit("feature")

    each = invoke(repo.root, "check", "--no-cache", "--select", "DL501", "--output-format", "json")
    merged = invoke(repo.root, "check", "--no-cache", "--select", "DL501", "--base", "main", "--output-format", "json")

    assert [d["message"].split(" on ")[1].split(" ")[0] for d in json.loads(each.stdout)] == ["`orders`", "`legacy`"]
    assert [d["message"].split(" on ")[1].split(" ")[0] for d in json.loads(merged.stdout)] == ["`legacy`"]


def test_a_base_that_has_every_revision_checks_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env = git_env(tmp_path / "git-home")
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, env[key])
    repo = Repo(tmp_path / "repo", env)
    repo.write(alembic_tree({"a1": revision("a1", None, ORDERS), "b1": revision("b1", "a1", INDEX)}))
    repo.commit("base")
    assert invoke(repo.root, "check", "--no-cache", "--select", "DL501").exit_code == 1
    assert invoke(repo.root, "check", "--select", "DL501", "--base", "main").exit_code == 0


# -- locks and failures -------------------------------------------------------------------------


def test_concurrently_inside_the_transaction_is_an_error_unless_outside_it(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", '''
            op.create_index("a", "orders", ["email"], postgresql_concurrently=True)
            with op.get_context().autocommit_block():
                op.create_index("b", "orders", ["email"], postgresql_concurrently=True)
            op.execute("COMMIT")
            op.execute("DROP INDEX CONCURRENTLY c")
        '''),
    }, "DL503")
    [finding] = findings
    assert finding.severity.value == "error" and "`a`" in finding.message and "cannot run inside a transaction block" in finding.message


def test_env_py_autocommit_takes_every_statement_out_of_the_transaction(tmp_path: Path):
    env = '"""env"""\ndef run(engine):\n    engine.execution_options(isolation_level="AUTOCOMMIT")\n'
    assert check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", 'op.create_index("a", "orders", ["email"], postgresql_concurrently=True)'),
    }, "DL503", env=env) == []


def test_columns_added_to_existing_tables(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", '''
            op.add_column("orders", sa.Column("required", sa.Text(), nullable=False))
            op.add_column("orders", sa.Column("filled", sa.Text(), nullable=False, server_default="x"))
            op.add_column("orders", sa.Column("token", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))
            op.add_column("orders", sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.func.now()))
            op.add_column("orders", sa.Column("code", sa.BigInteger(), sa.Identity()))
            op.add_column("orders", sa.Column("n", sa.Integer(), primary_key=True))
        '''),
    }, "DL504", "DL505", "DL506")
    assert [(d.code, d.message.split("`")[1]) for d in findings] == [
        ("DL504", "required"), ("DL505", "token"), ("DL505", "code"), ("DL506", "n"),
    ]


def test_postgres_version_below_11_makes_every_default_a_rewrite(tmp_path: Path):
    revisions = {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", 'op.add_column("orders", sa.Column("flag", sa.Boolean(), server_default=sa.false()))'),
    }
    assert check(tmp_path / "14", revisions, "DL505") == []
    [finding] = check(tmp_path / "10", revisions, "DL505", settings="postgres-version = 10\n")
    assert "before PostgreSQL 11" in finding.message


def test_set_not_null_is_quiet_after_a_validated_check_from_postgresql_12(tmp_path: Path):
    revisions = {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", 'op.create_check_constraint("nn", "orders", "email IS NOT NULL", postgresql_not_valid=True)'),
        "c1": revision("c1", "b1", 'op.execute("ALTER TABLE orders VALIDATE CONSTRAINT nn")'),
        "d1": revision("d1", "c1", 'op.alter_column("orders", "email", nullable=False)'),
        "e1": revision("e1", "d1", 'op.alter_column("orders", "id", nullable=False)'),
    }
    assert where(check(tmp_path / "14", revisions, "DL508")) == [("DL508", "e1")]
    assert where(check(tmp_path / "11", revisions, "DL508", settings="postgres-version = 11\n")) == [
        ("DL508", "d1"), ("DL508", "e1"),
    ]


def test_validate_in_the_transaction_that_added_the_constraint(tmp_path: Path):
    revisions = {
        "a0": revision("a0", None, ORDERS),
        "a1": revision("a1", "a0", 'op.create_check_constraint("ck", "orders", "id > 0", postgresql_not_valid=True)'),
        "b1": revision("b1", "a1", 'op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck")'),
    }
    # Each revision deployed on its own: two transactions.
    assert check(tmp_path / "each", revisions, "DL509") == []
    # One `alembic upgrade` runs a1 and b1 in one transaction...
    [finding] = check(tmp_path / "since", revisions, "DL509", settings='migration-safety-since = "a0"')
    assert "revision `a1` added it NOT VALID" in finding.message
    assert [r.path for r in finding.related] == ["migrations/versions/a1.py"]
    # ... unless env.py gives each migration its own.
    env = '"""env"""\nfrom alembic import context\ncontext.configure(transaction_per_migration=True)\n'
    assert check(tmp_path / "per", revisions, "DL509", settings='migration-safety-since = "a0"', env=env) == []


def test_an_enum_value_used_in_the_transaction_that_adds_it(tmp_path: Path):
    enum = revision("a0", None, 'op.execute("CREATE TYPE mood AS ENUM (\'ok\'); CREATE TABLE people (mood mood)")')
    findings = check(tmp_path / "same", {
        "a0": enum,
        "a1": revision("a1", "a0", '''
            op.execute("ALTER TYPE mood ADD VALUE 'calm'")
            op.execute("UPDATE people SET mood = 'calm'")
        '''),
    }, "DL516", "DL517")
    [finding] = findings
    assert finding.code == "DL517" and "'calm'" in finding.message and finding.severity.value == "error"
    # Before PostgreSQL 12 the ADD VALUE itself fails.
    assert where(check(tmp_path / "11", {
        "a0": enum,
        "a1": revision("a1", "a0", '''op.execute("ALTER TYPE mood ADD VALUE 'calm'")'''),
    }, "DL516", "DL517", settings="postgres-version = 11\n")) == [("DL516", "a1")]


def test_an_enum_value_used_by_a_later_revision_of_the_same_upgrade(tmp_path: Path):
    revisions = {
        "a0": revision("a0", None, 'op.execute("CREATE TYPE mood AS ENUM (\'ok\'); CREATE TABLE people (mood mood)")'),
        "a1": revision("a1", "a0", '''op.execute("ALTER TYPE mood ADD VALUE 'calm'")'''),
        "b1": revision("b1", "a1", 'op.bulk_insert(sa.table("people", sa.column("mood")), [{"mood": "calm"}])'),
    }
    assert where(check(tmp_path / "since", revisions, "DL517", settings='migration-safety-since = "a0"')) == [("DL517", "b1")]
    assert check(tmp_path / "each", revisions, "DL517") == []


def test_breaking_changes_to_tables_and_columns_running_code_uses(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", '''
            op.add_column("orders", sa.Column("scratch", sa.Text()))
            op.drop_column("orders", "scratch")
            op.drop_column("orders", "email")
            op.alter_column("orders", "id", new_column_name="order_id")
            op.rename_table("orders", "purchases")
            op.drop_table("purchases")
        '''),
    }, "DL512", "DL513", "DL514", "DL515")
    # `scratch` was added by the same revision: no running code knows it. `purchases` is the old
    # `orders` under its new name, so dropping it breaks running code as much.
    assert [(d.code, d.message.split("`")[1]) for d in findings] == [
        ("DL512", "email"), ("DL514", "id"), ("DL515", "orders"), ("DL513", "purchases"),
    ]
    assert all(d.severity.value == "warning" for d in findings)


def test_an_index_the_naming_convention_names_is_judged_like_any_other(tmp_path: Path):
    # indico names every index through its metadata's naming convention: create_index(None, ...).
    findings = check(tmp_path, {
        "a1": revision("a1", None, f'{ORDERS}\nop.create_index(None, "orders", ["email"])'),
        "b1": revision("b1", "a1", (
            'op.create_index(None, "orders", ["id"])\n'
            'op.create_index(None, "orders", ["email"], postgresql_concurrently=True)\n'
            'with op.batch_alter_table("orders") as batch_op:\n'
            '    batch_op.create_index(None, ["email", "id"])'
        )),
    }, "DL501", "DL503")
    assert sorted((d.code, Path(d.path).stem, d.location.row) for d in findings) == [
        ("DL501", "b1", 10), ("DL501", "b1", 13), ("DL503", "b1", 11),
    ]
    assert findings[0].message == "Building index on `orders` takes a SHARE lock: every write to `orders` waits until the index is built"


def test_a_self_referencing_foreign_key_names_its_one_table_once(tmp_path: Path):
    # indico: attachments.converted_from_id references attachments.id.
    findings = check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", (
            'op.add_column("orders", sa.Column("parent_id", sa.BigInteger()))\n'
            'op.create_foreign_key(None, "orders", "orders", ["parent_id"], ["id"])'
        )),
    }, "DL510")
    assert [d.message for d in findings] == [
        "Adding a foreign key to `orders` takes a SHARE ROW EXCLUSIVE lock on `orders` and checks every row: every "
        "write to it waits until the check ends"
    ]


def test_an_index_dropped_before_its_table_is_left_to_ban_drop_table(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, f"{ORDERS}\n{INDEX}"),
        "b1": revision("b1", "a1", 'op.drop_index("ix_orders_email", table_name="orders")\nop.drop_table("orders")'),
        "c1": revision("c1", "a1", 'op.execute("DROP INDEX ix_orders_email")'),
    }, "DL502", "DL513")
    assert where(findings) == [("DL502", "c1"), ("DL513", "b1")]
    assert "on `orders`" in next(d for d in findings if d.code == "DL502").message  # the table, from the history


# -- lock_timeout ---------------------------------------------------------------------------------


def test_lock_timeout_is_reported_once_per_environment_at_env_py(tmp_path: Path):
    env = '"""env"""\nfrom alembic import context\n\n\ndef run(connection):\n    context.configure(connection=connection)\n'
    [finding] = check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", INDEX),
        "c1": revision("c1", "b1", 'op.add_column("orders", sa.Column("x", sa.Text()))'),
        "d1": revision("d1", "c1", f'op.execute("SET LOCAL lock_timeout = \'2s\'")\n{INDEX}'),
    }, "DL518", env=env)
    assert (finding.path, finding.location.row) == ("migrations/env.py", 6)
    assert "2 revisions being checked" in finding.message
    assert [r.path for r in finding.related] == ["migrations/versions/b1.py", "migrations/versions/c1.py"]


def test_lock_timeout_set_in_env_py_is_enough(tmp_path: Path):
    assert check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", INDEX),
    }, "DL518", env=LOCK_TIMEOUT_ENV) == []


def test_lock_timeout_is_not_asked_of_env_py_that_was_not_read(tmp_path: Path):
    write_tree(tmp_path, alembic_tree({"a1": revision("a1", None, ORDERS), "b1": revision("b1", "a1", INDEX)}))
    result = invoke(tmp_path, "check", "--no-cache", "--select", "DL518", "migrations/versions")
    assert result.exit_code == 0, result.output


# -- opt-in type rules ------------------------------------------------------------------------------


def test_type_rules_are_off_until_selected(tmp_path: Path):
    revisions = {"a1": revision("a1", None, 'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("at", sa.DateTime()))')}
    write_tree(tmp_path, alembic_tree(revisions))
    assert not [d for d in lint(tmp_path) if d.code.startswith("DL55")]
    assert sorted(d.code for d in lint(tmp_path, extend_select=("DL55",))) == ["DL551", "DL552", "DL554"]


# -- suppressions and output ------------------------------------------------------------------------


def test_a_comment_on_the_execute_line_suppresses_a_finding_in_multiline_sql(tmp_path: Path):
    body = 'op.execute(  # driftlint: ignore[DL501]\n    """\n    CREATE INDEX ix ON orders (email)\n    """\n)'
    assert check(tmp_path, {"a1": revision("a1", None, ORDERS), "b1": revision("b1", "a1", body)}, "DL501") == []


def test_add_ignore_silences_migration_safety_findings(tmp_path: Path):
    write_tree(tmp_path, alembic_tree({
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", f'{INDEX}\nop.execute("""\n    CREATE INDEX ix2 ON orders (id)\n""")'),
    }, {"migrations/env.py": LOCK_TIMEOUT_ENV}))
    assert invoke(tmp_path, "check", "--no-cache").exit_code == 1
    invoke(tmp_path, "check", "--no-cache", "--add-ignore")
    again = invoke(tmp_path, "check", "--no-cache")
    assert again.exit_code == 0, again.output


def test_rules_lists_the_family_with_the_type_rules_marked_opt_in():
    from click.testing import CliRunner

    from driftlint.cli import cli

    listed = json.loads(CliRunner().invoke(cli, ["rules", "--output-format", "json"]).stdout)
    family = {r["code"]: r for r in listed if r["code"].startswith("DL5")}
    assert len(family) == 23
    assert family["DL501"]["name"] == "require-concurrent-index-creation" and family["DL501"]["default"]
    assert not family["DL551"]["default"] and family["DL503"]["severity"] == "error"


def test_since_treats_a_branch_forked_below_it_as_deployed_and_its_ancestors_as_history(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, ORDERS),
        "b1": revision("b1", "a1", 'op.create_index("ix_b", "orders", ["id"])'),
        "c1": revision("c1", "b1", 'op.create_index("ix_c", "orders", ["id"])'),
        # forked from a1 before the production head b1, merged after it: never ran
        "x1": revision("x1", "a1", 'op.create_index("ix_x", "orders", ["id"])'),
        "m1": revision("m1", ("c1", "x1"), "pass"),
    }, "DL501", settings='migration-safety-since = "b1"')
    assert where(findings) == [("DL501", "c1"), ("DL501", "x1")]


def test_a_type_change_the_history_shows_to_be_catalog_only_is_not_reported(tmp_path: Path):
    findings = check(tmp_path, {
        "a1": revision("a1", None, 'op.create_table("t", sa.Column("name", sa.String(50)), sa.Column("n", sa.Integer()))'),
        "b1": revision("b1", "a1", '''
            op.alter_column("t", "name", type_=sa.Text())
            op.alter_column("t", "n", type_=sa.Text())
            op.alter_column("legacy", "x", type_=sa.Text())
        '''),
    }, "DL507")
    assert [(d.message.split("`")[1], d.message.split("(")[1].split(")")[0]) for d in findings] == [
        ("n", "integer to text"), ("x", "to text"),
    ]
    assert "existing_type=" in (findings[1].fix_title or "") and "existing_type=" not in (findings[0].fix_title or "")


def test_the_indexed_existence_question_answers_as_the_history_does():
    """Deployment._deciding (an index, for histories that alter one table thousands of times) gives
    EnvironmentHistory.prior's deciding events, on every statement of every fixture."""
    import os

    from driftlint.engine import CheckOptions, run_check
    from driftlint.schema.safety import deployments

    from ..conftest import FIXTURES

    compared = 0
    for folder in sorted(FIXTURES.iterdir()):
        previous = Path.cwd()
        os.chdir(folder)
        try:
            result = run_check(CheckOptions(paths=[Path(".")], cwd=folder, use_cache=False, select=("DL501",)))
        finally:
            os.chdir(previous)
        if result.project is None:
            continue
        for deployment in deployments(result.project):
            history = deployment.history
            for revision_id in history.order:
                for operation in history.effects[revision_id].operations:
                    if operation.table is None:
                        continue
                    key = history.key(operation.table, operation.engine)
                    expected = history.prior(key, revision_id, operation.position, branch=operation.branch).events
                    assert tuple(deployment._deciding(key, revision_id, operation.position, operation.branch)) == expected
                    compared += 1
    assert compared > 200



def test_each_environment_takes_migration_safety_since_from_its_own_settings(tmp_path: Path):
    def service(name: str) -> dict[str, str]:
        tree = alembic_tree({
            f"{name}1": revision(f"{name}1", None, ORDERS),
            f"{name}2": revision(f"{name}2", f"{name}1", 'op.create_index("ix_a", "orders", ["id"])'),
            f"{name}3": revision(f"{name}3", f"{name}2", 'op.create_index("ix_b", "orders", ["id"])'),
        }, {"pyproject.toml": f'[tool.driftlint]\nmigration-safety-since = "{name}2"\n'})
        return {f"{name}/{path}": text for path, text in tree.items()}

    write_tree(tmp_path, {**service("a"), **service("b")})
    found = [d for d in lint(tmp_path, select=("DL501",))]
    assert sorted(Path(d.path).stem for d in found) == ["a3", "b3"]


def test_an_environment_whose_since_names_none_of_its_revisions_is_said_to_be_checked_revision_by_revision(
    tmp_path: Path,
):
    """One settings file for two environments (ckan's core and its plugins' histories), a since that
    names a revision of one: the other's revisions are each a deployment of their own, and stderr
    says so. Naming one of its revisions too ends the notice; with DL5 off, nothing is said."""
    def service(name: str) -> dict[str, str]:
        tree = alembic_tree({
            f"{name}1": revision(f"{name}1", None, ORDERS),
            f"{name}2": revision(f"{name}2", f"{name}1", 'op.create_index("ix_a", "orders", ["id"])'),
        })
        return {f"{name}/{path}": text for path, text in tree.items()}

    def settings(since: str) -> None:
        write_tree(tmp_path, {"pyproject.toml": f'[tool.driftlint]\nmigration-safety-since = "{since}"\n'})

    write_tree(tmp_path, {**service("a"), **service("b")})
    settings("a1")
    result = invoke(tmp_path, "check", "--no-cache")
    assert (
        "driftlint: warning: `migration-safety-since` (pyproject.toml) names no revision of the Alembic environment"
        " b/alembic.ini: each of its revisions is checked as a deployment of its own (name one of its revisions too)\n"
    ) in result.stderr
    assert "a/alembic.ini" not in result.stderr
    assert "names no revision" not in invoke(tmp_path, "check", "--no-cache", "--ignore", "DL5").stderr
    settings("a1, b1")
    assert "names no revision" not in invoke(tmp_path, "check", "--no-cache").stderr
