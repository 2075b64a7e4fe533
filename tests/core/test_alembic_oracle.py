"""Alembic's own ScriptDirectory/RevisionMap is the oracle: driftlint's graph must agree on every fixture.

Only this test imports Alembic and lets it execute the fixtures' revision files (they are ours);
driftlint itself only parses them.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import CycleDetected, DependencyCycleDetected, LoopDetected, RevisionError
from alembic.util import CommandError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from driftlint.graph import RevisionGraph
from driftlint.project import EnvironmentAnalysis

from ..conftest import FIXTURES
from .conftest import check, found, revision


@dataclass(frozen=True)
class Oracle:
    """How to build the Alembic Config the project itself would use."""

    fixture: str
    config: str = "alembic.ini"  # ini file, or pyproject.toml for [tool.alembic]
    section: str = "alembic"
    flask_migrate: bool = False  # Flask-Migrate sets script_location to the ini's folder in code
    code: str | None = None  # a module whose config() builds the Config in code

    @property
    def id(self) -> str:
        return self.fixture if self.section == "alembic" else f"{self.fixture}[{self.section}]"


LOADABLE = [
    Oracle("three-heads"),
    Oracle("diamond-merge"),
    Oracle("branch-labels"),
    Oracle("depends-on-label"),
    Oracle("effective-head"),
    Oracle("multiple-bases"),
    Oracle("duplicate-id"),
    Oracle("flask-migrate", config="migrations/alembic.ini", flask_migrate=True),
    Oracle("multi-section-ini", section="app"),
    Oracle("multi-section-ini", section="audit"),
    Oracle("default-section-interpolation"),
    Oracle("here-is-script-dir", config="migrations/alembic.ini"),
    Oracle("pyproject-only", config="pyproject.toml"),
    Oracle("code-only-locations", code="app/db/migrate.py"),
    Oracle("unscanned-folder"),
    Oracle("recursive-versions"),
    Oracle("pkg-resource-location"),
]


@pytest.fixture
def isolated_import_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Alembic prepends to sys.path and imports `pkg:dir` packages (and env.py's imports): undo
    both after each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    # Alembic's `prepend_sys_path = .` is relative to the current directory, which each test changes.
    monkeypatch.setattr(sys, "path_importer_cache", {})
    importlib.invalidate_caches()
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        # driftlint's own modules stay: it imports many lazily, and a module imported again later
        # would bring a second copy of its classes (isinstance checks across the two then fail).
        if name != "driftlint" and not name.startswith("driftlint."):
            del sys.modules[name]


def alembic_config(root: Path, oracle: Oracle) -> Config:
    stdout = io.StringIO()
    if oracle.code is not None:
        spec = importlib.util.spec_from_file_location("driftlint_oracle_config", root / oracle.code)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        config: Config = module.config()
        config.stdout = stdout
        return config
    if oracle.config.endswith("pyproject.toml"):
        return Config(toml_file=str(root / oracle.config), stdout=stdout)
    config = Config(str(root / oracle.config), ini_section=oracle.section, stdout=stdout)
    if oracle.flask_migrate:
        config.set_main_option("script_location", str((root / oracle.config).parent))
    return config


def load_alembic(root: Path, oracle: Oracle) -> tuple[Config, ScriptDirectory, list[str]]:
    """ScriptDirectory.from_config + RevisionMap, run from the project root as the CLI would be."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            config = alembic_config(root, oracle)
            script = ScriptDirectory.from_config(config)
            script.revision_map.heads  # noqa: B018 - building the map is what raises or warns
        return config, script, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    finally:
        os.chdir(previous)


def driftlint_environment(root: Path, oracle: Oracle) -> EnvironmentAnalysis:
    result = check(root)
    assert result.project is not None
    matching = [
        analysis
        for analysis in result.project.environments
        if (analysis.environment.section or "alembic") == oracle.section or oracle.code is not None
    ]
    assert len(matching) == 1, [a.environment.name for a in result.project.environments]
    return matching[0]


