"""driftlint's findings and edits in the Language Server Protocol's terms: positions, diagnostics, text edits."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from lsprotocol import types as lsp

from driftlint.diagnostics import Diagnostic, Location, Related, Severity

SOURCE = "driftlint"
SEVERITIES = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}
# A suppression that suppresses nothing is dead text: clients grey it out, as for Ruff's unused noqa.
UNNECESSARY = frozenset({"DL002"})


class Text:
    """A file's text as lines the way both Python's tokenizer and the protocol count them (\\n,
    \\r\\n and \\r end a line; a form feed does not), converting between driftlint's 1-based
    rows and code-point columns and the client's 0-based positions in its encoding."""

    def __init__(self, text: str, encoding: str = lsp.PositionEncodingKind.Utf16):
        self.text = text
        self.lines = io.StringIO(text, newline="").readlines()
        self.encoding = encoding

    def position(self, location: Location) -> lsp.Position:
        """The client position of a 1-based row and character column (clamped to the text)."""
        if location.row > len(self.lines):
            return lsp.Position(line=len(self.lines), character=0)
        line = self.lines[max(location.row, 1) - 1].rstrip("\r\n")
        return lsp.Position(line=max(location.row, 1) - 1, character=self._units(line[: max(location.column, 1) - 1]))

    def location(self, position: lsp.Position) -> Location:
        """The 1-based row and character column of a client position."""
        if position.line >= len(self.lines):
            return Location(len(self.lines) + 1, 1)
        line = self.lines[position.line].rstrip("\r\n")
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return Location(position.line + 1, index + 1)
            units += self._units(char)
        return Location(position.line + 1, len(line) + 1)

    def range(self, start: Location, end: Location) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(end))

    def offset(self, position: lsp.Position) -> int:
        """The index into `text` of a client position."""
        location = self.location(position)
        return sum(len(line) for line in self.lines[: location.row - 1]) + location.column - 1

    def position_at(self, offset: int) -> lsp.Position:
        """The client position of an index into `text`."""
        row = 0
        for line in self.lines:
            if offset < len(line) or (offset == len(line) and not line.endswith(("\n", "\r"))):
                break
            offset -= len(line)
            row += 1
        line = self.lines[row] if row < len(self.lines) else ""
        return lsp.Position(line=row, character=self._units(line[:offset]))

    def _units(self, text: str) -> int:
        if self.encoding == lsp.PositionEncodingKind.Utf32 or text.isascii():
            return len(text)
        if self.encoding == lsp.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Paths:
    """The client's paths and the real ones the engine works with: a workspace folder reached
    through a symlink (macOS's /tmp, a linked checkout) is checked at its real path, and
    every URI sent back names the file as the client does."""

    def __init__(self) -> None:
        self.links: dict[Path, Path] = {}  # real folder -> the folder as the client names it

    def add(self, client: Path) -> Path:
        """A folder the client named; its real path."""
        real = client.resolve()
        if real != client:
            self.links[real] = client
        return real

    def real(self, uri: str) -> Path | None:
        """The real path of a file:// URI (None for other schemes, such as untitled:)."""
        from pygls.uris import to_fs_path

        text = to_fs_path(uri) if uri.startswith("file:") else None
        if not text:
            return None
        path = Path(os.path.normpath(text))
        for real, client in self.links.items():
            if path.is_relative_to(client):
                return real / path.relative_to(client)
        return path

    def uri(self, path: Path) -> str:
        for real, client in self.links.items():
            if path.is_relative_to(real):
                return (client / path.relative_to(real)).as_uri()
        return path.as_uri()


def absolute(folder: Path, relpath: str) -> Path:
    """A finding's path (relative to the folder checked) as an absolute path."""
    return Path(os.path.normpath(folder / relpath))


def message_of(diagnostic: Diagnostic) -> str:
    """The message with what `full` output shows under it: the fix title and the titled context blocks."""
    lines = [diagnostic.message]
    if diagnostic.fix_title:
        lines.append(f"help: {diagnostic.fix_title}")
    for title, block in diagnostic.context:
        lines.append(f"{title}:")
        lines.extend(f"  {line}" for line in block)
    return "\n".join(lines)


