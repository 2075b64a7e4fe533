"""The plain `driftlint check` invocations the fast tiers answer, told apart without click.

Standard library only: driftlint.snapshot reads these before anything else is imported.
"""

from __future__ import annotations

from typing import Sequence

FORMATS = ("full", "concise", "json", "github", "sarif", "gitlab", "junit")
COLOR_CHOICES = ("auto", "always", "never")

_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--exit-zero": "exit_zero"}
_VALUED = {
    "--output-format": "output_format",
    "--color": "color",
    "--select": "select",
    "--ignore": "ignore",
    "--extend-select": "extend_select",
    "--settings": "settings_file",
    "--cache-dir": "cache_dir",
    "--baseline": "baseline",
}
_REPEATABLE = ("select", "ignore", "extend_select")


class PlainCheck:
    """A `driftlint check` invocation that only names paths and the options the fast tiers handle.

    A plain class: dataclasses (and what it imports) would cost the first tier of a warm run more
    than the rest of it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.select: list[str] = []
        self.ignore: list[str] = []
        self.extend_select: list[str] = []
        self.output_format: str | None = None
        self.color = "auto"
        self.settings_file: str | None = None
        self.cache_dir: str | None = None
        self.baseline: str | None = None
        self.quiet = False
        self.exit_zero = False


def split_codes(values: Sequence[str]) -> tuple[str, ...]:
    """Rule selectors from repeated, comma-separated options: `--select DL1,DL2 --select DL3`."""
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


def parse(argv: Sequence[str]) -> PlainCheck | None:
    """The options of `check ...` when every argument is one this path handles, else None."""
    if not argv or argv[0] != "check":
        return None
    found = PlainCheck()
    given: set[str] = set()
    arguments = list(argv[1:])
    while arguments:
        argument = arguments.pop(0)
        if argument in _FLAGS:
            setattr(found, _FLAGS[argument], True)
            continue
        name, equals, value = argument.partition("=")
        if name in _VALUED:
            if not equals:
                if not arguments:
                    return None
                value = arguments.pop(0)
            key = _VALUED[name]
            if key in _REPEATABLE:
                getattr(found, key).append(value)
            elif key in given:
                return None  # given twice: let click decide what that means
            else:
                given.add(key)
                setattr(found, key, value)
            continue
        if argument.startswith("-") and argument != "-":
            return None
        found.paths.append(argument)
    return found
