"""Reading one Python file once: bytes, decoded text, AST (never executed) and suppression comments."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings
from bisect import bisect_left
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

# `# driftlint: ignore[DL101, multiple-heads]`, `# driftlint: ignore-file[...]`, `# noqa: DL101`.
_SUPPRESS = re.compile(r"#\s*driftlint:\s*(ignore-file|ignore)\s*\[([^\]]*)\]", re.IGNORECASE)
# A noqa comment may list other tools' codes too (`# noqa: E501, DL101`): driftlint takes its own.
_NOQA = re.compile(r"#\s*noqa:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_OWN_CODE = re.compile(r"DL[0-9]+", re.IGNORECASE)


@dataclass(frozen=True)
class Suppression:
    """One code (or name) named by an ignore comment."""

    line: int
    column: int
    rule: str
    whole_file: bool


@dataclass(frozen=True)
class ParseError:
    message: str
    row: int
    column: int
    # The file is a Jinja/Cookiecutter template saved as .py (`{% if %}` lines, `{{ name }}`
    # where Python needs a name): no interpreter ever runs it as it is.
    template: bool = False
    # The failing line uses syntax a newer Python brought (`except A, B:` is Python 3.14's): the
    # version and the feature; the file may be fine for the Python the project runs on.
    newer: tuple[int, int] | None = None
    feature: str = ""


@dataclass
class SourceFile:
    """A file's content and what can be derived from it without running it.

    The tree's `col_offset`/`end_col_offset` count characters (code points), not the UTF-8 bytes
    `ast` gives: every column driftlint reports comes from them, and editors count characters.
    """

    path: Path  # absolute
    data: bytes
    text: str = ""
    tree: ast.Module | None = None
    error: ParseError | None = None
    suppressions: tuple[Suppression, ...] = ()

    @classmethod
    def from_bytes(cls, path: Path, data: bytes, parse: bool = True) -> "SourceFile":
        source = cls(path=path, data=data, text=decode(data))
        source.suppressions = tuple(find_suppressions(source.text))
        if parse:
            source.tree, source.error = parse_python(data)
            # isascii() on a str is a flag check: an ASCII file (bytes == characters) costs nothing.
            if source.tree is not None and not source.text.isascii():
                count_characters(source.tree, source.lines)
            if source.error is not None and looks_like_template(source.lines, source.error.row):
                source.error = replace(source.error, template=True)
        return source

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines as the AST numbers them, split on first use: only error reports, SQL
        positions and files with non-ASCII text need them."""
        return physical_lines(self.text)


def physical_lines(text: str) -> list[str]:
    """Lines split where Python's tokenizer splits them (\\n, \\r\\n, \\r), without their ends.
    str.splitlines() also splits at \\f, \\v, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029, which would
    shift every later row away from the AST's."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Python 3.11 gives some parts of an f-string the position of the whole string, outside their
# parent's: never skip below these.
_UNCONTAINED = (ast.JoinedStr, ast.FormattedValue)


def count_characters(tree: ast.AST, lines: list[str]) -> None:
    """Turn the tree's column offsets from UTF-8 bytes into characters, in place. Only text after
    a line's first non-ASCII character moves, so a node that ends before any is skipped whole,
    with everything inside it."""
    ascii_prefix: dict[int, int] = {}  # row -> where its first non-ASCII character is
    for row, line in enumerate(lines, start=1):
        if not line.isascii():
            ascii_prefix[row] = _NON_ASCII.search(line).start()  # type: ignore[union-attr]
    if not ascii_prefix:
        return
    wide = sorted(ascii_prefix)
    encoded: dict[int, bytes] = {}

    def characters(row: int, offset: int) -> int:
        line = encoded.get(row)
        if line is None:
            line = encoded[row] = lines[row - 1].encode("utf-8")
        return len(line[:offset].decode("utf-8", errors="ignore"))

    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        column = getattr(node, "col_offset", None)
        if column is not None:
            row, end_column = node.lineno, node.end_col_offset  # type: ignore[attr-defined]
            end_row = node.end_lineno or row  # type: ignore[attr-defined]
            if not isinstance(node, _UNCONTAINED):
                decorators = getattr(node, "decorator_list", None)  # they start above the definition
                index = bisect_left(wide, decorators[0].lineno if decorators else row)
                if index == len(wide) or wide[index] > end_row:
                    continue
                if wide[index] == end_row and end_column is not None and end_column <= ascii_prefix[end_row]:
                    continue
            if column > ascii_prefix.get(row, column):
                node.col_offset = characters(row, column)  # type: ignore[attr-defined]
            if end_column is not None and end_column > ascii_prefix.get(end_row, end_column):
                node.end_col_offset = characters(end_row, end_column)  # type: ignore[attr-defined]
        stack.extend(ast.iter_child_nodes(node))


def decode(data: bytes) -> str:
    """Decode like Python does (PEP 263 cookie, BOM), replacing what cannot be decoded."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    if b"coding" not in (data if second < 0 else data[:second]) and not data.startswith(b"\xef\xbb\xbf"):
        # No cookie in the first two lines and no BOM: UTF-8, without tokenize's line reading.
        return data.decode("utf-8", errors="replace")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    if encoding == "utf-8-sig" or data.startswith(b"\xef\xbb\xbf"):
        data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        encoding = "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


