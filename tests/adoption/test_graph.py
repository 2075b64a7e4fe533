"""`driftlint graph`: golden pictures per format, folding, deep histories, escaping."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from driftlint.pictures import Picture, PictureNode, dot, mermaid, text

from ..conftest import FIXTURES, write_tree
from .helpers import invoke

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DRIFTLINT_UPDATE_GOLDENS") == "1"
SCENARIOS = ["long-history-with-branches", "diamond-merge", "multiple-bases", "dangling-parent", "cycle", "effective-head"]
FORMATS = {"text": "txt", "mermaid": "mmd", "dot": "dot"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_graph_matches_the_golden_picture(scenario, fmt):
    result = invoke(FIXTURES / scenario, "graph", "--no-cache", "--format", fmt)

    golden = GOLDEN / f"{scenario}.{FORMATS[fmt]}"
    assert result.exit_code == 0, result.output
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_expand_lists_every_revision_of_a_folded_run():
    folded = invoke(FIXTURES / "long-history-with-branches", "graph", "--no-cache").stdout
    expanded = invoke(FIXTURES / "long-history-with-branches", "graph", "--no-cache", "--expand").stdout

    assert "⋮ 6 revisions: 1001 … 1006" in folded and "1003" not in folded.replace("1001 … 1006", "")
    assert all(f"● 100{i}  add account" in expanded for i in range(1, 7))
    assert "⋮" not in expanded


def node(revision: str, parents: tuple[str, ...], children: tuple[str, ...], title: str = "", **marks: object) -> PictureNode:
    return PictureNode(
        revision=revision, title=title, path=f"versions/{revision}.py", parents=parents, missing_parents=(),
        depends_on=(), children=children, labels=tuple(marks.get("labels", ())),  # type: ignore[arg-type]
        head=not children, base=not parents, findings=tuple(marks.get("findings", ())),  # type: ignore[arg-type]
    )


def diamonds(rounds: int) -> Picture:
    """`rounds` fork-and-merge rounds in a row: root -> (l, r) -> m -> (l, r) -> m ..."""
    nodes = [node("m0", (), ("l1", "r1"))]
    for i in range(1, rounds + 1):
        after = (f"l{i + 1}", f"r{i + 1}") if i < rounds else ()
        nodes += [
            node(f"l{i}", (f"m{i - 1}",), (f"m{i}",)),
            node(f"r{i}", (f"m{i - 1}",), (f"m{i}",)),
            node(f"m{i}", (f"l{i}", f"r{i}"), after),
        ]
    return Picture("deep", tuple(nodes))


def test_many_branch_and_merge_rounds_stay_in_one_column_and_within_the_stack():
    rounds = sys.getrecursionlimit() * 2

    drawn = text.render([diamonds(rounds)]).splitlines()

    assert len(drawn) == 1 + 1 + 3 * rounds
    assert drawn[-3:] == [f"├─● l{rounds}  → m{rounds}", f"└─● r{rounds}  → m{rounds}", f"● m{rounds}  (merge of l{rounds}, r{rounds}; head)"]


def test_labels_with_markup_characters_are_escaped():
    picture = Picture('cfg "x"', (node("a1", (), (), title='add "<b>" & #1 [x]'),))

    drawn_mermaid = mermaid.render([picture])
    drawn_dot = dot.render([picture])

    assert 'e0n0["a1<br/>add #quot;#lt;b#gt;#quot; #amp; #35;1 [x]<br/>(base; head)"]' in drawn_mermaid
    assert '"e0:a1" [label="a1\\nadd \\"<b>\\" & #1 [x]\\n(base; head)", penwidth=2.5];' in drawn_dot


def test_several_environments_get_a_subgraph_each():
    first = Picture("alembic.ini", (node("a1", (), ()),))
    second = Picture("alembic.ini [billing]", (node("a1", (), ()),))

    drawn_mermaid = mermaid.render([first, second])
    drawn_dot = dot.render([first, second])

    assert 'subgraph env0["alembic.ini"]' in drawn_mermaid and 'subgraph env1["alembic.ini [billing]"]' in drawn_mermaid
    assert "subgraph cluster_0" in drawn_dot and "subgraph cluster_1" in drawn_dot
    assert '"e0:a1"' in drawn_dot and '"e1:a1"' in drawn_dot


def test_graph_of_a_directory_without_alembic_says_so(tmp_path):
    result = invoke(tmp_path, "graph", "--no-cache")

    assert result.exit_code == 0
    assert result.stdout == "No Alembic environment found.\n"


# -- large histories: Mermaid draws nothing past maxTextSize (50,000) or maxEdges (500) ---------------


def history(parents: dict[str, tuple[str, ...]], findings: frozenset[str] = frozenset()) -> Picture:
    children: dict[str, list[str]] = {}
    for revision, ups in parents.items():
        for parent in ups:
            children.setdefault(parent, []).append(revision)
    return Picture("alembic.ini", tuple(
        node(r, ups, tuple(children.get(r, ())), title=f"revision {r} of a long history", findings=("DL101",) if r in findings else ())
        for r, ups in parents.items()
    ))


def chain(n: int) -> dict[str, tuple[str, ...]]:
    return {f"r{i}": (f"r{i - 1}",) if i else () for i in range(n)}


def branchy(n: int) -> dict[str, tuple[str, ...]]:
    """A fork off every third revision, merged by the next: nothing for folding to take."""
    parents: dict[str, tuple[str, ...]] = {"r0": ()}
    for i in range(1, n):
        parents[f"r{i}"] = (f"r{i - 1}", f"r{i - 2}") if i % 3 == 0 and i > 1 else (f"r{i - 1}",) if i % 3 != 2 else (f"r{i - 2}",)
    return parents


def mermaid_edges(drawn: str) -> int:
    return sum(1 for line in drawn.splitlines() if " --> " in line or " -.-> " in line or " .-> " in line)


SHAPES = {
    "chain": (chain(2000), frozenset()),
    "branchy": (branchy(2000), frozenset({"r1999"})),
    "bases-merged": ({**{f"b{i}": () for i in range(1999)}, "m": tuple(f"b{i}" for i in range(1999))}, frozenset(f"b{i}" for i in range(1999))),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_mermaid_of_2000_revisions_stays_within_what_mermaid_draws(shape):
    parents, findings = SHAPES[shape]
    drawn = mermaid.render([history(parents, findings)])

    assert len(drawn) <= mermaid.MAX_TEXT and mermaid_edges(drawn) <= mermaid.MAX_EDGES
    declared = {line.split("[", 1)[0].strip() for line in drawn.splitlines() if '["' in line}
    used = {part.strip() for line in drawn.splitlines() if " --> " in line for part in line.split(" --> ")}
    assert used <= declared  # every edge joins drawn nodes


def test_mermaid_that_does_not_fit_keeps_the_heads_and_findings_and_counts_the_rest():
    parents = branchy(2000)
    drawn = mermaid.render([history(parents, frozenset({"r5"}))])

    assert 'r1999<br/>revision r1999 of a long history<br/>(head)' in drawn
    assert '"r5<br/>' in drawn  # a finding deep in the history is still drawn
    [earlier] = [line for line in drawn.splitlines() if "earlier revisions" in line]
    kept = sum(1 for line in drawn.splitlines() if '["r' in line)
    assert f"⋮ {2000 - kept} earlier revisions" in earlier


def test_dot_and_mermaid_fold_linear_runs_and_expand_draws_them():
    picture = history(chain(2000))

    assert len(mermaid.render([picture])) < 2000 and len(dot.render([picture])) < 2000
    assert "⋮ 1998 revisions<br/>r1 … r1998" in mermaid.render([picture])
    assert '"e0:r1" [label="⋮ 1998 revisions\\nr1 … r1998", style="rounded,dashed"];' in dot.render([picture])
    assert mermaid.render([picture], collapse=False).count("<br/>revision r") == 2000
    assert dot.render([picture], collapse=False).count("of a long history") == 2000


def test_declared_environments_are_drawn_under_their_names(tmp_path):
    write_tree(tmp_path, {
        "driftlint.toml": '[[environments]]\nname = "analytics"\nscript-location = "a/migrations"\n\n'
                          '[[environments]]\nname = "billing"\nscript-location = "b/migrations"\n',
        "a/migrations/versions/1.py": 'revision = "1"\ndown_revision = None\n',
        "b/migrations/versions/1.py": 'revision = "1"\ndown_revision = None\n',
    })
    drawn = invoke(tmp_path, "graph", "--no-cache").stdout

    assert drawn.splitlines()[0] == "analytics: 1 revision, 1 head" and "billing: 1 revision, 1 head" in drawn
