"""Output formats: each is one module here with a `render(diagnostics, context) -> str` function."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from driftlint.diagnostics import Diagnostic

Renderer = Callable[[Sequence[Diagnostic], "RenderContext"], str]


@dataclass
class RenderContext:
    cwd: Path
    color: bool = False
    tool_version: str = ""
    rules: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # code -> (name, summary, severity)
    show_fixes: bool = True
    files_checked: int = 0

    def read_lines(self, relpath: str) -> list[str] | None:
        try:
            data = (self.cwd / relpath).read_bytes()
        except OSError:
            return None
        from driftlint.source import decode

        return decode(data).splitlines()


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
    return formats()[format_name](diagnostics, context)


def rule_metadata() -> dict[str, tuple[str, str, str]]:
    from driftlint.rule import all_rules

    return {r.code: (r.name, r.summary, r.severity.value) for r in all_rules()}