_JINJA_STATEMENT = re.compile(r"^\s*\{%-?\s*(?:if|for|elif|else|endif|endfor|set|macro|endmacro|block|endblock|include|import|from|raw|endraw)\b.*%\}\s*$")
_JINJA_EXPRESSION = re.compile(r"\{\{-?\s*[A-Za-z_][\w.]*(?:\s*\|[^{}]*)?\s*-?\}\}")


def looks_like_template(lines: list[str], error_row: int) -> bool:
    """Whether a file that does not parse is a Jinja/Cookiecutter template rather than broken Python:
    a line that is a `{% ... %}` statement tag (never valid Python), or `{{ name }}` on the failing line."""
    if 1 <= error_row <= len(lines) and _JINJA_EXPRESSION.search(lines[error_row - 1]):
        return True
    return any(_JINJA_STATEMENT.match(line) for line in lines)


def parse_python(data: bytes) -> tuple[ast.Module | None, ParseError | None]:
    """Parse without executing; every failure becomes a ParseError with a 1-based location."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(data), None
    except SyntaxError as exc:
        if exc.lineno is None and b"\x00" in data:
            # Python 3.12 and late 3.11 releases raise a SyntaxError without a position for null bytes.
            row, column = _first_bad_position(data)
            return None, ParseError(f"SyntaxError: {exc.msg}", row, column)
        row = exc.lineno or 1
        column = exc.offset or 1
        if not data.isascii():
            column = _error_column_in_characters(data, exc, column)
        newer = newer_syntax(exc.msg, exc.text or "", sys.version_info[:2])
        return None, ParseError(
            f"SyntaxError: {exc.msg}", max(row, 1), max(column, 1), newer=newer[0] if newer else None, feature=newer[1] if newer else ""
        )
    except (ValueError, UnicodeDecodeError) as exc:
        # ValueError: null bytes; UnicodeDecodeError: bytes that are not in the declared encoding.
        row, column = _first_bad_position(data)
        return None, ParseError(f"{type(exc).__name__}: {_one_line(str(exc))}", row, column)
    except (RecursionError, MemoryError):
        return None, ParseError("the file is nested too deeply to parse", 1, 1)


# Syntax later Pythons accept, recognised on the line a SyntaxError points at: (version, feature,
# the error messages older parsers give for it, the line's shape). Each shape is never valid in
# the Pythons before the version, and a line that has it fails there for that reason alone.
_NEWER_SYNTAX: tuple[tuple[tuple[int, int], str, tuple[str, ...], re.Pattern[str]], ...] = (
    ((3, 10), "`match` statements (PEP 634)", ("invalid syntax",), re.compile(r"^\s*match\b(?!\s*[=.,)]).*:\s*(#.*)?$")),
    ((3, 11), "`except*` (PEP 654)", ("invalid syntax",), re.compile(r"^\s*except\s*\*")),
    (
        (3, 12),
        "type parameters and `type` aliases (PEP 695)",
        ("invalid syntax", "expected '('"),
        re.compile(r"^\s*(type\s+[A-Za-z_]\w*\s*(\[[^=]*\])?\s*=|(async\s+)?def\s+[A-Za-z_]\w*\s*\[|class\s+[A-Za-z_]\w*\s*\[)"),
    ),
    (
        (3, 12),
        "backslashes and comments in f-string expressions (PEP 701)",
        ("f-string expression part cannot include a backslash", "f-string expression part cannot include '#'"),
        re.compile(r""),
    ),
    (
        (3, 14),
        "`except A, B:` without parentheses (PEP 758)",
        ("multiple exception types must be parenthesized",),
        re.compile(r"^\s*except\b\*?(?:(?!\bas\b)[^:#])*:"),
    ),
)


def newer_syntax(message: str, line: str, running: tuple[int, int]) -> tuple[tuple[int, int], str] | None:
    """The Python version, newer than `running`, whose syntax the failing `line` uses, and the
    feature (see _NEWER_SYNTAX); None for an error that no newer Python would accept either."""
    for version, feature, messages, shape in _NEWER_SYNTAX:
        if version > running and message in messages and shape.search(line):
            return version, feature
    return None


def _error_column_in_characters(data: bytes, exc: SyntaxError, column: int) -> int:
    """Parsing bytes, CPython gives the parser's errors in UTF-8 bytes (unless a coding cookie is
    present) and the tokenizer's in characters; parsing the decoded text gives characters for
    both. Take the column from there when it reports the same error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(decode(data))
    except SyntaxError as again:
        if (again.msg, again.lineno) == (exc.msg, exc.lineno) and again.offset:
            return again.offset
    except (ValueError, RecursionError, MemoryError):
        pass
    return column