def alembic_heads_output(config: Config) -> dict[str, str]:
    """What `alembic heads` prints, as {revision: "head" | "effective head"}."""
    command.heads(config)
    stdout: Any = config.stdout
    marks = {}
    for line in stdout.getvalue().splitlines():
        rid = line.split()[0]
        marks[rid] = "effective head" if "(effective head)" in line else "head"
    return marks


def ids(nodes: Any) -> list[str]:
    return sorted(n.revision for n in nodes)


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize("oracle", LOADABLE, ids=lambda o: o.id)
def test_graph_matches_alembic_revision_map(oracle: Oracle, fixture_copy):
    root = fixture_copy(oracle.fixture)
    config, script, _ = load_alembic(root, oracle)
    rmap = script.revision_map
    graph: RevisionGraph = driftlint_environment(root, oracle).graph

    assert ids(graph.heads) == sorted(rmap.heads)
    assert ids(graph.real_heads) == sorted(rmap._real_heads)
    assert ids(graph.bases) == sorted(set(rmap.bases))
    assert ids(graph.real_bases) == sorted(set(rmap._real_bases))
    effective = sorted(h for h in set(rmap.heads) if not rmap.get_revision(h)._is_real_head)
    assert ids(graph.effective_heads) == effective
    assert graph.alembic_cycle() is None and not graph.missing and not graph.label_clashes


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize("oracle", [o for o in LOADABLE if o.fixture != "duplicate-id"], ids=lambda o: o.id)
def test_heads_match_the_alembic_heads_command(oracle: Oracle, fixture_copy):
    root = fixture_copy(oracle.fixture)
    config, _, _ = load_alembic(root, oracle)
    graph = driftlint_environment(root, oracle).graph
    effective = {id(n) for n in graph.effective_heads}
    ours = {n.revision: "effective head" if id(n) in effective else "head" for n in graph.heads}
    assert ours == alembic_heads_output(config)


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize("oracle", LOADABLE, ids=lambda o: o.id)
def test_load_order_labels_dependencies_and_ancestors_match_alembic(oracle: Oracle, fixture_copy):
    root = fixture_copy(oracle.fixture)
    _, script, _ = load_alembic(root, oracle)
    rmap = script.revision_map
    analysis = driftlint_environment(root, oracle)
    graph = analysis.graph

    assert [f.header.revision for f in analysis.scripts if f.header] == [s.revision for s in script._load_revisions()]
    alembic_labels = {
        label: rmap._revision_map[label].revision
        for rev in rmap._revision_map.values()
        if rev is not None
        for label in rev._orig_branch_labels
    }
    assert {label: node.revision for label, node in graph.labels.items()} == alembic_labels
    for rid, node in graph.by_id.items():
        alembic_rev = rmap.get_revision(rid)
        assert sorted(node.resolved_dependencies) == sorted(alembic_rev._resolved_dependencies), rid
        ancestors = {r.revision for r in rmap._get_ancestor_nodes([alembic_rev], include_dependencies=True)}
        assert graph.ancestors(rid) == ancestors - {rid}, rid


@pytest.mark.usefixtures("isolated_import_state")
def test_label_in_depends_on_resolves_to_the_declaring_revision_not_the_branch_head(fixture_copy):
    root = fixture_copy("depends-on-label")
    _, script, _ = load_alembic(root, Oracle("depends-on-label"))
    graph = driftlint_environment(root, Oracle("depends-on-label")).graph
    assert script.revision_map.get_revision("cccc1")._resolved_dependencies == ("aaaa1",)
    assert graph.by_id["cccc1"].resolved_dependencies == ("aaaa1",)
    assert not graph.is_ordered("cccc1", "aaaa3")


@pytest.mark.usefixtures("isolated_import_state")
def test_duplicate_id_is_listed_twice_among_heads_like_alembic(fixture_copy):
    root = fixture_copy("duplicate-id")
    _, script, warned = load_alembic(root, Oracle("duplicate-id"))
    assert "Revision a100 is present more than once" in warned
    assert sorted(script.revision_map.heads) == ["a100", "a100"]
    result = check(root)
    assert [d.subject for d in result.diagnostics if d.code == "DL104"] == [("a100",)]
    assert [d.subject for d in result.diagnostics if d.code == "DL101"] == [("a100", "a100")]


