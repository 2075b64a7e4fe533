"""Mermaid flowchart source: paste it into a GitHub comment inside a ```mermaid block."""

from __future__ import annotations

from collections.abc import Sequence

from driftlint.pictures import Picture, PictureNode

CLASSES = (
    "classDef head stroke-width:3px",
    "classDef base stroke:#070,stroke-width:2px",
    "classDef merge fill:#eef",
    "classDef finding fill:#fee,stroke:#c00,color:#900",
    "classDef missing stroke-dasharray:4 4,color:#888",
)


def render(pictures: Sequence[Picture]) -> str:
    lines = ["flowchart TD"]
    nested = len(pictures) > 1
    for env_index, picture in enumerate(pictures):
        indent = "    " if nested else "  "
        if nested:
            lines.append(f'  subgraph env{env_index}["{_escape(picture.name)}"]')
        else:
            lines.append(f"  %% {picture.name}")
        ids = {node.revision: f"e{env_index}n{index}" for index, node in enumerate(picture.nodes)}
        missing: dict[str, str] = {}
        for node in picture.nodes:
            lines.append(f'{indent}{ids[node.revision]}["{_label(node)}"]')
            for parent in node.missing_parents:
                if parent not in missing:
                    missing[parent] = f"e{env_index}m{len(missing)}"
                    lines.append(f'{indent}{missing[parent]}["{_escape(parent)} (missing)"]')
        for node in picture.nodes:
            for parent in node.parents:
                lines.append(f"{indent}{ids[parent]} --> {ids[node.revision]}")
            for parent in node.missing_parents:
                lines.append(f"{indent}{missing[parent]} -.-> {ids[node.revision]}")
            for dependency in node.depends_on:
                if dependency in ids:
                    lines.append(f"{indent}{ids[dependency]} -. depends_on .-> {ids[node.revision]}")
        for class_name, members in _classes(picture, ids, missing).items():
            if members:
                lines.append(f"{indent}class {','.join(members)} {class_name}")
        if nested:
            lines.append("  end")
    lines.extend(f"  {line}" for line in CLASSES)
    return "\n".join(lines) + "\n"


def _classes(picture: Picture, ids: dict[str, str], missing: dict[str, str]) -> dict[str, list[str]]:
    classes: dict[str, list[str]] = {"head": [], "base": [], "merge": [], "finding": [], "missing": list(missing.values())}
    for node in picture.nodes:
        key = ids[node.revision]
        for name, flag in (("head", node.head), ("base", node.base), ("merge", node.merge), ("finding", bool(node.findings))):
            if flag:
                classes[name].append(key)
    return classes


def _label(node: PictureNode) -> str:
    parts = [_escape(node.revision)]
    if node.title:
        parts.append(_escape(node.title))
    marks = [m for m, on in (("base", node.base), ("merge", node.merge), ("head", node.head)) if on]
    if node.labels:
        marks.append("label " + ", ".join(node.labels))
    if marks:
        parts.append(_escape("(" + "; ".join(marks) + ")"))
    if node.findings:
        parts.append("✗ " + " ".join(node.findings))
    return "<br/>".join(parts)


def _escape(text: str) -> str:
    """Mermaid entity codes: quotes and angle brackets would end or open markup in a label."""
    return (
        text.replace("#", "#35;")
        .replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
    )
