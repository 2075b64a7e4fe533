"""DL910 models-not-migrated: env.py's target_metadata against the freshly migrated database, as `alembic check`."""

from __future__ import annotations

import sys
from pathlib import Path

ENV_PY = "migrations/env.py"


def _configure(root: Path, extra: str) -> None:
    env = root / ENV_PY
    env.write_text(env.read_text().replace("target_metadata=target_metadata)", f"target_metadata=target_metadata, {extra})"))


def _define(root: Path, source: str) -> None:
    """Add a function to env.py before it runs the migrations."""
    env = root / ENV_PY
    env.write_text(env.read_text().replace("def run_migrations_online", f"{source}\n\ndef run_migrations_online"))


def test_a_model_column_no_migration_adds_is_reported_at_the_column(project, verify):
    (finding,) = verify(project("model-column-not-migrated"), fresh=True).of("DL910")
    assert finding.message == (
        "Column `customers.is_admin` is in the models but no migration adds it: autogenerate would write "
        "`op.add_column('customers', sa.Column('is_admin', sa.Boolean(), nullable=False))`"
    )
    assert (finding.path, finding.location.row, finding.location.column) == ("app/models.py", 17, 5)
    assert dict(finding.context)["Autogenerate would write"] == (
        "op.add_column('customers', sa.Column('is_admin', sa.Boolean(), nullable=False))",
    )


def test_env_pys_compare_type_is_honoured(project, verify):
    root = project("model-type-changed")
    (finding,) = verify(root, fresh=True).of("DL910")
    assert "`VARCHAR(200)` in the migrated database but `VARCHAR(320)` in the models" in finding.message
    _configure(root, "compare_type=False")
    assert verify(root, fresh=True).of("DL910") == []


def test_a_table_the_models_lack_points_at_env_pys_target_metadata(project, verify):
    root = project("include-object-skips-table")
    env = root / ENV_PY
    env.write_text(env.read_text().replace(", include_object=include_object", ""))
    (finding,) = verify(root, fresh=True).of("DL910")
    assert finding.message.startswith("Table `legacy_audit` is created by the migrations but is not in the models")
    line = env.read_text().splitlines().index("target_metadata = Base.metadata") + 1
    assert (finding.path, finding.location.row) == (ENV_PY, line)


def test_env_py_without_target_metadata_gets_a_note_not_a_finding(project, verify):
    run = verify(project("tenant-app"), fresh=True)
    assert run.of("DL910") == []
    assert any("passes no target_metadata" in note for note in run.notes)


def test_a_comparison_alembic_check_cannot_make_is_a_finding_at_env_py(project, verify):
    root = project("models-match")
    _define(root, "def include_object(*args):\n    raise RuntimeError('include_object broke')\n")
    _configure(root, "include_object=include_object")
    (finding,) = verify(root, fresh=True).of("DL910")
    assert finding.message == "`alembic check` fails on the database the migrations build: include_object broke"
    assert finding.path == ENV_PY


def test_ignoring_dl910_skips_the_comparison(project, verify):
    """A deselected gate costs nothing: env.py does not even run under autogenerate."""
    root = project("models-match")
    probe = root / "autogenerate-ran"
    _define(root, f"def include_object(*args):\n    open({str(probe)!r}, 'w').close()\n    return True\n")
    _configure(root, "include_object=include_object")
    assert verify(root, fresh=True, ignore=("DL910",)).result.diagnostics == []
    assert not probe.exists()
    verify(root, fresh=True)
    assert probe.exists()


def test_models_are_compared_on_a_scratch_database_of_the_target_server(project, verify, databases):
    name = databases.create()
    run = verify(project("model-column-not-migrated"), fresh=True, database_url=databases.url(name))
    assert [d.code for d in run.of("DL910")] == ["DL910"]
    assert databases.scratch_databases() == []


def test_the_benchmarks_models_match_its_migrations(tmp_path, verify, monkeypatch):
    """benchmarks/run.py times the model gate on models that autogenerate finds nothing to add to."""
    import importlib.util

    from .conftest import REPO

    spec = importlib.util.spec_from_file_location("benchmark_run", REPO / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, benchmark)  # its dataclasses look their module up
    spec.loader.exec_module(benchmark)
    repo = tmp_path / "verify-repo"
    benchmark.write_linear_history(repo, 6)
    run = verify(repo, fresh=True, roundtrip=True)
    assert run.result.diagnostics == []
    assert not any("no target_metadata" in note for note in run.notes)
