"""Which paths git ignores: `.gitignore` files and `.git/info/exclude`, matched as git's wildmatch does.

Only inside a git work tree, as Ruff and ripgrep do: a tarball or a Docker build context without
`.git` is checked whole. Each ignore file's patterns become a few regular expressions whose
alternatives are the patterns in reverse order, so one match finds the pattern that decides, as
git's "the last matching pattern wins". Tested against `git ls-files` (tests/core/test_gitignore.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from driftlint.inputs import UNRECORDED, Disk

# POSIX classes git's wildmatch knows (wildmatch.c); any other makes the pattern match nothing.
_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


@dataclass(frozen=True)
class _Patterns:
    """Some patterns of one file as one regular expression: its alternatives are the patterns in
    reverse order, so the first that matches is the last matching pattern; `order[n]` is the
    (line index, negated) of the pattern that capturing group n holds."""

    regex: re.Pattern[str]
    order: tuple[tuple[int, bool], ...]

    @classmethod
    def of(cls, patterns: list[tuple[int, str, bool]]) -> "_Patterns | None":
        if not patterns:
            return None
        ordered = patterns[::-1]
        regex = re.compile("|".join(f"({body})" for _index, body, _negated in ordered), re.DOTALL)
        return cls(regex, ((0, False), *((index, negated) for index, _body, negated in ordered)))

    def last_match(self, text: str) -> tuple[int, bool] | None:
        match = self.regex.fullmatch(text)
        return self.order[match.lastindex or 0] if match is not None else None


@dataclass(frozen=True)
class IgnoreFile:
    """The patterns of one ignore file, relative to `base` (an absolute folder path).

    A pattern without a slash matches a name at any depth: those are matched against the name
    alone, which is most patterns and much cheaper; the others against the path from `base`.
    Folders take every pattern, files all but `dir/` ones.
    """

    base: str
    file_names: _Patterns | None
    file_paths: _Patterns | None
    folder_names: _Patterns | None
    folder_paths: _Patterns | None

    def decides(self, prefix: str, name: str, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included by a `!` pattern, None: no pattern of this file
        matches `prefix + name` (`prefix` is the folder's path from `base`, with a final `/`)."""
        names, paths = (self.folder_names, self.folder_paths) if is_dir else (self.file_names, self.file_paths)
        by_name = names.last_match(name) if names is not None else None
        by_path = paths.last_match(prefix + name) if paths is not None else None
        if by_name is None or (by_path is not None and by_path[0] > by_name[0]):
            by_name = by_path
        return None if by_name is None else not by_name[1]


def parse(text: str, base: str) -> IgnoreFile | None:
    """An ignore file's text as git reads it (dir.c add_patterns_from_buffer, add_pattern);
    None when it has no pattern (comments only, as `git init` writes `info/exclude`)."""
    kinds: dict[tuple[bool, bool], list[tuple[int, str, bool]]] = {
        (folder, anchored): [] for folder in (False, True) for anchored in (False, True)
    }
    for index, line in enumerate(text.removeprefix("\ufeff").split("\n")):
        parsed = _pattern(line.removesuffix("\r"))
        if parsed is None:
            continue
        body, negated, only_folders, anchored = parsed
        kinds[True, anchored].append((index, body, negated))
        if not only_folders:
            kinds[False, anchored].append((index, body, negated))
    if not kinds[True, False] and not kinds[True, True]:
        return None
    return IgnoreFile(
        base,
        _Patterns.of(kinds[False, False]),
        _Patterns.of(kinds[False, True]),
        _Patterns.of(kinds[True, False]),
        _Patterns.of(kinds[True, True]),
    )


def _pattern(line: str) -> tuple[str, bool, bool, bool] | None:
    """(regex, negated, folders only, anchored) of one line; None for blanks, comments and
    patterns that can match nothing (an unterminated `[`, a trailing backslash, an unknown
    `[:class:]`). An anchored pattern (one with a slash) matches the path from the file's folder,
    the others a name at any depth."""
    line = _trim_trailing_spaces(line)
    if not line or line.startswith("#"):
        return None
    negative = line.startswith("!")
    if negative:
        line = line[1:]
    only_folders = line.endswith("/")
    if only_folders:
        line = line[:-1]
    if not line:
        return None
    anchored = "/" in line
    body = _translate(line.removeprefix("/") if anchored else line)
    if body is None:
        return None
    try:
        re.compile(body)
    except re.error:  # a reversed range such as [z-a]: git's wildmatch matches nothing there either
        return None
    return body, negative, only_folders, anchored


def _trim_trailing_spaces(line: str) -> str:
    """dir.c trim_trailing_spaces: trailing blanks go unless a backslash escapes them."""
    end = len(line)
    while end and line[end - 1] == " ":
        escapes = 0
        position = end - 2
        while position >= 0 and line[position] == "\\":
            escapes += 1
            position -= 1
        if escapes % 2:
            break
        end -= 1
    return line[:end]


