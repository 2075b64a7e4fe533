"""The revision graph where Alembic has no oracle to offer: files driftlint cannot place, what rules make of it,
and its ancestry and cycle search checked against networkx."""

from __future__ import annotations

import networkx as nx
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from driftlint.graph import _closure, _cyclic_components

from ..schema.helpers import alembic_tree as schema_alembic_tree
from ..schema.helpers import revision as schema_revision
from .conftest import alembic_tree, check, found, revision

TENANTS = 'op.create_table("tenants", sa.Column("id", sa.Integer, primary_key=True))'
USES_TENANTS = 'op.execute("CREATE TABLE jobs (id int, tenant_id int REFERENCES tenants(id))")'


def test_child_of_a_revision_with_dynamic_parent_is_not_reported_missing(tree):
    root = tree(
        {
            **alembic_tree(("1000", None)),
            "migrations/versions/a100_step.py": 'import os\nrevision = "a100"\ndown_revision = os.environ["PARENT"]\n',
            "migrations/versions/b100_step.py": revision("b100", "a100"),
        }
    )
    result = check(root)
    graph = result.project.environments[0].graph
    assert set(graph.unplaced) == {"a100"}
    assert [(r.node.revision, r.target) for r in graph.unresolved] == [("b100", "a100")]
    assert not graph.missing
    assert [d.code for d in result.diagnostics] == ["DL108"]


def test_heads_are_not_reported_while_a_revision_cannot_be_placed(tree):
    # 1000 <- a100 (parent only known at run time) <- b100: 1000 and b100 look like two heads.
    root = tree(
        {
            **alembic_tree(("1000", None)),
            "migrations/versions/a100_step.py": 'revision = "a100"\ndown_revision = compute_parent()\n',
            "migrations/versions/b100_step.py": revision("b100", "a100"),
        }
    )
    assert found(check(root, select=["DL101", "DL105"])) == []


def test_unplaced_parent_does_not_make_its_children_look_like_a_cycle(tree):
    root = tree(
        {
            **alembic_tree(("1000", None), ("1100", "1000")),
            "migrations/versions/a100_step.py": 'revision = "a100"\nif True:\n    down_revision = "1100"\n',
            "migrations/versions/b100_step.py": revision("b100", "a100"),
            "migrations/versions/c100_step.py": revision("c100", "b100"),
        }
    )
    result = check(root)
    assert result.project.environments[0].graph.alembic_cycle() is None
    assert found(result, "DL105") == []


def test_revision_file_that_does_not_parse_is_never_called_missing(tree):
    root = tree(
        {
            **alembic_tree(("1000", None), ("b100", "a100")),
            "migrations/versions/a100_step.py": 'revision = "a100"\ndown_revision = "1000"\n<<<<<<< HEAD\n',
        }
    )
    result = check(root)
    assert [(d.code, d.path) for d in result.diagnostics if d.code != "DL101"] == [
        ("DL001", "migrations/versions/a100_step.py")
    ]


def test_revision_with_dynamic_id_blocks_head_and_missing_findings(tree):
    root = tree(
        {
            **alembic_tree(("1000", None), ("b100", "a100")),
            "migrations/versions/a100_step.py": 'revision = make_id()\ndown_revision = "1000"\n',
        }
    )
    result = check(root)
    assert [d.code for d in result.diagnostics] == ["DL108"]
    assert not result.project.environments[0].graph.complete


def test_dangling_parent_is_still_reported_when_every_file_is_placed(tree):
    root = tree(alembic_tree(("1000", None), ("b100", "a100")))
    result = check(root, select=["DL103"])
    assert found(result) == [
        "migrations/versions/b100_step.py:8:1 DL103 Revision a100 referenced from b100 (down_revision) "
        "is not present: Alembic crashes with KeyError: 'a100'"
    ]


