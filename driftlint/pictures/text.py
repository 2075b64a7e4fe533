"""A compact tree for terminals: chains run down one column, branches indent, merges rejoin the fork's column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from driftlint.pictures import COLLAPSE_AT, Picture, PictureNode, plain


@dataclass
class _State:
    picture: Picture
    collapse: bool
    by_revision: dict[str, PictureNode]
    lines: list[str] = field(default_factory=list)
    printed: set[str] = field(default_factory=set)
    arrived: dict[str, int] = field(default_factory=dict)  # merge -> parents whose chain reached it
    order: dict[str, int] = field(default_factory=dict)


def render(pictures: Sequence[Picture], collapse: bool = True) -> str:
    blocks = [_render_one(picture, collapse) for picture in pictures]
    if not blocks:
        return "No Alembic environment found.\n"
    return "\n".join(blocks)


def _render_one(picture: Picture, collapse: bool) -> str:
    state = _State(picture, collapse, picture.by_revision)
    state.order = {node.revision: index for index, node in enumerate(picture.nodes)}
    heads = len(picture.heads)
    state.lines.append(
        f"{picture.name}: {_count(len(picture.nodes), 'revision')}, {_count(heads, 'head')}"
    )
    roots = [n for n in picture.nodes if not n.parents]
    _fork(state, roots, "", top=True)
    rest = [n for n in picture.nodes if n.revision not in state.printed]
    if rest:
        codes = sorted({code for n in rest for code in n.findings})
        state.lines.append(
            f"not reachable from a base (a cycle): {', '.join(n.revision for n in rest)}"
            + (f"  ✗ {' '.join(codes)}" if codes else "")
        )
    return "\n".join(state.lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _fork(state: _State, starts: list[PictureNode], prefix: str, top: bool = False) -> None:
    """Print each start's chain as a branch, then continue with the merges the branches closed.

    A chain that ends in a fork continues in the same loop, not deeper in the stack: a long
    history of branch-and-merge rounds must not exhaust Python's recursion limit; only
    indentation (branches within branches) recurses.
    """
    while starts:
        if len(starts) == 1 and not top:
            branches = _chain(state, starts[0], prefix, prefix)
            if branches:
                starts = branches
                continue
        else:
            for index, start in enumerate(starts):
                last = index == len(starts) - 1
                first, rest = (prefix, prefix) if top else (prefix + ("└─" if last else "├─"), prefix + ("  " if last else "│ "))
                branches = _chain(state, start, first, rest)
                if branches:
                    _fork(state, branches, rest)
        starts = _ready_merges(state)
        top = top and len(starts) > 1


def _ready_merges(state: _State) -> list[PictureNode]:
    ready = [
        state.by_revision[r]
        for r, count in state.arrived.items()
        if r not in state.printed and count >= len(state.by_revision[r].parents)
    ]
    for node in ready:
        del state.arrived[node.revision]
    return sorted(ready, key=lambda n: state.order[n.revision])


def _chain(state: _State, start: PictureNode, first_prefix: str, prefix: str) -> list[PictureNode]:
    """Print a chain down one column; returns the branches it ends in (a fork), if any."""
    node = start
    line_prefix = first_prefix
    run: list[PictureNode] = []
    while True:
        state.printed.add(node.revision)
        if state.collapse and plain(node):
            run.append(node)
        else:
            if run:
                _flush(state, run, line_prefix)
                line_prefix, run = prefix, []
            state.lines.append(f"{line_prefix}● {_describe(node, state)}")
            line_prefix = prefix
        children = [state.by_revision[c] for c in node.children if c not in state.printed]
        if len(children) == 1 and not children[0].merge:
            node = children[0]
            continue
        if run:
            _flush(state, run, line_prefix)
        for child in children:
            if child.merge:
                state.arrived[child.revision] = state.arrived.get(child.revision, 0) + 1
        return [c for c in children if not c.merge]


def _flush(state: _State, run: list[PictureNode], prefix: str) -> None:
    if not run:
        return
    if len(run) < COLLAPSE_AT:
        for index, node in enumerate(run):
            state.lines.append(f"{prefix if index == 0 else _continuation(prefix)}● {_describe(node, state)}")
        return
    state.lines.append(f"{prefix}⋮ {len(run)} revisions: {run[0].revision} … {run[-1].revision}")


def _continuation(prefix: str) -> str:
    return prefix.replace("├─", "│ ").replace("└─", "  ")


def _describe(node: PictureNode, state: _State) -> str:
    text = node.revision + (f"  {node.title}" if node.title else "")
    marks = []
    if node.base:
        marks.append("base")
    if node.merge:
        marks.append("merge of " + ", ".join((*node.parents, *node.missing_parents)))
    if node.missing_parents:
        marks.append("missing parent " + ", ".join(node.missing_parents))
    if node.depends_on:
        marks.append("depends on " + ", ".join(node.depends_on))
    if node.labels:
        marks.append("label " + ", ".join(node.labels))
    if node.head:
        marks.append("head")
    if marks:
        text += f"  ({'; '.join(marks)})"
    merges = [c for c in node.children if state.by_revision[c].merge]
    if merges:
        text += "  → " + ", ".join(merges)
    if node.findings:
        text += "  ✗ " + " ".join(node.findings)
    return text
