"""Static reading of an Alembic revision file's header (`revision`, `down_revision`, ...)."""

from __future__ import annotations

import ast
import re
import tokenize
import warnings
from dataclasses import dataclass, field

from driftlint.source import (
    LogicalLine,
    TopLevelStatement,
    SourceFile,
    count_characters,
    definition_span,
    node_location,
    top_level_statements,
)

HEADER_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
LEGACY_FILENAME = re.compile(r"^([a-f0-9]+)\.py$")
ILLEGAL_ID_CHARS = "@-+:"

Span = tuple[int, int, int, int]


@dataclass(frozen=True)
class HeaderProblem:
    attribute: str
    message: str
    span: Span
    # The value is in a statement that does not parse (the file's parse error says so): not
    # dynamic, only unreadable until the file is fixed.
    unreadable: bool = False


@dataclass
class RevisionHeader:
    """What Alembic would read from the module's attributes, derived without running it."""

    revision: str | None = None
    revision_from_filename: bool = False
    has_revision: bool = False
    # None: base. A tuple of parent ids otherwise (the empty string is kept: it is a bug to report).
    down_revision: tuple[str, ...] | None = None
    has_down_revision: bool = False
    down_revision_is_set: bool = False
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    # `depends_on = ""` (or `("",)`): Alembic keeps the scalar "" as the dependencies, resolves
    # nothing from it (`if revision.dependencies:`), yet the revision is no longer a real base.
    depends_on_blank: bool = False
    spans: dict[str, Span] = field(default_factory=dict)
    problems: list[HeaderProblem] = field(default_factory=list)
    doc: str = ""
    # The `def upgrade` line (its keyword and name), where findings about the function point.
    upgrade_span: Span | None = None

    @property
    def is_dynamic(self) -> bool:
        return bool(self.problems)

    def span(self, attribute: str) -> Span:
        return self.spans.get(attribute) or self.spans.get("revision") or (1, 1, 1, 1)


class _Unresolved(Exception):
    def __init__(self, reason: str, node: ast.AST):
        super().__init__(reason)
        self.reason = reason
        self.node = node


def _literal(node: ast.expr, constants: dict[str, ast.expr], depth: int = 0) -> object:
    """A str, None, or tuple of str; raises _Unresolved for anything else."""
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, str):
            return node.value
        kind = type(node.value).__name__
        raise _Unresolved(f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} literal is not a revision identifier", node)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = []
        for element in node.elts:
            value = _literal(element, constants, depth + 1)
            if not isinstance(value, str):
                raise _Unresolved("every item must be a string literal", element)
            items.append(value)
        if isinstance(node, ast.Set) and len(items) > 1:
            raise _Unresolved("a set has no order, so Alembic would see the parents in hash order", node)
        return tuple(items)
    if isinstance(node, ast.Name) and node.id in constants and depth < 5:
        return _literal(constants[node.id], constants, depth + 1)
    if isinstance(node, ast.JoinedStr):
        raise _Unresolved("an f-string is only known at run time", node)
    if isinstance(node, ast.Call):
        raise _Unresolved("a function call is only known at run time", node)
    if isinstance(node, ast.Name):
        raise _Unresolved(f"`{node.id}` is not a module-level literal", node)
    kind = type(node).__name__
    raise _Unresolved(f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind} expression is only known at run time", node)