# -- histories Alembic refuses to load: it must raise (or warn) what driftlint reports ------------


def alembic_failure(root: Path, oracle: Oracle) -> tuple[BaseException, list[str]]:
    previous = Path.cwd()
    os.chdir(root)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(BaseException) as info:
                ScriptDirectory.from_config(alembic_config(root, oracle)).revision_map.heads  # noqa: B018
        return info.value, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    finally:
        os.chdir(previous)


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize(
    ("fixture", "missing"),
    [("dangling-parent", ("b100", "down_revision", "9999")), ("empty-string-down-revision", ("1000", "down_revision", ""))],
)
def test_missing_down_revision_warns_then_raises_key_error_like_driftlint_reports(fixture, missing, fixture_copy):
    root = fixture_copy(fixture)
    error, warned = alembic_failure(root, Oracle(fixture))
    node, via, target = missing
    assert isinstance(error, KeyError) and error.args == (target,)
    assert any(w.startswith(f"Revision {target} referenced from") and f"-> {node}" in w for w in warned), warned
    result = check(root)
    graph = only_environment_graph(result)
    assert [(m.node.revision, m.via, m.target) for m in graph.missing] == [missing]
    assert [d.subject for d in result.diagnostics if d.code == "DL103"] == [missing]


@pytest.mark.usefixtures("isolated_import_state")
def test_partial_id_in_depends_on_raises_key_error_and_driftlint_names_the_full_id(fixture_copy):
    root = fixture_copy("partial-id-dependency")
    error, warned = alembic_failure(root, Oracle("partial-id-dependency"))
    assert isinstance(error, KeyError) and error.args == ("a1b2",) and not warned
    result = check(root)
    [diagnostic] = [d for d in result.diagnostics if d.code == "DL103"]
    assert diagnostic.subject == ("f6e5d4c3b2a1", "depends_on", "a1b2")
    assert diagnostic.fix_title == "Write the full id `a1b2c3d4e5f6`"


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize(
    ("fixture", "kind"),
    [("cycle", CycleDetected), ("dependency-cycle", DependencyCycleDetected), ("self-loop", LoopDetected)],
)
def test_cycle_is_the_one_alembic_raises(fixture, kind, fixture_copy):
    root = fixture_copy(fixture)
    error, _ = alembic_failure(root, Oracle(fixture))
    assert type(error) is kind
    result = check(root)
    messages = [d.message for d in result.diagnostics if d.code == "DL105"]
    assert len(messages) == 1
    assert messages[0].startswith(str(error)), (messages[0], str(error))
    if kind is not LoopDetected:
        graph = only_environment_graph(result)
        assert graph.alembic_cycle() == (kind.__name__, sorted(error.revisions))


@pytest.mark.usefixtures("isolated_import_state")
def test_branch_label_clash_is_the_one_alembic_raises(fixture_copy):
    root = fixture_copy("duplicate-branch-label")
    error, _ = alembic_failure(root, Oracle("duplicate-branch-label"))
    assert type(error) is RevisionError
    # Alembic walks a set, so which of the two revisions it names first is not fixed.
    assert str(error) in (
        "Branch name 'billing' in revision a100 already used by revision b100",
        "Branch name 'billing' in revision b100 already used by revision a100",
    )
    result = check(root)
    graph = only_environment_graph(result)
    assert [(c.label, {c.node.revision, c.other}) for c in graph.label_clashes] == [("billing", {"a100", "b100"})]
    assert found(result, "DL110")


