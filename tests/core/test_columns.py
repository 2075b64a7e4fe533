"""Property: every column in a SourceFile's tree counts characters, whatever non-ASCII text surrounds the node."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from driftlint.source import SourceFile, physical_lines

TEXTS = ["", "é", "日本", "🎉", "e\u0301", "ü ß"]
NAMES = ["", "é", "日本"]
# `{t}` is any text, `{n}` text an identifier may end with; several lines, f-strings with format
# specs (Python 3.11 gives their parts odd positions), decorators above their definition.
TEMPLATES = [
    'x{n} = "{t}"; y = x{n} + "{t}"',
    'f(a, "{t}", key=[1, 2])  # {t}',
    'z = f"{{x}} {t} {{y!r:>{{w}}}}"',
    'def g{n}(a="{t}"):\n    return {{"{t}": a}}',
    '@d("{t}")\nclass K:\n    v{n} = 1',
    'print(\n    "{t}"\n    f"{{a}} {t} {{b:^{{w}}}}"\n)',
    'x = (f"{{a:{{w}}}}"\n     "{t}")',
    "v = 1  # {t}",
]

programs = st.lists(
    st.tuples(st.sampled_from(TEMPLATES), st.sampled_from(TEXTS), st.sampled_from(NAMES)), min_size=1, max_size=6
).map(lambda parts: "\n".join(template.format(t=text, n=name) for template, text, name in parts) + "\n")


def character_columns(data: bytes) -> list[tuple[str, int, int, int, int | None]]:
    """What each node's columns must be: its line's UTF-8 bytes up to the offset, decoded and counted."""
    lines = [line.encode("utf-8") for line in physical_lines(data.decode("utf-8"))]

    def count(row: int, offset: int) -> int:
        return len(lines[row - 1][:offset].decode("utf-8"))

    return [
        (type(n).__name__, n.lineno, count(n.lineno, n.col_offset), n.end_lineno, count(n.end_lineno, n.end_col_offset))
        for n in ast.walk(ast.parse(data))
        if hasattr(n, "col_offset")
    ]


@given(programs)
def test_every_column_of_the_tree_counts_characters(program: str):
    data = program.encode("utf-8")
    tree = SourceFile.from_bytes(Path("/project/mod.py"), data).tree
    assert tree is not None
    columns = [
        (type(n).__name__, n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)
        for n in ast.walk(tree)
        if hasattr(n, "col_offset")
    ]
    assert columns == character_columns(data)
