"""`--add-ignore`: suppress today's findings with `# driftlint: ignore[CODE]` comments on their lines."""

from __future__ import annotations

import ast
import io
import re
import token
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftlint.diagnostics import Diagnostic
from driftlint.fixes import FileEdit, Skipped, Workspace
from driftlint.rule import rule_by_selector

# Findings that a comment cannot silence: an unused-suppression finding is about the comment itself.
NOT_SUPPRESSIBLE = {"DL002": "a finding about a suppression comment cannot be suppressed by another"}
EXISTING = re.compile(r"#\s*driftlint:\s*ignore\s*\[([^\]]*)\]", re.IGNORECASE)


@dataclass(frozen=True)
class IgnoreOutcome:
    edits: list[FileEdit]
    added: dict[Path, int]  # codes written per file (one comment may carry several)
    skipped: list[Skipped]


def add_ignores(diagnostics: Sequence[Diagnostic], cwd: Path) -> IgnoreOutcome:
    """Plan comments for every finding located in a Python file; nothing is written here."""
    files = Workspace(cwd)
    skipped: list[Skipped] = []
    by_file: dict[Path, dict[int, list[Diagnostic]]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in NOT_SUPPRESSIBLE:
            skipped.append(Skipped(diagnostic, NOT_SUPPRESSIBLE[diagnostic.code]))
        elif not diagnostic.path.endswith((".py", ".pyi")):
            skipped.append(Skipped(diagnostic, "only Python files take suppression comments"))
        else:
            path = files.absolute(diagnostic.path)
            by_file.setdefault(path, {}).setdefault(diagnostic.location.row, []).append(diagnostic)
    added: dict[Path, int] = {}
    for path in sorted(by_file):
        rows = by_file[path]
        data = files.read(path)
        if data is None:
            skipped.extend(Skipped(d, "the file does not exist") for ds in rows.values() for d in ds)
            continue
        try:
            new_data, done, refused = comment_rows(data, {row: {d.code for d in ds} for row, ds in rows.items()})
        except CommentError as exc:
            skipped.extend(Skipped(d, str(exc)) for ds in rows.values() for d in ds)
            continue
        skipped.extend(Skipped(d, reason) for row, reason in refused.items() for d in rows[row])
        added[path] = done
        if new_data != data:
            files.write(path, new_data)
    return IgnoreOutcome(files.edits(), added, skipped)


class CommentError(Exception):
    """The file cannot take comments safely (it does not tokenize or parse)."""


@dataclass(frozen=True)
class _Line:
    end_in_string: bool  # the physical line ends inside a multi-line string
    starts_in_string: bool  # the line begins inside a string opened above
    continued: bool  # ends with a backslash continuation
    comment: tuple[int, int] | None  # the comment's column span on this line


def comment_rows(data: bytes, wanted: dict[int, set[str]]) -> tuple[bytes, int, dict[int, str]]:
    """Add `# driftlint: ignore[...]` for `wanted` {1-based row: codes}; returns (data, codes added, refused rows).

    The comment goes at the end of the finding's line (extending one already there). When that
    line ends inside a string or a backslash continuation, it goes on a line of its own above,
    which suppresses the next line too.
    """
    encoding, bom, text = _decode(data)
    lines = _physical_lines(text)
    info = _scan(text, lines)
    newline = _newline(text)
    refused: dict[int, str] = {}
    added = 0
    for row in sorted(wanted, reverse=True):  # bottom up: inserted lines do not shift the rest
        if row < 1 or row > len(lines):
            refused[row] = f"line {row} is not in the file"
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        facts = info[row - 1]
        match = EXISTING.search(body, facts.comment[0]) if facts.comment is not None else None
        listed = [c.strip() for c in match.group(1).split(",") if c.strip()] if match else []
        codes = sorted(wanted[row] - {_code(c) for c in listed})
        if not codes:
            continue
        if match:
            start, end = match.span(1)
            lines[row - 1] = body[:start] + ", ".join([*listed, *codes]) + body[end:] + ending
        elif not facts.end_in_string and not facts.continued:
            lines[row - 1] = body.rstrip(" \t") + f"  # driftlint: ignore[{', '.join(codes)}]" + (ending or "")
        elif not facts.starts_in_string and not (row > 1 and info[row - 2].continued):
            indent = body[: len(body) - len(body.lstrip(" \t"))]
            lines.insert(row - 1, f"{indent}# driftlint: ignore[{', '.join(codes)}]{newline}")
        else:
            refused[row] = f"line {row} continues a string or a backslash-continued line, where no comment fits"
            continue
        added += len(codes)
    result = "".join(lines)
    _check_parses(result)
    return bom + result.encode(encoding), added, refused


def _decode(data: bytes) -> tuple[str, bytes, str]:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise CommentError(f"the file's encoding cannot be read: {exc}") from None
    bom = b""
    if encoding == "utf-8-sig":
        encoding = "utf-8"
        bom, data = data[:3], data[3:]
    try:
        return encoding, bom, data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise CommentError(f"the file does not decode as {encoding}: {exc}") from None


def _newline(text: str) -> str:
    for candidate in ("\r\n", "\n", "\r"):
        if candidate in text:
            return candidate
    return "\n"


def _physical_lines(text: str) -> list[str]:
    """Lines as the tokenizer counts them (\\n, \\r\\n, \\r), unlike str.splitlines, which also splits at \\f."""
    return io.StringIO(text, newline="").readlines()


def _scan(text: str, physical: list[str]) -> list[_Line]:
    count = len(physical)
    end_in_string = [False] * (count + 2)
    starts_in_string = [False] * (count + 2)
    comments: dict[int, tuple[int, int]] = {}
    string_starts: list[tuple[int, int]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tok.type
            if kind == token.COMMENT:
                comments[tok.start[0]] = (tok.start[1], tok.end[1])
            elif kind == token.STRING:
                _mark(tok.start[0], tok.end[0], end_in_string, starts_in_string)
            elif kind == getattr(token, "FSTRING_START", -1):
                string_starts.append(tok.start)
            elif kind == getattr(token, "FSTRING_END", -1) and string_starts:
                _mark(string_starts.pop()[0], tok.end[0], end_in_string, starts_in_string)
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        raise CommentError(f"the file does not tokenize: {exc}") from None
    result = []
    for index in range(count):
        body = physical[index].rstrip("\r\n")
        in_string = end_in_string[index + 1]
        continued = not in_string and body.endswith("\\") and (index + 1) not in comments
        result.append(_Line(in_string, starts_in_string[index + 1], continued, comments.get(index + 1)))
    return result


def _mark(first: int, last: int, end_in_string: list[bool], starts_in_string: list[bool]) -> None:
    for row in range(first, last):
        end_in_string[row] = True
        starts_in_string[row + 1] = True


def _code(selector: str) -> str:
    rule = rule_by_selector().get(selector) or rule_by_selector().get(selector.upper())
    return rule.code if rule is not None else selector


def _check_parses(text: str) -> None:
    """A comment must never change what the file means; refuse the edit if it would not parse."""
    try:
        ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        raise CommentError(f"adding the comment would break the file: {exc}") from None
