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


def split_codes(values: Sequence[str]) -> tuple[str, ...]:
    """Rule selectors from repeated, comma-separated options: `--select DL1,DL2 --select DL3`."""
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


def parse(argv: Sequence[str]) -> dict[str, object] | None:
    """The options of `check ...` when every argument is one this path handles, else None."""
    if not argv or argv[0] != "check":
        return None
    found: dict[str, object] = {"paths": [], "select": [], "ignore": [], "extend_select": []}
    arguments = list(argv[1:])
    while arguments:
        argument = arguments.pop(0)
        if argument in _FLAGS:
            found[_FLAGS[argument]] = True
            continue
        name, equals, value = argument.partition("=")
        if name in _VALUED:
            if not equals:
                if not arguments:
                    return None
                value = arguments.pop(0)
            key = _VALUED[name]
            if key in _REPEATABLE:
                found[key].append(value)  # type: ignore[attr-defined]
            elif key in found:
                return None  # given twice: let click decide what that means
            else:
                found[key] = value
            continue
        if argument.startswith("-") and argument != "-":
            return None
        found["paths"].append(argument)  # type: ignore[attr-defined]
    return found
