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


# -- what DL2xx conclude from ancestry and from the order `upgrade heads` runs ---------------------


def schema_tree(revisions: dict[str, str]) -> dict[str, str | bytes]:
    return dict(schema_alembic_tree(revisions))


def schema_found(root, *codes: str) -> list[tuple[str, str, str, str]]:
    """(code, severity, path, message) of the schema findings."""
    result = check(root, select=codes)
    return [(d.code, d.severity.value, d.path, d.message) for d in result.diagnostics]


def test_nothing_is_concluded_above_a_dangling_down_revision(tree):
    """c1 uses `tenants`, created by the unordered a1; but c1's parent b0 is missing (DL103), so
    whether a1 runs before c1 is not known: Alembic does not run at all, and DL103 says why."""
    root = tree(schema_tree({
        "a1": schema_revision("a1", None, TENANTS),
        "c1": schema_revision("c1", "b0", USES_TENANTS),
        "d1": schema_revision("d1", "c1", 'op.drop_table("tenants")'),
    }))
    result = check(root, select=["DL103", "DL201", "DL202", "DL203"])
    assert [d.code for d in result.diagnostics] == ["DL103"]
    assert result.project.environments[0].graph.uncertain == {"c1", "d1"}


def test_revisions_beside_a_dangling_down_revision_are_still_checked(tree):
    root = tree(schema_tree({
        "a1": schema_revision("a1", None, TENANTS),
        "b1": schema_revision("b1", None, USES_TENANTS),
        "c1": schema_revision("c1", "b0", "pass"),
    }))
    assert sorted(d.code for d in check(root, select=["DL103", "DL201"]).diagnostics) == ["DL103", "DL201"]


def test_nothing_is_concluded_above_a_revision_whose_header_cannot_be_read(tree):
    root = tree(schema_tree({
        "a1": schema_revision("a1", None, TENANTS),
        "b1": 'revision = "b1"\ndown_revision = f"{PARENTS["x"]}"\n',
        "c1": schema_revision("c1", "b1", USES_TENANTS),
    }))
    assert [d.code for d in check(root, select=["DL001", "DL201"]).diagnostics] == ["DL001"]


def test_a_revision_that_does_not_parse_may_have_created_what_its_children_use(tree):
    """b1 (Python 2) keeps its place, but what it does is unknown: it may create `tenants` itself."""
    root = tree(schema_tree({
        "a1": schema_revision("a1", None, TENANTS),
        "b1": 'revision = "b1"\ndown_revision = None\n\ndef upgrade():\n    print "creating tenants"\n',
        "c1": schema_revision("c1", "b1", USES_TENANTS),
    }))
    assert [d.code for d in check(root, select=["DL001", "DL201"]).diagnostics] == ["DL001"]


def test_cross_branch_reference_that_fails_today_is_an_error_naming_the_order(tree):
    # Two bases: `upgrade heads` runs the head loaded last first, so b1 runs before a1.
    root = tree(schema_tree({
        "a1": schema_revision("a1", None, TENANTS),
        "b1": schema_revision("b1", None, USES_TENANTS),
    }))
    [(code, severity, path, message)] = schema_found(root, "DL201")
    assert (code, severity, path) == ("DL201", "error", "migrations/versions/b1.py")
    assert message.endswith("`alembic upgrade heads` runs `b1` before `a1`, so a fresh database fails here (`tenants` does not exist yet)")


def test_cross_branch_reference_that_works_by_accident_is_a_warning(tree):
    root = tree(schema_tree({
        "a1": schema_revision("a1", None, USES_TENANTS),
        "b1": schema_revision("b1", None, TENANTS),
    }))
    result = check(root, select=["DL201"])
    [finding] = result.diagnostics
    assert (finding.severity.value, finding.path) == ("warning", "migrations/versions/a1.py")
    assert finding.message.endswith(
        "it works today only because `alembic upgrade heads` happens to run `b1` first; nothing declares that order, "
        "and a new sibling or merge can flip it"
    )
    assert dict(finding.context)["Order of `alembic upgrade heads`"] == ("#1 b1 (migrations/versions/b1.py)", "#2 a1 (migrations/versions/a1.py)")
    assert result.project.environments[0].graph.upgrade_order.revisions == ("b1", "a1")


