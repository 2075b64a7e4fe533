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


DEFINITIONS = [
    ("def f():\n    pass\n", "def f"),
    ("def  f():\n    pass\n", "def  f"),
    ("async\tdef   g():\n    pass\n", "async\tdef   g"),
    ("class  K(Base):\n    pass\n", "class  K"),
    ("x = 'é'\nclass Ké: pass\n", "class Ké"),
    ("def ｆｏｏ():\n    pass\n", "def ｆｏｏ"),  # the tree holds `foo` (NFKC)
    ("def e\u0301x():\n    pass\n", "def e\u0301x"),  # the tree holds `éx`, one character shorter
    ("def g[T](x: T):\n    pass\n", "def g"),
    ("@decorator\nasync def u():\n    pass\n", "async def u"),
]


def test_definition_spans_cover_the_keywords_and_the_name_as_written():
    from driftlint.source import definition_span

    for text, expected in DEFINITIONS:
        if "[T]" in text and not _parses(text):
            continue  # type parameters: Python 3.12
        source = SourceFile.from_bytes(Path("/m.py"), text.encode())
        node = next(n for n in ast.walk(source.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
        row, column, end_row, end_column = definition_span(node, source.lines)
        assert row == end_row
        assert source.lines[row - 1][column - 1 : end_column - 1] == expected, text


def test_header_and_task_spans_follow_the_source_spelling():
    """Both users of definition_span: the revision header's `def upgrade` and a Celery function."""
    from driftlint.celery.extract import extract
    from driftlint.revisions import read_header

    text = 'revision = "a"\ndown_revision = None\n\n\ndef  upgrade():\n    pass\n\n\nasync  def  task_ｆ():\n    pass\n'
    source = SourceFile.from_bytes(Path("/r.py"), text.encode())
    assert read_header(source.tree, "r.py", source.lines).upgrade_span == (5, 1, 5, 13)
    facts = extract(source.tree, source, None)
    spans = {function.name: function.span for function in facts.functions}
    assert spans == {"upgrade": (5, 1, 5, 13), "task_f": (9, 1, 9, 19)}


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True