@pytest.mark.usefixtures("isolated_import_state")
def test_label_equal_to_its_own_revision_id_is_a_clash_like_alembic(tree):
    root = tree(
        {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n",
            "migrations/env.py": "",
            "migrations/versions/1000_base.py": revision("1000"),
            "migrations/versions/a100_ledger.py": revision("a100", "1000", labels=("a100",)),
        }
    )
    error, _ = alembic_failure(root, Oracle("label-equals-own-id"))
    assert str(error) == "Branch name 'a100' in revision a100 already used by revision a100"
    result = check(root)
    [diagnostic] = [d for d in result.diagnostics if d.code == "DL110"]
    assert "'a100'" in diagnostic.message and diagnostic.related == ()


@pytest.mark.usefixtures("isolated_import_state")
def test_illegal_revision_id_character_is_the_one_alembic_rejects(fixture_copy):
    root = fixture_copy("invalid-revision-id")
    error, _ = alembic_failure(root, Oracle("invalid-revision-id"))
    assert type(error) is RevisionError
    result = check(root)
    [message] = [d.message for d in result.diagnostics if d.code == "DL112"]
    assert message.startswith(str(error))


@pytest.mark.usefixtures("isolated_import_state")
def test_helper_module_in_versions_breaks_alembic_like_driftlint_reports(fixture_copy):
    root = fixture_copy("helper-module-in-versions")
    error, _ = alembic_failure(root, Oracle("helper-module-in-versions"))
    assert type(error) is CommandError
    assert str(error).startswith("Could not determine revision id from filename utils.py")
    result = check(root)
    assert [d.path for d in result.diagnostics if d.code == "DL107"] == ["migrations/versions/utils.py"]


@pytest.mark.usefixtures("isolated_import_state")
def test_separator_with_inline_comment_raises_value_error_like_driftlint_reports(fixture_copy):
    root = fixture_copy("separator-with-comment")
    error, _ = alembic_failure(root, Oracle("separator-with-comment"))
    assert type(error) is ValueError
    result = check(root)
    [message] = [d.message for d in result.diagnostics if d.code == "DL111"]
    assert message.startswith(str(error))
    # The rest of the history is still checked with the separator the line names.
    assert not found(result, "DL106")
    assert ids(only_environment_graph(result).heads) == ["1100"]


def only_environment_graph(result: Any) -> RevisionGraph:
    assert result.project is not None and len(result.project.environments) == 1
    return result.project.environments[0].graph


# -- every other fixture repository (other rule families add their own) --------------------------

COVERED = {o.fixture for o in LOADABLE} | {
    "dangling-parent",
    "empty-string-down-revision",
    "partial-id-dependency",
    "cycle",
    "dependency-cycle",
    "self-loop",
    "duplicate-branch-label",
    "invalid-revision-id",
    "helper-module-in-versions",
    "separator-with-comment",
    "side-effects-on-import",  # Alembic would run it: test_robustness shows what that does
}
# Fixtures Alembic itself cannot load: a revision with a syntax error (the output-format goldens),
# and revisions importing packages the test extra does not install (alembic_utils).
NOT_LOADED_BY_ALEMBIC = {"output-formats", "schema-source-forms"}
OTHER_FIXTURES = sorted(
    p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in COVERED and (p / "alembic.ini").is_file()
)


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize("fixture", OTHER_FIXTURES)
def test_every_other_fixture_graph_matches_alembic_where_alembic_loads_it(fixture, fixture_copy):
    root = fixture_copy(fixture)
    oracle = Oracle(fixture)
    result = check(root)
    try:
        _, script, _ = load_alembic(root, oracle)
    except Exception as exc:  # noqa: BLE001 - a fixture for a failure Alembic reports itself
        # Alembic cannot load it (a broken file, an import of a package not installed): driftlint
        # must still read every file and report instead of crashing.
        assert fixture in NOT_LOADED_BY_ALEMBIC, f"Alembic does not load {fixture}: {exc!r}"
        assert result.project is not None and result.project.environments
        return
    assert fixture not in NOT_LOADED_BY_ALEMBIC
    matching = [
        a
        for a in result.project.environments
        if a.environment.config_path == root / "alembic.ini" and (a.environment.section or "alembic") == "alembic"
    ]
    if len(matching) != 1:
        pytest.skip(f"{fixture} has no single [alembic] environment")
    graph = matching[0].graph
    rmap = script.revision_map
    assert ids(graph.heads) == sorted(rmap.heads)
    assert ids(graph.real_heads) == sorted(rmap._real_heads)
    assert ids(graph.bases) == sorted(set(rmap.bases))
    for rid in graph.by_id:
        alembic_rev = rmap.get_revision(rid)
        ancestors = {r.revision for r in rmap._get_ancestor_nodes([alembic_rev], include_dependencies=True)}
        assert graph.ancestors(rid) == ancestors - {rid}, rid


