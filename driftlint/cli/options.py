"""The option sets the commands share, declared once, and the helpers every command reports through."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import click

from driftlint.arguments import COLOR_CHOICES, FORMATS

if TYPE_CHECKING:
    from driftlint.engine.options import CheckOptions

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_CHOICE = click.Choice(list(FORMATS))


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


project_options = _stack(
    click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
    click.option("-c", "--config", "alembic_config", multiple=True, type=click.Path(path_type=Path),
                 help="Alembic config file (like `alembic -c`); pyproject.toml is read as [tool.alembic]. May be given twice."),
    click.option("-n", "--name", "alembic_section", help="Section of the Alembic ini file (like `alembic -n`)."),
    click.option("--settings", "settings_file", type=click.Path(path_type=Path),
                 help="driftlint settings file (default: nearest driftlint.toml or pyproject.toml with [tool.driftlint])."),
)
"""PATHS, -c/--config, -n/--name and --settings: which project and which Alembic environments."""

selection_options = _stack(
    click.option("--select", multiple=True, help="Rules to check (codes, names or prefixes, comma separated)."),
    click.option("--ignore", multiple=True, help="Rules to skip."),
    click.option("--extend-select", multiple=True, help="Rules to add to the selection."),
)
"""--select, --ignore and --extend-select: which rules."""

output_options = _stack(
    click.option("--output-format", type=FORMAT_CHOICE, envvar="DRIFTLINT_OUTPUT_FORMAT",
                 help="Output format [default: full on a terminal, else concise; env DRIFTLINT_OUTPUT_FORMAT]."),
    click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write the report to a file."),
    click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings."),
    click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary."),
    click.option("--color", type=click.Choice(list(COLOR_CHOICES)), default="auto", show_default=True),
)
"""How findings are reported: --output-format, -o, --exit-zero, -q and --color."""

no_cache_option = click.option("--no-cache", is_flag=True, help="Read every file afresh and do not write the cache.")
debug_option = click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")


@dataclass(frozen=True)
class Program:
    """The arguments driftlint runs with as a program (the click context's `obj`): a plain check
    stores what it printed under them for the next identical run (driftlint.snapshot). Commands
    invoked in-process, by tests say, have none, and their output never becomes a snapshot."""

    argv: tuple[str, ...]


def fail(message: str) -> click.exceptions.Exit:
    click.echo(f"driftlint: error: {message}", err=True)
    return click.exceptions.Exit(2)


def echo_stdout(text: str, nl: bool = True) -> None:
    """click.echo to standard output; one that cannot take it (a full disk) is exit 2, one line."""
    try:
        click.echo(text, nl=nl)
        sys.stdout.flush()
    except OSError as exc:
        from driftlint.snapshot import stdout_failed

        raise click.exceptions.Exit(stdout_failed(exc)) from None


def write_output(text: str, output_file: Path | None) -> None:
    if output_file is None:
        echo_stdout(text, nl=False)
        return
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output_file}: cannot write output: {exc.strerror or exc}") from None


def with_merge_overlay(options: CheckOptions, ref: str) -> CheckOptions:
    """The options of a check of the merge of the working tree with git `ref` (--base)."""
    from dataclasses import replace

    from driftlint.merge_base import merge_overlay

    start = next((p for p in options.paths if p.exists()), Path("."))
    merged = merge_overlay(ref, (options.cwd / start).resolve())
    for note in merged.notes:
        click.echo(f"driftlint: warning: {note}", err=True)
    return replace(options, overlay={**(options.overlay or {}), **merged.files}, base_files=merged.ref_files)