@dataclass(frozen=True)
class Mark:
    """Where a finding shows in one file: at its own location, or (`via`) at a related location
    in another file, as `check FILE` shows a finding that names FILE among its related
    locations (the other head of two, the revision that creates the table)."""

    diagnostic: Diagnostic
    path: Path  # absolute
    start: Location
    end: Location
    via: Related | None = None


def marks(diagnostic: Diagnostic, absolute_of: Callable[[str], Path]) -> list[Mark]:
    """A finding's marks: its own, then one in each other file its related locations name
    (`absolute_of`: a path relative to the folder checked, made absolute)."""
    own = absolute_of(diagnostic.path)
    found = [Mark(diagnostic, own, diagnostic.location, diagnostic.end)]
    seen = {own}
    for related in diagnostic.related:
        path = absolute_of(related.path)
        if path not in seen:
            seen.add(path)
            found.append(Mark(diagnostic, path, related.location, related.location, related))
    return found


def to_lsp(mark: Mark, text_of: Callable[[Path], Text | None], uri_of: Callable[[Path], str], folder: Path) -> lsp.Diagnostic:
    """One mark as a protocol diagnostic; `text_of` gives a file's text (None: unreadable, the
    positions pass through as they are), `uri_of` its URI."""
    diagnostic = mark.diagnostic
    related = [
        (absolute(folder, r.path), r.location, r.note) for r in diagnostic.related if mark.via is None or r != mark.via
    ]
    message = message_of(diagnostic)
    if mark.via is not None:
        message = f"{mark.via.note}: {message}"
        related.insert(0, (absolute(folder, diagnostic.path), diagnostic.location, f"{diagnostic.code} ({diagnostic.name}) is reported here"))
    return lsp.Diagnostic(
        range=_range(text_of(mark.path), mark.start, mark.end),
        severity=SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=lsp.CodeDescription(href=diagnostic.url),
        source=SOURCE,
        message=message,
        tags=[lsp.DiagnosticTag.Unnecessary] if diagnostic.code in UNNECESSARY and mark.via is None else None,
        related_information=[
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=uri_of(path), range=_range(text_of(path), location, location)), message=note
            )
            for path, location, note in related
        ]
        or None,
        data={"fingerprint": diagnostic.fingerprint(), "name": diagnostic.name},
    )


def _range(text: Text | None, start: Location, end: Location) -> lsp.Range:
    if text is not None:
        if start == end and start.row <= len(text.lines):
            # A point (a config line, a related location): its line's text, for a mark an editor shows.
            width = len(text.lines[start.row - 1].rstrip())
            end = Location(start.row, max(start.column, width + 1))
        return text.range(start, end)
    return lsp.Range(
        start=lsp.Position(line=start.row - 1, character=start.column - 1),
        end=lsp.Position(line=end.row - 1, character=end.column - 1),
    )


def text_edits(before: Text, after: str) -> list[lsp.TextEdit]:
    """The one edit that turns `before` into `after`: the span between their common prefix and
    suffix (an editor then keeps the cursor and the undo history of the rest)."""
    old = before.text
    if old == after:
        return []
    prefix = 0
    limit = min(len(old), len(after))
    while prefix < limit and old[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == after[len(after) - 1 - suffix]:
        suffix += 1
    # Never split a \r\n pair: the protocol counts it as one line end.
    if 0 < prefix < len(old) and old[prefix - 1] == "\r" and old[prefix] == "\n":
        prefix -= 1
    end = len(old) - suffix
    if 0 < suffix and 0 < end and old[end - 1] == "\r" and old[end] == "\n":
        suffix -= 1
    return [
        lsp.TextEdit(
            range=lsp.Range(start=before.position_at(prefix), end=before.position_at(len(old) - suffix)),
            new_text=after[prefix : len(after) - suffix],
        )
    ]


def contains(span: tuple[Location, Location], location: Location) -> bool:
    """Whether a finding's span holds a location; a span of no width holds its whole line."""
    start, end = span
    if start == end:
        return location.row == start.row
    return start <= location <= end


def overlaps(span: tuple[Location, Location], first: Location, last: Location) -> bool:
    """Whether a finding's span meets the range [first, last] (a span of no width: its line)."""
    start, end = span
    if start == end:
        return first.row <= start.row <= last.row
    return start <= last and first <= end


def publish_key(found: Sequence[Mark], version: int | None) -> tuple[object, ...]:
    """What a file's published diagnostics depend on: the same key, nothing to send again."""
    return (tuple(found), version)