def _translate(pattern: str) -> str | None:
    """A wildmatch pattern with WM_PATHNAME as a regular expression."""
    out: list[str] = []
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "*":
            end = index
            while end < length and pattern[end] == "*":
                end += 1
            whole_component = (index == 0 or pattern[index - 1] == "/") and (end == length or pattern[end] == "/")
            if end - index >= 2 and whole_component:
                if end == length:
                    out.append(".*")  # `**` or `dir/**`: everything below
                else:
                    out.append("(?:.*/)?")  # `**/`: zero or more folders
                    end += 1
            else:
                out.append("[^/]*")
            index = end
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            bracket = _bracket(pattern, index)
            if bracket is None:
                return None
            regex, index = bracket
            out.append(regex)
        elif char == "\\":
            if index + 1 == length:
                return None
            out.append(re.escape(pattern[index + 1]))
            index += 2
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """`[...]` from `start` as a regex class and the index after it; never matches `/`."""
    index, length = start + 1, len(pattern)
    negate = index < length and pattern[index] in "!^"
    if negate:
        index += 1
    items: list[str] = []
    first = True
    while index < length:
        char = pattern[index]
        if char == "]" and not first:
            body = "".join(items)
            return (f"[^/{body}]" if negate else f"(?!/)[{body}]"), index + 1
        first = False
        if char == "[" and pattern.startswith("[:", index):
            close = pattern.find(":]", index + 2)
            if close == -1 or pattern[index + 2 : close] not in _CLASSES:
                return None
            items.append(_CLASSES[pattern[index + 2 : close]])
            index = close + 2
            continue
        low, index = _bracket_char(pattern, index)
        if low is None:
            return None
        if index + 1 < length and pattern[index] == "-" and pattern[index + 1] != "]":
            high, index = _bracket_char(pattern, index + 1)
            if high is None:
                return None
            items.append(f"{re.escape(low)}-{re.escape(high)}")
        else:
            items.append(re.escape(low))
    return None


def _bracket_char(pattern: str, index: int) -> tuple[str | None, int]:
    if pattern[index] == "\\":
        return (pattern[index + 1], index + 2) if index + 1 < len(pattern) else (None, index + 1)
    return pattern[index], index + 1


def read(path: str, base: str, disk: Disk = UNRECORDED) -> IgnoreFile | None:
    """The ignore file at `path`; None when there is none, it is not a regular file, or it has
    no pattern."""
    try:
        if not disk.is_file(path):
            return None
        data = disk.read_bytes(path)
    except OSError:
        return None
    return parse(data.decode("utf-8", "surrogateescape"), base)


@dataclass(frozen=True)
class Ignores:
    """The ignore files that apply inside one folder, outermost first."""

    files: tuple[IgnoreFile, ...]

    def kept(self, folder: str, names: list[str], are_folders: bool) -> list[str]:
        """The `names` in `folder` (absolute, at or below every file's base) that git does not
        ignore, as the deepest ignore file with a matching pattern decides."""
        if not self.files:
            return names
        prefixes = []
        for ignore in self.files:
            relative = folder[len(ignore.base) + 1 :]
            if os.sep != "/":
                relative = relative.replace(os.sep, "/")
            prefixes.append(relative + "/" if relative else "")
        innermost_first = list(zip(reversed(self.files), reversed(prefixes)))
        kept = []
        for name in names:
            for ignore, prefix in innermost_first:
                decided = ignore.decides(prefix, name, are_folders)
                if decided is not None:
                    break
            else:
                decided = False
            if not decided:
                kept.append(name)
        return kept

    def inside(self, folder: str, names: list[str] | set[str], disk: Disk = UNRECORDED) -> "Ignores":
        """The ignore files for `folder`'s entries: its own `.gitignore` added; a nested
        repository (a `.git` entry: a submodule, a vendored clone) starts afresh."""
        if ".git" in names:
            return _repository(folder, disk)
        if ".gitignore" not in names:
            return self
        own = read(os.path.join(folder, ".gitignore"), folder, disk)
        return self if own is None else Ignores((*self.files, own))


def for_folder(folder: Path, disk: Disk = UNRECORDED) -> Ignores | None:
    """The ignore files that apply to `folder`'s entries: the work tree's `info/exclude` and
    every `.gitignore` from the work tree's top down to `folder`; None outside a git work tree."""
    current = os.path.abspath(folder)
    below: list[str] = []
    while not disk.lexists(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return None
        below.append(current)
        current = parent
    ignores = _repository(current, disk)
    for ancestor in reversed(below):
        ignores = ignores.inside(ancestor, {".gitignore"}, disk)
    return ignores


def _repository(work_tree: str, disk: Disk) -> Ignores:
    """A work tree's `info/exclude` and its top-level `.gitignore`."""
    files = []
    exclude = read(os.path.join(_git_dir(work_tree, disk), "info", "exclude"), work_tree, disk)
    if exclude is not None:
        files.append(exclude)
    top = read(os.path.join(work_tree, ".gitignore"), work_tree, disk)
    if top is not None:
        files.append(top)
    return Ignores(tuple(files))


def _git_dir(work_tree: str, disk: Disk) -> str:
    """The folder holding `info/exclude`: `.git`, or for a linked worktree or a submodule (a
    `.git` file saying `gitdir: ...`) the common folder it names."""
    dot_git = os.path.join(work_tree, ".git")
    if disk.is_dir(dot_git):
        return dot_git
    try:
        first = disk.read_text(dot_git, encoding="utf-8", errors="surrogateescape").partition("\n")[0].strip()
    except OSError:
        return dot_git
    if not first.startswith("gitdir:"):
        return dot_git
    git_dir = os.path.join(work_tree, first[len("gitdir:") :].strip())
    try:
        common = disk.read_text(os.path.join(git_dir, "commondir"), encoding="utf-8", errors="surrogateescape")
    except OSError:
        return git_dir
    return os.path.join(git_dir, common.partition("\n")[0].strip())