# -- the order `alembic upgrade heads` runs revisions in ----------------------------------------------

OFFLINE_ENV = (
    "from alembic import context\n"
    'context.configure(url="sqlite://", literal_binds=True)\n'
    "with context.begin_transaction():\n"
    "    context.run_migrations()\n"
)


@dataclass(frozen=True)
class History:
    """A generated revision history: per revision its parents, depends_on and labels, and the
    file names whose sorted order is Alembic's load order."""

    ids: tuple[str, ...]
    down: dict[str, tuple[str, ...]]
    depends_on: dict[str, tuple[str, ...]]
    labels: dict[str, tuple[str, ...]]
    files: dict[str, str]

    def write(self, root: Path) -> None:
        (root / "migrations" / "versions").mkdir(parents=True)
        (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n", encoding="utf-8")
        (root / "migrations" / "env.py").write_text(OFFLINE_ENV, encoding="utf-8")
        for rid in self.ids:
            down = self.down[rid]
            depends = self.depends_on[rid]
            (root / "migrations" / "versions" / self.files[rid]).write_text(
                f"from alembic import op\n\nrevision = {rid!r}\n"
                f"down_revision = {(down if len(down) > 1 else down[0] if down else None)!r}\n"
                f"branch_labels = {self.labels[rid] or None!r}\n"
                f"depends_on = {(list(depends) if len(depends) > 1 else depends[0] if depends else None)!r}\n\n\n"
                f"def upgrade():\n    op.execute(\"SELECT 'ran {rid}'\")\n",
                encoding="utf-8",
            )


@st.composite
def histories(draw: Any) -> History:
    """Acyclic histories of up to 10 revisions: bases, chains, forks, merges (down_revision tuples),
    depends_on on revisions and on branch labels, and file names that load in any order."""
    count = draw(st.integers(min_value=1, max_value=10))
    ids = tuple(f"r{i}" for i in range(count))
    down: dict[str, tuple[str, ...]] = {}
    depends: dict[str, tuple[str, ...]] = {}
    labels: dict[str, tuple[str, ...]] = {}
    lineage: dict[str, set[str]] = {}  # down_revision ancestors
    for i, rid in enumerate(ids):
        earlier = list(ids[:i])
        parents = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if earlier else []
        if parents and draw(st.integers(0, 3)):
            parents = parents[:1]  # mostly chains and forks, sometimes merges
        # A merge of a revision with its own ancestor makes `alembic upgrade` itself fail
        # (HeadMaintainer: KeyError), so there would be no order to compare.
        parents = [p for p in parents if not any(p in lineage[other] for other in parents)]
        down[rid] = tuple(parents)
        lineage[rid] = set(parents).union(*(lineage[p] for p in parents))
        labels[rid] = (f"label_{rid}",) if draw(st.integers(0, 5)) == 0 else ()
        candidates = [r for r in earlier if r not in parents]
        chosen = draw(st.lists(st.sampled_from(candidates), max_size=2, unique=True)) if candidates and draw(st.integers(0, 2)) == 0 else []
        depends[rid] = tuple(labels[r][0] if labels[r] and draw(st.booleans()) else r for r in chosen)
    names = draw(st.permutations(range(count)))
    files = {rid: f"{names[i]:02d}_{rid}.py" for i, rid in enumerate(ids)}
    return History(ids, down, depends, labels, files)


def alembic_upgrade_heads_sql(root: Path) -> tuple[list[str], list[str] | None]:
    """The revisions in the order `alembic upgrade heads --sql` emits their statements. Where
    Alembic's own bookkeeping fails half way (HeadMaintainer raises KeyError on a step whose
    depends_on names a revision a later one already superseded), what it emitted until then and
    the whole list of steps it was running (ScriptDirectory._upgrade_revs); None otherwise."""
    previous = Path.cwd()
    os.chdir(root)
    buffer = io.StringIO()
    config = Config(str(root / "alembic.ini"), output_buffer=buffer, stdout=io.StringIO())
    steps = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                command.upgrade(config, "heads", sql=True)
            except KeyError:
                script = ScriptDirectory.from_config(config)
                steps = [step.revision.revision for step in script._upgrade_revs("heads", ())]
    finally:
        os.chdir(previous)
    return re.findall(r"SELECT 'ran (r\d+)'", buffer.getvalue()), steps


@pytest.mark.usefixtures("isolated_import_state")
@hypothesis_settings(max_examples=int(os.environ.get("DRIFTLINT_ORDER_EXAMPLES", "80")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories())
def test_upgrade_order_is_the_one_alembic_upgrade_heads_sql_runs(history: History):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        history.write(root)
        ran, steps = alembic_upgrade_heads_sql(root)
        graph = only_environment_graph(check(root, select=["DL101"]))
    order = graph.upgrade_order
    assert order is not None
    if steps is not None:
        assert steps[: len(ran)] == ran
        ran = steps
    assert sorted(ran) == sorted(history.ids)
    if order.stable:
        assert list(order.revisions) == ran
    else:
        # Alembic took part of the order from a set: this process's hash seed decided it. The order
        # still runs every revision after its ancestors.
        assert any(len(history.depends_on[r]) > 1 for r in history.ids)
        for position, rid in enumerate(ran):
            assert graph.ancestors(rid) <= set(ran[:position])


@pytest.mark.usefixtures("isolated_import_state")
def test_upgrade_heads_runs_the_head_loaded_last_first(tree):
    """semantics.md A4: base 1000 with children a100 and b100 runs 1000, b100, a100; renaming
    a100's file to sort after b100's turns it round; a depends_on fixes it."""
    root = tree(
        {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
            "migrations/env.py": OFFLINE_ENV,
            "migrations/versions/1000_base.py": revision("1000"),
            "migrations/versions/a100_create_accounts.py": revision("a100", "1000"),
            "migrations/versions/b100_orders.py": revision("b100", "1000"),
        }
    )
    assert only_environment_graph(check(root)).upgrade_order.revisions == ("1000", "b100", "a100")
    os.rename(root / "migrations/versions/a100_create_accounts.py", root / "migrations/versions/c100_create_accounts.py")
    assert only_environment_graph(check(root)).upgrade_order.revisions == ("1000", "a100", "b100")
    (root / "migrations/versions/b100_orders.py").write_text(revision("b100", "1000", depends_on="a100"), encoding="utf-8")
    os.rename(root / "migrations/versions/c100_create_accounts.py", root / "migrations/versions/a100_create_accounts.py")
    order = only_environment_graph(check(root)).upgrade_order
    assert order.revisions == ("1000", "a100", "b100") and order.stable


@pytest.mark.usefixtures("isolated_import_state")
@pytest.mark.parametrize("name", ["0001.py", "cafe.py"])
def test_helper_named_like_a_legacy_revision_breaks_alembic_like_driftlint_reports(name, tree):
    root = tree(
        {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n",
            "migrations/env.py": "",
            "migrations/versions/1000_base.py": revision("1000"),
            f"migrations/versions/{name}": '"""Seed data loaded by the revisions."""\nACCOUNTS = ["system", "admin"]\n',
        }
    )
    error, _ = alembic_failure(root, Oracle("legacy-named-helper"))
    assert type(error) is AttributeError
    result = check(root)
    [diagnostic] = [d for d in result.diagnostics if d.code == "DL107"]
    assert diagnostic.path == f"migrations/versions/{name}"
    assert diagnostic.message.endswith(str(error))