def test_one_finding_per_pair_of_unordered_revisions_listing_every_object(tree):
    tables = [f"t{i}" for i in range(10)]
    root = tree(schema_tree({
        "a0": schema_revision("a0", None, "\n".join(f'op.create_table("{t}")' for t in tables)),
        "a1": schema_revision("a1", "a0", "\n".join(f'op.drop_table("{t}")' for t in tables)),
        "b1": schema_revision("b1", "a0", "\n".join(f'op.add_column("{t}", sa.Column("x", sa.Integer))' for t in tables)),
    }))
    result = check(root, select=["DL203"])
    [finding] = result.diagnostics
    assert finding.subject == ("a1", "b1")
    assert len(dict(finding.context)["Objects"]) == 10 and len(finding.related) == 10
    # b1 loads last, so it runs first: its ALTERs run before a1's DROPs, which works today.
    assert finding.severity.value == "warning"
    assert "change the same 10 objects (table `t0`, table `t1`, table `t2` and 7 more)" in finding.message
    assert finding.fix_title == 'Order the two revisions: add `depends_on = "b1"` to `a1`'


def test_heads_of_a_declared_environment_name_it_not_the_settings_file(tree):
    root = tree({
        "driftlint.toml": '[[environments]]\nname = "analytics"\nscript-location = "a/migrations"\n',
        "a/migrations/versions/1.py": revision("1"),
        "a/migrations/versions/2.py": revision("2", "1"),
        "a/migrations/versions/3.py": revision("3", "1"),
    })
    [finding] = check(root, select=["DL101"]).diagnostics
    assert finding.fix_title == 'Merge the heads of environment `analytics`: `alembic merge -m "merge heads" 2 3`'


def test_findings_on_many_bases_merged_by_one_revision_stay_linear_in_size(tree):
    """Each base's multiple-bases finding once listed every base: N findings of N lines each."""
    bases = [(f"b{i:03d}", None) for i in range(300)]
    root = tree({
        **alembic_tree(*bases),
        "migrations/versions/m_merge.py": revision("m", tuple(rid for rid, _ in bases)),
    })
    findings = check(root, select=["DL102"]).diagnostics
    assert len(findings) == 299
    assert all(len(dict(f.context)["Bases"]) == 11 for f in findings)
    assert dict(findings[0].context)["Bases"][-1] == "… and 290 more"


def test_ancestry_through_a_long_cycle_is_shared_by_its_members(tree):
    """A cycle of 500 revisions under a chain: every member has the whole cycle and the chain as
    ancestors (one set built per strongly connected component, not one walk per member)."""
    chain = [(f"c{i:03d}", f"c{i - 1:03d}" if i else None) for i in range(20)]
    cycle = [(f"y{i:03d}", f"y{i - 1:03d}" if i else ("c019", "y499")) for i in range(500)]
    graph = check(tree(alembic_tree(*chain, *cycle)), select=["DL105"]).project.environments[0].graph
    members = {rid for rid, _ in cycle}
    assert graph.ancestors("y250") == (members - {"y250"}) | {rid for rid, _ in chain}
    assert graph.upgrade_order is None  # Alembic refuses the history (DL105)


def test_a_missing_location_of_a_declared_environment_names_the_environment(tree):
    root = tree({
        "driftlint.toml": '[[environments]]\nname = "analytics"\nscript-location = "a/migrations"\n\n'
                          '[[environments]]\nname = "billing"\nscript-location = "b/migrations"\n',
        "a/migrations/versions/1.py": revision("1"),
    })
    messages = sorted(d.message for d in check(root, select=["DL106"]).diagnostics)
    assert messages == [
        "Environment `billing` declares `b/migrations/versions`, which does not exist",
        "Environment `billing` declares `b/migrations`, which does not exist",
    ]
