"""Mermaid flowchart source: paste it into a GitHub comment inside a ```mermaid block."""

from __future__ import annotations

from collections.abc import Sequence

from driftlint.pictures import Picture, PictureNode, by_recency, fold_runs, recent

# Mermaid's defaults (maxTextSize, maxEdges), which GitHub and mermaid-cli keep: a longer text or
# more edges is not drawn at all.
MAX_TEXT = 50_000
MAX_EDGES = 500

CLASSES = (
    "classDef head stroke-width:3px",
    "classDef base stroke:#070,stroke-width:2px",
    "classDef merge fill:#eef",
    "classDef finding fill:#fee,stroke:#c00,color:#900",
    "classDef missing stroke-dasharray:4 4,color:#888",
    "classDef folded stroke-dasharray:2 2,color:#555",
)


def render(pictures: Sequence[Picture], collapse: bool = True) -> str:
    """The flowchart; with `collapse`, linear runs folded and, when it is still too large for
    Mermaid, the history drawn from the heads down as far as fits, with findings always shown."""
    if not collapse:
        return _render(pictures)[0]
    pictures = [fold_runs(picture) for picture in pictures]
    drawn, edges = _render(pictures)
    if len(drawn) <= MAX_TEXT and edges <= MAX_EDGES:
        return drawn
    # The most revisions of each environment that fit, the heads and findings first.
    ranked = [by_recency(picture) for picture in pictures]
    low, high = 0, max(len(picture.nodes) for picture in pictures)
    best = _render([recent(picture, 0, order) for picture, order in zip(pictures, ranked)])[0]
    while low < high:
        middle = (low + high + 1) // 2
        attempt, edges = _render([recent(picture, middle, order) for picture, order in zip(pictures, ranked)])
        if len(attempt) <= MAX_TEXT and edges <= MAX_EDGES:
            best, low = attempt, middle
        else:
            high = middle - 1
    return best


def _render(pictures: Sequence[Picture]) -> tuple[str, int]:
    """The text and its number of edges."""
    lines = ["flowchart TD"]
    edges = 0
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
                    edges += 1
            edges += len(node.parents) + len(node.missing_parents)
        for class_name, members in _classes(picture, ids, missing).items():
            if members:
                lines.append(f"{indent}class {','.join(members)} {class_name}")
        if nested:
            lines.append("  end")
    lines.extend(f"  {line}" for line in CLASSES)
    return "\n".join(lines) + "\n", edges


def _classes(picture: Picture, ids: dict[str, str], missing: dict[str, str]) -> dict[str, list[str]]:
    classes: dict[str, list[str]] = {
        "head": [], "base": [], "merge": [], "finding": [], "missing": list(missing.values()), "folded": []
    }
    for node in picture.nodes:
        key = ids[node.revision]
        marks = (
            ("head", node.head), ("base", node.base), ("merge", node.merge), ("finding", bool(node.findings)),
            ("folded", bool(node.folded or node.omitted)),
        )
        for name, flag in marks:
            if flag:
                classes[name].append(key)
    return classes


def _label(node: PictureNode) -> str:
    if node.omitted:
        return f"⋮ {node.omitted} earlier revisions"
    if node.folded:
        return f"⋮ {len(node.folded)} revisions<br/>{_escape(node.folded[0])} … {_escape(node.folded[-1])}"
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
