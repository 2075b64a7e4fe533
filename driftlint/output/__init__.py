"""Output formats: each is one module here with a `render(diagnostics, context) -> str` function."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from driftlint.diagnostics import Diagnostic

Renderer = Callable[[Sequence[Diagnostic], "RenderContext"], str]


@dataclass
class RenderContext:
    cwd: Path
    color: bool = False
    tool_version: str = ""
    rules: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)  # code -> (name, summary, severity)
    show_fixes: bool = True
    files_checked: int = 0
    # Each fixable finding's own fix, by fingerprint, as JSON carries it (driftlint.fixes.Suggestion).
    fix_edits: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def read_text(self, relpath: str) -> str | None:
        try:
            data = (self.cwd / relpath).read_bytes()
        except OSError:
            return None
        from driftlint.source import decode

        return decode(data)

    def read_lines(self, relpath: str) -> list[str] | None:
        """The file's lines, numbered as findings number them."""
        from driftlint.source import physical_lines

        text = self.read_text(relpath)
        return None if text is None else physical_lines(text)


def formats() -> dict[str, Renderer]:
    import driftlint.output as package

    found: dict[str, Renderer] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        render = getattr(module, "render", None)
        if render is not None:
            found[info.name.rstrip("_")] = render
    return dict(sorted(found.items()))


FORMAT_NAMES = ("full", "concise", "json", "github", "sarif", "gitlab", "junit")


def render(diagnostics: Sequence[Diagnostic], format_name: str, context: RenderContext) -> str:
    """The report in `format_name`, always valid UTF-8 (see `undecodable_escaped`)."""
    return undecodable_escaped(_renderer(format_name)(diagnostics, context), in_json=format_name in JSON_FORMATS)


def _renderer(format_name: str) -> Renderer:
    if format_name in FORMAT_NAMES:
        # Import only the format asked for: the others' imports (XML for JUnit...) are a
        # noticeable part of a run answered from the cache.
        for module_name in (format_name, f"{format_name}_"):
            try:
                module = importlib.import_module(f"{__name__}.{module_name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{module_name}":
                    raise
                continue
            render_function: Renderer = module.render
            return render_function
    return formats()[format_name]


JSON_FORMATS = ("json", "sarif", "gitlab")
# How Python spells a file name's bytes that are not UTF-8 (os.fsdecode's surrogate escapes).
UNDECODABLE = re.compile("[\udc80-\udcff]")


def undecodable_escaped(text: str, in_json: bool) -> str:
    """`text` with each byte of a file name that is not UTF-8 written `\\xff`, as Python's
    backslashreplace shows it: a report is UTF-8 (JSON, SARIF and JUnit say so), which such a
    byte is not. Inside JSON strings, where alone these characters can be, the backslash is
    itself escaped, so the document stays valid JSON that reads back as `\\xff`."""
    if not UNDECODABLE.search(text):
        return text
    backslash = "\\\\" if in_json else "\\"
    return UNDECODABLE.sub(lambda match: f"{backslash}x{ord(match.group()) - 0xDC00:02x}", text)


def rule_metadata() -> Mapping[str, tuple[str, str, str]]:
    """code -> (name, summary, severity), imported on first use: a warm run answered from the
    cache would otherwise import every rule module (and networkx, pglast) just to print."""
    return _RuleMetadata()


class _RuleMetadata(Mapping[str, tuple[str, str, str]]):
    def __init__(self) -> None:
        self._data: dict[str, tuple[str, str, str]] | None = None

    def _load(self) -> dict[str, tuple[str, str, str]]:
        if self._data is None:
            from driftlint.rule import all_rules

            self._data = {r.code: (r.name, r.summary, r.severity.value) for r in all_rules()}
        return self._data

    def __getitem__(self, code: str) -> tuple[str, str, str]:
        return self._load()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())