def _first_bad_position(data: bytes) -> tuple[int, int]:
    """1-based row and column (in characters) of the first NUL or undecodable byte."""
    for row, line in enumerate(data.split(b"\n"), start=1):
        if b"\x00" in line:
            return row, len(line[: line.index(b"\x00")].decode("utf-8", errors="replace")) + 1
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return row, len(line[: exc.start].decode("utf-8")) + 1
    return 1, 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def find_suppressions(text: str) -> list[Suppression]:
    result: list[Suppression] = []
    lowered = text.lower()  # the comments are matched case-insensitively, so is this shortcut
    if "driftlint" not in lowered and "noqa" not in lowered:
        return result
    for row, line in enumerate(physical_lines(text), start=1):
        if "#" not in line:
            continue
        for match in _SUPPRESS.finditer(line):
            whole_file = match.group(1).lower() == "ignore-file"
            for item in match.group(2).split(","):
                if item.strip():
                    result.append(Suppression(row, match.start() + 1, item.strip(), whole_file))
        for match in _NOQA.finditer(line):
            for item in re.split(r"[\s,]+", match.group(1)):
                if _OWN_CODE.fullmatch(item):
                    result.append(Suppression(row, match.start() + 1, item.upper(), False))
    return result


# A definition's keywords and name as written: `def  name`, `async\tdef name`, `class Name`.
# The name runs to the parameters, type parameters, bases or colon (combining marks included).
_DEFINITION = re.compile(r"(?:async[ \t\f]+def|def|class)[ \t\f]+([^\s(\[:\\#]+)")


def definition_span(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines: list[str]) -> tuple[int, int, int, int]:
    """1-based span of `def name` (`async def name`, `class Name`) on a definition's first line,
    as written: any blanks between the words, and the name as spelled in the file (the tree holds
    it NFKC-normalised, which may be shorter). Falls back to one space and the tree's name when
    the line does not show them (a backslash continuation)."""
    row, column = node.lineno, node.col_offset
    keyword = "class" if isinstance(node, ast.ClassDef) else "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    end = column + len(keyword) + 1 + len(node.name)
    if 0 < row <= len(lines):
        line = lines[row - 1]
        # The usual spelling costs two comparisons; anything else is matched.
        if not (line.startswith(keyword, column) and line.startswith(node.name, column + len(keyword) + 1)
                and line[column + len(keyword)] == " " and not _continues_name(line, end)):
            match = _DEFINITION.match(line, column)
            if match is not None:
                end = match.end()
    return row, column + 1, row, end + 1


def _continues_name(line: str, end: int) -> bool:
    """Whether the name goes on past `end` (the tree's name is a normalised, shorter spelling)."""
    return end < len(line) and (line[end].isalnum() or line[end] == "_")


