"""Graphviz DOT: `driftlint graph --format dot | dot -Tsvg > history.svg`."""

from __future__ import annotations

from collections.abc import Sequence

from driftlint.pictures import Picture, PictureNode, fold_runs


def render(pictures: Sequence[Picture], collapse: bool = True) -> str:
    """The digraph; with `collapse`, linear runs folded into one node each, as the text format does."""
    if collapse:
        pictures = [fold_runs(picture) for picture in pictures]
    lines = [
        "digraph driftlint {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for env_index, picture in enumerate(pictures):
        lines.append(f"  subgraph cluster_{env_index} {{")
        lines.append(f"    label={_quote(picture.name)};")
        ids = {node.revision: f"e{env_index}:{node.revision}" for node in picture.nodes}
        missing: set[str] = set()
        for node in picture.nodes:
            lines.append(f"    {_quote(ids[node.revision])} [{_attributes(node)}];")
            for parent in node.missing_parents:
                if parent not in missing:
                    missing.add(parent)
                    label = _quote(f"{parent}\n(missing)")
                    lines.append(f'    {_quote(f"e{env_index}:missing:{parent}")} [label={label}, style="dashed", color="gray50", fontcolor="gray50"];')
        for node in picture.nodes:
            for parent in node.parents:
                lines.append(f"    {_quote(ids[parent])} -> {_quote(ids[node.revision])};")
            for parent in node.missing_parents:
                lines.append(f'    {_quote(f"e{env_index}:missing:{parent}")} -> {_quote(ids[node.revision])} [style="dashed", color="gray50"];')
            for dependency in node.depends_on:
                if dependency in ids:
                    lines.append(f'    {_quote(ids[dependency])} -> {_quote(ids[node.revision])} [style="dashed", label="depends_on"];')
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _attributes(node: PictureNode) -> str:
    if node.folded:
        label = f"⋮ {len(node.folded)} revisions\n{node.folded[0]} … {node.folded[-1]}"
        return f'label={_quote(label)}, style="rounded,dashed"'
    label_lines = [node.revision]
    if node.title:
        label_lines.append(node.title)
    marks = [m for m, on in (("base", node.base), ("merge", node.merge), ("head", node.head)) if on]
    if node.labels:
        marks.append("label " + ", ".join(node.labels))
    if marks:
        label_lines.append("(" + "; ".join(marks) + ")")
    if node.findings:
        label_lines.append(" ".join(node.findings))
    attributes = [f"label={_quote(chr(10).join(label_lines))}"]
    if node.head:
        attributes.append("penwidth=2.5")
    if node.merge:
        attributes.append('fillcolor="#eeeeff", style="rounded,filled"')
    if node.findings:
        attributes.append('color="#cc0000", fontcolor="#990000"')
    return ", ".join(attributes)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