def _assigned_names(node: ast.AST) -> set[str]:
    """Header names bound anywhere inside a compound statement (not inside nested scopes)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child.name in HEADER_NAMES:
                    names.add(child.name)
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store) and child.id in HEADER_NAMES:
                names.add(child.id)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                for alias in child.names:
                    bound = (alias.asname or alias.name).split(".")[0]
                    if bound in HEADER_NAMES:
                        names.add(bound)
            stack.append(child)
    return names


def _as_tuple(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    assert isinstance(value, tuple)
    return value or None


def read_header(tree: ast.Module, filename: str, lines: list[str] | None = None) -> RevisionHeader:
    """The revision header of a parsed file; `lines` (its text's physical lines) place the `def
    upgrade` span as written."""
    header = RevisionHeader(doc=_docstring_title(tree))
    constants: dict[str, ast.expr] = {}
    values: dict[str, tuple[ast.expr | None, ast.AST, str | None]] = {}

    def bind(name: str, value: ast.expr | None, where: ast.AST, reason: str | None = None) -> None:
        values[name] = (value, where, reason)
        if name in header.spans:
            del header.spans[name]
        header.spans[name] = node_location(where)

    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = statement.value
                    if target.id in HEADER_NAMES:
                        bind(target.id, statement.value, statement)
                elif isinstance(target, (ast.Tuple, ast.List)):
                    value = statement.value
                    items = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else None
                    for index, element in enumerate(target.elts):
                        if isinstance(element, ast.Name) and element.id in HEADER_NAMES:
                            if items is not None:
                                bind(element.id, items[index], statement)
                            else:
                                bind(element.id, None, statement, "tuple unpacking of a non-literal")
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.value is not None:
                constants[statement.target.id] = statement.value
                if statement.target.id in HEADER_NAMES:
                    bind(statement.target.id, statement.value, statement)
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
            if statement.target.id in HEADER_NAMES:
                bind(statement.target.id, None, statement.target, "augmented assignment is only known at run time")
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if statement.name == "upgrade":
                # The `def upgrade` line only: a span over the body would change with every edit
                # inside it, and with it the header every graph rule reads (see Rule.reads).
                header.upgrade_span = definition_span(statement, lines or [])
            if statement.name in HEADER_NAMES:
                bind(statement.name, None, statement, "a function is not a revision identifier")
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                bound = (alias.asname or alias.name).split(".")[0]
                if bound in HEADER_NAMES:
                    bind(bound, None, statement, "an imported value is only known at run time")
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # the docstring: a literal binds nothing
        else:
            for name in sorted(_assigned_names(statement)):
                kind = type(statement).__name__.lower()
                bind(name, None, statement, f"it is assigned inside a module-level `{kind}` block")

    for name, (expression, where, reason) in values.items():
        resolved: object = None
        try:
            if reason is not None or expression is None:
                raise _Unresolved(reason or "", where)
            resolved = _literal(expression, constants)
        except _Unresolved as exc:
            header.problems.append(HeaderProblem(name, exc.reason, node_location(where)))
            if name == "revision":
                header.has_revision = True
            if name == "down_revision":
                header.has_down_revision = True
            continue
        if name == "revision":
            header.has_revision = True
            if isinstance(resolved, str):
                header.revision = resolved
            else:
                header.problems.append(
                    HeaderProblem(name, "`revision` must be a single string", node_location(where))
                )
        elif name == "down_revision":
            header.has_down_revision = True
            header.down_revision_is_set = True
            header.down_revision = _as_tuple(resolved)
        elif name == "branch_labels":
            header.branch_labels = _as_tuple(resolved) or ()
        elif name == "depends_on":
            header.depends_on = _as_tuple(resolved) or ()
            if header.depends_on == ("",):
                # Revision.__init__: tuple_rev_as_scalar(to_tuple(...)) makes this "", which is falsy.
                header.depends_on, header.depends_on_blank = (), True

    if not header.has_revision:
        match = LEGACY_FILENAME.match(filename)
        if match:
            header.revision = match.group(1)
            header.revision_from_filename = True
    return header


def _docstring_title(tree: ast.Module) -> str:
    """The first line of `ast.get_docstring(tree, clean=True)`, stripped. Cleaning only removes
    whitespace at the start of lines, which stripping the first line removes anyway, so the
    inspect.cleandoc pass over the whole docstring is skipped."""
    first = tree.body[0] if tree.body else None
    if not isinstance(first, ast.Expr) or not isinstance(first.value, ast.Constant) or not isinstance(first.value.value, str):
        return ""
    text = first.value.value.expandtabs().strip()
    return text.splitlines()[0].strip() if text else ""


def looks_like_revision(tree: ast.Module) -> bool:
    """Whether a module defines any header name or an `upgrade` function (for unscanned files)."""
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    return True
    return False


# Git's merge-conflict markers (diff3 style included): a binding between them has two values.
_CONFLICT_MARKER = re.compile(r"^(?:<{7}|\|{7}|={7}|>{7})(?:\s|$)")
_AUGMENTED = frozenset({"+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@="})
_BINDING_STATEMENTS = frozenset({"for", "import", "from", "with", "except", "global", "del", "async"})
_DEFINITIONS = frozenset({"def", "class", "async", "@"})


def recover_header(source: SourceFile, filename: str) -> RevisionHeader | None:
    """The header of a revision file with a syntax error, read from the module-level statements
    that parse (found by the tokenizer), so one broken file does not cut its children from the graph.

    A statement that does not parse is left out; where it binds a header name, that name is
    unreadable (a HeaderProblem marked `unreadable`), as is a binding between merge-conflict
    markers and, when tokenizing stopped early, every name not bound before that point. None for
    a file that is not text (null bytes, undecodable bytes, unreadable) or whose statements the
    tokenizer cannot tell apart.
    """
    error = source.error
    if error is None or not error.message.startswith("SyntaxError") or b"\x00" in source.data:
        return None
    if "encoding" in error.message or "decode" in error.message:
        return None  # the text itself is not what Python would read
    text = source.text
    statements, stopped = top_level_statements(text)
    if not statements and stopped is not None:
        return None
    lines = source.lines
    conflicted = _conflict_rows(lines)
    kept = [""] * len(lines)
    unreadable: list[tuple[str, int, Span]] = []
    upgrade_span: Span | None = None
    for statement in statements:
        first, last = statement.start_row, statement.end_row
        names = _bound_header_names(statement)
        if any(row in conflicted for row in range(first, last + 1)):
            for name in sorted(names):
                unreadable.append((name, first, _statement_span(statement)))
            continue
        segment = lines[first - 1 : last]
        if _parses("\n".join(segment)):
            kept[first - 1 : last] = segment
            continue
        for name in sorted(names):
            unreadable.append((name, first, _statement_span(statement)))
        span = _upgrade_definition(statement)
        if span is not None:
            upgrade_span = span
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse("\n".join(kept))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not text.isascii():
        count_characters(tree, lines)
    header = read_header(tree, filename, lines)
    if header.upgrade_span is None:
        header.upgrade_span = upgrade_span
    for name, row, span in unreadable:
        bound = header.spans.get(name)
        if bound is None or bound[0] < row:  # the unreadable binding is the last one
            _make_unreadable(header, name, span, "it is in a statement that does not parse")
    if stopped is not None:
        for name in HEADER_NAMES:
            bound = header.spans.get(name)
            if bound is None or bound[0] >= stopped:
                _make_unreadable(header, name, (stopped, 1, stopped, 1), f"the file cannot be read past line {stopped}")
    return header


def _make_unreadable(header: RevisionHeader, name: str, span: Span, reason: str) -> None:
    header.problems = [p for p in header.problems if p.attribute != name]
    header.problems.append(HeaderProblem(name, reason, span, unreadable=True))
    header.spans[name] = span
    if name == "revision":
        header.revision, header.has_revision, header.revision_from_filename = None, True, False
    elif name == "down_revision":
        header.down_revision, header.has_down_revision, header.down_revision_is_set = None, True, False
    elif name == "branch_labels":
        header.branch_labels = ()
    elif name == "depends_on":
        header.depends_on, header.depends_on_blank = (), False


def _parses(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _conflict_rows(lines: list[str]) -> set[int]:
    """Rows from a `<<<<<<<` marker to its `>>>>>>>` (to the end when it has none)."""
    rows: set[int] = set()
    start: int | None = None
    for row, line in enumerate(lines, start=1):
        if not _CONFLICT_MARKER.match(line):
            if start is not None:
                rows.add(row)
            continue
        if line.startswith("<"):
            start = row
        rows.add(row)
        if line.startswith(">"):
            start = None
    return rows


def _statement_span(statement: TopLevelStatement) -> Span:
    first, last = statement.lines[0].tokens[0], statement.lines[-1].tokens[-1]
    return first.start[0], first.start[1] + 1, last.end[0], last.end[1] + 1


def _bound_header_names(statement: TopLevelStatement) -> set[str]:
    """Header names a module-level statement may bind, read from its tokens: assignment targets,
    annotated and augmented assignments, walrus targets, and any header name in a `for`, `import`,
    `with`, `except`, `global` or `del` line. Bodies of functions and classes are their own scope."""
    names: set[str] = set()
    local_below: int | None = None  # depth of a definition whose body is being skipped
    for line in statement.lines:
        if local_below is not None:
            if line.depth > local_below:
                continue
            local_below = None
        if line.first in _DEFINITIONS:
            definition = next((t for t in line.tokens if t.string in ("def", "class")), None)
            if definition is not None:
                index = line.tokens.index(definition)
                if index + 1 < len(line.tokens) and line.tokens[index + 1].string in HEADER_NAMES:
                    names.add(line.tokens[index + 1].string)
                local_below = line.depth
            continue
        names |= _names_bound_by(line)
    return names


def _names_bound_by(line: LogicalLine) -> set[str]:
    tokens = line.tokens
    candidates = [
        (index, token) for index, token in enumerate(tokens)
        if token.type == tokenize.NAME and token.string in HEADER_NAMES and not (index and tokens[index - 1].string == ".")
    ]
    if not candidates:
        return set()
    if line.first in _BINDING_STATEMENTS:
        return {token.string for _, token in candidates}
    # Targets are what comes before the last `=` outside brackets (`a = b = value`).
    level = 0
    last_equals = -1
    for index, token in enumerate(tokens):
        if token.string in ("(", "[", "{"):
            level += 1
        elif token.string in (")", "]", "}"):
            level -= 1
        elif token.string == "=" and level == 0:
            last_equals = index
    names = set()
    for index, token in candidates:
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if index < last_equals or following in _AUGMENTED or following == ":=" or (following == ":" and last_equals > index):
            names.add(token.string)
    return names


def _upgrade_definition(statement: TopLevelStatement) -> Span | None:
    """The `def upgrade` span of a module-level definition that does not parse."""
    line = next((line for line in statement.lines if line.first != "@"), None)
    if line is None or line.depth != 0:
        return None
    tokens = line.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.string == "def" and tokens[index + 1].string == "upgrade":
            name = tokens[index + 1]
            begin = tokens[index - 1] if index and tokens[index - 1].string == "async" else token
            return begin.start[0], begin.start[1] + 1, name.end[0], name.end[1] + 1
    return None