def test_dynamic_depends_on_keeps_the_revision_in_the_graph(tree):
    root = tree(
        {
            **alembic_tree(("1000", None), ("a100", "1000")),
            "migrations/versions/b100_step.py": 'revision = "b100"\ndown_revision = "a100"\ndepends_on = get_deps()\n',
        }
    )
    result = check(root)
    graph = result.project.environments[0].graph
    assert graph.complete and "b100" in graph.by_id
    assert [n.revision for n in graph.heads] == ["b100"]
    assert [d.code for d in result.diagnostics] == ["DL108"]


def test_merge_revision_orders_both_branches_before_it(tree):
    root = tree(
        {
            **alembic_tree(("1000", None), ("a100", "1000"), ("b100", "1000")),
            "migrations/versions/m100_merge.py": revision("m100", ("a100", "b100")),
        }
    )
    graph = check(root).project.environments[0].graph
    assert graph.ancestors("m100") == {"1000", "a100", "b100"}
    assert not graph.is_ordered("a100", "b100")
    assert graph.is_ordered("a100", "m100")
    assert [n.revision for n in graph.load_order()] == ["1000", "a100", "b100", "m100"]


def test_two_environments_in_one_ini_get_independent_graphs(fixture_copy):
    result = check(fixture_copy("multi-section-ini"))
    graphs = {a.environment.section: a.graph for a in result.project.environments}
    assert set(graphs) == {"app", "audit"}
    assert sorted(graphs["app"].by_id) == ["1000", "1100"]
    assert sorted(n.revision for n in graphs["audit"].heads) == ["a100", "a200"]


def test_same_revision_ids_in_two_environments_are_not_duplicates(tree):
    files = {
        "alembic.ini": "[app]\nscript_location = %(here)s/app\npath_separator = os\n\n"
        "[audit]\nscript_location = %(here)s/audit\npath_separator = os\n",
    }
    for env in ("app", "audit"):
        files[f"{env}/env.py"] = ""
        files[f"{env}/versions/1000_base.py"] = revision("1000")
    assert found(check(tree(files))) == []


def test_linear_history_is_clean(tree):
    assert found(check(tree(alembic_tree(("1000", None), ("1100", "1000"), ("1200", "1100"))))) == []


# -- ancestry and cycles against networkx, on arbitrary graphs --------------------------------------

@st.composite
def parent_maps(draw: st.DrawFn) -> dict[str, tuple[str, ...]]:
    """child -> parents over up to 25 revisions, cycles and diamonds included, no self-loops."""
    names = [f"r{i}" for i in range(draw(st.integers(1, 25)))]
    return {
        name: tuple(dict.fromkeys(p for p in draw(st.lists(st.sampled_from(names), max_size=3)) if p != name))
        for name in names
    }


@hypothesis_settings(max_examples=300, deadline=None)
@given(parent_maps())
def test_ancestors_and_cycles_agree_with_networkx(parents: dict[str, tuple[str, ...]]):
    dag = nx.DiGraph()
    dag.add_nodes_from(parents)
    dag.add_edges_from((parent, child) for child, ps in parents.items() for parent in ps)
    names = sorted(parents)
    masks = _closure(parents, {name: bit for bit, name in enumerate(names)})
    for name in parents:
        assert {other for bit, other in enumerate(names) if masks[name] >> bit & 1} == nx.ancestors(dag, name)
    ours = sorted(sorted(c) for c in _cyclic_components(parents))
    theirs = sorted(sorted(c) for c in nx.strongly_connected_components(dag) if len(c) > 1)
    assert ours == theirs


def test_pending_revisions_on_a_cycle_are_listed_after_the_rest(tree):
    """DL901's upgrade order: revisions caught in a cycle (DL105) are still missing, not an error."""
    from driftlint.rules.database_not_at_head import _upgrade_order

    root = tree(alembic_tree(("1000", None), ("2000", "1000"), ("3000", "4000"), ("4000", "3000")))
    graph = check(root).project.environments[0].graph
    assert _upgrade_order(graph, set(graph.by_id)) == ["1000", "2000", "3000", "4000"]
