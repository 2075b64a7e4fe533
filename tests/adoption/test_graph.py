"""`driftlint graph`: golden pictures per format, folding, deep histories, escaping."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from driftlint.pictures import Picture, PictureNode, dot, mermaid, text

from ..conftest import FIXTURES
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