def node_location(node: ast.AST) -> tuple[int, int, int, int]:
    """1-based (row, column, end_row, end_column) of an AST node from a SourceFile's tree: columns
    count characters, and end_column is one past the node's last character."""
    try:  # hot: every statement and expression has all four (attribute reads beat getattr calls)
        row = node.lineno or 1  # type: ignore[attr-defined]
        column = (node.col_offset or 0) + 1  # type: ignore[attr-defined]
        end_row = node.end_lineno or row  # type: ignore[attr-defined]
        end_column = (node.end_col_offset or (column - 1)) + 1  # type: ignore[attr-defined]
    except AttributeError:
        row = getattr(node, "lineno", 1) or 1
        column = (getattr(node, "col_offset", 0) or 0) + 1
        end_row = getattr(node, "end_lineno", None) or row
        end_column = (getattr(node, "end_col_offset", None) or (column - 1)) + 1
    return row, column, end_row, end_column


@dataclass(frozen=True)
class LogicalLine:
    """One logical line as the tokenizer sees it: its block depth and its significant tokens
    (no comments, no line breaks inside brackets)."""

    depth: int
    tokens: tuple[tokenize.TokenInfo, ...]

    @property
    def first(self) -> str:
        return self.tokens[0].string

    @property
    def start_row(self) -> int:
        return self.tokens[0].start[0]

    @property
    def end_row(self) -> int:
        return self.tokens[-1].end[0]


@dataclass(frozen=True)
class TopLevelStatement:
    """A module-level statement: its logical lines, a compound statement's block and its
    `else`/`except`/`finally` clauses and a definition's decorators included."""

    lines: tuple[LogicalLine, ...]

    @property
    def start_row(self) -> int:
        return self.lines[0].start_row

    @property
    def end_row(self) -> int:
        return self.lines[-1].end_row


# Logical lines at depth 0 that continue the statement before them rather than start one.
_CLAUSES = frozenset({"else", "elif", "except", "finally"})
_SKIPPED_TOKENS = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING})


def top_level_statements(text: str) -> tuple[list[TopLevelStatement], int | None]:
    """The module-level statements of a file the parser rejects, found by the tokenizer alone,
    which accepts far more (Python 2's `print "x"`, syntax of newer Pythons, merge-conflict
    markers). Also the row where tokenizing stopped early (an unterminated string or bracket, an
    inconsistent dedent), None when it reached the end: the statements from there on are unknown,
    and the one in progress is left out."""
    logical: list[LogicalLine] = []
    depth = 0
    pending: list[tokenize.TokenInfo] = []
    stopped: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = token.type
            if kind == tokenize.INDENT:
                depth += 1
            elif kind == tokenize.DEDENT:
                depth -= 1
            elif kind == tokenize.NEWLINE:
                if pending:
                    logical.append(LogicalLine(depth, tuple(pending)))
                pending = []
            elif kind == tokenize.ENDMARKER:
                break
            elif kind not in _SKIPPED_TOKENS and not (kind == tokenize.ERRORTOKEN and token.string.isspace()):
                pending.append(token)
    except (tokenize.TokenError, SyntaxError) as exc:
        # IndentationError is a SyntaxError; newer tokenizers raise SyntaxError for more.
        position = exc.args[1] if isinstance(exc, tokenize.TokenError) and len(exc.args) > 1 else None
        row = position[0] if isinstance(position, tuple) else getattr(exc, "lineno", None)
        stopped = row if isinstance(row, int) and row > 0 else (pending[0].start[0] if pending else 1)
        if pending:
            stopped = min(stopped, pending[0].start[0])
    else:
        if pending:  # a last line without a newline token (older tokenizers)
            logical.append(LogicalLine(depth, tuple(pending)))
    statements: list[list[LogicalLine]] = []
    for line in logical:
        joins = statements and (
            line.depth > 0 or line.first in _CLAUSES or statements[-1][-1].depth == 0 and statements[-1][-1].first == "@"
        )
        if joins:
            statements[-1].append(line)
        else:
            statements.append([line])
    return [TopLevelStatement(tuple(lines)) for lines in statements], stopped
